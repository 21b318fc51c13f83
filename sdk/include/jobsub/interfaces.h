#pragma once
/// The C++ interfaces of the pipeline stages. A component's `create` returns an
/// object of the interface its kind names:
///
///   layout    -> jobsub::Layout       verify the experiment's directories
///   sweeper   -> jobsub::Sweeper      choose the combinations to run
///   formatter -> jobsub::Formatter    turn one combination into an argv
///   scheduler -> jobsub::Scheduler    render a batch script, submit, query, cancel
///   command   -> jobsub::Command      a subcommand (`submit`, `plugins`, ...)
///
/// Every method is noexcept and reports failure through Status. Objects are
/// created and destroyed by the plugin's own functions (see plugin_abi.h).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/hyperspace.h"
#include "jobsub/results_layout.h"
#include "jobsub/status.h"
#include "jobsub/value.h"

namespace jobsub {

namespace fs = std::filesystem;

/// Option values for one component, by the names its descriptor declares.
using PluginOptions = std::map<std::string, std::string>;

// ---------------------------------------------------------------- layout

struct LayoutRequest {
  fs::path experiment_dir;  ///< absolute
  std::string program;      ///< as written in the spec (may be empty)
};

struct LayoutResult {
  fs::path project_dir;   ///< the project root (== experiment_dir for `plain`)
  fs::path workdir;       ///< where each job's command starts
  fs::path program;       ///< absolute path of the program, empty if none
  fs::path results_root;  ///< where sweep result directories go
};

class Layout {
 public:
  virtual ~Layout() = default;
  virtual Status verify(const LayoutRequest& request, LayoutResult& result) noexcept = 0;
};

/// Why `program` cannot be run as the sweep's program ("missing program: X",
/// "X is a directory, not a program"), or empty when it is a file. For layouts.
JOBSUB_API std::string program_problem(const fs::path& program);

// ---------------------------------------------------------------- sweeper

/// The option every sweeper gets besides its own: the largest sweep the user
/// accepts (`--max-jobs`). A sweeper that holds anything per job refuses a
/// larger count in configure(), before it allocates.
inline constexpr const char* kMaxJobsOption = "jobsub.max_jobs";

class Sweeper {
 public:
  virtual ~Sweeper() = default;
  /// Chooses the combinations of `space` to run. `space` outlives the sweeper.
  virtual Status configure(const HyperSpace& space, const PluginOptions& options) noexcept = 0;
  /// The number of jobs chosen.
  virtual uint64_t size() const noexcept = 0;
  /// Job `index` (0-based, < size()).
  virtual Status at(uint64_t index, Params& out) const noexcept = 0;
  /// The combination of the space (its index in the HyperSpace) that job
  /// `index` is: jobsub reads each job's grid from it (a grid may carry
  /// resources of its own). The default, the identity, is right for a
  /// sweeper that takes every combination in order.
  virtual uint64_t space_index(uint64_t index) const noexcept { return index; }
};

// ---------------------------------------------------------------- formatter

class Formatter {
 public:
  virtual ~Formatter() = default;
  virtual Status configure(const PluginOptions& options) noexcept = 0;
  /// The command template used when the spec gives none, e.g.
  /// `python {script} with {args}`.
  virtual std::string default_command() const noexcept = 0;
  /// Appends the program arguments for one combination to `out`.
  virtual Status format(const Params& params, Argv& out) const noexcept = 0;
};

// ---------------------------------------------------------------- scheduler

/// The option every scheduler gets besides its own: the time (seconds since
/// the Unix epoch) before which none of the jobs it will be asked about was
/// submitted; absent when unknown. An accounting query bounds its search by
/// it, so that it never scans the cluster's history (Slurm: `sacct -S`).
inline constexpr const char* kSubmittedAfterOption = "jobsub.submitted_after";

/// Job states, with the scheduler's native state kept alongside.
enum class JobState {
  pending,
  queued,
  held,
  running,
  completed,
  failed,
  cancelled,
  timeout,
  out_of_memory,
  node_fail,
  preempted,
  lost,
  not_submitted,
  skipped,   ///< not submitted: the same params and command completed in an earlier sweep
  declined,  ///< not submitted: the user answered `n` at the prompt (`submit --resume --include-declined`
             ///< sends it)
};
/// The last JobState, for tables indexed by state.
inline constexpr JobState kLastJobState = JobState::declined;

/// The native state of a job that the user's own Ctrl-C stopped (state
/// `cancelled`): `jobsub submit --resume` runs such a job again, `resubmit`
/// leaves it to resume. A scheduler whose jobs end with the jobsub that ran
/// them (local) reports it so.
inline constexpr const char* kInterruptedNativeState = "interrupted";

/// An inclusive range of job numbers (1-based, as the user sees them).
struct TaskRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t size() const { return last - first + 1; }
  bool operator==(const TaskRange&) const = default;
};

