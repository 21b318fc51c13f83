#include <jobsub/errors.h>
#include <jobsub/process.h>
#include <jobsub/text.h>
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>

BOOST_AUTO_TEST_SUITE(process)

BOOST_AUTO_TEST_CASE(captures_both_streams_and_the_exit_code) {
  const auto r = jobsub::run_process({"sh", "-c", "echo out; echo err >&2; exit 7"});
  BOOST_TEST(r.out == "out\n");
  BOOST_TEST(r.err == "err\n");
  BOOST_TEST(r.exit_code == 7);
}

BOOST_AUTO_TEST_CASE(large_output_on_both_streams_does_not_deadlock) {
  const auto r = jobsub::run_process({"sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"});
  BOOST_TEST(r.out.size() == 300000u);
  BOOST_TEST(r.err.size() == 300000u);
}

BOOST_AUTO_TEST_CASE(argv_is_passed_without_a_shell) {
  const auto r = jobsub::run_process({"printf", "%s|", "a b", "$HOME", "`id`"});
  BOOST_TEST(r.out == "a b|$HOME|`id`|");
}

BOOST_AUTO_TEST_CASE(missing_program_is_an_error) {
  BOOST_CHECK_THROW(jobsub::run_process({"no-such-program-jobsub"}), jobsub::Error);
}

BOOST_AUTO_TEST_CASE(a_file_can_be_the_childs_standard_input) {
  const auto file = std::filesystem::temp_directory_path() / ("jobsub-stdin-" + std::to_string(::getpid()));
  std::ofstream(file) << "#BSUB -J x\nline 2\n";
  jobsub::RunOptions options;
  options.stdin_file = file;
  const auto r = jobsub::run_process({"wc", "-l"}, options);
  BOOST_TEST(jobsub::trim(r.out) == "2");
  BOOST_TEST(jobsub::run_process({"cat"}).out.empty());  // /dev/null otherwise
  std::filesystem::remove(file);
}

BOOST_AUTO_TEST_CASE(a_child_past_its_timeout_is_killed_and_says_so) {
  const auto started = std::chrono::steady_clock::now();
  jobsub::RunOptions options;
  options.timeout = std::chrono::milliseconds(300);
  const auto r = jobsub::run_process({"sh", "-c", "echo begun; exec sleep 30"}, options);
  BOOST_TEST(r.timed_out);
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.out == "begun\n");
  // Bounded by the timeout and the one-second drain, not by the child's 30 s.
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(20)));
  // Not exec'd: the shell's child (sleep) holds the pipe too, and is killed with it.
  const auto nested = jobsub::run_process({"sh", "-c", "echo begun; sleep 30; echo never"}, options);
  BOOST_TEST(nested.timed_out);
  BOOST_TEST(nested.out == "begun\n");
  options.timeout = std::chrono::seconds(30);
  const auto quick = jobsub::run_process({"true"}, options);
  BOOST_TEST(!quick.timed_out);
  BOOST_TEST(quick.ok());
}

BOOST_AUTO_TEST_CASE(a_child_that_left_something_running_is_not_a_timeout) {
  // The client answered and exited; a process it started keeps the pipe open.
  jobsub::RunOptions options;
  options.timeout = std::chrono::seconds(20);
  const auto started = std::chrono::steady_clock::now();
  const auto r = jobsub::run_process({"sh", "-c", "echo 4711; sleep 30 & exit 0"}, options);
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(r.ok());
  BOOST_TEST(r.out == "4711\n");
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(15)));
}

BOOST_AUTO_TEST_CASE(spawn_sets_environment_directory_and_output) {
  const auto dir = std::filesystem::temp_directory_path() / ("jobsub-spawn-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  jobsub::SpawnOptions options;
  options.cwd = dir;
  options.env = {{"JOBSUB_X", "42"}};
  options.output_file = dir / "log";
  options.new_process_group = true;
  const pid_t pid = jobsub::spawn_process({"sh", "-c", "echo $JOBSUB_X $PWD; exit 5"}, options);
  int status = 0;
  waitpid(pid, &status, 0);
  BOOST_TEST(jobsub::exit_code_of(status) == 5);
  std::ifstream in(dir / "log");
  BOOST_TEST(std::string(std::istreambuf_iterator<char>(in), {}) == "42 " + dir.string() + "\n");
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
