#pragma once
/// A sweep's results directory and what is written into it.
#include <chrono>
#include <filesystem>
#include <string>

#include "jobsub/export.h"
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

/// Writes `text` to `path` through a temporary file and a rename, so a reader
/// never sees half a file.
JOBSUB_API void write_file_atomically(const fs::path& path, const std::string& text);

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

}  // namespace jobsub