/// One submission unit: jobs that share one batch script.
struct BatchRequest {
  std::string sweep_name;
  std::string batch_name;  ///< e.g. `batch-1`; the script is <results>/<batch_name>.sh
  /// Unique to this batch (`jobsub-<16 hex digits>`). A scheduler keeps it where its
  /// bulk query shows it (Slurm: `--comment`), so find() can tell, after a crash
  /// between the submit call and the record of its answer, what it took.
  std::string token;
  fs::path results_dir;  ///< holds commands, params.jsonl, argv.jsonl, jobs/
  fs::path script_path;  ///< where the core writes the rendered script
  fs::path workdir;
  std::vector<TaskRange> tasks;
  uint64_t job_count = 0;                        ///< jobs in the whole sweep (for padding job directories)
  bool array = true;                             ///< one array submission, or one per job (`--no-array`)
  uint64_t max_running = 0;                      ///< throttle (local: parallel jobs); 0 = scheduler default
  std::map<std::string, std::string> resources;  ///< common names; `<scheduler>.x` extras
  std::vector<std::string> init_lines;
  std::string template_text;  ///< a user's Mustache template; empty = the plugin's own
  std::string task_body;      ///< the core's shell code that runs one job (see script.h)
  fs::path template_file;     ///< where template_text came from, for messages
  /// Submit the batch's jobs held: the scheduler keeps them queued and starts
  /// none until released (Slurm `sbatch --hold`). Set only for a scheduler
  /// whose holds_batches() is true (`--canary --detach`). (Scheduler/7.)
  bool hold = false;

  /// The layout of results_dir (results_layout.h): its logs/, job directories, ...
  ResultsLayout results() const { return {results_dir, job_count}; }
};

struct RenderedBatch {
  std::string script;                    ///< the batch script's text
  std::vector<std::string> submit_argv;  ///< e.g. {"sbatch", "--parsable", path}
  std::vector<std::string> warnings;     ///< shown to the user, e.g. resources not enforced
  /// Every command that submits the batch, when it takes more than one (Slurm's
  /// chunks of a sweep larger than an array); empty means submit_argv alone.
  /// `--manual` prints them all, `--dry-run` too.
  std::vector<std::vector<std::string>> all_submit_argvs;
  /// The file each submit command reads on standard input (LSF's `bsub <
  /// script`); empty: none. `--dry-run` and `--manual` show it as `< file`.
  fs::path submit_stdin;
};

/// What a job's final state rests on, weakest first. Of the final verdicts,
/// `lost` is asked about again (by every `status`) and revised by whatever
/// evidence comes; one that rests on the exit-code file is asked about again
/// for a week and revised only by stronger evidence; the others stand.
enum class Evidence {
  none,            ///< nothing said it (a job the scheduler no longer knows: lost)
  exit_code_file,  ///< the exit code the task body wrote
  scheduler_log,   ///< the scheduler's own message in the job's log (Slurm's `DUE TO TIME LIMIT`)
  scheduler,       ///< the scheduler: its queue or its accounting (`squeue`, `sacct`, `qacct`)
};

struct TaskOutcome {
  uint64_t job = 0;  ///< 1-based job number
  JobState state = JobState::pending;
  int exit_code = -1;     ///< -1 when unknown
  std::string native_id;  ///< e.g. `4711_3` on Slurm, `local:3` on local
  std::string native_state;
  Evidence evidence = Evidence::none;
  /// Who said it, shown beside the state: `sacct`, `squeue`, `Slurm log`, `exit-code file`.
  std::string source{};
};

/// Jobs submitted as the tasks of one array, in a few bytes however many:
/// job `offset + t` is task `t`, native id `<native_id><separator><t><suffix>`, state `queued`.
struct SubmittedArray {
  std::string native_id;  ///< the array's id
  uint64_t offset = 0;
  std::vector<TaskRange> tasks;  ///< task ids
  std::string native_state;      ///< e.g. `PENDING`
  std::string separator = "_";   ///< Slurm `4711_3`; Grid Engine `4711.3`; PBS `4711[3]`
  std::string suffix{};          ///< PBS: `]`
  std::string task_id(uint64_t t) const { return native_id + separator + std::to_string(t) + suffix; }
};

struct SubmitResult {
  std::string native_id;               ///< the batch's id (array id), if any
  std::vector<TaskOutcome> outcomes;   ///< one per job in the batch, unless in `arrays`
  std::vector<SubmittedArray> arrays;  ///< jobs taken as array tasks (no outcome each needed)
};

/// One of the batches Scheduler::submit_batches() sends together: what
/// submit() takes, and what it fills and returns. (Scheduler/8.)
struct BatchSubmission {
  const BatchRequest* request = nullptr;
  const RenderedBatch* rendered = nullptr;
  SubmitResult result{};
  Status status{};
};

