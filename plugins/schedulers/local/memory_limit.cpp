#include "memory_limit.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace jobsub::local {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Writes `text` in one write(2), as the kernel wants a cgroup file written.
bool write_control(const std::string& path, const std::string& text, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("cannot open {}: {}", path, std::strerror(errno));
    return false;
  }
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int saved = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    error = fmt::format("cannot write '{}' to {}: {}", text, path, std::strerror(saved));
    return false;
  }
  return true;
}

/// `key N` of a flat-keyed cgroup file.
uint64_t keyed_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  uint64_t value = 0;
  while (in >> k >> value)
    if (k == key) return value;
  return 0;
}

struct Hierarchy {
  std::string dir;  ///< jobsub's own cgroup, as a directory
  bool v2 = false;
};

/// jobsub's own memory cgroup: a v1 hierarchy with the memory controller, else
/// the v2 one.
bool own_memory_cgroup(Hierarchy& out, std::string& why_not) {
  std::string v1_path, v2_path;
  bool have_v1 = false, have_v2 = false;
  std::istringstream cgroups(read_text("/proc/self/cgroup"));
  std::string line;
  while (std::getline(cgroups, line)) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controllers.empty()) {
      have_v2 = true;
      v2_path = path;
    }
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == "memory") {
        have_v1 = true;
        v1_path = path;
      }
    }
  }
  std::istringstream mounts(read_text("/proc/self/mountinfo"));
  while (std::getline(mounts, line)) {
    // id parent major:minor root mount-point options ... - type source super-options
    std::istringstream f(line);
    std::string id, parent, dev, root, point, options, field, type, source, super;
    f >> id >> parent >> dev >> root >> point >> options;
    while (f >> field && field != "-") {
    }
    f >> type >> source >> super;
    const bool memory_v1 = type == "cgroup" && ("," + super + ",").find(",memory,") != std::string::npos;
    if ((have_v1 && memory_v1) || (!have_v1 && have_v2 && type == "cgroup2")) {
      std::string path = have_v1 ? v1_path : v2_path;
      if (root != "/" && path.rfind(root, 0) == 0) path = path.substr(root.size());
      out.dir = point + (path == "/" ? "" : path);
      out.v2 = !have_v1;
      return true;
    }
  }
  why_not = "no cgroup memory controller is mounted";
  return false;
}

}  // namespace

MemoryCgroup::MemoryCgroup(std::string path, bool v2)
    : path_(std::move(path)),
      v2_(v2),
      mechanism_(v2 ? "cgroup v2 memory.max" : "cgroup v1 memory.limit_in_bytes") {}

std::unique_ptr<MemoryCgroup> MemoryCgroup::create(const std::string& name, uint64_t mib,
                                                   std::string& why_not) {
  Hierarchy own;
  if (!own_memory_cgroup(own, why_not)) return nullptr;
  const std::string dir = fmt::format("{}/jobsub-{}-{}", own.dir, ::getpid(), name);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    why_not = fmt::format("cannot create the cgroup {}: {}", dir, std::strerror(errno));
    return nullptr;
  }
  std::unique_ptr<MemoryCgroup> cgroup(new MemoryCgroup(dir, own.v2));
  const std::string bytes = std::to_string(mib * 1024 * 1024);
  std::string error;
  if (own.v2) {
    if (::access((dir + "/memory.max").c_str(), F_OK) != 0) {
      // cgroup v2 lets a cgroup hand `memory` to its children only while it holds no process
      // itself, and jobsub is in it: only a cgroup made for it (a systemd scope with
      // Delegate=yes, whose leaf jobsub is not in) could.
      why_not = fmt::format(
          "jobsub's cgroup v2 {} does not give its children the memory controller (a cgroup that holds "
          "processes, as jobsub's does, cannot)",
          own.dir);
      return nullptr;
    }
    if (!write_control(dir + "/memory.max", bytes, error) ||
        (::access((dir + "/memory.swap.max").c_str(), F_OK) == 0 &&
         !write_control(dir + "/memory.swap.max", "0", error))) {
      why_not = error;
      return nullptr;
    }
  } else {
    if (!write_control(dir + "/memory.limit_in_bytes", bytes, error) ||
        (::access((dir + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0 &&
         !write_control(dir + "/memory.memsw.limit_in_bytes", bytes, error))) {
      why_not = error;
      return nullptr;
    }
  }
  return cgroup;
}

MemoryCgroup::~MemoryCgroup() {
  // Its processes are gone (the run settles only then), but the kernel may
  // take a moment to let go of the last one.
  for (int i = 0; i < 20; ++i) {
    if (::rmdir(path_.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fputs(fmt::format("jobsub: cannot remove the cgroup {}: {}\n", path_, std::strerror(errno)).c_str(),
             stderr);
}

void MemoryCgroup::add(pid_t pid) const {
  std::string error;
  if (!write_control(path_ + "/cgroup.procs", std::to_string(pid), error)) throw std::runtime_error(error);
}

uint64_t MemoryCgroup::oom_kills() const {
  return keyed_value(read_text(path_ + (v2_ ? "/memory.events" : "/memory.oom_control")), "oom_kill");
}

uint64_t group_resident_mib(pid_t pgid) {
  static const long page = ::sysconf(_SC_PAGESIZE);
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), &::closedir);
  if (!proc) return 0;
  uint64_t pages = 0;
  while (const dirent* entry = ::readdir(proc.get())) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const std::string path = fmt::format("/proc/{}/stat", entry->d_name);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buffer[1024];
    const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    if (n <= 0) continue;
    buffer[n] = '\0';
    const char* paren = std::strrchr(buffer, ')');
    if (paren == nullptr) continue;
    // Fields after the command: state ppid pgrp session tty tpgid flags minflt
    // cminflt majflt cmajflt utime stime cutime cstime priority nice threads
    // itrealvalue starttime vsize rss (proc(5): rss is field 24).
    char state = 0;
    long ppid = 0, pgrp = 0;
    unsigned long long rss = 0;
    if (std::sscanf(
            paren + 1,
            " %c %ld %ld %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %*u %*u %llu",
            &state, &ppid, &pgrp, &rss) == 4 &&
        pgrp == pgid)
      pages += rss;
  }
  return pages * static_cast<uint64_t>(page) / (1024 * 1024);
}

}  // namespace jobsub::local
