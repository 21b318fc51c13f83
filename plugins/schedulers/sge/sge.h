#pragma once
// Grid Engine (Son of Grid Engine 8.1, as Debian packages it) as a dialect of
// the batch-scheduler base: `#$` directives, one `qsub -t 1-n` per run of at
// most max_aj_tasks jobs (the job number is SGE_TASK_ID plus the script's
// argument, as on Slurm), the batch token in the job context (`-ac
// jobsub=<token>:<offset>`, shown by `qstat -j`), states from one `qstat -g d`
// (one line per task), then `qacct` for jobs that left it, `qdel`.
#include <jobsub/batch_scheduler.h>

#include <map>
#include <string>
#include <vector>

namespace jobsub::sge {

inline constexpr jobsub_option_info kOptions[] = {
    {"parallel-environment", "PE", "smp", "the parallel environment that gives a job its cpus (-pe PE N)"},
    {"memory-resource", "NAME", "h_vmem", "the site's memory resource (-l NAME=...M; per slot)"},
    {"gpu-resource", "NAME", "gpu", "the site's GPU resource (-l NAME=N)"},
    {"max-array-tasks", "N", nullptr, "most tasks in one array (default: max_aj_tasks from qconf -sconf)"},
    batch::kSubmitAttemptsOption,
    batch::kSubmitRetryDelayOption,
    batch::kClientTimeoutOption,
    batch::kSubmitRetriesOption,
    batch::kRetryDelayOption,
};

/// A `#$` value: bare when plain, else in double quotes (qsub reads a path
/// with a space only quoted). A newline or quote is std::invalid_argument.
std::string directive_value(const std::string& value, const std::string& what);

/// A job name qsub takes (no space, '/', ':', '@', '\', '*', '?', quote or '$',
/// and not a digit first). `given`: a name the user chose must already be one.
std::string job_name(const std::string& name, bool given);

/// Grid Engine's state letters (`qw`, `r`, `hqw`, `Eqw`, `dr`) as jobsub's states.
JobState state_of(const std::string& sge_state);

/// Rows of `qstat -g d` (one per task), read by the header's column offsets.
std::vector<batch::JobRow> parse_qstat_tasks(const std::string& out);

/// Job number -> context (`jobsub=<token>:<offset>`) from `qstat -j '*'`.
std::map<std::string, std::string> parse_qstat_contexts(const std::string& out);

/// Each task's last accounting record in `qacct -j JOB` output: `failed` is
/// Grid Engine's own verdict (37: h_rt; 100: killed or deleted).
/// `job`: the job asked about (`qacct -j 12`); a record's own `jobnumber`, when it has one, wins.
std::vector<batch::JobRow> parse_qacct(const std::string& out, const std::string& job);

/// The limits in `qconf -sq QUEUE` output: `h_rt` (`INFINITY`, `HH:MM:SS`,
/// or seconds) as the time limit; `where` is `queue QUEUE`. Memory is left
/// unknown (Grid Engine counts it per slot, and sites name it differently).
ResourceLimits parse_queue_limits(const std::string& out, const std::string& queue);

/// The job id of `qsub -terse` (`4711` or `4711.1-10:1`).
std::optional<std::string> parse_qsub(const std::string& out);

class SgeScheduler final : public BatchScheduler {
 public:
  SgeScheduler();

 protected:
  void configure_dialect(const OptionReader& options) override;
  std::string spell(const batch::DirectiveRule& rule, const std::string& value) const override;
  std::string extra_directive(const std::string& option, const std::string& value) const override;
  void add_template_values(const BatchRequest& request, TemplateValues& values) const override;
  Argv submit_argv(const BatchRequest& request, const batch::Chunk& chunk) const override;
  std::optional<std::string> job_id(const std::string& printed) const override { return parse_qsub(printed); }
  Argv status_argv(const std::set<std::string>& jobs) const override;
  std::vector<batch::JobRow> parse_status(const ProcessResult& answer) const override;
  std::vector<batch::JobRow> accounting(const std::set<std::string>& jobs) override;
  std::vector<batch::JobRow> tagged_jobs() override;
  bool cancelled(const ProcessResult& answer) const override;
  ResourceLimits limits(const BatchRequest& request) const override;

 private:
  std::string pe_, memory_resource_, gpu_resource_;
};

}  // namespace jobsub::sge
