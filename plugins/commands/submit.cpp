// `jobsub [submit] [options] [key=value ...]`: the default command.
#include <fmt/ostream.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/overrides.h>
#include <jobsub/plugin.h>
#include <jobsub/plugin_options.h>
#include <jobsub/registry.h>
#include <jobsub/resources.h>
#include <jobsub/retry.h>
#include <jobsub/site.h>
#include <jobsub/spec.h>
#include <jobsub/submit.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include <boost/program_options.hpp>
#include <iostream>
#include <set>
#include <stdexcept>

namespace po = boost::program_options;

namespace {

/// A whole number >= `least` given to `option`, or a usage error saying so.
uint64_t parse_whole(const std::string& text, const char* option, uint64_t least) {
  try {
    std::size_t used = 0;
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
      const unsigned long long v = std::stoull(text, &used);
      if (used == text.size() && v >= least) return v;
    }
  } catch (const std::exception&) {
  }
  throw jobsub::usage_error(fmt::format("{} takes a whole number >= {}, got '{}'", option, least, text));
}

/// `layout=skeleton` on the command line is almost surely meant as
/// `--layout=skeleton`; sweeping a hyper of that name is still possible by
/// declaring it in the spec.
void refuse_setting_as_hyper(const jobsub::SweepSpec& spec, const std::string& key, const std::string& item) {
  // `name` is left out: a hyperparameter called name is common, and its
  // values reach the program, so nothing is silently lost.
  const auto& settings = jobsub::scalar_setting_keys();
  if (key == "name" || std::find(settings.begin(), settings.end(), key) == settings.end()) return;
  for (const jobsub::GridDecl& grid : spec.grids) {
    for (const jobsub::HyperDecl& hyper : grid.hypers)
      if (hyper.key == key) return;  // declared in the spec: a real hyperparameter
  }
  std::string flag = key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  throw jobsub::usage_error(fmt::format(
      "'{}' names the setting '{}', not a hyperparameter: write --{}={} (to sweep a hyperparameter called "
      "'{}', declare it under `hypers:` in jobsub.yaml)",
      item, key, flag, item.substr(item.find('=') + 1), key));
}

const char* const kSettingFlags[][3] = {
    {"name", "sweep name (results/<name>/...)", "NAME"},
    {"layout", "layout plugin (plain, skeleton, ...)", "PLUGIN"},
    {"sweeper", "sweeper plugin (grid, random, ...)", "PLUGIN"},
    {"formatter", "formatter plugin (argparse, sacred, hydra, ...)", "PLUGIN"},
    {"scheduler", "scheduler plugin (local, slurm, ...)", "PLUGIN"},
    {"program", "the program, {script} in the command", "FILE"},
    {"command", "command template, e.g. \"python {script} with {args}\"", "TEMPLATE"},
    {"template", "Mustache template for the batch script", "FILE"},
};

class SubmitCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& args) noexcept override {
    try {
      return run_or_throw(context, args);
    } catch (const po::error& e) {
      const bool color = jobsub::use_color(STDERR_FILENO);
      fmt::print(stderr, "jobsub: {} {}\n(see `jobsub --help`)\n",
                 jobsub::styled(color, jobsub::styles::error, "error:"), e.what());
      return static_cast<int>(jobsub::ExitCode::usage);
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }

