#include "jobsub/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "jobsub/errors.h"

extern char** environ;

namespace jobsub {
namespace {

class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
};

std::vector<std::string> merged_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [key, value] : extra) overridden = overridden || key == name;
    if (!overridden) env.push_back(entry);
  }
  for (const auto& [key, value] : extra) env.push_back(key + "=" + value);
  return env;
}

pid_t spawn(const Argv& argv, const SpawnOptions& options, SpawnAttributes& spawn_attributes) {
  if (argv.empty()) throw job_error("cannot run an empty command");
  if (!options.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&spawn_attributes.actions, options.cwd.c_str());
  }
  if (!options.output_file.empty()) {
    posix_spawn_file_actions_addopen(&spawn_attributes.actions, 1, options.output_file.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&spawn_attributes.actions, 1, 2);
  }
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&spawn_attributes.attributes, 0);
  }
  // The child starts with default signal handling and nothing blocked,
  // whatever jobsub itself has set up.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&spawn_attributes.attributes, &none);
  posix_spawnattr_setsigdefault(&spawn_attributes.attributes, &all);
  posix_spawnattr_setflags(&spawn_attributes.attributes, flags);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::vector<std::string> env = merged_environment(options.env);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &spawn_attributes.actions, &spawn_attributes.attributes,
                              args.data(), envp.data());
  if (rc != 0) {
    throw job_error("cannot run '" + argv[0] + "': " + std::strerror(rc));
  }
  return pid;
}

}  // namespace

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

pid_t spawn_process(const Argv& argv, const SpawnOptions& options) {
  SpawnAttributes attributes;
  posix_spawn_file_actions_addopen(&attributes.actions, 0, "/dev/null", O_RDONLY, 0);
  return spawn(argv, options, attributes);
}

ProcessResult run_process(const Argv& argv, const fs::path& cwd) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw job_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  SpawnAttributes attributes;
  posix_spawn_file_actions_addopen(&attributes.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&attributes.actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&attributes.actions, err_pipe[1], 2);
  SpawnOptions options;
  options.cwd = cwd;
  pid_t pid = 0;
  try {
    pid = spawn(argv, options, attributes);
  } catch (...) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    throw;
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  char buffer[8192];
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace jobsub
