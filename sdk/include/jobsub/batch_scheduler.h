#pragma once
/// The batch-scheduler base: what every scheduler with a queue, a submit
/// client and array jobs shares (after PSI/J's BatchSchedulerExecutor).
///
/// BatchScheduler implements jobsub::Scheduler once: rendering (template
/// values, directives from a table, job names), planning (arrays cut to the
/// site's limit, or one job per combination), submitting (retries of
/// transient failures, ids read from the client's answer), querying (one bulk
/// call, then the scheduler's accounting for jobs the queue forgot), finding
/// a batch by its token after a crash, and cancelling.
///
/// Exactly once: a submit call that failed may still have been taken (the
/// controller took the job and the answer was lost, or the client timed out).
/// Before every retry, and once more before it reports a failure, the base
/// looks for the chunk's batch token (`<token>:<offset>`) in tagged_jobs()
/// and adopts what it finds; a chunk is never sent twice unless the
/// scheduler said it does not hold it. A scheduler is a
/// dialect: it derives, fills the data members in configure_dialect(), and
/// answers a handful of small questions: its command lines and how to read
/// their output. Every command goes through a ProcessRunner (a scripted one in
/// tests) with a timeout.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/option_reader.h"
#include "jobsub/process.h"
#include "jobsub/script.h"