 private:
  /// Every option submit takes, declared once: help and parsing come from here.
  struct Options {
    explicit Options(const jobsub::PluginRegistry& registry)
        : plugin_declared(jobsub::plugin_options(registry)) {
      auto option = general.add_options();
      option("help,h", "show this help");
      option("max-running,j", po::value<std::string>()->value_name("N"),
             "jobs at a time (local: default the number of cores)");
      option("resource", po::value<std::vector<std::string>>()->composing()->value_name("KEY=VALUE"),
             "a resource, e.g. time=2h (repeatable)");
      option("yes,y", "submit every job without asking");
      option("dry-run", "print what would run; write and submit nothing");
      option("manual", "write the scripts and records; submit nothing");
      option("no-array", "submit one job per combination instead of an array");
      option("wait", "after submitting, wait until every job has ended; exit 1 unless all completed");
      option("retries", po::value<std::string>()->value_name("N"),
             "send a job that ends in a --retry-on state again, up to N times (done by --wait, status, "
             "status --watch)");
      option("retry-on", po::value<std::string>()->value_name("STATES"),
             "with --retries: the states retried (default: timeout,preempted,node_fail; also failed, "
             "out_of_memory, lost)");
      option(
          "retry-scale", po::value<std::string>()->value_name("RES=X,..."),
          "with --retries: time and mem times X per attempt, e.g. time=2,mem=1.5 (capped by the partition's "
          "limits)");
      option("max-retries", po::value<std::string>()->value_name("N"),
             "with --retries: retries of the whole sweep at most");
      // A bare --canary is rewritten before parsing (parse()), so that it takes no value from the next word.
      option("canary", po::value<std::string>()->value_name("[=DURATION]"),
             "submit the first job alone; the rest once it completed (or ran DURATION, e.g. --canary=10m, "
             "without failing)");
      option("detach",
             "with --canary: submit the rest at once, held until the canary's own script releases it (or "
             "cancels it if the canary fails), and return (Slurm, Grid Engine)");
      option("allow-no-args", "let a command without {args} run more than one job");
      option("rerun-completed",
             "submit combinations that completed in an earlier sweep of the experiment too");
      option("resume", "submit what an interrupted submit of the latest sweep (or of SWEEP) did not");
      option("force", "with --resume: resume a batch another host was submitting");
      option("include-declined", "with --resume: also the jobs answered n at the prompt");
      option("max-jobs", po::value<std::string>()->value_name("N"),
             "refuse a sweep of more than N jobs (default 10000000)");
      option("show-config", "print the merged settings with their origins and exit");
      // The options every command may take, declared once (command_line.h).
      for (const jobsub::Global g :
           {jobsub::Global::spec, jobsub::Global::site, jobsub::Global::poll, jobsub::Global::plugin_dir})
        jobsub::declare_global(general, g);
      for (const auto& flag : kSettingFlags)
        settings.add_options()(flag[0], po::value<std::string>()->value_name(flag[2]), flag[1]);
      // Every core option must be on the list the plugin naming rules know.
      const auto& core_names = jobsub::core_option_names();
      for (const po::options_description* group : {&general, &settings}) {
        for (const auto& declared : group->options()) {
          if (std::find(core_names.begin(), core_names.end(), declared->long_name()) == core_names.end())
            throw std::logic_error(
                fmt::format("core option --{} is missing from core_option_names()", declared->long_name()));
        }
      }
      auto plugin_value = [](const jobsub::PluginOption& o) -> po::value_semantic* {
        if (o.flag()) return po::value<std::string>()->zero_tokens()->implicit_value("true", "");
        return po::value<std::string>()->value_name(o.info->value_name);
      };
      std::set<std::string> short_names;  // a name several plugins of one kind share is declared once
      for (const jobsub::PluginOption& o : plugin_declared) {
        const std::string help = fmt::format(
            "{}{}{} [{} {}]", o.info->help ? o.info->help : "",
            o.info->default_value ? fmt::format(" (default: {})", o.info->default_value) : std::string(),
            o.short_usable() ? fmt::format("; or --{}", o.short_name) : std::string(), o.entry->info->kind,
            o.entry->info->name);
        plugin_options.add_options()(o.qualified.c_str(), plugin_value(o), help.c_str());
        if (o.short_usable() && short_names.insert(o.short_name).second)
          hidden.add_options()(o.short_name.c_str(), plugin_value(o), "");
      }
      hidden.add_options()("override", po::value<std::vector<std::string>>()->composing(), "");
      positional.add("override", -1);
      all.add(general).add(settings).add(plugin_options).add(hidden);
    }
    po::options_description general{"Options"};
    po::options_description settings{"Settings (override jobsub.yaml and JOBSUB_<NAME>)"};
    po::options_description plugin_options{
        "Options of the installed plugins (--<plugin>.<option>; the short form when only one plugin has it)"};
    po::options_description hidden;
    po::options_description all;
    po::positional_options_description positional;
    std::vector<jobsub::PluginOption> plugin_declared;
  };

