#pragma once
/// The one process runner, on Boost.Process: no shell in between, argv passed
/// as is, children start with default signal handling and nothing blocked.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
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

/// Starts `argv` (PATH is searched) with stdin from /dev/null and returns its
/// pid without waiting: the caller owns the child and must reap it
/// (waitpid). Throws Error when it cannot start.
JOBSUB_API pid_t spawn_process(const Argv& argv, const SpawnOptions& options);

struct ProcessResult {
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;  ///< killed (SIGKILL) because it ran past RunOptions::timeout
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0; }
};

struct RunOptions {
  fs::path cwd;         ///< empty: inherit
  fs::path stdin_file;  ///< the child's standard input; empty: /dev/null
  /// Wall-clock limit; 0 = none. Past it the child and what it started in
  /// its process group get SIGKILL, the result says timed_out, and what it
  /// printed until then is kept. (A child that exited while something it
  /// left in the background holds its output open is not a timeout: its
  /// answer is read for a second more, then taken.)
  std::chrono::milliseconds timeout{0};
};

/// Runs `argv` to completion (PATH is searched, no shell in between),
/// capturing both streams (no deadlock however much either carries). Throws
/// Error when it cannot start (e.g. not on PATH).
JOBSUB_API ProcessResult run_process(const Argv& argv, const RunOptions& options = {});

/// The seam every scheduler client call goes through: the system's runner
/// in production (run_process), a scripted one in tests.
class JOBSUB_API ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  /// As run_process(): throws Error when `argv[0]` cannot be started.
  virtual ProcessResult run(const Argv& argv, const RunOptions& options) = 0;
};

/// The runner that starts real processes (run_process).
JOBSUB_API ProcessRunner& system_process_runner();

/// Exit code of a waitpid() status: the code, or 128+signal as a shell reports it.
JOBSUB_API int exit_code_of(int wait_status);

/// For a child between fork and exec (Boost.Process's on_exec_setup): unblocks
/// every signal and restores the default action of those jobsub handles or
/// ignores, so a job is not born deaf to Ctrl-C. Async-signal-safe.
JOBSUB_API void reset_signals_in_child() noexcept;

/// Sets environment variables in this process for its lifetime, restoring
/// the old values after, so that a child started meanwhile inherits them.
/// (Boost.Process 1.74's environment::operator[] reads past the end of
/// shorter entries: AddressSanitizer reports it. This avoids it.) Like
/// setenv itself, not for use while another thread starts processes.
class JOBSUB_API ScopedEnvironment {
 public:
  explicit ScopedEnvironment(const std::vector<std::pair<std::string, std::string>>& values);
  ~ScopedEnvironment();
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> old_;
};

/// The path of `program`: as given when it holds a `/`, else found on PATH.
/// Throws Error when there is no such executable.
JOBSUB_API fs::path find_program(const std::string& program);

/// This machine's host name (what a batch record and a site profile name it by).
JOBSUB_API std::string host_name();

/// True when process `pid` on this host is a running jobsub other than this
/// one (a batch recorded with its pid may still be in its hands).
JOBSUB_API bool is_running_jobsub(long pid);

}  // namespace jobsub