namespace jobsub {

namespace batch {

/// The option every batch scheduler declares in its table: the longest wait
/// for one call of its client. The base reads it; `--client-timeout` means
/// the chosen scheduler's.
inline constexpr jobsub_option_info kClientTimeoutOption = {
    "client-timeout", "SECONDS", "120",
    "longest wait for one call of the scheduler's client (submit, query, cancel)"};

/// The options of a submit call that failed for a transient reason
/// (is_transient(), or no answer within the client timeout): how many times
/// it is tried in all, and the first wait (seconds, doubling) before trying
/// again. Named so no one takes them for a job's retries (`--retries`).
/// Declare them beside kClientTimeoutOption; the base reads them.
inline constexpr jobsub_option_info kSubmitAttemptsOption = {
    "submit-attempts", "N", "6",
    "tries of a submit call that failed for a transient reason (no answer, server busy), the first included"};
inline constexpr jobsub_option_info kSubmitRetryDelayOption = {
    "submit-retry-delay", "SECONDS", "2", "first wait before trying a submit call again; doubles each time"};
/// Their names before 0.2, kept for one release: `submit-retries N` is
/// `submit-attempts N+1`; `retry-delay` is `submit-retry-delay`.
inline constexpr jobsub_option_info kSubmitRetriesOption = {
    "submit-retries", "N", nullptr, "old name: --submit-retries N is --submit-attempts N+1"};
inline constexpr jobsub_option_info kRetryDelayOption = {"retry-delay", "SECONDS", nullptr,
                                                         "old name of --submit-retry-delay"};

/// How a resource's value is read before a directive spells it.
enum class Unit {
  text,          ///< as written
  duration_hms,  ///< `2h` -> `02:00:00` (`D-HH:MM:SS` from a day on)
  duration_hm,   ///< `2h` -> `2:00` (LSF's [hours:]minutes)
  memory_mib,    ///< `12G` -> `12288`
};

/// One row of a dialect's directive table: the common resource `resource`
/// becomes the directive `flag` with `value` (`{}` is the read value).
/// `custom`, when set, spells the whole directive instead (it may return ""
/// for none), for what depends on another resource or an option.
struct DirectiveRule {
  std::string resource;  ///< `time`
  std::string flag;      ///< Slurm `time`; Grid Engine `l`
  std::string value = "{}";
  Unit unit = Unit::text;
  std::function<std::string(const std::string& value, const BatchRequest& request)> custom{};
};

/// One submit call's share of a batch: an array (job = offset + task id, the
/// task ids in `ids`) or a single job (offset = its number).
struct Chunk {
  uint64_t offset = 0;
  std::vector<TaskRange> ids;
  bool array = true;
  /// The array's throttle (at most this many tasks at a time); 0: none.
  uint64_t max_running = 0;
  /// The chunk this one starts after (its index in the plan), when the
  /// sweep's cap on running jobs is kept by chaining (see throttle_chunks).
  std::optional<std::size_t> after{};
  /// Whether that chunk is an array (Torque waits on one with `afteranyarray`).
  bool after_array = false;
  /// That chunk's id, filled in as the plan is submitted (`<id of call N>` in a dry run).
  std::string after_id{};
  uint64_t tasks() const {
    uint64_t n = 0;
    for (const TaskRange& r : ids) n += r.size();
    return n;
  }
};

/// How a scheduler's arrays take task ids.
enum class ArrayIds {
  ranges,      ///< any ranges within a span of `array_limit` (Slurm `--array=2,4-9`)
  contiguous,  ///< 1..n only (Grid Engine `-t 1-n`, PBS `-J 1-n`)
};

/// One job or array task as the scheduler lists it.
struct JobRow {
  std::string id;            ///< the native id, as SubmittedArray::task_id() spells it
  uint64_t task = 0;         ///< the array task id; 0 for a job that is not an array task
  std::string native_state;  ///< as the scheduler says it (`PENDING`, `qw`, `qacct failed=37 ...`)
  JobState state = JobState::queued;
  int exit_code = -1;  ///< -1 when the scheduler does not say
  std::string tag;     ///< where the batch token is (Slurm: the comment); may be empty
  std::string source;  ///< the command that said it (`sacct`); empty: the status command
};

/// Jobs cut into submit calls: arrays of at most `limit` tasks (`ArrayIds`
/// says which task ids an array takes), or with `array == false` one call per
/// job. `single_runs_as_jobs`: a run of one job is submitted as a plain job.
JOBSUB_API std::vector<Chunk> plan_chunks(const std::vector<TaskRange>& jobs, bool array, ArrayIds ids,
                                          uint64_t limit, bool single_runs_as_jobs);

/// Keeps a batch's cap of `max_running` jobs at a time (`-j`) across the
/// submit calls of its plan: the chunks run in L = min(cap, chunks) lanes,
/// chunk i after chunk i - L (each lane runs one chunk at a time), and each
/// array is throttled to its lane's share of the cap (cap / L, the first
/// cap % L lanes one more). The shares are fixed: a lane that runs out of
/// chunks early leaves its share idle. With one chunk the cap is its
/// throttle; a cap of 0 changes nothing. Batches are not chained to each other.
JOBSUB_API void throttle_chunks(std::vector<Chunk>& chunks, uint64_t max_running);

/// The `<token>:<offset>` a submit call leaves in its tag; nullopt when
/// `tag` does not carry `token`.
JOBSUB_API std::optional<uint64_t> offset_in_tag(const std::string& tag, const std::string& token);

}  // namespace batch

class JOBSUB_API BatchScheduler : public Scheduler {
 public:
  /// `options`: the plugin's option table (defaults are read from it).
  /// `display_name` (`Slurm`) and `prefix` (`slurm`: resources `slurm.x`,
  /// options `--slurm.x`) name it in messages.
  BatchScheduler(std::span<const jobsub_option_info> options, std::string display_name, std::string prefix);
  // Directive rules may capture `this`: a copy would point back at the original.
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  Status configure(const PluginOptions& options) noexcept final;
  std::string default_template() const noexcept final;
  Status render(const BatchRequest& request, RenderedBatch& out) noexcept final;
  Status submit(const BatchRequest& request, const RenderedBatch& rendered, SubmitContext& context,
                SubmitResult& result) noexcept final;
  Status query(const std::vector<std::string>& native_ids, std::vector<TaskOutcome>& out) noexcept final;
  Status cancel(const std::vector<std::string>& native_ids) noexcept final;
  Status find(const BatchRequest& request, std::vector<TaskOutcome>& out) noexcept final;
  Detection detection() const noexcept final { return detection_; }
  bool log_verdict(const fs::path& logs_dir, const std::string& native_id,
                   TaskOutcome& out) const noexcept final;
  fs::path log_file(const fs::path& logs_dir, const std::string& native_id) const noexcept final;
  Status resource_limits(const BatchRequest& request, ResourceLimits& out) noexcept final;
  bool holds_batches() const noexcept final { return !hold_flags_.empty() && !release_client_.empty(); }
  Status held_batch_commands(const std::vector<std::string>& native_ids,
                             HeldBatchCommands& out) const noexcept final;

  /// Where every command goes (the system's runner unless a test lends one).
  void use_runner(ProcessRunner& runner) { runner_ = &runner; }

  /// The submit calls render() and submit() make for `request`.
  std::vector<batch::Chunk> plan(const BatchRequest& request) const;

