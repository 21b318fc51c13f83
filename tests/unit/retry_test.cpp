// Automatic retries (retry.h): the policy's flags, the next attempt's
// resources, and the store's claim that lets one jobsub only send a retry.
#include <jobsub/errors.h>
#include <jobsub/retry.h>
#include <jobsub/store.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

namespace fs = std::filesystem;
using jobsub::JobState;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("jobsub-retry-test-" + std::to_string(::getpid()));
  TempDir() { fs::remove_all(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string usage_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const jobsub::Error& e) {
    BOOST_TEST(static_cast<int>(e.code()) == 2);
    return e.what();
  }
  BOOST_FAIL("no usage error");
  return "";
}

/// A sweep of `jobs` jobs all sent as batch-1 and ended in `ended`.
int64_t ended_sweep(jobsub::Store& store, const fs::path& dir, uint64_t jobs, JobState ended) {
  const int64_t sweep =
      store.add_sweep({"s", dir / "results/s/1", "2026-12-01T00:00:00Z", "slurm", jobs, "x"});
  const int64_t batch = store.begin_batch(sweep, "batch-1", "jobsub-0000000000000001", {{1, jobs}});
  std::vector<jobsub::TaskOutcome> outcomes;
  for (uint64_t job = 1; job <= jobs; ++job)
    outcomes.push_back({job, ended, -1, "7_" + std::to_string(job), ""});
  store.end_batch(sweep, batch, jobsub::BatchState::submitted, "7", "", outcomes);
  return sweep;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry)

BOOST_AUTO_TEST_CASE(the_default_states_are_the_infrastructures_and_cancelled_is_refused) {
  const auto& states = jobsub::default_retry_states();
  BOOST_TEST((states == std::vector<JobState>{JobState::timeout, JobState::preempted, JobState::node_fail}));
  BOOST_TEST((jobsub::parse_retry_states("failed, timeout,failed") ==
              std::vector<JobState>{JobState::failed, JobState::timeout}));
  BOOST_TEST(usage_message([] { jobsub::parse_retry_states("cancelled"); }).find("stopped on purpose") !=
             std::string::npos);
  const std::string unknown = usage_message([] { jobsub::parse_retry_states("timeout,oom"); });
  BOOST_TEST(unknown.find("'oom' is not a state") != std::string::npos, unknown);
  BOOST_TEST(unknown.find("out_of_memory") != std::string::npos, unknown);
}

