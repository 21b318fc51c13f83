// `jobsub completion bash|zsh|fish`: a shell completion script made from the
// commands and plugins installed now: each command's options are read from
// its own `--help` (Boost.Program_options' layout), so a command or plugin
// added later is completed once the script is made again. Sweep names and job
// numbers are looked up when TAB is pressed, by `jobsub completion --sweeps`
// and `--jobs`, which read the experiment's state store only: no settling, no
// scheduler call, so TAB stays instant and never waits on a cluster.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/plugin.h>
#include <jobsub/process.h>
#include <jobsub/registry.h>
#include <jobsub/store.h>
#include <jobsub/terminal.h>
#include <jobsub/version.h>

#include <algorithm>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

namespace {

namespace fs = jobsub::fs;

/// One option as a command's --help lists it.
struct OptionInfo {
  std::string name;  ///< without the dashes
  char short_name = 0;
  bool takes_value = false;
  std::string help;
};

struct CommandInfo {
  std::string name;
  std::string summary;
  bool takes_sweep = false;  ///< its synopsis names SWEEP
  bool takes_job = false;    ///< ... and JOB
  std::vector<OptionInfo> options;
};

/// The options of a Boost.Program_options help text: lines such as
/// `  --poll SECONDS (=5)   seconds ...` and `  -j [ --max-running ] N   jobs ...`.
std::vector<OptionInfo> parse_help_options(const std::string& help) {
  static const std::regex line(
      R"(^  (?:-([A-Za-z0-9]) \[ )?--([A-Za-z0-9][A-Za-z0-9._-]*)( \])?(\s\S+)?(?: \(=[^)]*\))?\s{2,}(.*)$)");
  std::vector<OptionInfo> out;
  std::istringstream in(help);
  std::string text;
  std::smatch m;
  while (std::getline(in, text)) {
    if (!std::regex_match(text, m, line)) continue;
    OptionInfo o;
    o.short_name = m[1].matched ? std::string(m[1])[0] : 0;
    o.name = m[2];
    o.takes_value = m[4].matched;
    o.help = m[5];
    if (std::none_of(out.begin(), out.end(), [&](const OptionInfo& x) { return x.name == o.name; }))
      out.push_back(o);
  }
  return out;
}

/// Single-quoted for bash, zsh and fish alike ('\'' closes, escapes, reopens).
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string words(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

class CompletionCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& given) noexcept override {
    try {
      jobsub::CommandLine cl(
          "completion", "bash|zsh|fish",
          "Prints a completion script for the shell, made from the commands, their options and the\n"
          "plugins installed now. Load it in the shell's startup file, e.g. for bash\n"
          "  source <(jobsub completion bash)\n"
          "zsh: `source <(jobsub completion zsh)` after compinit; fish: `jobsub completion fish |\n"
          "source`. Sweep names and job numbers are completed from the experiment's state store\n"
          "(no scheduler is asked). Make the script again after installing a plugin.",
          "0; 2 usage.");
      cl.options()("sweeps", "print the sweeps of this experiment, one a line (used by the scripts)");
      cl.options()("jobs", jobsub::po::value<std::string>()->value_name("SWEEP")->implicit_value(""),
                   "print the job numbers of SWEEP (default: the latest), one a line (used by the scripts)");
      cl.takes(jobsub::Global::spec);
      if (!cl.parse(given, 1)) return 0;
      if (cl.given("sweeps") || cl.given("jobs")) return list_records(cl);
      if (cl.words().size() != 1)
        throw jobsub::usage_error("say which shell: jobsub completion bash, zsh or fish");
      const std::string shell = cl.words()[0];
      if (shell != "bash" && shell != "zsh" && shell != "fish")
        throw jobsub::usage_error(
            fmt::format("no completion for '{}': jobsub completion bash, zsh or fish", shell));
      const std::vector<CommandInfo> commands = read_commands(context);
      std::map<std::string, std::vector<std::string>> plugins;
      for (const char* kind : {"layout", "sweeper", "formatter", "scheduler"})
        plugins[kind] = context.registry->names(kind);
      std::cout << (shell == "fish" ? fish_script(commands, plugins)
                                    : bash_script(commands, plugins, shell == "zsh"));
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }

 private:
  /// `--sweeps`, `--jobs`: names from the state store as it is (nothing settled).
  static int list_records(const jobsub::CommandLine& cl) {
    const fs::path experiment = cl.experiment();
    if (!fs::exists(jobsub::Store::path_for(experiment))) return 0;
    const std::unique_ptr<jobsub::Store> store = jobsub::open_records(experiment);
    const std::vector<jobsub::SweepSummary> sweeps = store->sweeps();
    if (sweeps.empty()) return 0;
    if (cl.given("sweeps")) {
      for (const jobsub::SweepSummary& s : sweeps) {
        std::error_code ec;
        const fs::path relative = fs::relative(s.sweep.dir, experiment, ec);
        fmt::print("{}\n", ec || relative.empty() ? s.sweep.dir.string() : relative.string());
      }
      return 0;
    }
    const jobsub::SweepSummary& sweep = jobsub::choose_sweep(sweeps, cl.value("jobs"), experiment);
    std::string out;
    for (uint64_t job = 1; job <= sweep.sweep.job_count; ++job) out += fmt::format("{}\n", job);
    fmt::print("{}", out);
    return 0;
  }

  /// Every command with its options, from its own --help.
  static std::vector<CommandInfo> read_commands(const jobsub::CommandContext& context) {
    std::vector<CommandInfo> out;
    for (const std::string& name : context.registry->names("command")) {
      CommandInfo c;
      c.name = name;
      if (const jobsub::ComponentEntry* entry = context.registry->find("command", name))
        c.summary = entry->info->summary != nullptr ? entry->info->summary : "";
      jobsub::RunOptions bounded;
      bounded.timeout = std::chrono::seconds(30);
      const jobsub::ProcessResult help =
          jobsub::run_process({context.executable.string(), name, "--help"}, bounded);
      const std::string first_line = help.out.substr(0, help.out.find('\n'));
      c.takes_sweep = first_line.find("SWEEP") != std::string::npos;
      c.takes_job = first_line.find("JOB") != std::string::npos;
      c.options = parse_help_options(help.out);
      if (c.options.empty())
        throw jobsub::Error(
            jobsub::ExitCode::plugin,
            fmt::format("`jobsub {} --help` listed no options: cannot make its completion", name));
      out.push_back(std::move(c));
    }
    return out;
  }

