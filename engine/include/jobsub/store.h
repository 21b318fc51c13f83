#pragma once
/// The experiment's state store: every sweep and job jobsub submitted from an
/// experiment, in SQLite (`<experiment>/.jobsub/state.db`, WAL mode, a
/// versioned schema migrated on open). Writes are transactions, so two jobsub
/// processes on one experiment lose nothing, and a batch is recorded as
/// `submitting` before the scheduler is called and as `submitted` (with its
/// ids) after: no crash leaves a job submitted but unrecorded.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/metrics.h"

struct sqlite3;

namespace jobsub {

namespace fs = std::filesystem;

/// `2026-11-26T15:10:15Z`: how the store writes times.
/// utc_timestamp's inverse: seconds since the epoch, or 0 for other text.
JOBSUB_API int64_t epoch_of_timestamp(const std::string& timestamp);
JOBSUB_API std::string utc_timestamp(
    std::chrono::system_clock::time_point when = std::chrono::system_clock::now());

/// What the store keeps of a sweep when it is created.
struct SweepRecord {
  std::string name;
  fs::path dir;  ///< its results directory, absolute
  std::string created;
  std::string scheduler;
  uint64_t job_count = 0;
  std::string command_template;
};

/// A sweep with its jobs counted by state, for `jobsub list`.
struct SweepSummary {
  int64_t id = 0;
  SweepRecord sweep;
  std::vector<std::pair<JobState, uint64_t>> states;  ///< state -> jobs, most first
};

/// One job as the store knows it.
struct JobRecord {
  uint64_t job = 0;
  JobState state = JobState::not_submitted;
  std::string native_state;
  std::string native_id;
  int exit_code = -1;  ///< -1 when unknown
  int attempt = 1;
  Evidence evidence = Evidence::none;  ///< what the state rests on
  std::string source{};                ///< who said it (`sacct`, `Slurm log`, `exit-code file`)
  std::string updated{};               ///< when its row was last written (utc_timestamp); empty: no row
};

/// Where a submission stands: `submitting` from just before the scheduler
/// call until its answer is recorded (a `submitting` batch whose jobsub died
/// is what `--resume` looks up), then `submitted` or `failed`.
enum class BatchState { submitting, submitted, failed };
JOBSUB_API const char* to_string(BatchState state);

/// One submission of some of a sweep's jobs.
struct BatchRecord {
  int64_t id = 0;
  std::string name;  ///< `batch-3`: the script is `<results>/batch-3.sh`
  std::vector<TaskRange> jobs;
  BatchState state = BatchState::submitting;
  std::string native_id;
  std::string token;  ///< BatchRequest::token
  std::string host;   ///< where the jobsub that submitted it ran
  int64_t pid = 0;    ///< and its process id
};

/// Where a combination already completed: for skipping it in a later sweep.
struct CompletedJob {
  std::string sweep_dir;
  uint64_t job = 0;
};
/// `completed in <dir> (job 3)`: what a skipped job's native_state says.
JOBSUB_API std::string skipped_reason(const CompletedJob& where);
/// skipped_reason's inverse; nullopt for other text.
JOBSUB_API std::optional<CompletedJob> parse_skipped_reason(const std::string& reason);

/// The metrics one attempt of one job left, as read once it ended.
struct AttemptMetrics {
  uint64_t job = 0;
  int attempt = 1;
  MetricSet metrics{};
};

/// An automatic retry (retry.h) as the store claimed it: job `job` starts
/// attempt `attempt` because the one before ended `after`; sent by the
/// jobsub (`host`, `pid`) that claimed it.
struct RetryClaim {
  uint64_t job = 0;
  int attempt = 0;
  JobState after = JobState::failed;
  std::string claimed{};  ///< when (utc_timestamp)
  std::string host{};
  int64_t pid = 0;
};

class JOBSUB_API Store {
 public:
  /// Where the store of the experiment in `experiment_dir` lives.
  static fs::path path_for(const fs::path& experiment_dir);
  /// Opens (creating it and its directory when `create`) and migrates.
  /// Throws Error: a store written by a newer jobsub, or one that cannot be opened.
  Store(const fs::path& file, bool create);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static int schema_version();  ///< the version this jobsub writes

