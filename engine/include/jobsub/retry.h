#pragma once
/// Automatic retries (`submit --retries N`): a job that ends in one of the
/// policy's states (by default the infrastructure's: timeout, preempted,
/// node_fail) is sent again as its next attempt, with its time and memory
/// scaled (`--retry-scale time=2,mem=1.5`, per attempt, capped by the
/// partition's limits where the scheduler tells them), up to N times.
///
/// No jobsub runs in the background: the retries are carried out by whatever
/// jobsub next settles the sweep's jobs (`--wait`, `status`, `status
/// --watch`), so they happen after the submitting jobsub has exited. Each
/// retry is claimed in the state store in the transaction that starts the
/// job's next attempt (Store::claim_retries), so two jobsubs settling one
/// sweep never send the same job twice; a claim whose jobsub stopped before
/// sending it is taken over by the next one on its host.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/store.h"

namespace jobsub {

namespace fs = std::filesystem;
class PluginRegistry;

struct RetryPolicy {
  unsigned retries = 0;                 ///< extra attempts a job at most; 0: no automatic retries
  std::vector<JobState> on;             ///< the states retried (default_retry_states())
  std::map<std::string, double> scale;  ///< `time`, `mem`: factor per attempt (>= 1)
  uint64_t max_total = 0;               ///< retries of the whole sweep at most; 0: no cap
  bool enabled() const { return retries > 0; }
};

/// timeout, preempted, node_fail: what the infrastructure did, not the
/// program. Not `lost` (without accounting a lost job may have run) and not
/// `failed` (the program's own exit code): those only when named.
JOBSUB_API const std::vector<JobState>& default_retry_states();

/// `--retry-on timeout,failed`: state names as `status` writes them. Throws
/// Error (exit 2) naming the word and the states it may be, and for
/// `cancelled` (a cancel is on purpose).
JOBSUB_API std::vector<JobState> parse_retry_states(const std::string& text);

/// `--retry-scale time=2,mem=1.5`: the resources `time` and `mem`, each with
/// a factor from 1 to 100. Throws Error (exit 2) saying what is wrong.
JOBSUB_API std::map<std::string, double> parse_retry_scale(const std::string& text);

/// The policy as sweep.json keeps it (its `retry` object), JSON text.
JOBSUB_API std::string retry_policy_json(const RetryPolicy& policy);
/// The policy the sweep in `results_dir` recorded; disabled when none.
JOBSUB_API RetryPolicy recorded_retry_policy(const fs::path& results_dir);

/// One line for people: `up to 2 retries a job on timeout, preempted, node_fail; time x2 per attempt`.
JOBSUB_API std::string describe(const RetryPolicy& policy);

/// The automatic retries a sweep has had, from Store::retry_claims().
struct RetryTally {
  std::map<uint64_t, unsigned> per_job{};  ///< job -> its retries
  uint64_t total = 0;                      ///< the sweep's
  unsigned of(uint64_t job) const {
    const auto it = per_job.find(job);
    return it == per_job.end() ? 0 : it->second;
  }
};
JOBSUB_API RetryTally tally_retries(const std::vector<RetryClaim>& claims);

/// The automatic retries `job` may still have: the policy's `retries` less
/// its own so far (a `resubmit` in between does not count: it was not
/// automatic), and none once the sweep's `max_total` is reached when
/// `with_sweep_cap`.
JOBSUB_API unsigned retries_left(const JobRecord& job, const RetryPolicy& policy, const RetryTally& tally,
                                 bool with_sweep_cap = true);

/// True when `job` ended in one of the policy's states and has retries left.
JOBSUB_API bool retry_due(const JobRecord& job, const RetryPolicy& policy, const RetryTally& tally);

/// The resources of a job's next attempt: each resource of `scale` that
/// `previous` sets, times its factor (time rounded up to the second, memory
/// to the MiB), and no more than `limits` (0: none); a resource `previous`
/// does not set stays unset (the scheduler's default is not known to scale).
/// `changes` gets a line per resource: `time 1:00:00 -> 2:00:00`, with
/// `(capped at partition debug's MaxTime)` where the limit stopped it.
/// Throws Error (bad spec) for a value that is not a duration or size.
JOBSUB_API std::map<std::string, std::string> scaled_resources(
    const std::map<std::string, std::string>& previous, const std::map<std::string, double>& scale,
    const ResourceLimits& limits, std::vector<std::string>& changes);

/// Sends the due retries of `sweep` (what `status`, `status --watch` and
/// `--wait` do after each settling pass): claims them in the store, then
/// submits the claimed jobs as their next attempts with scaled resources,
/// without asking; again while jobs are due (the local scheduler ends its
/// jobs before it returns). Nothing when the sweep recorded no policy. What
/// it does is said on `out`; a submission that fails is said there too (its
/// jobs stay claimed and not submitted: the next settling jobsub sends them).
/// Returns the jobs sent.
JOBSUB_API std::vector<uint64_t> perform_due_retries(const PluginRegistry& registry,
                                                     const fs::path& experiment, const SweepSummary& sweep,
                                                     std::ostream& out);

}  // namespace jobsub
