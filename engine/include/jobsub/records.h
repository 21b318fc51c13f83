#pragma once
/// A sweep's results directory and what is written into it.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/task_files.h"
#include "jobsub/value.h"

namespace jobsub {

namespace fs = std::filesystem;

/// Creates `<root>/<sweep_name>/<YYYY-MM-DD_HH-MM-SS>` with one atomic mkdir;
/// if that name is taken (two sweeps in one second), `_2`, `_3`, ... follow.
/// Never returns a directory that existed before.
JOBSUB_API fs::path create_results_dir(const fs::path& root, const std::string& sweep_name,
                                       std::chrono::system_clock::time_point when);

/// The name the next create_results_dir would try first (for --dry-run).
JOBSUB_API fs::path planned_results_dir(const fs::path& root, const std::string& sweep_name,
                                        std::chrono::system_clock::time_point when);

/// One job's params as a JSON object in declared key order, one line. Numbers,
/// booleans and null keep their literal text where JSON allows it; anything
/// else is a JSON string of the exact text.
JOBSUB_API std::string params_to_json(const Params& params);
/// A JSON array of strings, one line.
JOBSUB_API std::string argv_to_json(const Argv& argv);

/// The project's git commit and whether its tree has uncommitted changes.
struct GitState {
  bool is_repo = false;
  std::string commit;
  bool dirty = false;
};
JOBSUB_API GitState read_git_state(const fs::path& dir);

/// One line of jobs.tsv.
struct JobsTableRow {
  JobState state = JobState::pending;
  int exit_code = -1;  ///< -1: unknown (an empty cell)
  std::string native_id;
};
/// Writes `<results_dir>/jobs.tsv` (atomically): a header, then `row(job)` for
/// jobs 1..job_count as `job state exit_code native_id`, tab-separated.
JOBSUB_API void write_jobs_table(const fs::path& results_dir, uint64_t job_count,
                                 const std::function<JobsTableRow(uint64_t job)>& row);

/// The SHA-256 of a file's bytes as 64 hex digits (what `sha256sum` prints),
/// or empty when it cannot be read. sweep.json records each plugin's, so a
/// sweep says exactly which build of a plugin made it.
JOBSUB_API std::string file_sha256(const fs::path& file);

/// A job's identity across sweeps: the first 64 bits of the SHA-256 of its
/// params (as params.jsonl writes them), its command line and, when the sweep
/// has a program file, that file's SHA-256 (so an edited program runs again).
JOBSUB_API uint64_t job_hash(const std::string& params_json, const std::string& command,
                             const std::string& program_sha256 = "");

}  // namespace jobsub
