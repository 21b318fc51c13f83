// jobsub's entry point: finds the plugins, picks the command, hands it argv.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/engine_host.h>
#include <jobsub/errors.h>
#include <jobsub/overrides.h>
#include <jobsub/registry.h>
#include <jobsub/spec.h>
#include <jobsub/terminal.h>
#include <jobsub/version.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <iostream>

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (std::find(args.begin(), args.end(), "--version") != args.end()) {
      fmt::print("jobsub {}\n", JOBSUB_VERSION);
      return 0;
    }
    // --plugin-dir is every command's and is used here, before any command
    // is loaded; the command gets the rest.
    std::vector<jobsub::fs::path> plugin_dirs;
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--plugin-dir" && i + 1 < args.size()) {
        plugin_dirs.emplace_back(args[++i]);
      } else if (args[i].rfind("--plugin-dir=", 0) == 0) {
        plugin_dirs.emplace_back(args[i].substr(13));
      } else {
        rest.push_back(args[i]);
      }
    }
    args = std::move(rest);
    const jobsub::fs::path executable = boost::dll::program_location().string();
    jobsub::PluginRegistry registry(jobsub::plugin_search_path(plugin_dirs, executable));

    // `jobsub [GLOBAL...] [COMMAND] ...`: after the options every command
    // takes (as git takes `-C DIR` before its command), a word that is neither
    // an option nor an override names the command; otherwise it is `submit`.
    std::vector<std::string> kGlobalsWithValue;  // each global takes one value (command_line.h)
    for (const jobsub::GlobalOption& g : jobsub::global_options())
      kGlobalsWithValue.push_back(fmt::format("--{}", g.name));
    std::size_t at = 0;
    while (at < args.size()) {
      const std::string& arg = args[at];
      const bool spelled_with_value =
          std::any_of(kGlobalsWithValue.begin(), kGlobalsWithValue.end(),
                      [&](const std::string& g) { return arg.rfind(g + "=", 0) == 0; });
      if (spelled_with_value) {
        ++at;
      } else if (std::find(kGlobalsWithValue.begin(), kGlobalsWithValue.end(), arg) !=
                 kGlobalsWithValue.end()) {
        at += 2;
      } else {
        break;
      }
    }
    std::string command = "submit";
    if (at < args.size() && args[at] == "help") {
      // `jobsub help [COMMAND]`, as in git and cargo: the command's --help.
      if (args.size() > at + 2) throw jobsub::usage_error("`jobsub help` takes at most one COMMAND");
      if (args.size() == at + 2) command = args[at + 1];
      args = {"--help"};
    } else if (at < args.size() && args[at].rfind("-", 0) != 0 && !jobsub::is_override(args[at])) {
      command = args[at];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(at));
    }
    if (registry.find("command", command) == nullptr) {
      try {
        registry.require("command", command);
      } catch (const jobsub::Error& e) {
        throw jobsub::Error(command == "submit" ? jobsub::ExitCode::plugin : jobsub::ExitCode::usage,
                            e.what());
      }
    }
    auto handle = registry.create<jobsub::Command>(command);
    jobsub::EngineHost host(registry);
    jobsub::CommandContext context{&registry, "jobsub", executable, &host};
    return handle->run(context, args);
  } catch (...) {
    return jobsub::report_current_exception(std::cerr);
  }
}
