// `jobsub status [SWEEP]`: where a sweep's jobs are. One bulk query to the
// scheduler for the jobs not yet final, each answer settled by the job's
// exit-code file (never by the scheduler's word alone), the store updated.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/job_report.h>
#include <jobsub/pipeline.h>
#include <jobsub/plugin.h>
#include <jobsub/process.h>
#include <jobsub/records.h>
#include <jobsub/registry.h>
#include <jobsub/results.h>
#include <jobsub/retry.h>
#include <jobsub/script.h>
#include <jobsub/store.h>
#include <jobsub/submit.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>
#include <jobsub/tracker.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

namespace {

namespace fs = jobsub::fs;

struct Args {
  std::string sweep;
  fs::path experiment;
  bool all = false;
  bool failed = false;
  bool json = false;
  bool watch = false;
  double poll = 5;
  std::string metric;
  jobsub::RetryPolicy retry{};  ///< the sweep's automatic retries
  jobsub::RetryTally tally{};   ///< and those it has had (read by report())
};

/// The command line, declared once: parsing and help come from it.
std::unique_ptr<jobsub::CommandLine> command_line() {
  auto cl = std::make_unique<jobsub::CommandLine>(
      "status", "[SWEEP] [OPTIONS]",
      "Where the jobs of a sweep of this experiment are (the latest sweep unless SWEEP names one:\n"
      "its results directory, or a unique prefix of its name as `jobsub list` shows it). Jobs not\n"
      "yet final are looked up with one query to their scheduler and settled by their exit-code\n"
      "files; the state store and jobs.tsv are updated. A sweep submitted with --retries has its due\n"
      "retries sent now (each claimed once in the store).",
      "0 when no job failed, was cancelled or lost (so far), 1 otherwise; 2 usage;\n"
      "3 no such sweep; 130 interrupted.");
  cl->options()("all", "a line for every job (default: every job not completed)")(
      "failed", "only the jobs that ended badly, each with why, its parameters and its last stderr line")(
      "json", "the same as JSON")("watch", "refresh until every job has ended (every --poll seconds)")(
      "metric", jobsub::po::value<std::string>(),
      "the metric shown per job (default: the first of the spec's `metrics:`, else its objective's, else "
      "the first a job wrote)");
  cl->takes(jobsub::Global::spec).takes(jobsub::Global::poll);
  return cl;
}

class StatusCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& args) noexcept override {
    try {
      const std::unique_ptr<jobsub::CommandLine> cl = command_line();
      if (!cl->parse(args, 1)) return 0;
      Args a;
      a.sweep = cl->words().empty() ? std::string() : cl->words()[0];
      a.experiment = cl->experiment();
      a.all = cl->given("all");
      a.failed = cl->given("failed");
      if (a.all && a.failed) throw jobsub::usage_error("--all and --failed choose different jobs: give one");
      a.json = cl->given("json");
      a.watch = cl->given("watch");
      a.poll = cl->poll();
      a.metric = cl->value("metric");
      const std::unique_ptr<jobsub::Store> records = jobsub::open_records(a.experiment);
      jobsub::Store& store = *records;
      const jobsub::SweepSummary sweep = jobsub::choose_sweep(store.sweeps(), a.sweep, a.experiment);
      jobsub::install_interrupt_handler();
      note_unfinished_batches(store, sweep, a);
      std::unique_ptr<Follow> follow;
      a.retry = jobsub::recorded_retry_policy(sweep.sweep.dir);
      while (true) {
        std::vector<jobsub::JobRecord> jobs = jobsub::settle_sweep(store, sweep, [&]() -> jobsub::Tracker& {
          if (!follow) follow = std::make_unique<Follow>(*context.registry, sweep);
          return follow->tracker;
        });
        // Jobs that ended in a state the sweep retries are sent again now
        // (their next attempt claimed in the store, so no other jobsub sends them too).
        if (a.retry.enabled() && !jobsub::interrupt_requested()) {
          if (::isatty(STDOUT_FILENO) && a.watch && !a.json) fmt::print("\r\033[K");
          const std::vector<uint64_t> sent = jobsub::perform_due_retries(
              *context.registry, a.experiment, sweep, a.json ? std::cerr : std::cout);
          if (!sent.empty()) jobs = store.jobs(sweep.id);
        }
        const bool running = std::any_of(jobs.begin(), jobs.end(), jobsub::is_open);
        if (!a.watch || !running || jobsub::interrupt_requested()) {
          if (a.retry.enabled()) a.tally = jobsub::tally_retries(store.retry_claims(sweep.id));
          report(store, sweep, jobs, a);
          if (jobsub::interrupt_requested()) return static_cast<int>(jobsub::ExitCode::interrupted);
          const bool bad = std::any_of(jobs.begin(), jobs.end(), [](const jobsub::JobRecord& j) {
            return jobsub::is_final(j.state) && j.state != jobsub::JobState::completed &&
                   j.state != jobsub::JobState::skipped;
          });
          return bad ? 1 : 0;
        }
        progress_line(sweep, jobs);
        timespec pause{static_cast<time_t>(a.poll),
                       static_cast<long>((a.poll - static_cast<time_t>(a.poll)) * 1e9)};
        nanosleep(&pause, nullptr);  // returns early on Ctrl-C
      }
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }

