#include "jobsub/process.h"

#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/process/args.hpp>
#include <boost/process/async.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/group.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <optional>

#include "jobsub/errors.h"

namespace bp = boost::process;

namespace jobsub {

void reset_signals_in_child() noexcept {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD}) ::signal(signal, SIG_DFL);
}

ScopedEnvironment::ScopedEnvironment(const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values) {
    const char* old = std::getenv(key.c_str());
    old_.emplace_back(key, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(key.c_str(), value.c_str(), 1);
  }
}

ScopedEnvironment::~ScopedEnvironment() {
  for (auto it = old_.rbegin(); it != old_.rend(); ++it) {
    if (it->second) {
      ::setenv(it->first.c_str(), it->second->c_str(), 1);
    } else {
      ::unsetenv(it->first.c_str());
    }
  }
}

fs::path find_program(const std::string& program) {
  if (program.empty()) throw job_error("cannot run an empty command");
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) != 0)
      throw job_error(fmt::format("cannot run '{}': not executable", program));
    return program;
  }
  const boost::filesystem::path found = bp::search_path(program);
  if (found.empty()) throw job_error(fmt::format("cannot run '{}': not found on PATH", program));
  return found.string();
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

namespace {

const auto kChildSetup = bp::extend::on_exec_setup([](auto&) { reset_signals_in_child(); });

std::vector<std::string> arguments_of(const Argv& argv) { return {argv.begin() + 1, argv.end()}; }

std::string start_dir_of(const fs::path& cwd) { return cwd.empty() ? std::string(".") : cwd.string(); }

}  // namespace

pid_t spawn_process(const Argv& argv, const SpawnOptions& options) {
  if (argv.empty()) throw job_error("cannot run an empty command");
  const fs::path exe = find_program(argv[0]);
  const ScopedEnvironment env(options.env);
  std::unique_ptr<FILE, int (*)(FILE*)> output(nullptr, &std::fclose);
  if (!options.output_file.empty()) {
    output.reset(std::fopen(options.output_file.c_str(), "a"));
    if (!output)
      throw job_error(
          fmt::format("cannot open {} for the output of '{}'", options.output_file.string(), argv[0]));
  }
  std::error_code error;
  bp::child child;
  auto start = [&](auto&&... redirections) {
    if (options.new_process_group) {
      bp::group group;
      child = bp::child(bp::exe = exe.string(), bp::args = arguments_of(argv),
                        bp::start_dir = start_dir_of(options.cwd), bp::std_in < bp::null, redirections...,
                        group, kChildSetup, error);
      group.detach();
    } else {
      child = bp::child(bp::exe = exe.string(), bp::args = arguments_of(argv),
                        bp::start_dir = start_dir_of(options.cwd), bp::std_in < bp::null, redirections...,
                        kChildSetup, error);
    }
  };
  if (output) {
    start(bp::std_out > output.get(), bp::std_err > output.get());
  } else {
    start();
  }
  if (error) throw job_error(fmt::format("cannot run '{}': {}", argv[0], error.message()));
  child.detach();
  return child.id();
}

ProcessResult run_process(const Argv& argv, const RunOptions& options) {
  if (argv.empty()) throw job_error("cannot run an empty command");
  const fs::path exe = find_program(argv[0]);
  boost::asio::io_context io;
  // Buffers of our own, filled as output arrives: what a killed child printed is kept.
  boost::asio::streambuf out, err;
  bp::group group;  // so a timeout ends the child's children too
  std::error_code error;
  auto start = [&](auto&& input) {
    return bp::child(bp::exe = exe.string(), bp::args = arguments_of(argv),
                     bp::start_dir = start_dir_of(options.cwd), input, bp::std_out > out, bp::std_err > err,
                     io, group, kChildSetup, error);
  };
  bp::child child = options.stdin_file.empty()
                        ? start(bp::std_in < bp::null)
                        : start(bp::std_in < boost::filesystem::path(options.stdin_file.string()));
  if (error) throw job_error(fmt::format("cannot run '{}': {}", argv[0], error.message()));
  ProcessResult result;
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + options.timeout;
  std::optional<clock::time_point> exited_at;
  while (!io.stopped()) {  // until both streams reach end of file
    io.run_for(std::chrono::milliseconds(100));
    if (io.stopped()) break;
    std::error_code ec;
    if (!exited_at && !child.running(ec)) exited_at = clock::now();
    if (exited_at && clock::now() - *exited_at > std::chrono::seconds(1))
      break;  // a grandchild holds the pipes
    if (!exited_at && options.timeout.count() > 0 && clock::now() >= deadline) {
      result.timed_out = true;
      ::killpg(group.native_handle(), SIGKILL);
      io.run_for(std::chrono::seconds(1));  // what the pipes still hold
      break;
    }
  }
  io.stop();
  child.wait(error);
  if (!result.timed_out) group.detach();  // leave what the child started in the background alone
  auto text = [](const boost::asio::streambuf& b) {
    return std::string(boost::asio::buffers_begin(b.data()), boost::asio::buffers_end(b.data()));
  };
  result.out = text(out);
  result.err = text(err);
  const int status = child.native_exit_code();
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.exit_code = WIFEXITED(status) && !result.timed_out ? WEXITSTATUS(status) : -1;
  return result;
}

ProcessRunner& system_process_runner() {
  struct SystemRunner final : ProcessRunner {
    ProcessResult run(const Argv& argv, const RunOptions& options) override {
      return run_process(argv, options);
    }
  };
  static SystemRunner runner;
  return runner;
}

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

bool is_running_jobsub(long pid) {
  if (pid <= 0 || pid == ::getpid()) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  std::ifstream comm(fmt::format("/proc/{}/comm", pid));
  std::string name;
  return !(comm >> name) || name == "jobsub";
}

}  // namespace jobsub
