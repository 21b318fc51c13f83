#pragma once
/// What jobsub lends a command plugin (CommandContext::host): the plugins it
/// has installed and the sweeps an experiment has recorded, read and settled
/// the way `jobsub list` and `jobsub status` read and settle them. A command
/// built against the SDK alone reaches jobsub's records only through here.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "jobsub/interfaces.h"

namespace jobsub {

namespace fs = std::filesystem;

/// One installed plugin component, as `jobsub plugins` lists it.
struct InstalledPlugin {
  std::string kind;     ///< layout, sweeper, formatter, scheduler, command
  std::string name;     ///< what `--<kind>=` takes
  std::string summary;  ///< its one-line description
  std::string version;  ///< its plugin's version
  fs::path file;        ///< the .so it came from
};

/// One recorded sweep, as `jobsub list` shows it.
struct SweepInfo {
  std::string name;
  fs::path dir;         ///< its results directory, absolute
  std::string created;  ///< UTC, `2026-11-30T20:49:57Z`
  std::string scheduler;
  uint64_t job_count = 0;
  std::vector<std::pair<JobState, uint64_t>> states;  ///< state -> jobs, most first
};

/// One job of a sweep, as `jobsub status` shows it.
struct JobInfo {
  uint64_t job = 0;  ///< 1-based
  JobState state = JobState::pending;
  std::string native_state;  ///< the scheduler's own word (`PENDING`, `Eqw`), may be empty
  std::string native_id;     ///< empty when never submitted
  int exit_code = -1;        ///< -1 when unknown
  int attempt = 1;           ///< 1 for the first run, 2 after one resubmit, ...
};

class Host {
 public:
  virtual ~Host() = default;
  /// Every component of every loaded plugin, by kind then name.
  virtual Status plugins(std::vector<InstalledPlugin>& out) const noexcept = 0;
  /// The sweeps recorded for the experiment in `experiment_dir` (the
  /// directory of its spec), oldest first; none when it has no records yet.
  virtual Status sweeps(const fs::path& experiment_dir, std::vector<SweepInfo>& out) const noexcept = 0;
  /// The jobs of one sweep of the experiment, in job order. `which` picks the
  /// sweep as `jobsub status SWEEP` does: empty for the newest, else its name
  /// or its results directory; an unknown one is a failed Status naming the
  /// sweeps there are. With `settle`, jobs not yet final are first asked of
  /// the sweep's scheduler in one query, settled by their exit-code files and
  /// recorded (what one `jobsub status` does); a failed query is a failed
  /// Status. Without, the records as they are.
  virtual Status jobs(const fs::path& experiment_dir, const std::string& which, bool settle,
                      std::vector<JobInfo>& out) noexcept = 0;
};

}  // namespace jobsub
