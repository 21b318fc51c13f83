#pragma once
/// Following submitted jobs: one bulk scheduler query, each answer settled by
/// the exit-code file the task body writes. Shared by `--wait` and `jobsub status`.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/registry.h"
#include "jobsub/store.h"

namespace jobsub {

namespace fs = std::filesystem;

/// The scheduler's id of each job of a sweep, in 8 bytes a job instead of a
/// string each: an id is almost always a prefix shared by many jobs and a
/// number (`4711_3`, `local-12-batch-1_3`), kept as the prefix's index and the
/// number; any other id is kept whole on the side.
class JOBSUB_API NativeIdTable {
 public:
  explicit NativeIdTable(uint64_t jobs = 0) : prefix_(jobs, 0), number_(jobs, 0) {}
  void set(uint64_t job, const std::string& id);  ///< job is 1-based
  std::string get(uint64_t job) const;            ///< empty when none was set

 private:
  static constexpr uint32_t kWhole = UINT32_MAX;  ///< prefix_ value: the id is in whole_
  std::vector<uint32_t> prefix_;                  ///< 0: none; else index + 1 into prefixes_
  std::vector<uint32_t> number_;
  std::vector<std::string> prefixes_;
  std::map<std::string, uint32_t> prefix_index_;
  std::map<uint64_t, std::string> whole_;
};

/// TaskOutcome::source of a verdict read from the exit-code file.
inline constexpr const char* kExitCodeFileSource = "exit-code file";

/// TaskOutcome::source of a held job that its canary's script cancelled (`--canary --detach`).
inline constexpr const char* kCanaryDecisionSource = "canary's script";

/// `--canary --detach`: a canary and the jobs held behind it, as the
/// canary's batch records them in submissions.jsonl (`held_jobs`, `release`).
struct CanaryHold {
  uint64_t canary = 0;
  std::vector<TaskRange> held;
  std::string release;  ///< the shell command that releases them (`scontrol release 4711`)
};

/// The canary holds recorded in the sweep at `results_dir` (a torn line is skipped).
JOBSUB_API std::vector<CanaryHold> canary_holds(const fs::path& results_dir);

/// What the canary `canary`'s script decided (its job file canary_decision):
/// `released`, `cancelled`, or empty (not yet, or never).
JOBSUB_API std::string canary_decision(const fs::path& results_dir, uint64_t job_count, uint64_t canary);

/// A job not yet final, as the records know it.
struct OpenJob {
  uint64_t job = 0;
  JobState state = JobState::pending;
  std::string native_id;
  /// What a final state rests on: a settling pass records a revisit of it
  /// only when it finds stronger evidence.
  Evidence evidence = Evidence::none;
};

class JOBSUB_API Tracker {
 public:
  /// `lost_after`: polls a job may be gone from the queue without an
  /// exit-code file before it is `lost` (a shared file system may show the
  /// file late).
  Tracker(Scheduler& scheduler, fs::path results_dir, uint64_t job_count, int lost_after = 3)
      : scheduler_(scheduler),
        results_dir_(std::move(results_dir)),
        job_count_(job_count),
        lost_after_(lost_after) {}

  /// One query for all of `open`; returns the new state of each job whose
  /// state is known now (unchanged running/queued jobs included). A failed
  /// query is a failed Status and no outcomes.
  Status poll(const std::vector<OpenJob>& open, std::vector<TaskOutcome>& out);

  /// poll() with the scheduler's answer `live` (query() of `open`'s ids, and
  /// perhaps of other sweeps' jobs) already in hand.
  void settle_answers(const std::vector<OpenJob>& open, const std::vector<TaskOutcome>& live,
                      std::vector<TaskOutcome>& out);

  /// The exit code in the job's `exit_code` file, or -1.
  int exit_code(uint64_t job) const;

 private:
  /// A job the scheduler says has ended (`said`), or no longer knows
  /// (nullptr): its verdict from the strongest evidence there is, in this
  /// order: the scheduler (queue or accounting; where it says more than
  /// completed/failed), the scheduler's message in the job's log, the
  /// exit-code file, a canary's script that cancelled it (`--canary
  /// --detach`: a job deleted before it ran leaves Grid Engine's accounting,
  /// and Slurm's without accounting, nothing to say), else (after lost_after
  /// polls) lost.
  bool settle(const OpenJob& job, const TaskOutcome* said, TaskOutcome& out);
  /// The canary whose script cancelled `job`, or nullopt.
  std::optional<uint64_t> cancelled_by_canary(uint64_t job);

  Scheduler& scheduler_;
  fs::path results_dir_;
  uint64_t job_count_;
  int lost_after_;
  std::map<uint64_t, std::pair<std::string, int>> unexplained_polls_;  ///< job -> (its id, polls)
  std::optional<std::vector<CanaryHold>> canary_holds_;                ///< read at the first need
  std::map<uint64_t, std::string> canary_decisions_;                   ///< made ones only: they stand
};

/// One settling pass over a recorded sweep, what one `jobsub status` does:
/// its jobs not yet final (and `lost` ones: their exit-code file may have come
/// since) asked of the tracker `tracker()` returns (built only when such jobs
/// exist) in one query, the answers recorded in the store and jobs.tsv.
/// Returns the sweep's jobs afterwards, in job order. A failed query throws
/// Error (exit 1) naming the scheduler.
/// `record` false: the answers are applied to the returned jobs only, and
/// nothing is written (`--dry-run`).
JOBSUB_API std::vector<JobRecord> settle_sweep(Store& store, const SweepSummary& sweep,
                                               const std::function<Tracker&()>& tracker, bool record = true);

/// settle_sweep for every sweep of `sweeps` that has jobs to settle, with
/// one query per scheduler across them (`jobsub list`). `scheduler_of` gives
/// the configured scheduler of a name, for jobs submitted after the time it
/// is given (the oldest of those sweeps' creation, seconds since the epoch);
/// it may throw. A scheduler that cannot
/// be loaded or asked leaves its sweeps as recorded and adds a line to
/// `problems` ("slurm: ..."); nothing is thrown.
JOBSUB_API void settle_sweeps(
    Store& store, const std::vector<SweepSummary>& sweeps,
    const std::function<Scheduler&(const std::string& name, int64_t submitted_after)>& scheduler_of,
    std::vector<std::string>& problems);

/// settle_sweeps with each scheduler loaded once from `registry` and
/// configured with its defaults (what `list`, `collect` and `report` do).
JOBSUB_API void settle_sweeps(Store& store, const std::vector<SweepSummary>& sweeps,
                              const PluginRegistry& registry, std::vector<std::string>& problems);

/// How long a verdict that rests on the exit-code file alone is asked about
/// again: accounting that lagged (slurmdbd on a busy cluster) may still
/// tell more (a memory kill of a program that exited 0). Seconds.
inline constexpr int64_t kRevisitExitCodeVerdictsFor = 7 * 24 * 3600;

/// The jobs of a recorded sweep that a settling pass asks about: submitted
/// and not final; `lost` ones (their exit-code file may have come since);
/// and, when `now` (seconds since the epoch) is above 0, final states that
/// rest on the exit-code file, for kRevisitExitCodeVerdictsFor after they were
/// recorded.
JOBSUB_API std::vector<OpenJob> jobs_to_settle(const std::vector<JobRecord>& jobs, int64_t now);

/// True for a job that was submitted and has not ended.
JOBSUB_API bool is_open(const JobRecord& job);

}  // namespace jobsub
