#include <jobsub/errors.h>
#include <jobsub/interfaces.h>
#include <jobsub/terminal.h>

#include <boost/test/unit_test.hpp>
#include <functional>
#include <new>
#include <sstream>
#include <stdexcept>

BOOST_AUTO_TEST_SUITE(errors)

namespace {

std::pair<int, std::string> report(const std::function<void()>& thrower) {
  std::ostringstream err;
  try {
    thrower();
  } catch (...) {
    const int code = jobsub::report_current_exception(err);
    return {code, err.str()};
  }
  return {-1, ""};
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_error_ends_with_its_documented_code) {
  BOOST_TEST(report([] { throw jobsub::usage_error("bad flag"); }).first == 2);
  BOOST_TEST(report([] { throw jobsub::spec_error("bad spec"); }).first == 3);
  BOOST_TEST(report([] { throw jobsub::plugin_error("no plugin"); }).first == 4);
  BOOST_TEST(report([] { throw jobsub::job_error("job failed"); }).first == 1);
  BOOST_TEST(report([] { throw jobsub::Error(jobsub::ExitCode::interrupted, "stop"); }).first == 130);
}

BOOST_AUTO_TEST_CASE(messages_say_what_went_wrong_without_colour_off_a_terminal) {
  BOOST_TEST(report([] { throw jobsub::spec_error("jobsub.yaml:3: key 'x': unknown key"); }).second ==
             "jobsub: error: jobsub.yaml:3: key 'x': unknown key\n");
  const auto internal = report([] { throw std::runtime_error("boom"); });
  BOOST_TEST(internal.first == 70);  // a bug is not "a job failed"
  BOOST_TEST(internal.second == "jobsub: internal error: boom (a bug in jobsub: please report it)\n");
  BOOST_TEST(report([] { throw 42; }).first == 70);
  const auto memory = report([] { throw std::bad_alloc(); });
  BOOST_TEST(memory.first == 70);
  BOOST_TEST(memory.second == "jobsub: error: out of memory\n");
}

BOOST_AUTO_TEST_CASE(styled_text_is_plain_unless_asked) {
  BOOST_TEST(jobsub::styled(false, jobsub::styles::error, "error:") == "error:");
  const std::string red = jobsub::styled(true, jobsub::styles::failure, "failed");
  BOOST_TEST(red == "\x1b[31mfailed\x1b[0m");
  BOOST_TEST(!jobsub::use_color(-1));  // not a terminal
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(interfaces)

BOOST_AUTO_TEST_CASE(every_job_state_has_its_documented_name) {
  using S = jobsub::JobState;
  const std::vector<std::pair<S, std::string>> names = {{S::pending, "pending"},
                                                        {S::queued, "queued"},
                                                        {S::held, "held"},
                                                        {S::running, "running"},
                                                        {S::completed, "completed"},
                                                        {S::failed, "failed"},
                                                        {S::cancelled, "cancelled"},
                                                        {S::timeout, "timeout"},
                                                        {S::out_of_memory, "out_of_memory"},
                                                        {S::node_fail, "node_fail"},
                                                        {S::preempted, "preempted"},
                                                        {S::lost, "lost"},
                                                        {S::not_submitted, "not_submitted"}};
  for (const auto& [state, name] : names) BOOST_TEST(jobsub::to_string(state) == name);
}

BOOST_AUTO_TEST_SUITE_END()

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

BOOST_AUTO_TEST_SUITE(terminal)

namespace {
extern "C" void ignore_signal(int) {}
}  // namespace

// What jobsub prints while its children run must survive the signals they
// cause: a handler without SA_RESTART (asio's SIGCHLD) makes a write blocked
// on a full pipe or terminal return EINTR. A child process writes 4 MiB
// through write_stdout() into a pipe read slowly, while it is sent a signal
// every millisecond; every byte must arrive, in order.
BOOST_AUTO_TEST_CASE(write_stdout_loses_nothing_to_interrupted_writes) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const std::string text = [] {
    std::string t;
    for (int i = 0; t.size() < (4u << 20); ++i) t += std::to_string(i) + "\n";
    return t;
  }();
  std::cout.flush();  // the child's write_stdout() flushes first: nothing of the runner's in it
  std::fflush(stdout);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    ::dup2(fds[1], STDOUT_FILENO);
    struct sigaction action {};
    action.sa_handler = ignore_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART, as asio
    ::sigaction(SIGUSR1, &action, nullptr);
    for (std::size_t at = 0; at < text.size(); at += 100'000)
      jobsub::write_stdout(std::string_view(text).substr(at, 100'000));
    ::_exit(0);
  }
  ::close(fds[1]);
  std::atomic<bool> done{false};
  std::string got;
  char buffer[4096];
  // Signals start once the child writes (its handler is installed by then).
  const ssize_t first = ::read(fds[0], buffer, sizeof buffer);
  BOOST_REQUIRE(first > 0);
  got.append(buffer, static_cast<std::size_t>(first));
  std::thread signaller([&] {
    while (!done) {
      ::kill(child, SIGUSR1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  while (true) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // a slow reader keeps the pipe full
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  done = true;
  signaller.join();
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(got.size() == text.size());
  BOOST_TEST((got == text));
}

BOOST_AUTO_TEST_SUITE_END()
