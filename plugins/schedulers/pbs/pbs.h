#pragma once
// PBS in its two dialects as a dialect of the batch-scheduler base: PBS Pro /
// OpenPBS (`-l select=...`, `-J` arrays, `qstat -f -F json`) and Torque (`-l
// nodes=N:ppn=P`, `-t` arrays with a `%K` throttle, `qstat -f` text), chosen
// by --pbs.dialect or told by `qstat --version`. One `qsub` per contiguous
// run of jobs; the job number is the array index plus JOBSUB_OFFSET, passed
// with `-v` (PBS passes no script arguments), which also carries the batch
// token for find().
//
// No PBS can be installed on the machines this is built on: the tests drive it
// with golden scripts, answers written from PBS's documentation (not captured
// from a real PBS) and a fake qsub/qstat/qdel (tests/e2e/fake_pbs.py).
#include <jobsub/batch_scheduler.h>

#include <string>
#include <vector>

namespace jobsub::pbs {

inline constexpr jobsub_option_info kOptions[] = {
    {"dialect", "DIALECT", "auto", "pro (PBS Pro, OpenPBS), torque, or auto: told by qstat --version"},
    {"array-limit", "N", "10000", "most tasks in one array (the server's max_array_size)"},
    batch::kSubmitAttemptsOption,
    batch::kSubmitRetryDelayOption,
    batch::kClientTimeoutOption,
    batch::kSubmitRetriesOption,
    batch::kRetryDelayOption,
};

enum class Dialect { pro, torque };

/// A `#PBS` value: PBS reads them as words, so no space, quote or newline
/// (std::invalid_argument).
std::string directive_value(const std::string& value, const std::string& what);

/// A job name PBS takes: a letter first, then letters, digits, `_ - .`, at most 15.
std::string job_name(const std::string& name, bool given);

/// A job's state letter and exit status (`has_exit`) as jobsub's state.
JobState state_of(const std::string& state, bool has_exit, int exit);

/// Every job of `qstat -f -F json` (PBS Pro) or `qstat -f` (Torque), with
/// Variable_List as the tag. Throws on output it cannot read.
std::vector<batch::JobRow> parse_qstat_json(const std::string& text);
std::vector<batch::JobRow> parse_qstat_text(const std::string& text);

class PbsScheduler final : public BatchScheduler {
 public:
  PbsScheduler();

 protected:
  void configure_dialect(const OptionReader& options) override;
  std::string spell(const batch::DirectiveRule& rule, const std::string& value) const override;
  std::string extra_directive(const std::string& option, const std::string& value) const override;
  std::vector<std::string> leading_directives(const BatchRequest& request) const override;
  bool consumes(const std::string& resource) const override;
  void add_template_values(const BatchRequest& request, TemplateValues& values) const override;
  Argv submit_argv(const BatchRequest& request, const batch::Chunk& chunk) const override;
  std::optional<std::string> job_id(const std::string& printed) const override;
  SubmittedArray array_of(const std::string& id, const batch::Chunk& chunk) const override;
  std::string submitted_id(const batch::JobRow& row) const override;
  Argv status_argv(const std::set<std::string>& jobs) const override;
  std::vector<batch::JobRow> parse_status(const ProcessResult& answer) const override;
  std::vector<batch::JobRow> tagged_jobs() override;

 private:
  Dialect dialect() const;
  std::vector<batch::DirectiveRule> rules() const;
  mutable Dialect dialect_ = Dialect::pro;
  mutable bool detect_ = false;  ///< when first needed: `template show` needs no PBS
};

}  // namespace jobsub::pbs