  /// What a bare `--canary` stands for: the canary runs until it completed.
  static constexpr const char* kCanaryUntilCompleted = "completed";

  /// The command line, parsed; an unknown option is a usage error naming the nearest.
  static po::variables_map parse(const Options& options, const std::vector<std::string>& args) {
    po::variables_map vm;
    // A bare --canary takes no value from the next word (Boost.Program_options would take one for an
    // implicit value): `--canary lr=0.1` keeps the override. Its duration comes only as --canary=2m.
    std::vector<std::string> words = args;
    for (std::string& word : words) {
      if (word == "--") break;
      if (word == "--canary") word = fmt::format("--canary={}", kCanaryUntilCompleted);
    }
    try {
      // Unix style without guessing, as every command (command_line.h): a typo is named, not taken.
      po::store(po::command_line_parser(words)
                    .options(options.all)
                    .positional(options.positional)
                    .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
                    .run(),
                vm);
      po::notify(vm);
    } catch (const po::unknown_option& e) {
      std::string given = e.get_option_name();
      given = given.substr(0, given.find('='));
      const std::string bare = given.rfind("--", 0) == 0 ? given.substr(2) : given;
      for (const jobsub::PluginOption& o : options.plugin_declared) {
        if (o.short_name == bare)
          jobsub::resolve_plugin_option(options.plugin_declared, bare, "command line",
                                        jobsub::SettingSource::command_line);
      }
      std::vector<std::string> known;
      for (const auto& declared : options.all.options()) {
        if (!declared->long_name().empty() && declared->long_name() != "override")
          known.push_back(fmt::format("--{}", declared->long_name()));
      }
      throw jobsub::usage_error(fmt::format("unknown option '{}'{} (see `jobsub help`)", given,
                                            jobsub::did_you_mean(given, known)));
    }
    if (vm.count("dry-run") && vm.count("manual")) {
      throw jobsub::usage_error(
          "--dry-run and --manual together: --dry-run writes nothing, --manual writes the scripts and "
          "records without submitting; choose one");
    }
    return vm;
  }

  static void print_help(const jobsub::PluginRegistry& registry, const Options& options) {
    std::string commands;
    for (const jobsub::ComponentEntry& entry : registry.components()) {
      if (std::string(entry.info->kind) == "command")
        commands += fmt::format("  {:<10}{}\n", entry.info->name, entry.info->summary);
    }
    fmt::print(
        "Usage: jobsub [COMMAND] [OPTIONS] [key=value ...]\n\n"
        "Expands a hyperparameter sweep into jobs and submits them. With no COMMAND, submits:\n"
        "reads ./jobsub.yaml, shows the job count, then asks for each job\n"
        "`Submit (i/N): <args>? (y/n/all/exit)`.\n\n"
        "Commands (`jobsub help COMMAND` for one):\n{}\n"
        "Overrides, Hydra style: lr=0.1,0.01  'seed=range(0,5)'  name='a,b' (quoted commas stay)\n\n"
        "{}\n{}\n{}\n"
        "Exit codes: 0 ok, 1 a job or scheduler failed, 2 usage, 3 bad spec or layout, 4 plugin error,\n70 "
        "internal error, "
        "130 interrupted. See docs/user-guide.md.\n\n"
        "Examples:\n"
        "  jobsub --dry-run                                  # show every job and the script; write "
        "nothing\n"
        "  jobsub --scheduler=local -j 4 lr=0.1,0.01 'seed=range(0,3)'\n"
        "  jobsub --scheduler=slurm --yes --wait             # submit all, follow them to the end\n",
        commands, fmt::streamed(options.general), fmt::streamed(options.settings),
        fmt::streamed(options.plugin_options));
  }

