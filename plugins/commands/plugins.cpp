// `jobsub plugins`: every plugin found, the search path in order, and the
// files that could not be used. `jobsub plugins check FILE`: why a file does
// or does not load.
#include <jobsub/errors.h>
#include <jobsub/plugin.h>
#include <jobsub/registry.h>
#include <jobsub/version.h>

#include <iomanip>
#include <iostream>

namespace {

class PluginsCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& args) noexcept override {
    try {
      std::vector<std::string> rest;
      for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--plugin-dir") {
          ++i;  // used by main already
        } else if (args[i].rfind("--plugin-dir=", 0) != 0) {
          rest.push_back(args[i]);
        }
      }
      if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
        std::cout << "Usage: jobsub plugins [--plugin-dir DIR]   list plugins and the search path\n"
                     "       jobsub plugins check FILE           say why FILE does or does not load\n";
        return 0;
      }
      if (!rest.empty() && rest[0] == "check") {
        if (rest.size() != 2) throw jobsub::usage_error("usage: jobsub plugins check FILE");
        return check(rest[1]);
      }
      if (!rest.empty())
        throw jobsub::usage_error("unexpected argument '" + rest[0] + "' (see jobsub plugins --help)");
      list(*context.registry);
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }

 private:
  static void list(const jobsub::PluginRegistry& registry) {
    std::cout << "jobsub " JOBSUB_VERSION ", plugin ABI " << JOBSUB_PLUGIN_ABI_VERSION
              << "\n\nSearch path (first match wins):\n";
    int n = 0;
    for (const jobsub::fs::path& dir : registry.search_path()) {
      std::error_code ec;
      std::cout << "  " << ++n << ". " << dir.string()
                << (jobsub::fs::is_directory(dir, ec) ? "" : "  (absent)") << '\n';
    }
    std::cout << '\n'
              << std::left << std::setw(10) << "KIND" << std::setw(12) << "NAME" << std::setw(9) << "VERSION"
              << std::setw(5) << "ABI"
              << "FILE\n";
    for (const std::string& kind : jobsub::plugin_kinds()) {
      for (const jobsub::ComponentEntry& entry : registry.components()) {
        if (kind != entry.info->kind) continue;
        std::cout << std::setw(10) << kind << std::setw(12) << entry.info->name << std::setw(9)
                  << (entry.plugin->plugin_version ? entry.plugin->plugin_version : "?") << std::setw(5)
                  << entry.plugin->abi_version << entry.file.string() << '\n'
                  << std::setw(22) << "" << (entry.info->summary ? entry.info->summary : "") << '\n';
      }
    }
    if (!registry.problems().empty()) {
      std::cout << "\nNot loaded:\n";
      for (const jobsub::PluginProblem& problem : registry.problems()) {
        std::cout << "  " << problem.file.string() << ": " << problem.message << '\n';
      }
    }
  }

  static int check(const std::string& file) {
    std::string kind, name;
    const jobsub::fs::path path = jobsub::fs::absolute(file);
    if (!jobsub::parse_plugin_file_name(path.filename().string(), kind, name)) {
      std::cout << path.string() << ": will be skipped: plugin files are named jobsub-<kind>-<name>.so\n";
      return static_cast<int>(jobsub::ExitCode::plugin);
    }
    const jobsub::PluginCheck result = jobsub::check_plugin_file(path);
    if (!result.ok) {
      std::cout << path.string() << ": does not load: " << result.message << '\n';
      return static_cast<int>(jobsub::ExitCode::plugin);
    }
    std::cout << path.string() << ": loads: " << result.message << '\n';
    for (const jobsub::ComponentEntry& entry : result.components) {
      std::cout << "  " << entry.info->kind << " '" << entry.info->name
                << "': " << (entry.info->summary ? entry.info->summary : "") << '\n';
      for (std::size_t i = 0; i < entry.info->option_count; ++i) {
        const jobsub_option_info& o = entry.info->options[i];
        std::cout << "    --" << o.name << (o.value_name ? std::string(" ") + o.value_name : "") << "  "
                  << (o.help ? o.help : "")
                  << (o.default_value ? std::string(" (default: ") + o.default_value + ")" : "") << '\n';
      }
    }
    return 0;
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<PluginsCommand, jobsub::Command>("command", "plugins",
                                                       "list plugins and the search path; check one file"),
};

}  // namespace

JOBSUB_PLUGIN("plugins", "1.0.0", kComponents)
