// `jobsub plugins`: every plugin found, the search path in order, and the
// files that could not be used. `jobsub plugins check FILE`: why a file does
// or does not load.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/plugin.h>
#include <jobsub/plugin_options.h>
#include <jobsub/registry.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>
#include <jobsub/version.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <utility>

namespace {

class PluginsCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& args) noexcept override {
    try {
      jobsub::CommandLine cl(
          "plugins", "[check FILE | new KIND NAME [DIR] [--batch]]",
          fmt::format("  jobsub plugins                      list plugins and the search path\n"
                      "  jobsub plugins check FILE           say why FILE does or does not load\n"
                      "  jobsub plugins new KIND NAME [DIR]  write a plugin project that builds as it is\n"
                      "                                      (KIND: {}; DIR: ./jobsub-KIND-NAME)\n"
                      "  jobsub plugins new scheduler NAME [DIR] --batch\n"
                      "                                      a batch scheduler: a dialect of jobsub's\n"
                      "                                      batch-scheduler base (queue, arrays, client)",
                      jobsub::join(jobsub::plugin_kinds())),
          "0; 2 usage; 4 a plugin does not load (check).");
      cl.options()("batch", "with new scheduler: start from the batch-scheduler base");
      if (!cl.parse(args)) return 0;
      const std::vector<std::string>& rest = cl.words();
      if (cl.given("batch") && (rest.empty() || rest[0] != "new"))
        throw jobsub::usage_error("--batch goes with new: jobsub plugins new scheduler NAME --batch");
      if (!rest.empty() && rest[0] == "new") {
        const bool batch_scheduler = cl.given("batch");
        if (rest.size() != 3 && rest.size() != 4)
          throw jobsub::usage_error("usage: jobsub plugins new KIND NAME [DIR] [--batch]");
        if (batch_scheduler && rest[1] != "scheduler")
          throw jobsub::usage_error(
              "--batch makes a batch scheduler: jobsub plugins new scheduler NAME --batch");
        return scaffold(context, rest[1], rest[2], rest.size() == 4 ? rest[3] : std::string(),
                        batch_scheduler);
      }
      if (!rest.empty() && rest[0] == "check") {
        if (rest.size() != 2) throw jobsub::usage_error("usage: jobsub plugins check FILE");
        return check(*context.registry, rest[1]);
      }
      if (!rest.empty())
        throw jobsub::usage_error(fmt::format("unexpected argument '{}' (see jobsub help plugins)", rest[0]));
      list(*context.registry);
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }

 private:
  static const char* or_empty(const char* text) { return text != nullptr ? text : ""; }