  /// The sweep's settings, lowest first: defaults, the site profile, the spec
  /// file, JOBSUB_*, then the command line's flags, plugin options and overrides.
  static jobsub::SweepSpec merged_spec(const jobsub::PluginRegistry& registry, const Options& options,
                                       const po::variables_map& vm) {
    jobsub::SweepSpec spec;
    if (vm.count("spec") && vm["spec"].as<std::string>() == "-" && !vm.count("yes") && !vm.count("dry-run") &&
        !vm.count("manual")) {
      throw jobsub::usage_error(
          "--spec - reads the spec from standard input, which then cannot answer the prompt: add --yes, "
          "--dry-run or --manual");
    }
    if (vm.count("spec")) {
      spec = jobsub::load_spec_file(vm["spec"].as<std::string>());
    } else if (jobsub::fs::exists("jobsub.yaml")) {
      spec = jobsub::load_spec_file("jobsub.yaml");
    } else {
      spec = jobsub::empty_spec(jobsub::fs::current_path());
    }
    // A site profile sits between the defaults and the spec.
    jobsub::apply_site(spec, jobsub::choose_site(jobsub::load_sites(jobsub::site_files()),
                                                 vm.count("site") ? vm["site"].as<std::string>() : "",
                                                 "--site", jobsub::host_name()));
    jobsub::apply_defaults_and_environment(spec);
    for (const auto& flag : kSettingFlags) {
      if (vm.count(flag[0]))
        jobsub::set_setting(spec, flag[0], vm[flag[0]].as<std::string>(), "command line",
                            jobsub::SettingSource::command_line);
    }
    if (vm.count("max-running")) {
      parse_whole(vm["max-running"].as<std::string>(), "-j/--max-running", 0);
      jobsub::set_setting(spec, "max_running", vm["max-running"].as<std::string>(), "command line",
                          jobsub::SettingSource::command_line);
    }
    if (vm.count("resource")) {
      for (const auto& [key, value] : jobsub::resource_flags(vm["resource"].as<std::vector<std::string>>()))
        jobsub::set_setting(spec, fmt::format("resources.{}", key), value, "command line",
                            jobsub::SettingSource::command_line);
    }
    for (const jobsub::PluginOption& o : options.plugin_declared) {
      if (vm.count(o.qualified))
        jobsub::set_setting(spec, fmt::format("options.{}", o.qualified), vm[o.qualified].as<std::string>(),
                            "command line", jobsub::SettingSource::command_line);
      // Shared by one kind: resolved once the sweep's plugins are known.
      if (o.short_usable() && vm.count(o.short_name))
        jobsub::set_setting(spec, fmt::format("options.{}", o.kind_shared ? o.short_name : o.qualified),
                            vm[o.short_name].as<std::string>(), "command line",
                            jobsub::SettingSource::command_line);
    }
    // No scheduler chosen anywhere: what this host has, or an error when it has several.
    if (spec.settings.at("scheduler").source == jobsub::SettingSource::default_value) {
      std::string why;
      const std::string scheduler = jobsub::probe_scheduler(registry, why);
      jobsub::set_setting(spec, "scheduler", scheduler, why, jobsub::SettingSource::detected);
    }
    if (vm.count("override")) {
      for (const std::string& item : vm["override"].as<std::vector<std::string>>()) {
        if (!jobsub::is_override(item)) {
          bool duration = false;
          try {
            duration = vm.count("canary") && vm["canary"].as<std::string>() == kCanaryUntilCompleted &&
                       jobsub::parse_duration(item, "--canary") > 0;
          } catch (const std::exception&) {
            duration = false;
          }
          if (duration) {
            throw jobsub::usage_error(fmt::format(
                "unexpected argument '{}': a canary's duration is written --canary={} (a bare --canary "
                "takes no value, so that it never takes an override)",
                item, item));
          }
          throw jobsub::usage_error(
              fmt::format("unexpected argument '{}': overrides are key=value, and a command comes before "
                          "the other options (jobsub [--spec FILE] [--plugin-dir DIR] COMMAND ...)",
                          item));
        }
        const jobsub::Override override_ = jobsub::parse_override(item);
        refuse_setting_as_hyper(spec, override_.key, item);
        jobsub::apply_override(spec, override_);
      }
    }
    jobsub::check_duplicate_values(spec);
    return spec;
  }