 protected:
  // ---- the dialect's data, set in its constructor or configure_dialect()
  Detection detection_;  ///< `{"sbatch", "Slurm"}`
  const char* script_template_ = "";
  std::vector<batch::DirectiveRule> directives_;
  batch::ArrayIds array_ids_ = batch::ArrayIds::contiguous;
  uint64_t array_limit_ = 1000;                  ///< most task ids in one array
  bool single_runs_as_jobs_ = false;             ///< PBS Pro: `-J` needs two indices
  std::string task_separator_ = "_";             ///< Slurm `4711_3`, Grid Engine `4711.3`, LSF `4711[3]`
  std::string task_suffix_ = "";                 ///< LSF `]`
  std::string submitted_state_ = "";             ///< the native state of a job just taken (`PENDING`)
  std::vector<std::string> transient_messages_;  ///< what the client says when its server did not answer
  unsigned submit_retries_ = 0;                  ///< retries of a transient failure (`submit-attempts` - 1)
  double retry_delay_ = 2;  ///< seconds before the first retry, doubling (`submit-retry-delay`)
  /// Seconds the scheduler's listing may lag behind a submit it took (Grid
  /// Engine's qstat, under load): every look-up after a failed submit waits
  /// at least this long, unless `submit-retry-delay` is 0 (no waiting at all).
  double lookup_delay_ = 0;
  std::chrono::milliseconds client_timeout_{std::chrono::seconds(120)};  ///< from `client-timeout`
  int64_t submitted_after_ = 0;  ///< kSubmittedAfterOption (seconds since the epoch); 0: unknown
  std::string cancel_client_;    ///< `scancel`: cancel_argv() is it and the ids
  /// Words after the submit client that submit a batch held
  /// (BatchRequest::hold; Slurm `--hold`); empty: the dialect cannot hold.
  Argv hold_flags_;
  /// The command that releases held jobs (Slurm `scontrol release`):
  /// release_argv() is it and the ids.
  Argv release_client_;
  /// How the unknown-resource error tells to write anything else (default `<prefix>.<option>`).
  std::string extra_resources_;
  std::vector<std::string> notes_;  ///< warnings every render shows (an assumed limit)
  /// The scheduler's messages in a job's log and the state each means, most
  /// specific first (Slurm: `DUE TO TIME LIMIT` -> timeout); looked for in
  /// the log's first and last 64 KiB (LSF writes its job report before or
  /// after the output, as LSB_STDOUT_DIRECT says).
  std::vector<std::pair<std::string, JobState>> log_messages_;

  // ---- the dialect's answers
  /// Reads the dialect's own options and fills the data above.
  virtual void configure_dialect(const OptionReader& options) = 0;
  /// One directive, from its rule and the value the rule's unit read.
  virtual std::string spell(const batch::DirectiveRule& rule, const std::string& value) const = 0;
  /// A `<prefix>.<option>` resource as a directive.
  virtual std::string extra_directive(const std::string& option, const std::string& value) const = 0;
  /// Directives before / after the table's (PBS's select line; Slurm's default output).
  virtual std::vector<std::string> leading_directives(const BatchRequest&) const { return {}; }
  virtual std::vector<std::string> trailing_directives(const BatchRequest&) const { return {}; }
  /// Resources the leading directives or the job name use up.
  virtual bool consumes(const std::string& resource) const { return resource == "job_name"; }
  /// Extra template values (`job_name`, ...).
  virtual void add_template_values(const BatchRequest& request, TemplateValues& values) const = 0;
  /// Warnings about the plan (Slurm: the arrays a sweep was cut into).
  virtual void plan_notes(const BatchRequest&, const std::vector<batch::Chunk>&,
                          std::vector<std::string>&) const {}