 private:
  /// The sweep's scheduler, configured with its defaults, and the tracker on it.
  struct Follow {
    Follow(const jobsub::PluginRegistry& registry, const jobsub::SweepSummary& sweep)
        : scheduler(jobsub::configured_scheduler(registry, sweep.sweep.scheduler,
                                                 jobsub::epoch_of_timestamp(sweep.sweep.created))),
          tracker(*scheduler, sweep.sweep.dir, sweep.sweep.job_count, 1) {}
    jobsub::PluginHandle<jobsub::Scheduler> scheduler;
    jobsub::Tracker tracker;
  };

  /// A batch still `submitting`: its jobsub is at it, or died before it
  /// recorded the scheduler's answer (its jobs stay `pending` until a resume).
  static void note_unfinished_batches(const jobsub::Store& store, const jobsub::SweepSummary& sweep,
                                      const Args& a) {
    if (a.json) return;
    for (const jobsub::BatchRecord& b : store.batches(sweep.id)) {
      if (b.state != jobsub::BatchState::submitting) continue;
      if (jobsub::is_running_jobsub(static_cast<long>(b.pid))) {
        fmt::print("note: {} is being submitted by jobsub pid {}\n", b.name, b.pid);
      } else {
        fmt::print(
            "note: {} was being submitted by jobsub pid {} on {}, which stopped before recording the "
            "scheduler's "
            "answer: `jobsub submit --resume {}` finds what the scheduler took and submits the rest\n",
            b.name, b.pid, b.host, jobsub::fs::relative(sweep.sweep.dir, a.experiment).string());
      }
    }
  }

  /// ` (attempt 2)`; with automatic retries, ` (attempt 2 of 3)` (the
  /// attempts it may reach) for a job past its first attempt or one that
  /// ended in a state the sweep retries.
  static std::string attempt_text(const jobsub::JobRecord& j, const Args& a) {
    const jobsub::RetryPolicy& retry = a.retry;
    const bool retried_state = std::find(retry.on.begin(), retry.on.end(), j.state) != retry.on.end();
    if (retry.enabled() && (j.attempt > 1 || retried_state)) {
      return fmt::format(" (attempt {} of {})", j.attempt,
                         j.attempt + static_cast<int>(jobsub::retries_left(j, retry, a.tally)));
    }
    return j.attempt > 1 ? fmt::format(" (attempt {})", j.attempt) : "";
  }

