#pragma once
/// A sweep's jobs, computed one at a time: job i's params (the sweeper's),
/// argv (the formatter's) and command line. Nothing is held per job.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/results_layout.h"

namespace jobsub {

namespace fs = std::filesystem;

class JOBSUB_API SweepPlan {
 public:
  /// `sweeper` is configured; `sweeper_stage` and `formatter_stage` name them
  /// in messages (`sweeper 'grid'`).
  SweepPlan(const Sweeper& sweeper, const Formatter& formatter, std::string sweeper_stage,
            std::string formatter_stage, std::string command_template, fs::path program);

  uint64_t size() const { return size_; }
  const std::string& command_template() const { return command_template_; }
  /// Job `job` (1-based). Throws Error naming the stage that failed.
  void job(uint64_t job, Params& params, Argv& args) const;
  /// The command line of a job with these arguments.
  std::string command_line(const Argv& args) const;

  /// The SHA-256 of the program file (empty without one): part of every job's hash.
  const std::string& program_sha256() const { return program_sha256_; }
  uint64_t hash(const Params& params, const Argv& args) const;

  /// Streams `commands`, `params.jsonl`, `argv.jsonl` and `tasks.idx` into
  /// `dir` (see records.h), calling `each(job, job_hash)` for every job.
  /// Checks the interrupt flag as it goes: Error(130) when set.
  void write(const ResultsLayout& results,
             const std::function<void(uint64_t job, uint64_t hash)>& each) const;

 private:
  const Sweeper& sweeper_;
  const Formatter& formatter_;
  std::string sweeper_stage_, formatter_stage_;
  std::string command_template_;
  fs::path program_;
  std::string program_sha256_;
  uint64_t size_;
};

}  // namespace jobsub