  /// The submit command of one chunk (its throttle `chunk.max_running`; when
  /// `chunk.after` is set, it must start after the job `chunk.after_id` has
  /// ended, whatever its end: Slurm `--dependency=afterany:<id>`), and the
  /// file it reads on stdin (LSF).
  virtual Argv submit_argv(const BatchRequest& request, const batch::Chunk& chunk) const = 0;
  virtual fs::path submit_stdin(const BatchRequest&) const { return {}; }
  /// The job id in a submit call's successful answer; nullopt when it has none.
  virtual std::optional<std::string> job_id(const std::string& printed) const = 0;
  /// An array's tasks from the id its submit call printed (PBS: `12[].srv`).
  virtual SubmittedArray array_of(const std::string& id, const batch::Chunk& chunk) const;
  /// A failure worth retrying (the controller did not answer): by default, a
  /// message holding one of `transient_messages_` (any case). A client that
  /// did not answer within the client timeout is always one.
  virtual bool is_transient(const std::string& message) const;
  /// The id a submit call would have printed for the job or array that a
  /// tagged_jobs() row belongs to (the base adopts it when the call's answer
  /// was lost): job_of(row.id) unless a dialect spells arrays otherwise (PBS: `12[].srv`).
  virtual std::string submitted_id(const batch::JobRow& row) const { return job_of(row.id); }

  /// The bulk status command for the jobs (arrays) `jobs`, and its reader.
  virtual Argv status_argv(const std::set<std::string>& jobs) const = 0;
  virtual std::vector<batch::JobRow> parse_status(const ProcessResult& answer) const = 0;
  /// The jobs (arrays) `jobs` that the queue no longer shows, as accounting
  /// has them, in one call (Slurm: sacct, Grid Engine: qacct); rows carry
  /// their `source`. None when the scheduler keeps no accounting.
  virtual std::vector<batch::JobRow> accounting(const std::set<std::string>&) { return {}; }
  /// The name, in the sweep's logs/, of the file where the scheduler writes
  /// its own messages about the job `native_id` (Slurm `slurm-4711_3.out`, LSF
  /// `lsf-4711_3.out`); empty: the scheduler writes none there (no log verdicts).
  virtual std::string log_name(const std::string&) const { return {}; }
  /// Every job of the user with its tag, for find().
  virtual std::vector<batch::JobRow> tagged_jobs() = 0;
  /// resource_limits(): the limits of where `request` would run, asked of the
  /// scheduler's client; none by default. Throws on a failed call.
  virtual ResourceLimits limits(const BatchRequest&) const { return {}; }

  virtual Argv cancel_argv(const std::vector<std::string>& native_ids) const;
  /// release_client_ and the ids (Slurm's `scontrol release` takes them comma-separated).
  virtual Argv release_argv(const std::vector<std::string>& native_ids) const;
  /// True when `answer` means the jobs are cancelled or were already gone.
  virtual bool cancelled(const ProcessResult& answer) const { return answer.ok(); }

  // ---- services for dialects
  /// Runs `argv` through the runner within the client timeout; a failure to
  /// start or a timeout is a std::runtime_error naming the command.
  ProcessResult call(const Argv& argv, const fs::path& stdin_file = {}) const;
  /// A site limit read by `command` with `pattern` (one capture group), or
  /// `fallback` with a note saying so (the note names `option` to set it).
  uint64_t probe_limit(const Argv& command, const std::string& pattern, uint64_t fallback,
                       const std::string& setting, const std::string& option);
  /// The job name the user set (`resources.job_name`, `given`), else the sweep's name.
  static std::string job_name_of(const BatchRequest& request, bool& given);
  /// The name of the user jobsub runs as (the owner of the jobs it asks about).
  static std::string user_name();
  /// The array id part of a native id (`4711_3` -> `4711`).
  std::string job_of(const std::string& native_id) const;
  /// `<prefix>`: as in `--slurm.x`.
  const std::string& prefix() const { return prefix_; }
  const std::string& display_name() const { return display_name_; }

 private:
  std::vector<std::string> directives(const BatchRequest& request) const;
  /// submit_argv() with hold_flags_ after the client when the request holds its jobs.
  Argv chunk_argv(const BatchRequest& request, const batch::Chunk& chunk) const;
  std::string read_value(const batch::DirectiveRule& rule, const std::string& value) const;
  /// Sends one chunk: retries and the look-up before each (see the class comment).
  Status submit_chunk(const BatchRequest& request, const batch::Chunk& chunk, SubmitContext& context,
                      std::string& id);
  /// The id under which the scheduler holds chunk `offset` of batch `token`,
  /// or nullopt; throws when the scheduler cannot be asked.
  std::optional<std::string> taken(const std::string& token, uint64_t offset);

  std::span<const jobsub_option_info> options_;
  std::string display_name_;
  std::string prefix_;
  ProcessRunner* runner_;
};

}  // namespace jobsub