  /// `; no retries left` for a job that ended in a retried state with none left.
  static std::string retries_left_text(const jobsub::JobRecord& j, const Args& a) {
    const jobsub::RetryPolicy& retry = a.retry;
    const bool retried_state = std::find(retry.on.begin(), retry.on.end(), j.state) != retry.on.end();
    if (!retry.enabled() || !retried_state || jobsub::retries_left(j, retry, a.tally) > 0) return "";
    return jobsub::retries_left(j, retry, a.tally, false) > 0
               ? fmt::format("; no retries left (the sweep's --max-retries {} is reached)", retry.max_total)
               : "; no retries left";
  }

  static std::map<std::string, uint64_t> counts(const std::vector<jobsub::JobRecord>& jobs) {
    std::map<std::string, uint64_t> n;
    for (const auto& j : jobs) ++n[jobsub::to_string(j.state)];
    return n;
  }

  static std::string counts_text(const std::vector<jobsub::JobRecord>& jobs) {
    const std::map<std::string, uint64_t> by_state = counts(jobs);
    std::vector<std::pair<std::string, uint64_t>> n(by_state.begin(), by_state.end());
    std::sort(n.begin(), n.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
    std::vector<std::string> parts;
    for (const auto& [state, count] : n) parts.push_back(fmt::format("{} {}", count, state));
    return jobsub::join(parts);
  }

  static void progress_line(const jobsub::SweepSummary& sweep, const std::vector<jobsub::JobRecord>& jobs) {
    if (::isatty(STDOUT_FILENO)) {
      fmt::print("\r\033[K[{}] {}", sweep.sweep.scheduler, counts_text(jobs));
      std::fflush(stdout);
    }
  }

  /// Each job's headline metric (read once a job has ended, and kept), as text; empty: none.
  static std::vector<std::string> headlines(jobsub::Store& store, const jobsub::SweepSummary& sweep,
                                            const std::vector<jobsub::JobRecord>& jobs, const Args& a,
                                            std::string& metric) {
    const jobsub::ResultsSpec rules = jobsub::recorded_results_spec(sweep.sweep.dir);
    jobsub::ReadOptions options;
    options.params = false;
    const std::vector<jobsub::ResultRow> rows = jobsub::read_results(store, sweep, jobs, rules, options);
    metric = jobsub::headline_metric(a.metric, rules, rows);
    std::vector<std::string> out(jobs.size());
    if (metric.empty()) return out;
    for (std::size_t i = 0; i < rows.size() && i < out.size(); ++i) {
      if (const jobsub::MetricValue* v = rows[i].metrics.find(metric)) {
        jobsub::Cell cell;
        cell.type = v->is_number() ? jobsub::Cell::Type::number : jobsub::Cell::Type::text;
        cell.number = v->number;
        cell.text = v->text;
        out[i] = jobsub::display_cell(cell) + (rows[i].in_flight ? "*" : "");
      }
    }
    return out;
  }

  /// A job that ended badly gets a line of its own: why, its parameters
  /// (those that vary in the sweep), its scheduler id and its last stderr
  /// line. So does a completed or skipped job with --all, and a running one
  /// when a metric is shown; the other jobs (queued, not submitted, ...) fold
  /// into runs of one state (`jobs 5-48  queued  4720_[5-48]`), so that a
  /// large sweep's status fits a screen. --failed: the bad ones only.
  static void print_job_lines(const jobsub::SweepSummary& sweep, const std::vector<jobsub::JobRecord>& jobs,
                              const Args& a, const std::string& metric,
                              const std::vector<std::string>& metric_of) {
    using jobsub::JobState;
    const jobsub::ResultsLayout results(sweep.sweep.dir, sweep.sweep.job_count);
    // (Cancelled jobs fold too: a cancel is usually of many, for one reason.)
    auto own_line = [&](const jobsub::JobRecord& j) {
      if (jobsub::ended_badly(j.state)) return j.state != JobState::cancelled;
      if (a.failed) return false;
      if (j.state == JobState::completed || j.state == JobState::skipped) return a.all;
      return j.state == JobState::running && !metric.empty();
    };
    auto shown = [&](const jobsub::JobRecord& j) {
      return a.failed ? jobsub::ended_badly(j.state) : a.all || j.state != JobState::completed;
    };
    auto run_reason = [&](const jobsub::JobRecord& j) {
      return j.state == JobState::skipped ? std::string("completed before (--all says where)")
                                          : jobsub::failure_reason(j, results);
    };
    std::vector<uint64_t> wanted;
    for (const auto& j : jobs) {
      if (own_line(j)) wanted.push_back(j.job);
    }
    const std::map<uint64_t, std::string> params = jobsub::varying_params(results, wanted);
    constexpr std::size_t kColumns = 7;  // job(s), state, why, scheduler id(s), params, metric, stderr
    std::vector<std::array<std::string, kColumns>> rows;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const jobsub::JobRecord& j = jobs[i];
      if (!shown(j)) continue;
      const std::string state = fmt::format("{}{}", jobsub::to_string(j.state), attempt_text(j, a));
      if (own_line(j)) {
        const auto p = params.find(j.job);
        std::string why = jobsub::failure_reason(j, results) + retries_left_text(j, a);
        if (why.empty() && j.state == JobState::completed)
          why = j.exit_code >= 0 ? fmt::format("exit {}", j.exit_code) : "";
        if (j.state == JobState::skipped) why = j.native_state;
        const std::string& value = metric_of[j.job - 1];
        rows.push_back({fmt::format("job {}", j.job), state, why, j.native_id,
                        p == params.end() ? "" : p->second,
                        value.empty() ? "" : fmt::format("{}={}", metric, value),
                        jobsub::ended_badly(j.state) ? jobsub::last_stderr_line(results, j.job) : ""});
        continue;
      }
      // A run of jobs in this state (attempt, reason) that have no line of their own.
      const std::string reason = run_reason(j);
      std::size_t end = i + 1;
      while (end < jobs.size() && jobs[end].state == j.state && jobs[end].attempt == j.attempt &&
             jobs[end].job == jobs[end - 1].job + 1 && !own_line(jobs[end]) &&
             run_reason(jobs[end]) == reason)
        ++end;
      std::vector<std::string> ids;
      for (std::size_t k = i; k < end; ++k) {
        if (!jobs[k].native_id.empty()) ids.push_back(jobs[k].native_id);
      }
      const std::string label =
          end - i == 1 ? fmt::format("job {}", j.job) : fmt::format("jobs {}-{}", j.job, jobs[end - 1].job);
      rows.push_back({label, state, reason, jobsub::fold_native_ids(ids), "", "", ""});
      i = end - 1;
    }
    std::array<std::size_t, kColumns> width{};
    for (const auto& row : rows) {
      for (std::size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], row[c].size());
    }
    for (const auto& row : rows) {
      std::size_t last = 0;  // the last column with text: not padded
      for (std::size_t c = 0; c < kColumns; ++c) {
        if (!row[c].empty()) last = c;
      }
      std::string line = " ";
      for (std::size_t c = 0; c <= last; ++c) {
        if (width[c] == 0) continue;
        line += " ";
        line += c == last ? row[c] : fmt::format("{:<{}}", row[c], width[c]);
      }
      fmt::print("{}\n", line);
    }
  }

  /// The UUIDs of the GPUs the local scheduler gave `job` (its `gpus` file), or null.
  static nlohmann::ordered_json gpus_of(const jobsub::ResultsLayout& results, uint64_t job) {
    std::ifstream in(results.job_file(job, jobsub::job_files::kGpus));
    if (!in) return nullptr;
    nlohmann::ordered_json uuids = nlohmann::ordered_json::array();
    std::string index, uuid;
    while (in >> index >> uuid) uuids.push_back(uuid);
    return uuids;
  }

  /// `--canary --detach`: jobs a canary's script cancelled (why, and how to
  /// send them again); and a canary that ended while the jobs it holds are
  /// still held never decided for them (its node failed, or Slurm killed its
  /// script before it could): say so, and how to decide by hand.
  static void print_canary_notes(const jobsub::SweepSummary& sweep,
                                 const std::vector<jobsub::JobRecord>& jobs, const std::string& where) {
    for (const jobsub::CanaryHold& hold : jobsub::canary_holds(sweep.sweep.dir)) {
      const uint64_t canary = hold.canary;
      if (canary == 0 || canary > jobs.size() || !jobsub::is_final(jobs[canary - 1].state)) continue;
      std::vector<uint64_t> held, cancelled;
      for (const jobsub::TaskRange& r : hold.held) {
        for (uint64_t job = r.first; job <= r.last && job <= jobs.size(); ++job) {
          if (jobs[job - 1].state == jobsub::JobState::held) held.push_back(job);
          if (jobs[job - 1].state == jobsub::JobState::cancelled) cancelled.push_back(job);
        }
      }
      const std::string state = jobsub::to_string(jobs[canary - 1].state);
      auto word = [](const std::vector<uint64_t>& j, const char* one, const char* many) {
        return j.size() == 1 ? one : many;
      };
      if (!cancelled.empty() &&
          jobsub::canary_decision(sweep.sweep.dir, sweep.sweep.job_count, canary) == "cancelled") {
        fmt::print(
            "note: {} {} {} cancelled by the canary's script: job {} ended {}. Once the cause is fixed, "
            "`jobsub resubmit {}` sends {} and the canary (as ordinary jobs)\n",
            word(cancelled, "job", "jobs"), jobsub::format_task_ranges(jobsub::ranges_of(cancelled)),
            word(cancelled, "was", "were"), canary, state, where, word(cancelled, "it", "them"));
      }
      if (held.empty()) continue;
      const std::string ranges = jobsub::format_task_ranges(jobsub::ranges_of(held));
      fmt::print(
          "note: {} {} {} held for the canary, job {}, which ended {} without its script releasing or "
          "cancelling them (its log says why): `jobsub cancel {} {}` ends them; `{}` sends them\n",
          word(held, "job", "jobs"), ranges, word(held, "is", "are"), canary, state, where, ranges,
          hold.release);
    }
  }

  static void report(jobsub::Store& store, const jobsub::SweepSummary& sweep,
                     const std::vector<jobsub::JobRecord>& jobs, const Args& a) {
    if (::isatty(STDOUT_FILENO) && a.watch) fmt::print("\r\033[K");
    std::string metric;
    const std::vector<std::string> metric_of = headlines(store, sweep, jobs, a, metric);
    if (a.json) {
      nlohmann::ordered_json out;
      out["sweep"] = sweep.sweep.dir.string();
      out["name"] = sweep.sweep.name;
      out["scheduler"] = sweep.sweep.scheduler;
      out["jobs"] = sweep.sweep.job_count;
      out["states"] = counts(jobs);
      out["metric"] = metric.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(metric);
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      const jobsub::ResultsLayout results(sweep.sweep.dir, sweep.sweep.job_count);
      const bool local = sweep.sweep.scheduler == "local";  // only it gives a job GPUs of its own
      for (const auto& j : jobs) {
        if (!a.all && j.state == jobsub::JobState::completed) continue;
        if (a.failed && !jobsub::ended_badly(j.state)) continue;
        const std::string reason = jobsub::failure_reason(j, results);
        list.push_back(
            {{"job", j.job},
             {"state", jobsub::to_string(j.state)},
             {"exit_code", j.exit_code >= 0 ? nlohmann::ordered_json(j.exit_code) : nlohmann::ordered_json()},
             {"native_id", j.native_id},
             {"native_state", j.native_state},
             {"evidence", j.source.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(j.source)},
             {"attempt", j.attempt},
             {"retries_left", a.retry.enabled()
                                  ? nlohmann::ordered_json(jobsub::retries_left(j, a.retry, a.tally))
                                  : nlohmann::ordered_json()},
             {"reason", reason.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(reason)},
             {"stderr_last_line", reason.empty()
                                      ? nlohmann::ordered_json()
                                      : nlohmann::ordered_json(jobsub::last_stderr_line(results, j.job))},
             {"metric", metric_of[j.job - 1].empty() ? nlohmann::ordered_json()
                                                     : nlohmann::ordered_json(metric_of[j.job - 1])}});
        if (local) list.back()["gpus"] = gpus_of(results, j.job);
      }
      out["listed"] = list;
      if (a.retry.enabled()) {
        out["retry"] = nlohmann::ordered_json::parse(jobsub::retry_policy_json(a.retry));
        out["retry"]["sent"] = a.tally.total;
      }
      fmt::print("{}\n", out.dump(2));
      return;
    }
    fmt::print("sweep {} ({}, {} {}): {}\n", fs::relative(sweep.sweep.dir, a.experiment).string(),
               sweep.sweep.scheduler, sweep.sweep.job_count, sweep.sweep.job_count == 1 ? "job" : "jobs",
               counts_text(jobs));
    print_job_lines(sweep, jobs, a, metric, metric_of);
    if (std::any_of(metric_of.begin(), metric_of.end(),
                    [](const std::string& v) { return !v.empty() && v.back() == '*'; }))
      fmt::print("  (* {} of a running job: the last value it wrote so far)\n", metric);
    if (a.failed) return;
    std::vector<jobsub::TaskRange> unsent, declined;
    for (const auto& j : jobs) {
      std::vector<jobsub::TaskRange>* ranges = j.state == jobsub::JobState::not_submitted ? &unsent
                                               : j.state == jobsub::JobState::declined    ? &declined
                                                                                          : nullptr;
      if (ranges == nullptr) continue;
      if (!ranges->empty() && ranges->back().last + 1 == j.job) {
        ranges->back().last = j.job;
      } else {
        ranges->push_back({j.job, j.job});
      }
    }
    const std::string where = fs::relative(sweep.sweep.dir, a.experiment).string();
    auto one = [](const std::vector<jobsub::TaskRange>& r) { return r.size() == 1 && r[0].size() == 1; };
    if (!unsent.empty()) {
      fmt::print("note: {} {} {} not submitted: `jobsub submit --resume {}` sends {}\n",
                 one(unsent) ? "job" : "jobs", jobsub::format_task_ranges(unsent),
                 one(unsent) ? "was" : "were", where, one(unsent) ? "it" : "them");
    }
    if (!declined.empty()) {
      fmt::print(
          "note: {} {} {} declined at the prompt: `jobsub submit --resume --include-declined {}` sends {}\n",
          one(declined) ? "job" : "jobs", jobsub::format_task_ranges(declined),
          one(declined) ? "was" : "were", where, one(declined) ? "it" : "them");
    }
    print_canary_notes(sweep, jobs, where);
    if (a.retry.enabled()) {
      std::vector<uint64_t> retried;
      for (const auto& [job, count] : a.tally.per_job) retried.push_back(job);
      const uint64_t sent = a.tally.total;
      const bool open = std::any_of(jobs.begin(), jobs.end(), jobsub::is_open);
      fmt::print(
          "note: automatic retries: {}; {} sent{}{}\n", jobsub::describe(a.retry), sent,
          retried.empty() ? ""
                          : fmt::format(" ({} {})", retried.size() == 1 ? "job" : "jobs",
                                        jobsub::format_task_ranges(jobsub::ranges_of(retried))),
          open ? ". A job that ends so is sent again by the next `jobsub status` (or status --watch, --wait)"
               : "");
    }
  }
};

const jobsub_component_info kComponents[] = {jobsub::component<StatusCommand>(
    "status", "where a sweep's jobs are: one scheduler query, settled by exit-code files")};

}  // namespace

JOBSUB_PLUGIN("status", "1.0.0", kComponents)
