#pragma once
/// Sends a sweep's jobs to its scheduler in batches. Each batch is recorded in
/// the state store as `submitting` (with a token the scheduler keeps) before
/// the scheduler is called, and with its ids after; job states reported while
/// it runs reach the store within a second (a thread writes them), so
/// `jobsub status` in another terminal sees a live local run as it is. Used by `submit` for a new sweep
/// and by `submit --resume` and `resubmit` for a recorded one.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/job_book.h"
#include "jobsub/progress_view.h"
#include "jobsub/resource_groups.h"
#include "jobsub/script.h"
#include "jobsub/store.h"

namespace jobsub {

/// The user's answer to `Submit (i/N): <args>? (y/n/all/exit)`.
enum class Answer { yes, no, all, exit };

class Prompter {
 public:
  virtual ~Prompter() = default;
  virtual Answer ask(uint64_t job, uint64_t job_count, const std::string& args) = 0;
  /// A yes-or-no question (`question` ends with `(y/n)`); end of input or Ctrl-C is no.
  virtual bool confirm(const std::string& question) = 0;
};

/// Asks on the terminal (stdin/stdout); Ctrl-C or end of input is `exit`.
class JOBSUB_API TerminalPrompter final : public Prompter {
 public:
  Answer ask(uint64_t job, uint64_t job_count, const std::string& args) override;
  bool confirm(const std::string& question) override;
};

/// A new batch's token: `jobsub-` and 16 random hex digits.
JOBSUB_API std::string new_batch_token();

struct SubmitOutcome;  // submit.h

class JOBSUB_API Submitter final : public SubmitContext {
 public:
  struct Parts {
    Scheduler& scheduler;
    std::string scheduler_name;
    BatchRequest prototype;  ///< everything but batch_name, script_path, token and tasks
    Store& store;
    int64_t sweep_id = 0;  ///< 0 until the first batch: submit()'s `first_batch` gives it
    JobBook& book;
    ProgressView& view;
    std::function<std::string(uint64_t job)> describe;  ///< the job's arguments, for the prompt
    /// Runs before each batch is recorded (resubmit: start the jobs' new attempts); may be empty.
    std::function<void(const std::vector<TaskRange>& tasks)> before_batch;
    /// Jobs whose grid has resources of its own: a batch never mixes groups,
    /// and asks for its group's resources. Empty: the prototype's, for all.
    ResourceGroups groups{};
    /// The program file's SHA-256 as these jobs run it (empty: none), for the
    /// record of each batch in submissions.jsonl.
    std::string program_sha256{};
    /// Sends the due automatic retries (retry.h perform_due_retries) and
    /// returns the jobs it sent; the book takes their new states from the
    /// store. Called once the batches are sent and after each settling pass
    /// of wait(). Empty: the sweep has no retries.
    std::function<std::vector<uint64_t>()> send_retries{};
    /// Seconds between scheduler queries while a test job (`y` at the
    /// prompt) is followed to its end before the next question.
    double test_job_poll_seconds = 5;
  };
  explicit Submitter(Parts parts);
  ~Submitter() override;
  Submitter(const Submitter&) = delete;
  Submitter& operator=(const Submitter&) = delete;

  /// A batch request for `tasks` (of one resource group), named `name`.
  BatchRequest batch(const std::string& name, const std::vector<TaskRange>& tasks) const;

  /// Submits `jobs` (ascending): without a prompter all as one batch; with
  /// one, asking job by job (y: that job alone, followed until it ends and its
  /// result shown before the next question, on every scheduler; n: skip it;
  /// all: it and every later one as one batch; exit: stop). `first_batch` runs once, just
  /// before the first batch is recorded, and returns the sweep's id in the
  /// store (recording a new sweep there). Stops between batches on Ctrl-C.
  /// Throws Error when the scheduler refuses a batch (exit 1) or on Ctrl-C
  /// during one (130), after recording exactly what was submitted.
  void submit(const std::vector<TaskRange>& jobs, Prompter* prompter,
              const std::function<int64_t()>& first_batch);

  /// `--canary`: submits the first of `jobs` of each resource group alone,
  /// follows them until each completed or ran `run_seconds` (0: until it
  /// completed) without failing, then the rest: at once without a prompter,
  /// else when it confirms `canary ok after 2m10s: submit the other 143?`.
  /// Throws Error (exit 1) when a canary failed, after its result was shown
  /// and recorded: nothing else was submitted (`submit --resume` sends it).
  /// On the local scheduler a canary runs to its end inside submit().
  void submit_with_canary(const std::vector<TaskRange>& jobs, uint64_t run_seconds, Prompter* prompter,
                          const std::function<int64_t()>& first_batch);