  /// --show-config: every setting with where it came from.
  static void show_config(const jobsub::SweepSpec& spec) {
    for (const auto& [key, setting] : spec.settings) {
      fmt::print("{} = {}    ({})\n", key, setting.value, setting.origin);
    }
    for (const std::string& line : spec.init_lines) fmt::print("init: {}    ({})\n", line, spec.init_origin);
    for (std::size_t g = 0; g < spec.grids.size(); ++g) {
      for (const jobsub::HyperDecl& h : spec.grids[g].hypers) {
        fmt::print("hypers{}.{} = {}    ({})\n",
                   spec.grids.size() > 1 ? fmt::format("[{}]", g) : std::string(), h.key,
                   jobsub::display_list(h.values), h.origin);
      }
    }
  }

  static int run_or_throw(jobsub::CommandContext& context, const std::vector<std::string>& args) {
    const jobsub::PluginRegistry& registry = *context.registry;
    const Options options(registry);
    const po::variables_map vm = parse(options, args);
    if (vm.count("help")) {
      print_help(registry, options);
      return 0;
    }
    if (vm.count("resume")) return resume(context, vm);
    if (vm.count("force")) throw jobsub::usage_error("--force goes with --resume");
    if (vm.count("include-declined")) throw jobsub::usage_error("--include-declined goes with --resume");
    jobsub::SweepSpec spec = merged_spec(registry, options, vm);
    if (vm.count("show-config")) {
      show_config(spec);
      return 0;
    }

    jobsub::SubmitRequest request;
    request.spec = std::move(spec);
    request.dry_run = vm.count("dry-run") > 0;
    request.manual = vm.count("manual") > 0;
    request.no_array = vm.count("no-array") > 0;
    request.wait = vm.count("wait") > 0;
    request.poll_seconds = jobsub::poll_seconds(vm);
    request.allow_no_args = vm.count("allow-no-args") > 0;
    request.rerun_completed = vm.count("rerun-completed") > 0;
    if (vm.count("max-jobs"))
      request.max_jobs = parse_whole(vm["max-jobs"].as<std::string>(), "--max-jobs", 1);
    request.retry = retry_policy(vm);
    if (vm.count("canary")) {
      if (request.dry_run || request.manual)
        throw jobsub::usage_error("--canary submits jobs: it cannot go with --dry-run or --manual");
      const std::string duration = vm["canary"].as<std::string>();
      try {
        request.canary_seconds =
            duration == kCanaryUntilCompleted ? 0 : jobsub::parse_duration(duration, "--canary");
        if (duration != kCanaryUntilCompleted && *request.canary_seconds == 0) throw jobsub::usage_error("");
      } catch (const jobsub::Error&) {
        throw jobsub::usage_error(fmt::format(
            "--canary={} is not a duration of 1 s or more: write e.g. --canary=10m, --canary=1h30m or "
            "--canary=02:00:00 (a bare number is minutes, as Slurm reads it; a bare --canary waits until the "
            "canary completed)",
            duration));
      }
      request.canary_detach = vm.count("detach") > 0;
      if (request.canary_detach && request.retry.enabled())
        throw jobsub::usage_error(
            "--detach cannot go with --retries: a canary sent again would run without the script that "
            "releases or cancels the jobs held for it");
      if (request.canary_detach && request.wait)
        throw jobsub::usage_error(
            "--detach returns at once and --wait follows every job: choose one (`jobsub status --watch` "
            "follows a detached sweep)");
    } else if (vm.count("detach")) {
      throw jobsub::usage_error(
          "--detach goes with --canary (jobsub submit without --wait already returns once the jobs are "
          "submitted)");
    }
    request.command_line.push_back(context.program_name);
    request.command_line.insert(request.command_line.end(), args.begin(), args.end());

    const bool ask = !vm.count("yes") && !request.dry_run && !request.manual;
    check_can_ask(ask);
    jobsub::TerminalPrompter prompter;
    jobsub::install_interrupt_handler();
    const jobsub::SubmitOutcome outcome =
        jobsub::run_submit(registry, request, ask ? &prompter : nullptr, std::cout);
    return outcome.exit_code;
  }

