#pragma once
/// A sweep's results directory: the one place its layout is spelled, for the
/// core, the commands, the schedulers and the task body alike.
///
///   <dir>/sweep.json  jobsub.yaml  jobs.tsv  submissions.jsonl  batch-<N>.sh  logs/
///         commands  params.jsonl  argv.jsonl  tasks.idx       (job files)
///         jobs/<NNN>/  stdout  stderr  exit_code  params.json  argv.json  started  metrics.jsonl
///         jobs/<NNN>.attempt-<K>/                              (an earlier attempt)
///
/// <NNN> is the job number, zero-padded to at least 4 digits and to the width
/// of the sweep's job count (`jobs/0007` of 120 jobs, `jobs/000007` of
/// 123456), so job directories sort in job order.
#include <cstdint>
#include <filesystem>
#include <string>

#include "jobsub/export.h"

namespace jobsub {

namespace fs = std::filesystem;

/// File names inside a job's directory (the task body writes them).
namespace job_files {
inline constexpr const char* kStdout = "stdout";
inline constexpr const char* kStderr = "stderr";
inline constexpr const char* kExitCode = "exit_code";  ///< the job's exit code, written last
inline constexpr const char* kParams = "params.json";
inline constexpr const char* kArgv = "argv.json";
/// When the job started: seconds since the epoch (bash's $EPOCHREALTIME; whole
/// seconds from `date +%s` on a bash older than 5).
inline constexpr const char* kStarted = "started";
/// What `$JOBSUB_METRICS` names: the job's metrics, JSON lines (metrics.h).
inline constexpr const char* kMetrics = "metrics.jsonl";
/// Written when an init command failed (the job then fails before its
/// program starts): the command's exit status on the first line, the
/// command's first line on the second.
inline constexpr const char* kInitFailed = "init_failed";
/// Made by the local scheduler for a job cancelled while it waited in a
/// worker's input: the worker then does not run it (exit 143).
inline constexpr const char* kCancelled = "cancelled";
/// Written by the local scheduler for a job it gave GPUs: one line per GPU,
/// `<index> <uuid>` as nvidia-smi names it (the job's CUDA_VISIBLE_DEVICES
/// holds the UUIDs).
inline constexpr const char* kGpus = "gpus";
/// Written by a canary's script (`--canary --detach`) when it decides for the
/// jobs held behind it: `released` or `cancelled`; made once, so a requeued
/// canary decides nothing again.
inline constexpr const char* kCanaryDecision = "canary_decision";
}  // namespace job_files

/// `0042`: the name of job `job`'s directory in a sweep of `job_count` jobs.
JOBSUB_API std::string job_dir_name(uint64_t job, uint64_t job_count);
/// The digits of that name: max(4, the digits of `job_count`).
JOBSUB_API int job_dir_width(uint64_t job_count);

class JOBSUB_API ResultsLayout {
 public:
  /// `dir`: the sweep's results directory; `job_count`: its jobs (>= 1).
  ResultsLayout(fs::path dir, uint64_t job_count) : dir_(std::move(dir)), job_count_(job_count) {}

  const fs::path& dir() const { return dir_; }
  uint64_t job_count() const { return job_count_; }

  fs::path sweep_record() const { return dir_ / "sweep.json"; }        ///< settings, plugins, provenance
  fs::path spec_copy() const { return dir_ / "jobsub.yaml"; }          ///< the spec as it was
  fs::path jobs_table() const { return dir_ / "jobs.tsv"; }            ///< job state exit_code native_id
  fs::path submissions() const { return dir_ / "submissions.jsonl"; }  ///< each scheduler call, a line
  fs::path logs() const { return dir_ / "logs"; }                      ///< the scheduler's own logs
  fs::path commands() const { return dir_ / "commands"; }              ///< line i: job i's command
  fs::path params() const { return dir_ / "params.jsonl"; }            ///< line i: job i's params
  fs::path argv() const { return dir_ / "argv.jsonl"; }                ///< line i: job i's argv
  fs::path task_index() const { return dir_ / "tasks.idx"; }           ///< byte offsets, see task_files.h
  /// `batch-3.sh` for the batch named `batch-3`.
  fs::path batch_script(const std::string& batch_name) const { return dir_ / (batch_name + ".sh"); }

  fs::path jobs() const { return dir_ / "jobs"; }
  /// `jobs/0007`: job `job` (1-based).
  fs::path job_dir(uint64_t job) const;
  fs::path job_file(uint64_t job, const char* name) const { return job_dir(job) / name; }
  /// `jobs/0007.attempt-2`: where attempt `attempt` of a job is kept once a resubmit starts the next.
  fs::path attempt_dir(uint64_t job, int attempt) const;

 private:
  fs::path dir_;
  uint64_t job_count_;
};

}  // namespace jobsub