  /// `--canary --detach` (a scheduler whose holds_batches() is true): for
  /// each resource group, submits the rest of `jobs` held, then its canary
  /// (its first job) with a script that releases them once the canary
  /// completed or ran `run_seconds` (0: once it completed) without failing,
  /// and cancels them when it fails (with_canary_hooks()); then returns,
  /// following nothing. When a canary cannot be submitted, the jobs held for
  /// it are cancelled (no one would release them) and Error is thrown.
  void submit_canary_detached(const std::vector<TaskRange>& jobs, uint64_t run_seconds,
                              const std::function<int64_t()>& first_batch);

  /// Follows the open jobs until they end (or Ctrl-C: they go on).
  void wait(double poll_seconds);

  /// Writes job states not yet in the store, then jobs.tsv from the book.
  void save() noexcept;

  /// How every run that sent jobs ends (a new sweep, a resume, a resubmit):
  /// with `wait`, follows the open jobs until they have ended (Ctrl-C stops
  /// the waiting, not the jobs); saves; prints the closing lines and returns
  /// the outcome (exit 130 after Ctrl-C, 1 when a job failed or was cancelled).
  SubmitOutcome finish(bool wait, double poll_seconds);
  int batches_submitted() const { return batches_submitted_; }

  // SubmitContext
  bool interrupted() const noexcept override;
  void job_event(const TaskOutcome& outcome) noexcept override;
  void progress(const std::string& line) noexcept override { parts_.view.line(line); }
  std::vector<uint64_t> cancel_requests() noexcept override;

 private:
  /// What a batch carries besides its jobs (`--canary --detach`).
  struct BatchExtras {
    bool hold = false;                    ///< BatchRequest::hold
    std::optional<CanaryHooks> canary{};  ///< its script is a canary's (with_canary_hooks())
    std::vector<TaskRange> held_jobs{};   ///< with `canary`: the jobs it releases or cancels
  };
  /// One batch to send: its jobs (of one resource group) and extras.
  struct BatchPlan {
    std::vector<TaskRange> tasks;
    BatchExtras extras{};
  };
  /// A batch on its way: its script rendered and written, its record.
  struct PendingBatch {
    BatchPlan plan;
    std::string name;  ///< `batch-3`
    BatchRequest request{};
    RenderedBatch rendered{};
    int64_t batch_id = 0;  ///< in the store, once recorded `submitting`
  };
  /// Submits one batch and returns the ids the scheduler gave it (each
  /// array's id, each job's id outside an array), as held_batch_commands()
  /// takes them; they are in last_batch_ids_ too when it throws.
  std::vector<std::string> submit_batch(const std::vector<TaskRange>& tasks, const BatchExtras& extras);
  std::vector<std::string> submit_batch(const std::vector<TaskRange>& tasks);
  /// Submits `plans` in one Scheduler::submit_batches() call (the local
  /// scheduler runs their jobs at once, from one pool of slots): renders and
  /// writes every script, records each batch `submitting`, calls the
  /// scheduler, then records what it did with each. Returns every id the
  /// scheduler gave (also in last_batch_ids_); throws the first batch's
  /// Error when some failed, after recording them all.
  std::vector<std::string> submit_batches(const std::vector<BatchPlan>& plans);
  PendingBatch render_batch(const BatchPlan& plan);
  void record_submitting(PendingBatch& batch);
  /// Records what the scheduler did with `batch`; throws Error when `status` failed.
  void record_submitted(const PendingBatch& batch, const Status& status, const SubmitResult& result);
  /// Before the first batch: `first_batch()` records the sweep (its id) and the batch numbers start after
  /// the store's.
  void record_sweep_once(const std::function<int64_t()>& first_batch);
  /// The first job of each resource group among `jobs`.
  std::set<uint64_t> canaries_of(const std::vector<TaskRange>& jobs) const;
  /// Cancels the held jobs `tasks` (ids `ids`) that no canary will release,
  /// records them `cancelled`, and returns what to add to the error message.
  std::string cancel_held(const std::vector<TaskRange>& tasks, const std::vector<std::string>& ids);
  /// Follows test job `job` until it ends (its result shown as the view shows
  /// a test job's), polling every Parts::test_job_poll_seconds. Ctrl-C stops
  /// the waiting, not the job, and the questions go on.
  void wait_for_test_job(uint64_t job);
  void send_due_retries();
  void flush_store() noexcept;
  void flush_store_locked() noexcept;  ///< with mutex_ held

  Parts parts_;
  int next_batch_ = 0;  ///< from the store, at the first batch
  int batches_submitted_ = 0;
  uint64_t retries_sent_ = 0;  ///< by send_due_retries()
  uint64_t batch_size_ = 0;
  std::vector<std::string> last_batch_ids_;  ///< submit_batch()'s ids, also when it throws
  bool warned_ = false;
  std::mutex mutex_;                  ///< the store and changed_: this thread and the flusher
  std::vector<TaskOutcome> changed_;  ///< job states not yet written to the store
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread flusher_;  ///< writes changed_ every second
};

}  // namespace jobsub
