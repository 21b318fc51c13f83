#include <jobsub/job_report.h>
#include <jobsub/tracker.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

namespace fs = std::filesystem;

namespace {

/// A results directory with job directories 1..n, removed at the end.
struct Sweep {
  explicit Sweep(uint64_t jobs) : layout(root(), jobs) {
    for (uint64_t j = 1; j <= jobs; ++j) fs::create_directories(layout.job_dir(j));
  }
  ~Sweep() { fs::remove_all(layout.dir()); }
  static fs::path root() {
    return fs::temp_directory_path() / ("jobsub job_report " + std::to_string(::getpid()));
  }
  void write(uint64_t job, const char* name, const std::string& text) const {
    std::ofstream(layout.job_file(job, name), std::ios::binary) << text;
  }
  jobsub::ResultsLayout layout;
};

jobsub::JobRecord record(jobsub::JobState state, int exit_code, std::string source = "",
                         std::string native_state = "") {
  jobsub::JobRecord r;
  r.job = 1;
  r.state = state;
  r.exit_code = exit_code;
  r.source = std::move(source);
  r.native_state = std::move(native_state);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(job_report)

BOOST_AUTO_TEST_CASE(the_reason_says_how_a_job_ended_and_who_said_so) {
  using jobsub::JobState;
  const Sweep s(1);
  auto why = [&](const jobsub::JobRecord& r) { return jobsub::failure_reason(r, s.layout); };
  BOOST_TEST(why(record(JobState::completed, 0)).empty());
  BOOST_TEST(why(record(JobState::failed, 2, jobsub::kExitCodeFileSource)) == "exit 2");
  BOOST_TEST(why(record(JobState::failed, 3, "squeue")) == "exit 3 (squeue)");
  BOOST_TEST(why(record(JobState::failed, 137)) == "exit 137: killed by SIGKILL");
  BOOST_TEST(why(record(JobState::failed, 139)) == "exit 139: killed by SIGSEGV");
  BOOST_TEST(why(record(JobState::failed, -1, "sacct")) == "no exit code (sacct)");
  BOOST_TEST(why(record(JobState::timeout, 143, "Slurm log")) == "time limit (Slurm log)");
  BOOST_TEST(why(record(JobState::out_of_memory, 0, "sacct")) == "out of memory (sacct)");
  BOOST_TEST(why(record(JobState::node_fail, -1)) == "node failure");
  BOOST_TEST(why(record(JobState::lost, -1)) == "no exit code: gone from the queue");
  BOOST_TEST(why(record(JobState::cancelled, 143, "", jobsub::kInterruptedNativeState)) ==
             "interrupted (Ctrl-C)");
  BOOST_TEST(why(record(JobState::cancelled, -1, "squeue")) == "(squeue)");
  s.write(1, jobsub::job_files::kInitFailed, "127\nmodule load cuda/12.1\n");
  BOOST_TEST(why(record(JobState::failed, 127)) == "init failed (exit 127): module load cuda/12.1");
}

BOOST_AUTO_TEST_CASE(the_last_stderr_line_is_the_programs_not_jobsubs) {
  const Sweep s(3);
  s.write(1, jobsub::job_files::kStderr, "Traceback:\n  File x\nValueError: lr too big\n\n  \n");
  BOOST_TEST(jobsub::last_stderr_line(s.layout, 1) == "ValueError: lr too big");
  s.write(2, jobsub::job_files::kStderr,
          "bash: module: command not found\r\njobsub: init failed with exit status 127, so ...\n");
  BOOST_TEST(jobsub::last_stderr_line(s.layout, 2) == "bash: module: command not found");
  // A progress bar rewrites its line with \r: the last state is the line.
  s.write(3, jobsub::job_files::kStderr, "epoch 1:  10%\repoch 1:  50%\repoch 1: 100%");
  BOOST_TEST(jobsub::last_stderr_line(s.layout, 3) == "epoch 1: 100%");
  BOOST_TEST(
      jobsub::last_stderr_line(jobsub::ResultsLayout(s.layout.dir() / "none", 3), 3).empty());  // no file
  // Long lines are cut at a character boundary, and the cut is marked.
  s.write(1, jobsub::job_files::kStderr, std::string(200, 'x') + "\n");
  BOOST_TEST(jobsub::last_stderr_line(s.layout, 1, 10) == "xxxxxxx...");
  s.write(1, jobsub::job_files::kStderr, "ééééé\n");  // two bytes each
  BOOST_TEST(jobsub::last_stderr_line(s.layout, 1, 6) == "é...");
  // Only the tail is read: a line beyond the last 64 KiB is not looked for.
  s.write(1, jobsub::job_files::kStderr, "early\n" + std::string(70 * 1024, '\n'));
  BOOST_TEST(jobsub::last_stderr_line(s.layout, 1).empty());
}

BOOST_AUTO_TEST_CASE(scheduler_ids_fold_into_array_ranges) {
  BOOST_TEST(jobsub::fold_native_ids({}) == "");
  BOOST_TEST(jobsub::fold_native_ids({"4720_5", "4720_6", "4720_7", "4720_9", "4721_1"}) ==
             "4720_[5-7,9],4721_1");
  BOOST_TEST(jobsub::fold_native_ids({"4711", "4712", "4720"}) == "4711-4712,4720");
  BOOST_TEST(jobsub::fold_native_ids({"local-1-batch-1_1", "local-1-batch-1_2", "1234[7].server"}) ==
             "local-1-batch-1_[1-2],1234[7].server");
  BOOST_TEST(jobsub::fold_native_ids({"1234[5].pbs", "1234[6].pbs", "1234[7].pbs"}) ==
             "1234[5-7].pbs");                                                            // PBS
  BOOST_TEST(jobsub::fold_native_ids({"4711.1", "4711.2", "4711.4"}) == "4711.[1-2,4]");  // Grid Engine
  BOOST_TEST(jobsub::fold_native_ids({"job-a", "job-b"}) == "job-a,job-b");
  // A line's worth: ids that do not fold are cut, saying how many more.
  BOOST_TEST(jobsub::fold_native_ids({"1_1", "2_1", "3_1", "4_1", "5_1", "6_1", "7_1", "8_1"}) ==
             "1_1,2_1,3_1,4_1,5_1,6_1,... (2 more)");
}

BOOST_AUTO_TEST_CASE(params_show_what_tells_jobs_apart) {
  const Sweep s(4);
  std::ofstream(s.layout.params()) << R"({"lr":0.1,"model":"cnn","seed":1,"tag":"a b"})" << '\n'
                                   << R"({"lr":0.1,"model":"cnn","seed":2,"tag":"a b"})" << '\n'
                                   << R"({"lr":0.1,"model":"rnn","seed":1,"tag":"a b"})" << '\n'
                                   << R"({"lr":0.1,"model":"cnn","seed":1,"tag":"c d"})" << '\n';
  const auto shown = jobsub::varying_params(s.layout, {2, 4});
  BOOST_TEST(shown.size() == 2u);
  BOOST_TEST(shown.at(2) == "model=cnn seed=2 tag=\"a b\"");
  BOOST_TEST(shown.at(4) == "model=cnn seed=1 tag=\"c d\"");
  BOOST_TEST(jobsub::varying_params(s.layout, {}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
