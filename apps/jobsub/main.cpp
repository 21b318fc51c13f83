// jobsub's entry point: finds the plugins, picks the command, hands it argv.
#include <fmt/core.h>
#include <jobsub/errors.h>
#include <jobsub/registry.h>
#include <jobsub/spec.h>
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
    std::vector<jobsub::fs::path> plugin_dirs;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--plugin-dir" && i + 1 < args.size()) plugin_dirs.emplace_back(args[i + 1]);
      if (args[i].rfind("--plugin-dir=", 0) == 0) plugin_dirs.emplace_back(args[i].substr(13));
    }
    const jobsub::fs::path executable = boost::dll::program_location().string();
    jobsub::PluginRegistry registry(jobsub::plugin_search_path(plugin_dirs, executable));

    // `jobsub [COMMAND] ...`: a first word that is neither an option nor an
    // override names the command; otherwise the command is `submit`.
    std::string command = "submit";
    if (!args.empty() && args[0] == "help") {
      // `jobsub help [COMMAND]`, as in git and cargo: the command's --help.
      if (args.size() > 2) throw jobsub::usage_error("`jobsub help` takes at most one COMMAND");
      if (args.size() == 2) command = args[1];
      args = {"--help"};
    } else if (!args.empty() && args[0].rfind("-", 0) != 0 && !jobsub::is_override(args[0])) {
      command = args[0];
      args.erase(args.begin());
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
    jobsub::CommandContext context{&registry, "jobsub", executable};
    return handle->run(context, args);
  } catch (...) {
    return jobsub::report_current_exception(std::cerr);
  }
}
