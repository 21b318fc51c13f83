// `jobsub resubmit [SWEEP]`: the jobs of a sweep that ended badly, submitted
// again with their original params and command, as new attempts.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/plugin.h>
#include <jobsub/store.h>
#include <jobsub/submit.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>
#include <jobsub/tracker.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

namespace {

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
      jobsub::CommandLine cl(
          "resubmit", "[SWEEP] [OPTIONS]",
          "Submits again the jobs of a sweep of this experiment (the latest unless SWEEP names one) that\n"
          "failed, were cancelled, timed out, ran out of memory, hit a node failure, were preempted or were\n"
          "lost, with their original params and command, in one array where the scheduler has arrays.\n"
          "Each is a new attempt: the old job directory is kept as jobs/<N>.attempt-<K> and the old\n"
          "attempt stays in the state store's history. Asks about each job unless --yes. Jobs not yet\n"
          "final are settled first (one scheduler query), so a job that ended since the last look is\n"
          "resubmitted by its true state. Resources, plugin options, init lines and the template come\n"
          "from the spec as it is now (and --resource), and a line says what changed since the sweep\n"
          "was submitted; a spec whose hypers, zip, command, program, layout, sweeper or formatter\n"
          "changed is refused (that is a new sweep).",
          "0 ok, 1 a job failed or the scheduler refused, 2 usage, 3 no such sweep, 130 interrupted.");
      cl.options()("state", jobsub::po::value<std::string>()->value_name("LIST"),
                   "which states, comma-separated (default: failed,cancelled,timeout,out_of_memory,"
                   "node_fail,preempted,lost)")("yes,y", "resubmit every one without asking")(
          "dry-run", "say which jobs; change nothing")(
          "wait", "wait until they have ended; exit 1 unless all completed")(
          "resource", jobsub::po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
          "a resource for these attempts, e.g. --resource time=4h (repeatable); above the spec");
      cl.takes(jobsub::Global::spec).takes(jobsub::Global::poll);
      if (!cl.parse(given, 1)) return 0;
      jobsub::FollowUpRequest request;
      request.kind = jobsub::FollowUpRequest::Kind::resubmit;
      request.experiment = cl.experiment();
      request.states = cl.given("state") ? parse_states(cl.value("state")) : jobsub::resubmittable_states();
      request.sweep = cl.words().empty() ? std::string() : cl.words()[0];
      request.dry_run = cl.given("dry-run");
      request.wait = cl.given("wait");
      request.poll_seconds = cl.poll();
      if (cl.given("resource"))
        request.resources = jobsub::resource_flags(cl.values()["resource"].as<std::vector<std::string>>());
      const bool yes = cl.given("yes");
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
