#pragma once
/// The submit pipeline: layout -> sweeper -> formatter -> command -> scheduler
/// -> records. The core drives it; every stage is a plugin.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/interrupt.h"
#include "jobsub/registry.h"
#include "jobsub/retry.h"
#include "jobsub/spec.h"
#include "jobsub/submitter.h"

namespace jobsub {

namespace fs = std::filesystem;

struct SubmitRequest {
  SweepSpec spec;                         ///< settings already merged (defaults..command line)
  bool dry_run = false;                   ///< print what would run; write nothing
  bool manual = false;                    ///< write scripts and records; submit nothing
  bool no_array = false;                  ///< one submission per job
  bool wait = false;                      ///< after submitting, wait until every job has ended
  double poll_seconds = 5;                ///< with wait: seconds between scheduler queries
  uint64_t max_jobs = 10'000'000;         ///< a larger sweep is refused before anything is written
  bool allow_no_args = false;             ///< let a command without {args} run more than one job
  bool rerun_completed = false;           ///< submit combinations that completed in earlier sweeps too
  std::vector<std::string> command_line;  ///< for provenance
  RetryPolicy retry{};                    ///< automatic retries (retry.h), kept in sweep.json
  /// `--canary[=DURATION]`: the first job (of each resource group) alone
  /// first, the rest once it completed or ran this many seconds without
  /// failing (0: once it completed). Empty: no canary.
  std::optional<uint64_t> canary_seconds{};
  /// With a canary, `--detach`: the rest is submitted at once, held, and the
  /// canary's own script releases or cancels it (Submitter::submit_canary_detached);
  /// jobsub follows nothing. Refused (exit 2) where the scheduler cannot hold jobs.
  bool canary_detach = false;
};

struct SubmitOutcome {
  fs::path results_dir;  ///< empty for --dry-run
  uint64_t jobs = 0;
  uint64_t submitted = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t cancelled = 0;
  uint64_t lost = 0;
  uint64_t skipped = 0;
  uint64_t retried = 0;  ///< automatic retries this run sent (retry.h)
  bool interrupted = false;
  int exit_code = 0;
};

/// Runs the whole pipeline. `prompter` == nullptr submits every job without
/// asking (--yes). Progress and warnings go to `out`; failures throw Error,
/// having first removed a results directory that nothing was submitted from.
JOBSUB_API SubmitOutcome run_submit(const PluginRegistry& registry, const SubmitRequest& request,
                                    Prompter* prompter, std::ostream& out);

/// More jobs of a recorded sweep: `submit --resume` (what an interrupted
/// submit did not submit), `resubmit` (jobs that ended in `states`, as new
/// attempts) or an automatic retry (`jobs`, whose next attempt the store
/// claimed: retry.h; with the sweep's recorded settings, scaled, no prompt).
struct FollowUpRequest {
  enum class Kind { resume, resubmit, retry };
  Kind kind = Kind::resume;
  fs::path experiment;
  std::string sweep;              ///< as choose_sweep() takes it; empty: the latest
  std::vector<JobState> states;   ///< resubmit: which jobs
  bool dry_run = false;           ///< say which jobs; change nothing
  bool force = false;             ///< resume a batch another host was submitting
  bool include_declined = false;  ///< resume: also the jobs answered `n` at a prompt
  /// `--resource KEY=VALUE` flags: above the spec and the first submit's flags.
  std::map<std::string, std::string> resources{};
  std::vector<uint64_t> jobs{};  ///< retry: the claimed jobs, ascending
  bool wait = false;
  double poll_seconds = 5;
};

JOBSUB_API SubmitOutcome run_follow_up(const PluginRegistry& registry, const FollowUpRequest& request,
                                       Prompter* prompter, std::ostream& out);

/// The states `resubmit` takes by default: every way a job can end badly.
JOBSUB_API const std::vector<JobState>& resubmittable_states();

class JobBook;
class ProgressView;
/// What a run reports, from the book; exit 130 after Ctrl-C, 1 when a job
/// failed or was cancelled, else 0.
JOBSUB_API SubmitOutcome outcome_of(const fs::path& results_dir, const JobBook& book);
/// The closing lines: how many of the jobs went, how they ended, and where.
JOBSUB_API void print_outcome(ProgressView& view, const SubmitOutcome& outcome, uint64_t submitted);

}  // namespace jobsub
