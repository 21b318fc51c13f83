#pragma once
/// The submit pipeline: layout -> sweeper -> formatter -> command -> scheduler
/// -> records. The core drives it; every stage is a plugin.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/registry.h"
#include "jobsub/spec.h"

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
  std::vector<std::string> command_line;  ///< for provenance
};

/// The user's answer to `Submit (i/N): <args>? (y/n/all/exit)`.
enum class Answer { yes, no, all, exit };

class Prompter {
 public:
  virtual ~Prompter() = default;
  virtual Answer ask(uint64_t job, uint64_t job_count, const std::string& args) = 0;
};

struct SubmitOutcome {
  fs::path results_dir;  ///< empty for --dry-run
  uint64_t jobs = 0;
  uint64_t submitted = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t cancelled = 0;
  uint64_t lost = 0;
  bool interrupted = false;
  int exit_code = 0;
};

/// Runs the whole pipeline. `prompter` == nullptr submits every job without
/// asking (--yes). Progress and warnings go to `out`; failures throw Error,
/// having first removed a results directory that nothing was submitted from.
JOBSUB_API SubmitOutcome run_submit(const PluginRegistry& registry, const SubmitRequest& request,
                                    Prompter* prompter, std::ostream& out);

/// Installs SIGINT/SIGTERM handlers that only set a flag (no SA_RESTART, so
/// blocking calls return EINTR). Idempotent; call it again to take the
/// signals back from code that handled them itself (asio::signal_set).
JOBSUB_API void install_interrupt_handler();
JOBSUB_API bool interrupt_requested();
/// Sets the flag, as the handler does: for code that caught the signal itself.
JOBSUB_API void request_interrupt() noexcept;

}  // namespace jobsub