BOOST_AUTO_TEST_CASE(scales_are_time_or_mem_with_a_factor_from_1_to_100) {
  const auto scale = jobsub::parse_retry_scale("time=2, mem=1.5");
  BOOST_TEST(scale.at("time") == 2.0);
  BOOST_TEST(scale.at("mem") == 1.5);
  BOOST_TEST(usage_message([] { jobsub::parse_retry_scale("gpus=2"); }).find("time or mem") !=
             std::string::npos);
  BOOST_TEST(usage_message([] { jobsub::parse_retry_scale("time=0.5"); }).find("from 1 to 100") !=
             std::string::npos);
  BOOST_TEST(usage_message([] { jobsub::parse_retry_scale("time=2x"); }).find("'2x'") != std::string::npos);
  BOOST_TEST(usage_message([] { jobsub::parse_retry_scale("time=2,time=3"); }).find("given twice") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_next_attempt_asks_for_more_up_to_the_partitions_limit) {
  std::vector<std::string> changes;
  const auto next = jobsub::scaled_resources({{"time", "1h"}, {"mem", "1G"}, {"cpus", "4"}},
                                             {{"time", 2.0}, {"mem", 1.5}}, {}, changes);
  BOOST_TEST(next.at("time") == "02:00:00");
  BOOST_TEST(next.at("mem") == "1536M");
  BOOST_TEST(next.at("cpus") == "4");
  BOOST_TEST((changes == std::vector<std::string>{"mem 1024M -> 1536M", "time 01:00:00 -> 02:00:00"}));

  changes.clear();
  const jobsub::ResourceLimits limits{5400, 1200, "partition short"};
  const auto capped = jobsub::scaled_resources({{"time", "1h"}, {"mem", "1G"}}, {{"time", 2.0}, {"mem", 1.5}},
                                               limits, changes);
  BOOST_TEST(capped.at("time") == "01:30:00");
  BOOST_TEST(capped.at("mem") == "1200M");
  BOOST_TEST(changes.at(1) == "time 01:00:00 -> 01:30:00 (capped at partition short's MaxTime)");

  // Nothing set: the scheduler's default is not known, so nothing is scaled.
  changes.clear();
  BOOST_TEST(jobsub::scaled_resources({{"cpus", "2"}}, {{"time", 2.0}}, {}, changes).count("time") == 0u);
  BOOST_TEST(changes.empty());
  // Already above the limit (set by hand): never scaled down.
  changes.clear();
  BOOST_TEST(jobsub::scaled_resources({{"time", "3h"}}, {{"time", 2.0}}, limits, changes).at("time") ==
             "03:00:00");
}

BOOST_AUTO_TEST_CASE(a_job_is_due_in_a_retried_state_with_retries_left) {
  jobsub::RetryPolicy policy;
  policy.retries = 2;
  policy.on = jobsub::default_retry_states();
  jobsub::JobRecord job;
  job.job = 7;
  job.state = JobState::timeout;
  job.attempt = 1;
  jobsub::RetryTally tally;
  BOOST_TEST(jobsub::retry_due(job, policy, tally));
  tally = jobsub::tally_retries({{7, 2, JobState::timeout}, {7, 3, JobState::timeout}});
  job.attempt = 3;
  BOOST_TEST(!jobsub::retry_due(job, policy, tally));  // its two retries are used
  // A resubmit by hand in between is not an automatic retry: one is left.
  tally = jobsub::tally_retries({{7, 2, JobState::timeout}});
  job.attempt = 4;
  BOOST_TEST(jobsub::retries_left(job, policy, tally) == 1u);
  job.state = JobState::failed;  // not a state this policy retries
  BOOST_TEST(!jobsub::retry_due(job, policy, tally));
  // The sweep's cap: none left for any job once it is reached.
  job.state = JobState::timeout;
  policy.max_total = 1;
  BOOST_TEST(jobsub::retries_left(job, policy, tally) == 0u);
  BOOST_TEST(jobsub::retries_left(job, policy, tally, false) == 1u);
  BOOST_TEST(!jobsub::retry_due(job, policy, tally));
}

BOOST_AUTO_TEST_CASE(two_jobsubs_claiming_one_retry_send_it_once) {
  TempDir dir;
  const fs::path file = jobsub::Store::path_for(dir.path);
  jobsub::Store mine(file, true);
  jobsub::Store theirs(file, false);
  const int64_t sweep = ended_sweep(mine, dir.path, 3, JobState::timeout);
  // Both read the jobs before either claims: the second claim finds them moved on.
  const std::vector<jobsub::JobRecord> seen_by_me = mine.jobs(sweep);
  const std::vector<jobsub::JobRecord> seen_by_them = theirs.jobs(sweep);
  BOOST_TEST((mine.claim_retries(sweep, seen_by_me, 0, "here", 100) == std::vector<uint64_t>{1, 2, 3}));
  BOOST_TEST(theirs.claim_retries(sweep, seen_by_them, 0, "there", 200).empty());
  const auto jobs = theirs.jobs(sweep);
  BOOST_TEST(jobs[0].attempt == 2);
  BOOST_TEST(std::string(jobsub::to_string(jobs[0].state)) == "not_submitted");
  const auto claims = theirs.retry_claims(sweep);
  BOOST_REQUIRE_EQUAL(claims.size(), 3u);
  BOOST_TEST(claims[0].attempt == 2);
  BOOST_TEST(claims[0].pid == 100);
  BOOST_TEST(std::string(jobsub::to_string(claims[0].after)) == "timeout");
  BOOST_TEST(mine.earlier_attempts(sweep).size() == 3u);  // each first attempt kept in the history
}

BOOST_AUTO_TEST_CASE(the_sweep_wide_cap_bounds_the_claims) {
  TempDir dir;
  jobsub::Store store(jobsub::Store::path_for(dir.path), true);
  const int64_t sweep = ended_sweep(store, dir.path, 3, JobState::failed);
  BOOST_TEST((store.claim_retries(sweep, store.jobs(sweep), 2, "here", 1) == std::vector<uint64_t>{1, 2}));
  BOOST_TEST(store.claim_retries(sweep, store.jobs(sweep), 2, "here", 1).empty());
  BOOST_TEST(std::string(jobsub::to_string(store.jobs(sweep)[2].state)) == "failed");
}

BOOST_AUTO_TEST_CASE(a_claim_whose_jobsub_stopped_is_taken_over_once) {
  TempDir dir;
  const fs::path file = jobsub::Store::path_for(dir.path);
  jobsub::Store store(file, true);
  jobsub::Store other(file, false);
  const int64_t sweep = ended_sweep(store, dir.path, 1, JobState::node_fail);
  BOOST_REQUIRE_EQUAL(store.claim_retries(sweep, store.jobs(sweep), 0, "here", 100).size(), 1u);
  const auto stale = store.retry_claims(sweep);
  BOOST_TEST((store.take_over_retries(sweep, stale, "here", 300) == std::vector<uint64_t>{1}));
  BOOST_TEST(other.take_over_retries(sweep, stale, "here", 400).empty());  // held by 300 now
  BOOST_TEST(store.retry_claims(sweep).at(0).pid == 300);
  // Once the job was sent, its claim is not taken over.
  const int64_t batch = store.begin_batch(sweep, "batch-2", "jobsub-0000000000000002", {{1, 1}});
  store.end_batch(sweep, batch, jobsub::BatchState::submitted, "8", "", {{1, JobState::queued, -1, "8", ""}});
  BOOST_TEST(other.take_over_retries(sweep, store.retry_claims(sweep), "here", 500).empty());
}

BOOST_AUTO_TEST_CASE(news_of_an_earlier_attempts_id_does_not_overwrite_the_retry) {
  // A --wait still following 7_1 when a status retried the job as 8_1.
  TempDir dir;
  jobsub::Store store(jobsub::Store::path_for(dir.path), true);
  const int64_t sweep = ended_sweep(store, dir.path, 1, JobState::timeout);
  BOOST_REQUIRE_EQUAL(store.claim_retries(sweep, store.jobs(sweep), 0, "here", 1).size(), 1u);
  const int64_t batch = store.begin_batch(sweep, "batch-2", "jobsub-0000000000000002", {{1, 1}});
  store.end_batch(sweep, batch, jobsub::BatchState::submitted, "8", "",
                  {{1, JobState::queued, -1, "8_1", ""}});
  store.update_jobs(sweep, {{1, JobState::timeout, -1, "7_1", "TIMEOUT"}});
  const jobsub::JobRecord job = store.jobs(sweep).at(0);
  BOOST_TEST(std::string(jobsub::to_string(job.state)) == "queued");
  BOOST_TEST(job.native_id == "8_1");
  BOOST_TEST(job.attempt == 2);
  store.update_jobs(sweep, {{1, JobState::completed, 0, "8_1", "COMPLETED"}});  // its own news is taken
  BOOST_TEST(std::string(jobsub::to_string(store.jobs(sweep).at(0).state)) == "completed");
}

BOOST_AUTO_TEST_CASE(a_resubmit_that_waited_while_a_retry_was_sent_starts_nothing) {
  TempDir dir;
  const fs::path file = jobsub::Store::path_for(dir.path);
  jobsub::Store resubmit(file, true);
  const int64_t sweep = ended_sweep(resubmit, dir.path, 2, JobState::timeout);
  const std::vector<jobsub::JobRecord> seen = resubmit.jobs(sweep);  // then it asks y/n/all/exit
  jobsub::Store watcher(file, false);
  BOOST_REQUIRE_EQUAL(watcher.claim_retries(sweep, {watcher.jobs(sweep).at(1)}, 0, "here", 2).size(), 1u);
  BOOST_CHECK_EXCEPTION(resubmit.new_attempt(sweep, seen), jobsub::Error, [](const jobsub::Error& e) {
    return std::string(e.what()).find("job 2 of this sweep changed while this jobsub waited") == 0;
  });
  BOOST_TEST(resubmit.jobs(sweep).at(0).attempt == 1);  // nothing was written, job 1 included
  BOOST_TEST(resubmit.jobs(sweep).at(1).attempt == 2);
}

BOOST_AUTO_TEST_CASE(a_claim_whose_send_failed_is_released_for_anyone) {
  TempDir dir;
  jobsub::Store store(jobsub::Store::path_for(dir.path), true);
  const int64_t sweep = ended_sweep(store, dir.path, 1, JobState::preempted);
  BOOST_REQUIRE_EQUAL(store.claim_retries(sweep, store.jobs(sweep), 0, "here", 10).size(), 1u);
  store.release_retries(sweep, {1});
  const auto claims = store.retry_claims(sweep);
  BOOST_REQUIRE_EQUAL(claims.size(), 1u);
  BOOST_TEST(claims[0].pid == 0);
  BOOST_TEST(claims[0].host.empty());
  BOOST_TEST((store.take_over_retries(sweep, claims, "elsewhere", 20) == std::vector<uint64_t>{1}));
  BOOST_TEST(store.retry_claims(sweep).at(0).host == "elsewhere");
}

BOOST_AUTO_TEST_SUITE_END()
