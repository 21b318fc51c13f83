#pragma once
/// The one process runner: no shell in between, argv passed as is.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/value.h"

namespace jobsub {

namespace fs = std::filesystem;

struct SpawnOptions {
  fs::path cwd;                                          ///< empty: inherit
  std::vector<std::pair<std::string, std::string>> env;  ///< added to the inherited environment
  fs::path output_file;                                  ///< stdout+stderr appended here; empty: inherit
  bool new_process_group = false;                        ///< so the whole job tree can be signalled
};

/// Starts `argv` (PATH is searched). Throws Error when it cannot start.
JOBSUB_API pid_t spawn_process(const Argv& argv, const SpawnOptions& options);

struct ProcessResult {
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0; }
};

/// Runs `argv` to completion with stdin from /dev/null, capturing its output.
/// Throws Error when it cannot start (e.g. not on PATH).
JOBSUB_API ProcessResult run_process(const Argv& argv, const fs::path& cwd = {});

/// Exit code of a waitpid() status: the code, or 128+signal as a shell reports it.
JOBSUB_API int exit_code_of(int wait_status);

}  // namespace jobsub