  /// Records a sweep with each job's hash (`hashes[job - 1]`: job_hash() of
  /// its params and command, kept in one blob); its jobs are `not_submitted`
  /// until a batch takes them. Returns the sweep's id.
  int64_t add_sweep(const SweepRecord& sweep, const std::vector<uint64_t>& hashes = {});
  /// Asks the jobsub that runs these jobs of `sweep` (the local scheduler's,
  /// while its batch is `submitting`) to cancel them: take_cancel_requests()
  /// hands them to it once.
  void request_cancel(int64_t sweep, const std::vector<uint64_t>& jobs);
  /// The jobs of `sweep` whose cancel was asked since the last call, ascending.
  std::vector<uint64_t> take_cancel_requests(int64_t sweep);
  /// Gives jobs (job, hash) hashes of their own, over the sweep's (a job
  /// sent again under a changed program file: job_hash() with its hash).
  void set_hashes(int64_t sweep, const std::vector<std::pair<uint64_t, uint64_t>>& hashes);
  /// The hashes add_sweep kept.
  std::vector<uint64_t> hashes(int64_t sweep) const;
  /// Before the scheduler call: the batch is `submitting` (with its token and
  /// this process's host and pid), and its jobs `pending`.
  int64_t begin_batch(int64_t sweep, const std::string& name, const std::string& token,
                      const std::vector<TaskRange>& jobs);
  /// After it: the batch's state (`submitted` or `failed`), native id and
  /// message, the outcomes the scheduler reported and its arrays (kept as
  /// ranges), in one transaction. Jobs of the batch in neither were not
  /// taken: they are `not_submitted`.
  void end_batch(int64_t sweep, int64_t batch, BatchState state, const std::string& native_id,
                 const std::string& message, const std::vector<TaskOutcome>& outcomes,
                 const std::vector<SubmittedArray>& arrays = {});
  /// The sweep's batches, in order.
  std::vector<BatchRecord> batches(int64_t sweep) const;
  /// Jobs skipped because they completed before: `skipped`, with where.
  void record_skipped(int64_t sweep, const std::vector<uint64_t>& jobs,
                      const std::function<std::string(uint64_t job)>& reason);
  /// Every completed job of the experiment's other sweeps, by hash.
  std::unordered_map<uint64_t, CompletedJob> completed_jobs(int64_t except_sweep) const;
  /// Starts a new attempt of each job of `as_read` (as the caller read it):
  /// the current one goes to the history (table `attempts`), the job becomes
  /// `not_submitted` with attempt + 1. Only if each one's state and attempt
  /// are still those read: else nothing is written and Error (exit 1) names
  /// the jobs that moved on (another jobsub sent them again while this one
  /// waited at its prompt).
  void new_attempt(int64_t sweep, const std::vector<JobRecord>& as_read);
  /// Claims the retries of `due` (each job as it was read: its state and
  /// attempt) for the jobsub (`host`, `pid`), in one transaction: a job whose
  /// state or attempt is no longer the one read (another jobsub claimed it
  /// first, or news came) is left out, and so is every job past `max_total`
  /// claims of the sweep in all (0: no cap). Each claimed job starts its next
  /// attempt, as new_attempt() does. Returns the claimed jobs, in `due`'s order.
  std::vector<uint64_t> claim_retries(int64_t sweep, const std::vector<JobRecord>& due, uint64_t max_total,
                                      const std::string& host, int64_t pid);
  /// Gives up this jobsub's claims of `jobs`' latest retries, whose send
  /// failed: held by no one (host empty, pid 0) from now, for any jobsub to
  /// take over (take_over_retries) once a while has passed.
  void release_retries(int64_t sweep, const std::vector<uint64_t>& jobs);
  /// Every retry claimed in the sweep, by job and attempt.
  std::vector<RetryClaim> retry_claims(int64_t sweep) const;
  /// Takes over claims (as retry_claims() read them) whose jobsub stopped
  /// before sending them, for (`host`, `pid`), in one transaction: only a
  /// job still `not_submitted` at the claimed attempt, and a claim still
  /// held by the jobsub it names (so two takers never both win). Returns the
  /// jobs taken over.
  std::vector<uint64_t> take_over_retries(int64_t sweep, const std::vector<RetryClaim>& stale,
                                          const std::string& host, int64_t pid);
  /// Job states as they change (settled by --wait, run by local), one
  /// transaction. An outcome naming a scheduler id of one of the job's
  /// earlier attempts is dropped (old news of a job sent again since).
  void update_jobs(int64_t sweep, const std::vector<TaskOutcome>& outcomes);

  /// Keeps what was read of each attempt (replacing an earlier read of it), one transaction.
  void record_metrics(int64_t sweep, const std::vector<AttemptMetrics>& reads);
  /// Every read kept for a sweep, by job and attempt.
  std::vector<AttemptMetrics> metrics(int64_t sweep) const;
  /// The attempts before each job's current one (JobRecord::attempt is the
  /// attempt's number), by job and attempt.
  std::vector<JobRecord> earlier_attempts(int64_t sweep) const;

  /// Every sweep, oldest first; `with_counts` false leaves SweepSummary::states
  /// empty (no job of any sweep is read: what choosing a sweep needs).
  std::vector<SweepSummary> sweeps(bool with_counts = true) const;
  /// Every job of a sweep, in job order: a job's own row (news of it), else
  /// what its latest batch says (an array's task: `queued`; a batch still
  /// `submitting`: `pending`), else `not_submitted`.
  std::vector<JobRecord> jobs(int64_t sweep) const;

 private:
  void migrate();
  void exec(const char* sql) const;
  void write_outcomes(int64_t sweep, const std::vector<TaskOutcome>& outcomes);
  /// new_attempt()'s writes, inside a caller's transaction.
  void start_next_attempts(int64_t sweep, const std::vector<const JobRecord*>& jobs);
  sqlite3* db_ = nullptr;
  fs::path file_;
};

/// The experiment's store, which must exist: else Error (exit 3) "no sweeps
/// recorded in DIR yet".
JOBSUB_API std::unique_ptr<Store> open_records(const fs::path& experiment);

/// The sweep a command names: the latest when `which` is empty; else the one
/// whose results directory it is, or whose directory relative to the
/// experiment (with or without `results/`) or time it is exactly, else the
/// one such name it uniquely begins (trailing slashes are ignored). Throws
/// Error (exit 3) naming the candidates when none or several match.
JOBSUB_API const SweepSummary& choose_sweep(const std::vector<SweepSummary>& sweeps, const std::string& which,
                                            const fs::path& experiment);

}  // namespace jobsub
