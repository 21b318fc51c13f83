#pragma once
// Slurm as a dialect of the batch-scheduler base: `#SBATCH --x=v` directives,
// `sbatch --parsable --array=...` (one script for every chunk: the job number
// is SLURM_ARRAY_TASK_ID plus the script's argument), one `squeue` per query,
// the batch token in `--comment`, `scancel`. Nothing goes through --export: a
// variable list there makes slurmd load the user's login environment (su -)
// before every task, seconds per task.
#include <jobsub/batch_scheduler.h>

#include <string>
#include <vector>

namespace jobsub::slurm {

inline constexpr jobsub_option_info kOptions[] = {
    {"gpu-directive", "STYLE", "gres", "GPUs as gres (--gres=gpu:N) or gpus (--gpus=N)"},
    {"max-array-size", "N", nullptr, "largest array Slurm accepts (default: MaxArraySize from scontrol)"},
    batch::kSubmitAttemptsOption,
    batch::kSubmitRetryDelayOption,
    batch::kClientTimeoutOption,
    batch::kSubmitRetriesOption,
    batch::kRetryDelayOption,
};

/// A `#SBATCH` value as Slurm 22.05 reads it: bare when plain, in single
/// quotes when it has none, else in double quotes with `\"`. A newline is an
/// error (std::invalid_argument).
std::string directive_value(const std::string& value);

/// Slurm's state names (squeue %T, sacct State) as jobsub's states.
JobState state_of(const std::string& slurm_state);

/// Rows of `squeue --noheader --array --format=%i|%T[|%k]`: `4711_3|RUNNING|tag`.
std::vector<batch::JobRow> parse_squeue(const std::string& out);

/// Rows of `sacct --noheader --parsable2 --allocations
/// --format=JobID,State,ExitCode`: `4711_3|TIMEOUT|0:0`, `4712|CANCELLED by 0|0:15`;
/// a row of tasks that never started (`4711_[5-9%2]`) is one row per task.
/// The exit code is the number before the colon (the signal after it). A
/// fourth field (`SubmitLine`) is the row's tag.
std::vector<batch::JobRow> parse_sacct(const std::string& out);

/// sacct's `--starttime` for jobs submitted after `submitted_after`
/// (seconds since the epoch; 0: unknown): that time less an hour for clock
/// skew, in the client's local time as sacct reads it, or `now-30days`.
std::string sacct_start(int64_t submitted_after);

/// The limits in `scontrol show partition --oneliner` (a line a partition)
/// of `partition`, or of the one with `Default=YES` when it is empty:
/// `MaxTime` (`UNLIMITED`, `1-00:00:00`, `02:00:00`) and `MaxMemPerNode`
/// (MB, or `UNLIMITED`). 0s when it is not there or sets no limit.
ResourceLimits parse_partition_limits(const std::string& out, const std::string& partition);

/// The job id of `sbatch --parsable` (`4711` or `4711;cluster`).
std::optional<std::string> parse_sbatch(const std::string& out);

class SlurmScheduler final : public BatchScheduler {
 public:
  SlurmScheduler();

 protected:
  void configure_dialect(const OptionReader& options) override;
  std::string spell(const batch::DirectiveRule& rule, const std::string& value) const override;
  std::string extra_directive(const std::string& option, const std::string& value) const override;
  std::vector<std::string> trailing_directives(const BatchRequest& request) const override;
  void add_template_values(const BatchRequest& request, TemplateValues& values) const override;
  void plan_notes(const BatchRequest& request, const std::vector<batch::Chunk>& chunks,
                  std::vector<std::string>& warnings) const override;
  Argv submit_argv(const BatchRequest& request, const batch::Chunk& chunk) const override;
  std::optional<std::string> job_id(const std::string& printed) const override {
    return parse_sbatch(printed);
  }
  Argv release_argv(const std::vector<std::string>& native_ids) const override;
  Argv status_argv(const std::set<std::string>& jobs) const override;
  std::vector<batch::JobRow> parse_status(const ProcessResult& answer) const override;
  std::vector<batch::JobRow> accounting(const std::set<std::string>& jobs) override;
  std::vector<batch::JobRow> tagged_jobs() override;
  std::string log_name(const std::string& native_id) const override;
  ResourceLimits limits(const BatchRequest& request) const override;

 private:
  uint64_t max_array_size_ = 0;  ///< Slurm's MaxArraySize: task ids are < it
  std::string limit_source_;     ///< `, from scontrol` or `, assumed`
};

}  // namespace jobsub::slurm
