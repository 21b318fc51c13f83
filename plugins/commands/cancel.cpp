// `jobsub cancel [SWEEP] [JOB...]`: cancels a sweep's jobs that have not ended
// (all of them, or the numbered ones) with one scheduler call, and records them.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/interrupt.h>
#include <jobsub/pipeline.h>
#include <jobsub/plugin.h>
#include <jobsub/process.h>
#include <jobsub/registry.h>
#include <jobsub/store.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>
#include <jobsub/tracker.h>

#include <chrono>
#include <iostream>
#include <set>
#include <thread>

namespace {

namespace fs = jobsub::fs;

/// `3`, `5-7` -> the numbers; false for anything else.
bool parse_jobs(const std::string& arg, std::set<uint64_t>& out) {
  if (arg.empty() || arg.find_first_not_of("0123456789-") != std::string::npos) return false;
  const std::size_t dash = arg.find('-');
  try {
    std::size_t used = 0;
    const uint64_t first = std::stoull(arg.substr(0, dash), &used);
    if (used != (dash == std::string::npos ? arg.size() : dash) || first == 0) return false;
    uint64_t last = first;
    if (dash != std::string::npos) {
      last = std::stoull(arg.substr(dash + 1), &used);
      if (used != arg.size() - dash - 1 || last < first || last - first > 10'000'000) return false;
    }
    for (uint64_t j = first; j <= last; ++j) out.insert(j);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

/// The batches of a sweep still `submitting` whose jobsub runs (on this host;
/// one on another host is taken at its record's word).
class RunningBatches {
 public:
  explicit RunningBatches(const std::vector<jobsub::BatchRecord>& batches) {
    const std::string here = jobsub::host_name();
    for (const jobsub::BatchRecord& b : batches) {
      if (b.state != jobsub::BatchState::submitting) continue;
      if (b.host == here && !jobsub::is_running_jobsub(static_cast<long>(b.pid))) continue;
      batches_.push_back(b);
    }
  }
  bool holds(uint64_t job) const { return of(job) != nullptr; }
  const jobsub::BatchRecord* of(uint64_t job) const {
    for (auto it = batches_.rbegin(); it != batches_.rend(); ++it) {
      for (const jobsub::TaskRange& r : it->jobs) {
        if (job >= r.first && job <= r.last) return &*it;
      }
    }
    return nullptr;
  }

 private:
  std::vector<jobsub::BatchRecord> batches_;
};

/// Asks the jobsub running `jobs` to cancel them (the store's cancel
/// requests), then waits, bounded, until it has recorded them.
void cancel_through_store(jobsub::Store& store, const jobsub::SweepSummary& sweep,
                          const std::vector<uint64_t>& jobs, const RunningBatches& running,
                          const std::string& name) {
  store.request_cancel(sweep.id, jobs);
  const jobsub::BatchRecord& batch = *running.of(jobs.front());
  // A running job gets SIGTERM, then SIGKILL after the local scheduler's
  // --grace (5 s by default): a minute covers that on a busy machine.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  uint64_t cancelled = 0, ended = 0, waiting = jobs.size();
  while (true) {
    const std::vector<jobsub::JobRecord> now = store.jobs(sweep.id);
    cancelled = ended = waiting = 0;
    for (const uint64_t job : jobs) {
      const jobsub::JobState state = now.at(job - 1).state;
      ++(state == jobsub::JobState::cancelled ? cancelled : jobsub::is_final(state) ? ended : waiting);
    }
    if (waiting == 0 || std::chrono::steady_clock::now() > deadline || jobsub::interrupt_requested()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (waiting > 0) {
    fmt::print(
        "jobsub: asked jobsub pid {} on {}, which runs {}, to cancel {} jobs; {} of them not stopped yet "
        "(`jobsub status` follows them)\n",
        batch.pid, batch.host, name, jobs.size(), waiting);
    return;
  }
  fmt::print(
      "jobsub: cancelled {} of the {} unfinished jobs of {} through jobsub pid {}, which runs them{}\n",
      cancelled, jobs.size(), name, batch.pid,
      ended > 0 ? fmt::format(" ({} had ended first)", ended) : std::string());
}

class CancelCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& given) noexcept override {
    try {
      jobsub::CommandLine cl(
          "cancel", "[SWEEP] [JOB...] [OPTIONS]",
          "Cancels the jobs of a sweep that have not ended: all of them, or the jobs numbered (3, 5-7).\n"
          "SWEEP is the latest sweep of the experiment unless named (see jobsub help status). One\n"
          "scheduler call for all of them. The jobs are settled first (one query: a job that ended\n"
          "since the last look keeps its result); after the call each is recorded as the scheduler\n"
          "settles it, the rest as cancelled.",
          "0 done (or nothing to cancel); 1 the scheduler refused; 2 usage; 3 no such sweep.");
      cl.takes(jobsub::Global::spec);
      if (!cl.parse(given)) return 0;
      const fs::path experiment = cl.experiment();
      std::string which;
      std::set<uint64_t> numbered;
      for (const std::string& word : cl.words()) {
        if (!parse_jobs(word, numbered)) {
          if (!which.empty() || !numbered.empty())
            throw jobsub::usage_error(fmt::format("'{}' is not a job number or range (3, 5-7)", word));
          which = word;
        }
      }
      const std::unique_ptr<jobsub::Store> records = jobsub::open_records(experiment);
      jobsub::Store& store = *records;
      const jobsub::SweepSummary sweep = jobsub::choose_sweep(store.sweeps(), which, experiment);
      // What the scheduler says now: a job that ended since the last look is not cancelled.
      jobsub::PluginHandle<jobsub::Scheduler> scheduler;
      std::unique_ptr<jobsub::Tracker> follow;
      auto settling = [&]() -> jobsub::Tracker& {
        if (!scheduler)
          scheduler = jobsub::configured_scheduler(*context.registry, sweep.sweep.scheduler,
                                                   jobsub::epoch_of_timestamp(sweep.sweep.created));
        if (!follow)
          follow = std::make_unique<jobsub::Tracker>(*scheduler, sweep.sweep.dir, sweep.sweep.job_count, 1);
        return *follow;
      };
      // Jobs of a batch whose jobsub is still at it (the local scheduler's,
      // which runs them) are cancelled by that jobsub, asked through the store.
      const RunningBatches running(store.batches(sweep.id));
      std::vector<jobsub::OpenJob> open;
      std::vector<uint64_t> through_store;
      for (const jobsub::JobRecord& j : jobsub::settle_sweep(store, sweep, settling)) {
        if (!numbered.empty() && !numbered.count(j.job)) continue;
        const bool unsent =
            j.state == jobsub::JobState::not_submitted || j.state == jobsub::JobState::declined;
        if (!jobsub::is_final(j.state) && !unsent && running.holds(j.job)) {
          through_store.push_back(j.job);
        } else if (jobsub::is_open(j)) {
          open.push_back({j.job, j.state, j.native_id});
        }
      }
      const std::string name = fs::relative(sweep.sweep.dir, experiment).string();
      if (open.empty() && through_store.empty()) {
        fmt::print("jobsub: nothing to cancel in {}: no job of it is queued or running\n", name);
        return 0;
      }
      if (!through_store.empty()) cancel_through_store(store, sweep, through_store, running, name);
      if (open.empty()) return 0;
      if (!scheduler)
        scheduler = jobsub::configured_scheduler(*context.registry, sweep.sweep.scheduler,
                                                 jobsub::epoch_of_timestamp(sweep.sweep.created));
      std::vector<std::string> ids;
      for (const jobsub::OpenJob& j : open) ids.push_back(j.native_id);
      const jobsub::Status status = scheduler->cancel(ids);
      if (!status.ok)
        throw jobsub::job_error(
            fmt::format("scheduler '{}' could not cancel: {}", sweep.sweep.scheduler, status.message));
      // The scheduler settles what it can (a job that ended first keeps its
      // result); the rest were cancelled by this call.
      jobsub::Tracker tracker(*scheduler, sweep.sweep.dir, sweep.sweep.job_count, 1);
      std::vector<jobsub::TaskOutcome> settled;
      if (!tracker.poll(open, settled).ok) settled.clear();
      std::set<uint64_t> known;
      std::vector<jobsub::TaskOutcome> outcomes;
      for (const jobsub::TaskOutcome& o : settled) {
        if (!jobsub::is_final(o.state) || o.state == jobsub::JobState::lost) continue;
        outcomes.push_back(o);
        known.insert(o.job);
      }
      for (const jobsub::OpenJob& j : open) {
        if (!known.count(j.job))
          outcomes.push_back({j.job, jobsub::JobState::cancelled, -1, j.native_id, "cancelled by jobsub"});
      }
      store.update_jobs(sweep.id, outcomes);
      uint64_t cancelled = 0;
      for (const jobsub::TaskOutcome& o : outcomes) cancelled += o.state == jobsub::JobState::cancelled;
      fmt::print("jobsub: cancelled {} of the {} unfinished jobs of {} with one call to {}{}\n", cancelled,
                 open.size(), name, sweep.sweep.scheduler,
                 cancelled < open.size() ? fmt::format(" ({} had ended first)", open.size() - cancelled)
                                         : std::string());
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<CancelCommand>("cancel", "cancel a sweep's unfinished jobs with one scheduler call")};

}  // namespace

JOBSUB_PLUGIN("cancel", "1.0.0", kComponents)