  static void list(const jobsub::PluginRegistry& registry) {
    fmt::print("jobsub {}, plugin ABI {}\n\nSearch path (first match wins):\n", JOBSUB_VERSION,
               JOBSUB_PLUGIN_ABI_VERSION);
    int n = 0;
    for (const jobsub::fs::path& dir : registry.search_path()) {
      std::error_code ec;
      fmt::print("  {}. {}{}\n", ++n, dir.string(), jobsub::fs::is_directory(dir, ec) ? "" : "  (absent)");
    }
    fmt::print("\n{:<10}{:<12}{:<9}{:<5}FILE\n", "KIND", "NAME", "VERSION", "ABI");
    for (const std::string& kind : jobsub::plugin_kinds()) {
      for (const jobsub::ComponentEntry& entry : registry.components()) {
        if (kind != entry.info->kind) continue;
        fmt::print("{:<10}{:<12}{:<9}{:<5}{}\n{:22}{}\n", kind, entry.info->name,
                   entry.plugin->plugin_version ? entry.plugin->plugin_version : "?",
                   entry.plugin->abi_version, entry.file.string(), "", or_empty(entry.info->summary));
      }
    }
    std::vector<std::string> shared, hidden, by_kind;
    std::set<std::string> listed;
    for (const jobsub::PluginOption& o : jobsub::plugin_options(registry)) {
      if (o.kind_shared && !o.core_clash) {
        if (listed.insert(o.short_name).second) {
          std::vector<std::string> all = o.shared_with;
          all.insert(all.begin(), o.qualified);
          by_kind.push_back(fmt::format("  --{}: the chosen {}'s ({})", o.short_name, o.entry->info->kind,
                                        jobsub::join(all)));
        }
        continue;
      }
      if (!o.shared_with.empty())
        shared.push_back(fmt::format("  --{}: also {}", o.qualified, jobsub::join(o.shared_with)));
      if (o.core_clash)
        hidden.push_back(fmt::format("  --{}: --{} is jobsub's own", o.qualified, o.short_name));
    }
    if (!shared.empty() || !hidden.empty()) {
      fmt::print("\nOptions only by their qualified name (--<plugin>.<option>):\n{}\n",
                 jobsub::join(shared.empty() ? hidden : shared, "\n"));
      if (!shared.empty() && !hidden.empty()) fmt::print("{}\n", jobsub::join(hidden, "\n"));
    }
    if (!by_kind.empty())
      fmt::print(
          "\nOptions several plugins of one kind declare (the short name means the chosen plugin's):\n{}\n",
          jobsub::join(by_kind, "\n"));
    if (!registry.shadowed().empty()) {
      fmt::print("\nShadowed (an earlier directory of the search path provides the same kind and name):\n");
      for (const auto& [used, hidden] : registry.shadowed())
        fmt::print("  {}: not used; {} is\n", hidden.string(), used.string());
    }
    if (!registry.problems().empty()) {
      fmt::print("\nNot loaded:\n");
      for (const jobsub::PluginProblem& problem : registry.problems()) {
        fmt::print("  {}: {}\n", problem.file.string(), problem.message);
      }
    }
  }

  /// Whether `--<option>` also works for this file's option, given the
  /// installed plugins (the file itself counted once, installed or not).
  static std::string short_form_note(const jobsub::PluginRegistry& registry,
                                     const jobsub::ComponentEntry& entry, const char* option) {
    const auto& core = jobsub::core_option_names();
    if (std::find(core.begin(), core.end(), std::string(option)) != core.end())
      return fmt::format("; not --{}: that is jobsub's own option", option);
    std::vector<std::string> others;
    bool one_kind = true;  // then the short name means the chosen plugin's
    for (const jobsub::PluginOption& o : jobsub::plugin_options(registry)) {
      const bool same = std::string(o.entry->info->kind) == entry.info->kind &&
                        o.entry->info->name == std::string(entry.info->name);
      if (o.short_name != option || same) continue;
      others.push_back(o.qualified);
      one_kind = one_kind && std::string(o.entry->info->kind) == entry.info->kind;
    }
    if (others.empty()) return fmt::format("; or --{}", option);
    if (one_kind)
      return fmt::format("; or --{}, which means the chosen {}'s ({} also declare{} it)", option,
                         entry.info->kind, jobsub::join(others), others.size() == 1 ? "s" : "");
    return fmt::format("; not --{}: {} also declare{} it", option, jobsub::join(others),
                       others.size() == 1 ? "s" : "");
  }