/// The most one job may ask for where a batch would run (its partition or
/// queue), as the scheduler says: what an automatic retry's scaled resources
/// stop at. 0 where there is no limit or the scheduler does not say.
struct ResourceLimits {
  uint64_t time_seconds = 0;  ///< Slurm: the partition's MaxTime
  uint64_t mem_mib = 0;       ///< Slurm: the partition's MaxMemPerNode (MiB)
  std::string where{};        ///< whose limits, for messages: `partition debug`
};

/// The commands that decide a batch submitted held (BatchRequest::hold),
/// run by its canary's own script where the canary ran (a compute node):
/// `release` lets the held jobs start (Slurm `scontrol release 4711,4712`),
/// `cancel` ends them (`scancel 4711 4712`).
struct HeldBatchCommands {
  std::vector<std::string> release;
  std::vector<std::string> cancel;
};

/// How jobsub tells, with no scheduler chosen anywhere, that this host has
/// this scheduler: its client `program` on PATH and, where several
/// schedulers share that program (Grid Engine's and PBS's `qsub`), a `probe`
/// command whose output (stdout and stderr) holds one of `answers`.
struct Detection {
  std::string program;               ///< `sbatch`; empty: never detected (local)
  std::string label;                 ///< `Slurm`: messages say `sbatch (Slurm)`
  std::vector<std::string> probe;    ///< `qstat --version`; empty: the program alone decides
  std::vector<std::string> answers;  ///< `pbs_version`, ...
};

/// What the core lends a scheduler while it submits. Implemented by the host.
class SubmitContext {
 public:
  virtual ~SubmitContext() = default;
  /// True once the user pressed Ctrl-C (or jobsub got SIGTERM).
  virtual bool interrupted() const noexcept = 0;
  /// Reports a job's change of state as it happens (progress display, records).
  virtual void job_event(const TaskOutcome& outcome) noexcept = 0;
  /// Free-form progress text; the host decides how to show it.
  virtual void progress(const std::string& line) noexcept = 0;
  /// Jobs of this submission that `jobsub cancel` (another process, through
  /// the state store) asked to cancel since the last call, ascending. A
  /// scheduler whose submit() runs the jobs itself (local) polls it and
  /// cancels them; the others are cancelled through their scheduler. (ABI 3.)
  virtual std::vector<uint64_t> cancel_requests() noexcept { return {}; }
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual Status configure(const PluginOptions& options) noexcept = 0;
  /// The Mustache template render() uses when the user gives none
  /// (`jobsub template show`, and `template init` copies it).
  virtual std::string default_template() const noexcept = 0;
  /// Pure: builds the script text and the submit command. Touches nothing.
  virtual Status render(const BatchRequest& request, RenderedBatch& out) noexcept = 0;
  /// Submits an already written script. Fills one outcome per job.
  virtual Status submit(const BatchRequest& request, const RenderedBatch& rendered, SubmitContext& context,
                        SubmitResult& result) noexcept = 0;
  /// States of jobs by native id, one bulk call.
  virtual Status query(const std::vector<std::string>& native_ids,
                       std::vector<TaskOutcome>& out) noexcept = 0;
  virtual Status cancel(const std::vector<std::string>& native_ids) noexcept = 0;
  /// The jobs of `request` (found by its token) that the scheduler holds or
  /// has run, in one bulk call: one outcome each, with native id and state.
  /// For `submit --resume` after a jobsub died during submit(): what it finds
  /// is adopted, the rest submitted again. No outcomes when it has none (and
  /// always for a scheduler whose jobs end with the jobsub that ran them).
  virtual Status find(const BatchRequest& request, std::vector<TaskOutcome>& out) noexcept = 0;
  /// How to tell this host has the scheduler (see Detection); none by default.
  virtual Detection detection() const noexcept { return {}; }
  /// The scheduler's own verdict on a job that left its queue without one
  /// from its accounting, read from the job's log in `logs_dir` (the sweep's
  /// `logs/`): Slurm's `*** JOB 4711 ON n1 CANCELLED AT ... DUE TO TIME LIMIT
  /// ***` is `timeout`. Fills `out` (state, native_state, source) and returns
  /// true when the log says how the job ended; false by default.
  virtual bool log_verdict(const fs::path& /*logs_dir*/, const std::string& /*native_id*/,
                           TaskOutcome& /*out*/) const noexcept {
    return false;
  }
  /// The file in `logs_dir` (the sweep's `logs/`) where the scheduler writes
  /// its own messages about job `native_id` (Slurm: `slurm-4711_3.out`), for
  /// `jobsub logs`; empty when it writes none there (the default). (ABI 3.)
  virtual fs::path log_file(const fs::path& /*logs_dir*/, const std::string& /*native_id*/) const noexcept {
    return {};
  }
  /// The limits of where `request` (its resources: partition, queue) would
  /// run, asked of the scheduler now (Slurm: `scontrol show partition`).
  /// Fills `out`; 0s (the default) when it sets none or cannot say. A failed
  /// call is a failed Status: the caller goes on without limits. (ABI 4.)
  virtual Status resource_limits(const BatchRequest& /*request*/, ResourceLimits& out) noexcept {
    out = {};
    return {};
  }
  /// True when submit() honours BatchRequest::hold and held_batch_commands()
  /// answers: the scheduler can keep a batch queued until a canary's script
  /// releases or cancels it (`--canary --detach`). False by default.
  /// (Scheduler/7.)
  virtual bool holds_batches() const noexcept { return false; }
  /// The commands that release and cancel the held jobs `native_ids` (the
  /// ids submit() returned: SubmitResult::native_id of each array, or a job's
  /// TaskOutcome::native_id). A failed Status (the default) when the
  /// scheduler cannot hold batches. (Scheduler/7.)
  virtual Status held_batch_commands(const std::vector<std::string>& /*native_ids*/,
                                     HeldBatchCommands& out) const noexcept {
    out = {};
    return Status::failure("this scheduler cannot hold jobs until a canary releases them");
  }
  /// Submits `batches` (scripts already written), each as submit() would,
  /// filling each one's result and status. The jobs of several batches (a
  /// sweep's resource groups) reach the scheduler in one call: a scheduler
  /// that runs them itself (local) runs them at once from one pool of the
  /// machine's slots, CPUs and GPUs shared, and returns when all have ended.
  /// By default they are submitted in turn, and once one fails, or the user
  /// pressed Ctrl-C, the later ones are not tried: a failed Status saying
  /// so, and no outcomes. (Scheduler/8.)
  virtual void submit_batches(std::vector<BatchSubmission>& batches, SubmitContext& context) noexcept {
    std::string stopped;
    for (BatchSubmission& batch : batches) {
      if (stopped.empty() && context.interrupted()) stopped = "interrupted before it was submitted";
      if (!stopped.empty()) {
        batch.status = Status::failure(stopped);
        continue;
      }
      batch.status = submit(*batch.request, *batch.rendered, context, batch.result);
      if (!batch.status.ok)
        stopped = "not submitted: the batch before it failed (" + batch.request->batch_name + ")";
    }
  }
};

