#include <jobsub/script.h>
#include <jobsub/store.h>
#include <jobsub/tracker.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>

namespace {

/// A scheduler whose answers the test sets: query() by native id, and the
/// verdicts in the jobs' logs.
class StubScheduler final : public jobsub::Scheduler {
 public:
  std::map<std::string, jobsub::TaskOutcome> answers;
  std::map<std::string, jobsub::JobState> logs;
  jobsub::Status configure(const jobsub::PluginOptions&) noexcept override {
    return jobsub::Status::success();
  }
  std::string default_template() const noexcept override { return ""; }
  jobsub::Status render(const jobsub::BatchRequest&, jobsub::RenderedBatch&) noexcept override {
    return jobsub::Status::success();
  }
  jobsub::Status submit(const jobsub::BatchRequest&, const jobsub::RenderedBatch&, jobsub::SubmitContext&,
                        jobsub::SubmitResult&) noexcept override {
    return jobsub::Status::success();
  }
  jobsub::Status query(const std::vector<std::string>& ids,
                       std::vector<jobsub::TaskOutcome>& out) noexcept override {
    for (const std::string& id : ids) {
      if (auto it = answers.find(id); it != answers.end()) out.push_back(it->second);
    }
    return jobsub::Status::success();
  }
  jobsub::Status cancel(const std::vector<std::string>&) noexcept override {
    return jobsub::Status::success();
  }
  jobsub::Status find(const jobsub::BatchRequest&, std::vector<jobsub::TaskOutcome>&) noexcept override {
    return jobsub::Status::success();
  }
  bool log_verdict(const std::filesystem::path&, const std::string& id,
                   jobsub::TaskOutcome& out) const noexcept override {
    auto it = logs.find(id);
    if (it == logs.end()) return false;
    out.state = it->second;
    out.native_state = "DUE TO TIME LIMIT";
    out.source = "Stub log";
    return true;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tracker)

BOOST_AUTO_TEST_CASE(native_ids_come_back_exactly_as_set) {
  jobsub::NativeIdTable ids(8);
  const std::vector<std::string> given = {"4711_1", "4711_2",  "local-12-batch-1_3", "4712",
                                          "",       "job_007", "id;cluster",         "4711_99999999999"};
  for (std::size_t i = 0; i < given.size(); ++i) ids.set(i + 1, given[i]);
  for (std::size_t i = 0; i < given.size(); ++i) BOOST_TEST(ids.get(i + 1) == given[i]);
  ids.set(6, "4711_6");  // a resubmitted job gets a new id
  BOOST_TEST(ids.get(6) == "4711_6");
  ids.set(1, "x");
  BOOST_TEST(ids.get(1) == "x");
}

BOOST_AUTO_TEST_CASE(states_read_back_from_their_names) {
  for (int s = 0; s <= static_cast<int>(jobsub::JobState::not_submitted); ++s) {
    const auto state = static_cast<jobsub::JobState>(s);
    BOOST_TEST((jobsub::job_state_from_string(jobsub::to_string(state)) == state));
  }
  BOOST_TEST(jobsub::is_final(jobsub::JobState::lost));
  BOOST_TEST(!jobsub::is_final(jobsub::JobState::not_submitted));
  BOOST_TEST(!jobsub::is_final(jobsub::JobState::running));
}

BOOST_AUTO_TEST_CASE(the_strongest_evidence_decides_each_verdict) {
  using jobsub::Evidence;
  using jobsub::JobState;
  const auto dir = std::filesystem::temp_directory_path() / "jobsub-tracker-evidence";
  std::filesystem::remove_all(dir);
  const jobsub::ResultsLayout results(dir, 6);
  auto write_code = [&](uint64_t job, int code) {
    std::filesystem::create_directories(results.job_dir(job));
    std::ofstream(results.job_file(job, jobsub::job_files::kExitCode)) << code << "\n";
  };
  write_code(1, 0);  // the program exited 0, Slurm killed the job for memory
  write_code(2, 0);
  write_code(3, 0);  // gone; its log says time limit
  write_code(4, 3);  // gone; no log
  StubScheduler scheduler;
  scheduler.answers["j1"] = {0,      JobState::out_of_memory, 0, "j1", "OUT_OF_MEMORY", Evidence::scheduler,
                             "sacct"};
  scheduler.answers["j2"] = {0, JobState::completed, 0, "j2", "COMPLETED", Evidence::scheduler, "squeue"};
  scheduler.answers["j6"] = {0, JobState::failed, 1, "j6", "FAILED", Evidence::scheduler, "sacct"};
  scheduler.logs["j3"] = JobState::timeout;
  jobsub::Tracker tracker(scheduler, dir, 6, 1);
  std::vector<jobsub::OpenJob> open;
  for (uint64_t job = 1; job <= 6; ++job) open.push_back({job, JobState::running, "j" + std::to_string(job)});
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(tracker.poll(open, out).ok);
  BOOST_REQUIRE_EQUAL(out.size(), 6u);
  auto said = [&](uint64_t job) {
    const jobsub::TaskOutcome& o = out.at(job - 1);
    return std::string(jobsub::to_string(o.state)) + " (" + o.source + ")";
  };
  BOOST_TEST(said(1) == "out_of_memory (sacct)");  // accounting beats the exit-code file
  BOOST_TEST(said(2) == "completed (squeue)");     // they agree: the scheduler said it
  BOOST_TEST(said(3) == "timeout (Stub log)");     // the log beats the exit-code file
  BOOST_TEST((out.at(2).evidence == Evidence::scheduler_log));
  BOOST_TEST(said(4) == "failed (exit-code file)");
  BOOST_TEST(out.at(3).exit_code == 3);
  BOOST_TEST(said(5) == "lost ()");  // nothing at all
  BOOST_TEST(said(6) == "failed (sacct)");
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(jobs_a_canarys_script_cancelled_before_they_ran_are_cancelled_not_lost) {
  // --canary --detach: jobs 2-4 held behind canary 1, deleted before they ran,
  // leave no file and (Grid Engine, Slurm without accounting) no record.
  using jobsub::JobState;
  const auto dir = std::filesystem::temp_directory_path() / "jobsub-tracker-canary";
  std::filesystem::remove_all(dir);
  const jobsub::ResultsLayout results(dir, 5);
  std::filesystem::create_directories(results.job_dir(1));
  std::ofstream(results.submissions())
      << R"({"batch":"batch-1","jobs":"2-4","state":"submitting","held":true})"
      << "\n"
      << "a line torn by a crash\n"
      << R"({"batch":"batch-2","jobs":"1","state":"submitting","held_jobs":"2-4","release":"scontrol release 7"})"
      << "\n";
  const std::vector<jobsub::CanaryHold> holds = jobsub::canary_holds(dir);
  BOOST_REQUIRE_EQUAL(holds.size(), 1u);
  BOOST_TEST(holds[0].canary == 1u);
  BOOST_TEST(jobsub::format_task_ranges(holds[0].held) == "2-4");
  BOOST_TEST(holds[0].release == "scontrol release 7");
  StubScheduler scheduler;
  std::vector<jobsub::OpenJob> open;
  for (uint64_t job = 2; job <= 5; ++job) open.push_back({job, JobState::held, "j" + std::to_string(job)});
  {  // No decision yet: nothing to say but lost, in time.
    jobsub::Tracker tracker(scheduler, dir, 5, 1);
    std::vector<jobsub::TaskOutcome> out;
    BOOST_REQUIRE(tracker.poll(open, out).ok);
    BOOST_REQUIRE_EQUAL(out.size(), 4u);
    BOOST_TEST((out[0].state == JobState::lost));
  }
  std::ofstream(results.job_file(1, jobsub::job_files::kCanaryDecision)) << "cancelled\n";
  jobsub::Tracker tracker(scheduler, dir, 5, 1);
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(tracker.poll(open, out).ok);
  BOOST_REQUIRE_EQUAL(out.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST((out[i].state == JobState::cancelled));
    BOOST_TEST(out[i].source == jobsub::kCanaryDecisionSource);
    BOOST_TEST(out[i].native_state == "cancelled by the canary's script (job 1)");
  }
  BOOST_TEST((out[3].state == JobState::lost));  // job 5 was never held behind it
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_verdict_from_the_exit_code_file_is_revised_by_stronger_evidence_for_a_week) {
  using jobsub::Evidence;
  using jobsub::JobState;
  const auto dir = std::filesystem::temp_directory_path() / "jobsub-tracker-revisit";
  std::filesystem::remove_all(dir);
  const jobsub::ResultsLayout results(dir, 3);
  for (uint64_t job = 1; job <= 3; ++job) {
    std::filesystem::create_directories(results.job_dir(job));
    std::ofstream(results.job_file(job, jobsub::job_files::kExitCode)) << 0 << "\n";
  }
  const int64_t now = jobsub::epoch_of_timestamp("2026-12-01T10:00:00Z");
  auto record = [](uint64_t job, Evidence evidence, const std::string& updated) {
    jobsub::JobRecord r;
    r.job = job;
    r.state = JobState::completed;
    r.native_id = "j" + std::to_string(job);
    r.evidence = evidence;
    r.source = evidence == Evidence::exit_code_file ? "exit-code file" : "sacct";
    r.updated = updated;
    return r;
  };
  // Job 1: completed by its exit-code file an hour ago (accounting lagged);
  // job 2: the same, eight days ago; job 3: completed by sacct.
  const std::vector<jobsub::JobRecord> jobs = {record(1, Evidence::exit_code_file, "2026-12-01T09:00:00Z"),
                                               record(2, Evidence::exit_code_file, "2026-11-23T09:00:00Z"),
                                               record(3, Evidence::scheduler, "2026-12-01T09:00:00Z")};
  const std::vector<jobsub::OpenJob> open = jobsub::jobs_to_settle(jobs, now);
  BOOST_REQUIRE_EQUAL(open.size(), 1u);
  BOOST_TEST(open[0].job == 1u);
  StubScheduler scheduler;
  jobsub::Tracker tracker(scheduler, dir, 3, 1);
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(tracker.poll(open, out).ok);
  BOOST_TEST(out.empty());  // nothing stronger yet: the record stays as it is (and its time too)
  scheduler.answers["j1"] = {0,      JobState::out_of_memory, 0, "j1", "OUT_OF_MEMORY", Evidence::scheduler,
                             "sacct"};
  BOOST_REQUIRE(tracker.poll(open, out).ok);
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_TEST((out[0].state == JobState::out_of_memory));
  BOOST_TEST(out[0].source == "sacct");
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
