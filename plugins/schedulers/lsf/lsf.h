#pragma once
// IBM Spectrum LSF as a dialect of the batch-scheduler base: `#BSUB`
// directives, `bsub < script` (LSF reads the directives only from a script on
// standard input) with the array and its throttle in `-J "name[1-n]%K"`, the
// job number as LSB_JOBINDEX plus JOBSUB_OFFSET (passed with `-env`), the
// batch token in the job description (`-Jd`), one `bjobs -a -o ...` query,
// `bkill`. Output formats follow IBM's LSF 10.1 command reference.
//
// No LSF can be installed on the machines this is built on: the tests drive it
// with a golden script, answers written from IBM's documentation (not
// captured from a real LSF) and a stand-in bsub/bjobs/bkill
// (tests/e2e/fake_lsf.py).
#include <jobsub/batch_scheduler.h>

#include <string>
#include <vector>

namespace jobsub::lsf {

inline constexpr jobsub_option_info kOptions[] = {
    {"array-limit", "N", "1000", "most tasks in one array (the cluster's MAX_JOB_ARRAY_SIZE)"},
    batch::kSubmitAttemptsOption,
    batch::kSubmitRetryDelayOption,
    batch::kClientTimeoutOption,
    batch::kSubmitRetriesOption,
    batch::kRetryDelayOption,
};

/// LSF's job states (bjobs STAT) and exit reason as jobsub's state.
JobState state_of(const std::string& stat, const std::string& exit_reason);

/// Rows of `bjobs -a -noheader -o "jobid jobindex stat exit_code exit_reason
/// job_description delimiter='|'"`.
std::vector<batch::JobRow> parse_bjobs(const std::string& out);

/// Records of `bacct -l JOB...`: each finished job or array element's
/// `Job <ID>` header and `Completed <done|exit>[; TERM_...: why]` event. LSF
/// wraps these lines at 79 columns, cutting anywhere (even inside `<EXIT>`),
/// and indents the rest by 21 spaces: the reader joins them first. bacct -l
/// shows no exit code, so rows carry none; source `bacct`. A requeued job
/// has a record per run: the last one is its row.
std::vector<batch::JobRow> parse_bacct(const std::string& out);

/// The job id in bsub's `Job <1234> is submitted to queue <normal>.`
std::optional<std::string> parse_bsub(const std::string& out);

class LsfScheduler final : public BatchScheduler {
 public:
  LsfScheduler();

 protected:
  void configure_dialect(const OptionReader& options) override;
  std::string spell(const batch::DirectiveRule& rule, const std::string& value) const override;
  std::string extra_directive(const std::string& option, const std::string& value) const override;
  void add_template_values(const BatchRequest& request, TemplateValues& values) const override;
  Argv submit_argv(const BatchRequest& request, const batch::Chunk& chunk) const override;
  fs::path submit_stdin(const BatchRequest& request) const override { return request.script_path; }
  std::optional<std::string> job_id(const std::string& printed) const override { return parse_bsub(printed); }
  Argv status_argv(const std::set<std::string>& jobs) const override;
  std::vector<batch::JobRow> parse_status(const ProcessResult& answer) const override;
  std::vector<batch::JobRow> accounting(const std::set<std::string>& jobs) override;
  std::vector<batch::JobRow> tagged_jobs() override;
  std::string log_name(const std::string& native_id) const override;
  bool cancelled(const ProcessResult& answer) const override;
};

}  // namespace jobsub::lsf