  static std::string bash_script(const std::vector<CommandInfo>& commands,
                                 const std::map<std::string, std::vector<std::string>>& plugins, bool zsh) {
    std::vector<std::string> names;
    for (const CommandInfo& c : commands) names.push_back(c.name);
    std::string option_cases, value_options, sweep_commands, job_commands;
    std::set<std::string> with_value;
    for (const CommandInfo& c : commands) {
      std::vector<std::string> flags;
      for (const OptionInfo& o : c.options) {
        flags.push_back("--" + o.name);
        if (o.short_name != 0) flags.push_back(fmt::format("-{}", o.short_name));
        if (o.takes_value) with_value.insert("--" + o.name);
      }
      option_cases += fmt::format("    {}) opts={} ;;\n", c.name, quoted(words(flags)));
      if (c.takes_sweep) sweep_commands += (sweep_commands.empty() ? "" : "|") + c.name;
      if (c.takes_job) job_commands += (job_commands.empty() ? "" : "|") + c.name;
    }
    std::string plugin_cases;
    for (const auto& [kind, list] : plugins)
      plugin_cases += fmt::format("    --{}) COMPREPLY=($(compgen -W {} -- \"$cur\")); return ;;\n", kind,
                                  quoted(words(list)));
    return fmt::format(
        R"(# {shell} completion for jobsub {version}, made by `jobsub completion {shell}` from the
# commands and plugins installed then (make it again after installing a plugin).
{preamble}_jobsub() {{
  local cur prev cmd="" i
  cur=${{COMP_WORDS[COMP_CWORD]}}
  prev=${{COMP_WORDS[COMP_CWORD-1]}}
  # `--scheduler=sl`: bash splits at '=', so the option is two words back.
  if [[ $cur == "=" ]]; then cur=""; fi
  if [[ $prev == "=" && $COMP_CWORD -ge 2 ]]; then prev=${{COMP_WORDS[COMP_CWORD-2]}}; fi
  local commands={commands}
  for ((i = 1; i < COMP_CWORD; i++)); do
    case " $commands " in *" ${{COMP_WORDS[i]}} "*) cmd=${{COMP_WORDS[i]}}; break ;; esac
  done
  case $prev in
{plugin_cases}    --spec|--plugin-dir|--template) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  local opts
  case ${{cmd:-submit}} in
{option_cases}  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case " "{value_options}" " in *" $prev "*) return ;; esac  # its value: nothing to offer
  local sweeps="" jobs=""
  case $cmd in
    {sweep_commands}) sweeps=$(jobsub completion --sweeps 2>/dev/null) ;;
  esac
  case $cmd in
    {job_commands}) jobs=$(jobsub completion --jobs 2>/dev/null) ;;
  esac
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$sweeps $jobs" -- "$cur"))
  fi
}}
complete -F _jobsub jobsub
)",
        fmt::arg("shell", zsh ? "zsh" : "bash"), fmt::arg("version", JOBSUB_VERSION),
        fmt::arg("preamble", zsh ? "# zsh runs it through its bash completion layer.\n"
                                   "autoload -U +X bashcompinit && bashcompinit\n"
                                 : ""),
        fmt::arg("commands", quoted(words(names))), fmt::arg("plugin_cases", plugin_cases),
        fmt::arg("option_cases", option_cases),
        fmt::arg("value_options",
                 quoted(words(std::vector<std::string>(with_value.begin(), with_value.end())))),
        fmt::arg("sweep_commands", sweep_commands.empty() ? "jobsub-none" : sweep_commands),
        fmt::arg("job_commands", job_commands.empty() ? "jobsub-none" : job_commands));
  }

  static std::string fish_script(const std::vector<CommandInfo>& commands,
                                 const std::map<std::string, std::vector<std::string>>& plugins) {
    std::vector<std::string> names;
    for (const CommandInfo& c : commands) names.push_back(c.name);
    std::string out = fmt::format(
        "# fish completion for jobsub {}, made by `jobsub completion fish` from the commands and plugins\n"
        "# installed then (make it again after installing a plugin).\n"
        "complete -c jobsub -f\n",
        JOBSUB_VERSION);
    for (const CommandInfo& c : commands)
      out +=
          fmt::format("complete -c jobsub -n {} -a {} -d {}\n",
                      quoted("not __fish_seen_subcommand_from " + words(names)), c.name, quoted(c.summary));
    for (const CommandInfo& c : commands) {
      // Submit's options also go with no command at all (`jobsub --yes`).
      const std::string when = c.name == "submit" ? quoted("not __fish_seen_subcommand_from " + words(names) +
                                                           "; or __fish_seen_subcommand_from submit")
                                                  : quoted("__fish_seen_subcommand_from " + c.name);
      for (const OptionInfo& o : c.options) {
        std::string line = fmt::format("complete -c jobsub -n {} -l {}", when, o.name);
        if (o.short_name != 0) line += fmt::format(" -s {}", o.short_name);
        if (o.takes_value) {
          // A file for --spec, --plugin-dir and --template; else no file (-x): the plugin names, or nothing.
          const bool file = o.name == "spec" || o.name == "plugin-dir" || o.name == "template";
          line += file ? " -r -F" : " -x";
          if (auto it = plugins.find(o.name); it != plugins.end()) line += " -a " + quoted(words(it->second));
        }
        out += fmt::format("{} -d {}\n", line, quoted(o.help));
      }
      if (c.takes_sweep)
        out += fmt::format("complete -c jobsub -n {} -a '(jobsub completion --sweeps 2>/dev/null)'\n",
                           quoted("__fish_seen_subcommand_from " + c.name));
      if (c.takes_job)
        out += fmt::format("complete -c jobsub -n {} -a '(jobsub completion --jobs 2>/dev/null)'\n",
                           quoted("__fish_seen_subcommand_from " + c.name));
    }
    return out;
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<CompletionCommand>(
        "completion",
        "print a bash, zsh or fish completion script for jobsub's commands, options and plugins"),
};

}  // namespace

JOBSUB_PLUGIN("completion", "1.0.0", kComponents)
