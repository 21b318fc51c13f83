#pragma once
// How the local scheduler holds a job to `resources.mem`: a memory cgroup of
// its own per worker where jobsub may create one (cgroup v2 `memory.max`, or
// v1 `memory.limit_in_bytes` as root), where the kernel's OOM killer stops
// the job at the limit; else a watchdog that samples the resident memory of
// the worker's process group and stops the job once it is over.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace jobsub::local {

/// A memory cgroup for one worker, removed with it.
class MemoryCgroup {
 public:
  /// Creates `jobsub-<pid>-<name>` under jobsub's own memory cgroup (read from
  /// /proc/self/cgroup and /proc/self/mountinfo) with a limit of `mib` MiB
  /// (swap included where the kernel counts it). Returns nullptr, with the
  /// reason in `why_not`, where jobsub may not (no memory controller, not
  /// root, a cgroup v2 parent that does not delegate `memory`).
  static std::unique_ptr<MemoryCgroup> create(const std::string& name, uint64_t mib, std::string& why_not);
  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;
  /// Removes the cgroup (it is empty once the worker's processes are gone;
  /// one still busy is left and named on stderr).
  ~MemoryCgroup();

  /// Moves process `pid` (and the children it starts from then on) into it.
  /// Throws std::runtime_error when the kernel refuses.
  void add(pid_t pid) const;
  /// How many processes the kernel's OOM killer has stopped in it
  /// (`oom_kill` of v1 memory.oom_control or v2 memory.events).
  uint64_t oom_kills() const;
  /// `cgroup v1 memory.limit_in_bytes` or `cgroup v2 memory.max`: for messages.
  const std::string& mechanism() const { return mechanism_; }
  const std::string& path() const { return path_; }

 private:
  MemoryCgroup(std::string path, bool v2);
  std::string path_;
  bool v2_;
  std::string mechanism_;
};

/// The resident memory of process group `pgid`, in MiB: the sum of its
/// processes' RSS (/proc/<pid>/stat), what the watchdog compares with the limit.
uint64_t group_resident_mib(pid_t pgid);

}  // namespace jobsub::local
