#pragma once
/// What `jobsub status` says of each job beyond its state: why one that
/// ended badly did, the last line it wrote to stderr, the parameters that
/// tell it apart, and runs of jobs and scheduler ids folded into ranges.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/results_layout.h"
#include "jobsub/store.h"

namespace jobsub {

/// True for a state a job ended badly in (failed, cancelled, timeout,
/// out_of_memory, node_fail, preempted, lost): the jobs `status` gives a line
/// each with their reason, and `resubmit` takes by default.
JOBSUB_API bool ended_badly(JobState state);

/// Why `job` ended badly, in a few words, from its record and its directory
/// in `results`: `exit 2`; `exit 137: killed by SIGKILL` (a shell's 128+N);
/// `init failed (exit 127): module load cuda/12.1` (the task body's
/// init_failed file); `time limit`, `out of memory`, `node failure`,
/// `preempted`; for a cancelled job `interrupted (Ctrl-C)` or the source of
/// the verdict (`(squeue)`), else nothing; `no exit code: gone from
/// the queue` for lost; `no exit code (sacct)` for a failure known only from
/// the scheduler. A verdict that rests on the scheduler names its
/// source: `time limit (sacct)`. Empty for a job that did not end badly.
JOBSUB_API std::string failure_reason(const JobRecord& job, const ResultsLayout& results);

/// The last non-blank line of job `job`'s stderr that is not jobsub's own
/// (`jobsub: ...`), cut to `width` characters (at most; an ellipsis marks a
/// cut); empty when there is none. Reads at most the file's last 64 KiB.
JOBSUB_API std::string last_stderr_line(const ResultsLayout& results, uint64_t job, std::size_t width = 100);

/// `4720_[5-48,50],4721_3`: scheduler ids with ranges where consecutive ones
/// share an array's id (the text before the last `_`); other ids as they are,
/// in the order given, joined by commas.
JOBSUB_API std::string fold_native_ids(const std::vector<std::string>& ids);

/// The params (params.jsonl) of the jobs in `wanted` (1-based, ascending),
/// each reduced to the keys whose values differ somewhere in the sweep, as
/// `key=value` words (values as JSON writes them, strings bare). Reads the
/// whole file once: about a second for a million jobs.
JOBSUB_API std::map<uint64_t, std::string> varying_params(const ResultsLayout& results,
                                                          const std::vector<uint64_t>& wanted);

}  // namespace jobsub