  /// `jobsub plugins new KIND NAME [DIR]`: the templates installed with jobsub
  /// (share/jobsub/plugin-templates), with the kind and name filled in.
  static int scaffold(const jobsub::CommandContext& context, const std::string& kind, const std::string& name,
                      std::string dir, bool batch_scheduler) {
    namespace fs = jobsub::fs;
    const auto& kinds = jobsub::plugin_kinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      throw jobsub::usage_error(fmt::format("unknown kind '{}'{}; kinds are {}", kind,
                                            jobsub::did_you_mean(kind, kinds), jobsub::join(kinds)));
    }
    std::string parsed_kind, parsed_name;
    if (!jobsub::parse_plugin_file_name(fmt::format("jobsub-{}-{}.so", kind, name), parsed_kind,
                                        parsed_name) ||
        parsed_name != name || name.find('.') != std::string::npos) {
      throw jobsub::usage_error(
          fmt::format("'{}' cannot be a plugin name: use letters, digits, '_' and '-'", name));
    }
    if (dir.empty()) dir = fmt::format("jobsub-{}-{}", kind, name);
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
      throw jobsub::usage_error(fmt::format("{} exists and is not empty: name another directory", dir));
    }
    const fs::path templates =
        context.executable.parent_path() / ".." / "share" / "jobsub" / "plugin-templates";
    auto read = [&](const std::string& file) {
      std::ifstream in(templates / file, std::ios::binary);
      if (!in) {
        throw jobsub::plugin_error(
            fmt::format("cannot read the plugin template {}: is jobsub installed completely?",
                        (templates / file).lexically_normal().string()));
      }
      std::string text(std::istreambuf_iterator<char>(in), {});
      for (const auto& [from, to] :
           {std::pair<std::string, std::string>{"@KIND@", kind},
            {"@NAME@", name},
            {"@JOBSUB_VERSION@", fmt::format("{}.{}", JOBSUB_VERSION_MAJOR, JOBSUB_VERSION_MINOR)}}) {
        for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
          text.replace(at, from.size(), to);
      }
      return text;
    };
    const std::string cmake = read("CMakeLists.txt.in");
    const std::string source = read(batch_scheduler ? "batch-scheduler.cpp.in" : kind + ".cpp.in");
    fs::create_directories(dir);
    std::ofstream(fs::path(dir) / "CMakeLists.txt", std::ios::binary) << cmake;
    std::ofstream(fs::path(dir) / fmt::format("{}.cpp", name), std::ios::binary) << source;
    const fs::path prefix = (context.executable.parent_path() / "..").lexically_normal();
    fmt::print(
        "wrote {0}/CMakeLists.txt and {0}/{1}.cpp: a {2} plugin '{1}'. Build and try it:\n"
        "  cmake -S {0} -B {0}/build -DCMAKE_PREFIX_PATH={3} && cmake --build {0}/build\n"
        "  jobsub plugins check {0}/build/jobsub-{2}-{1}.so\n"
        "  jobsub --plugin-dir {0}/build --{2}={1} --dry-run\n",
        dir, name, kind, prefix.string());
    return 0;
  }

  static int check(const jobsub::PluginRegistry& registry, const std::string& file) {
    std::string kind, name;
    const jobsub::fs::path path = jobsub::fs::absolute(file);
    if (!jobsub::parse_plugin_file_name(path.filename().string(), kind, name)) {
      fmt::print("{}: will be skipped: plugin files are named jobsub-<kind>-<name>.so\n", path.string());
      return static_cast<int>(jobsub::ExitCode::plugin);
    }
    const jobsub::PluginCheck result = jobsub::check_plugin_file(path);
    if (!result.ok) {
      fmt::print("{}: does not load: {}\n", path.string(), result.message);
      return static_cast<int>(jobsub::ExitCode::plugin);
    }
    fmt::print("{}: loads: {}\n", path.string(), result.message);
    for (const jobsub::ComponentEntry& entry : result.components) {
      fmt::print("  {} '{}': {}\n", entry.info->kind, entry.info->name, or_empty(entry.info->summary));
      for (std::size_t i = 0; i < entry.info->option_count; ++i) {
        const jobsub_option_info& o = entry.info->options[i];
        fmt::print("    --{}.{}{}  {}{}{}\n", entry.info->name, o.name,
                   o.value_name ? fmt::format(" {}", o.value_name) : std::string(" (a flag)"),
                   or_empty(o.help),
                   o.default_value ? fmt::format(" (default: {})", o.default_value) : std::string(),
                   short_form_note(registry, entry, o.name));
      }
    }
    return 0;
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<PluginsCommand>("plugins", "list plugins and the search path; check one file"),
};

}  // namespace

JOBSUB_PLUGIN("plugins", "1.0.0", kComponents)
