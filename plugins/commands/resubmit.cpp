// `jobsub resubmit [SWEEP]`: the jobs of a sweep that ended badly, submitted
// again with their original params and command, as new attempts.
#include <fmt/core.h>
#include <jobsub/errors.h>
#include <jobsub/plugin.h>
#include <jobsub/store.h>
#include <jobsub/submit.h>
#include <jobsub/text.h>
#include <jobsub/tracker.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

namespace {

const char* const kHelp =
    "Usage: jobsub resubmit [SWEEP] [--state LIST] [--yes] [--dry-run] [--wait] [--poll SECONDS]\n"
    "                       [--spec FILE]\n\n"
    "Submits again the jobs of a sweep of this experiment (the latest unless SWEEP names one) that\n"
    "failed, were cancelled, timed out, ran out of memory, hit a node failure, were preempted or were\n"
    "lost, with their original params and command, in one array where the scheduler has arrays.\n"
    "Each is a new attempt: the old job directory is kept as jobs/<N>.attempt-<K> and the old\n"
    "attempt stays in the state store's history. Asks about each job unless --yes.\n\n"
    "  --state LIST     which states, comma-separated (default: failed,cancelled,timeout,\n"
    "                   out_of_memory,node_fail,preempted,lost)\n"
    "  --yes, -y        resubmit every one without asking\n"
    "  --dry-run        say which jobs; change nothing\n"
    "  --wait           wait until they have ended; exit 1 unless all completed\n"
    "  --poll SECONDS   with --wait: time between scheduler queries (default 5)\n"
    "  --spec FILE      the experiment is FILE's directory (default: the current one)\n\n"
    "Run `jobsub status` first: it settles jobs that ended since the last look.\n"
    "Exit codes: 0 ok, 1 a job failed or the scheduler refused, 2 usage, 3 no such sweep, 130 interrupted.\n";

std::vector<jobsub::JobState> parse_states(const std::string& text) {
  std::vector<jobsub::JobState> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string name = jobsub::trim(text.substr(start, end - start));
    const auto& allowed = jobsub::resubmittable_states();
    const auto it = std::find_if(allowed.begin(), allowed.end(),
                                 [&](jobsub::JobState s) { return name == jobsub::to_string(s); });
    if (it == allowed.end()) {
      std::vector<std::string> names;
      for (jobsub::JobState s : allowed) names.emplace_back(jobsub::to_string(s));
      throw jobsub::usage_error(fmt::format("--state takes states of jobs that ended badly ({}), not '{}'{}",
                                            jobsub::join(names), name, jobsub::did_you_mean(name, names)));
    }
    out.push_back(*it);
    start = end + 1;
  }
  return out;
}

class ResubmitCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& given) noexcept override {
    try {
      std::vector<std::string> args = given;
      if (std::find(args.begin(), args.end(), "--help") != args.end() ||
          std::find(args.begin(), args.end(), "-h") != args.end()) {
        fmt::print("{}", kHelp);
        return 0;
      }
      jobsub::FollowUpRequest request;
      request.kind = jobsub::FollowUpRequest::Kind::resubmit;
      request.experiment = jobsub::take_experiment(args);
      request.states = jobsub::resubmittable_states();
      bool yes = false;
      for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        auto value = [&](const char* option) -> std::string {
          if (i + 1 >= args.size()) throw jobsub::usage_error(fmt::format("{} takes a value", option));
          return args[++i];
        };
        if (arg == "--state") {
          request.states = parse_states(value("--state"));
        } else if (arg.rfind("--state=", 0) == 0) {
          request.states = parse_states(arg.substr(8));
        } else if (arg == "--yes" || arg == "-y") {
          yes = true;
        } else if (arg == "--dry-run") {
          request.dry_run = true;
        } else if (arg == "--wait") {
          request.wait = true;
        } else if (arg == "--poll") {
          const std::string text = value("--poll");
          char* end = nullptr;
          request.poll_seconds = std::strtod(text.c_str(), &end);
          if (text.empty() || *end != '\0' || !(request.poll_seconds > 0))
            throw jobsub::usage_error(fmt::format("--poll takes a number of seconds > 0, got '{}'", text));
        } else if (!arg.empty() && arg[0] == '-') {
          throw jobsub::usage_error(fmt::format("unknown option '{}' (see jobsub help resubmit)", arg));
        } else if (request.sweep.empty()) {
          request.sweep = arg;
        } else {
          throw jobsub::usage_error(fmt::format("unexpected argument '{}': resubmit takes one SWEEP", arg));
        }
      }
      const bool ask = !yes && !request.dry_run;
      if (ask && !::isatty(STDIN_FILENO)) {
        throw jobsub::usage_error(
            "standard input is not a terminal, so jobsub cannot ask which jobs to resubmit: pass --yes, or "
            "--dry-run to see them first");
      }
      jobsub::TerminalPrompter prompter;
      jobsub::install_interrupt_handler();
      return jobsub::run_follow_up(*context.registry, request, ask ? &prompter : nullptr, std::cout)
          .exit_code;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }
};

const jobsub_component_info kComponents[] = {jobsub::component<ResubmitCommand>(
    "resubmit", "submit a sweep's failed, cancelled, timed-out and lost jobs again, as new attempts")};

}  // namespace

JOBSUB_PLUGIN("resubmit", "1.0.0", kComponents)