// ---------------------------------------------------------------- command

class PluginRegistry;
class Host;

/// What a subcommand gets from the host.
struct CommandContext {
  PluginRegistry* registry = nullptr;  ///< the engine's registry: for the bundled commands only
  std::string program_name;            ///< argv[0] as the user typed it
  fs::path executable;                 ///< the running jobsub binary
  Host* host = nullptr;                ///< plugins and records (host.h): what a third-party command uses
};

class Command {
 public:
  virtual ~Command() = default;
  /// Runs the subcommand with its arguments (after the command's name) and
  /// returns the process exit code (see errors.h).
  virtual int run(CommandContext& context, const std::vector<std::string>& args) noexcept = 0;
};

/// The word for a state, as the store, jobs.tsv, `status` and `--json` write it.
JOBSUB_API const char* to_string(JobState state);
/// to_string's inverse; pending for a word it does not know.
JOBSUB_API JobState job_state_from_string(const std::string& text);
/// True for a state a job does not leave (completed, failed, cancelled, ...).
JOBSUB_API bool is_final(JobState state);

// ---------------------------------------------------------------- identities

/// Each interface's kind and identity ("jobsub::Formatter/2"). The number is
/// the interface's version: it goes up when the interface changes, and the
/// loader refuses a component built against another version, or one whose
/// interface is not its kind's.
template <class Interface>
struct interface_traits;
template <>
struct interface_traits<Layout> {
  static constexpr const char* kind = "layout";
  static constexpr const char* id = "jobsub::Layout/1";
};
template <>
struct interface_traits<Sweeper> {
  static constexpr const char* kind = "sweeper";
  static constexpr const char* id = "jobsub::Sweeper/2";
};
template <>
struct interface_traits<Formatter> {
  static constexpr const char* kind = "formatter";
  static constexpr const char* id = "jobsub::Formatter/2";
};
template <>
struct interface_traits<Scheduler> {
  static constexpr const char* kind = "scheduler";
  static constexpr const char* id = "jobsub::Scheduler/8";
};
template <>
struct interface_traits<Command> {
  static constexpr const char* kind = "command";
  static constexpr const char* id = "jobsub::Command/2";
};

/// The identity a component of `kind` must report; empty for an unknown kind.
JOBSUB_API std::string interface_id_of_kind(const std::string& kind);

}  // namespace jobsub