  /// --retries and the options that go with it.
  static jobsub::RetryPolicy retry_policy(const po::variables_map& vm) {
    jobsub::RetryPolicy policy;
    if (!vm.count("retries")) {
      for (const char* with : {"retry-on", "retry-scale", "max-retries"}) {
        if (vm.count(with)) throw jobsub::usage_error(fmt::format("--{} goes with --retries N", with));
      }
      return policy;
    }
    policy.retries = static_cast<unsigned>(parse_whole(vm["retries"].as<std::string>(), "--retries", 0));
    if (policy.retries > 100) throw jobsub::usage_error("--retries: at most 100 retries a job");
    policy.on = vm.count("retry-on") ? jobsub::parse_retry_states(vm["retry-on"].as<std::string>())
                                     : jobsub::default_retry_states();
    if (vm.count("retry-scale"))
      policy.scale = jobsub::parse_retry_scale(vm["retry-scale"].as<std::string>());
    if (vm.count("max-retries"))
      policy.max_total = parse_whole(vm["max-retries"].as<std::string>(), "--max-retries", 1);
    return policy;
  }

  static void check_can_ask(bool ask) {
    if (ask && !::isatty(STDIN_FILENO)) {
      throw jobsub::usage_error(
          "standard input is not a terminal, so jobsub cannot ask which jobs to submit: "
          "pass --yes to submit every job, or --dry-run to see them first");
    }
  }

  /// `--resume [SWEEP]`: the recorded sweep's jobs, run as a resubmit runs
  /// them (the spec as it is now for resources, options and init, and
  /// --resource); no other setting is taken.
  static int resume(jobsub::CommandContext& context, const po::variables_map& vm) {
    static const std::set<std::string> kTaken = {
        "resume", "yes",      "dry-run",          "wait",    "poll", "spec", "plugin-dir",
        "force",  "override", "include-declined", "resource"};
    for (const auto& [name, value] : vm) {
      if (!value.defaulted() && !kTaken.count(name)) {
        throw jobsub::usage_error(fmt::format(
            "--{} cannot go with --resume: a resumed sweep keeps its jobs and settings (only --resource, and "
            "the spec's resources, options and init as they are now, change how they run)",
            name));
      }
    }
    jobsub::FollowUpRequest request;
    request.kind = jobsub::FollowUpRequest::Kind::resume;
    request.experiment = jobsub::experiment_dir(vm);
    if (vm.count("override")) {
      const auto& words = vm["override"].as<std::vector<std::string>>();
      if (words.size() > 1 || jobsub::is_override(words.front())) {
        throw jobsub::usage_error(
            fmt::format("--resume takes one SWEEP (a results directory or a unique prefix of it), not '{}'",
                        jobsub::join(words, " ")));
      }
      request.sweep = words.front();
    }
    request.dry_run = vm.count("dry-run") > 0;
    request.force = vm.count("force") > 0;
    request.include_declined = vm.count("include-declined") > 0;
    if (vm.count("resource"))
      request.resources = jobsub::resource_flags(vm["resource"].as<std::vector<std::string>>());
    request.wait = vm.count("wait") > 0;
    request.poll_seconds = jobsub::poll_seconds(vm);
    const bool ask = !vm.count("yes") && !request.dry_run;
    check_can_ask(ask);
    jobsub::TerminalPrompter prompter;
    jobsub::install_interrupt_handler();
    return jobsub::run_follow_up(*context.registry, request, ask ? &prompter : nullptr, std::cout).exit_code;
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<SubmitCommand>("submit", "expand the sweep and submit its jobs (the default)"),
};

}  // namespace

JOBSUB_PLUGIN("submit", "1.0.0", kComponents)
