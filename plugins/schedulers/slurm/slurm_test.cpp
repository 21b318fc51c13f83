// The Slurm dialect without a cluster: its parsers on output captured from a
// real Slurm 22.05 (tests/data/schedulers/slurm/README.md), and the whole
// scheduler driven through a scripted runner.
#include "slurm.h"

#include <jobsub/text.h>

#include <boost/test/unit_test.hpp>
#include <set>

#include "scripted_runner.h"

using jobsub::JobState;
using jobsub::testing::captured;

namespace {

struct Slurm {
  jobsub::testing::ScriptedRunner runner;
  jobsub::slurm::SlurmScheduler scheduler;
  explicit Slurm(jobsub::PluginOptions options = {{"max-array-size", "1001"}, {"submit-retry-delay", "0"}}) {
    scheduler.use_runner(runner);
    const jobsub::Status status = scheduler.configure(options);
    BOOST_REQUIRE_MESSAGE(status.ok, status.message);
  }
  /// Submits jobs 1..`jobs` of a `jobs`-job sweep as one batch.
  jobsub::Status submit(uint64_t jobs) {
    return scheduler.submit(jobsub::testing::request_for({{1, jobs}}, jobs), {}, context, result);
  }
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(slurm)

BOOST_AUTO_TEST_CASE(sbatch_parsable_answers) {
  BOOST_TEST(*jobsub::slurm::parse_sbatch(captured("slurm/sbatch-array.out")) == "2");
  BOOST_TEST(*jobsub::slurm::parse_sbatch("4711;cluster2\n") == "4711");
  BOOST_TEST(!jobsub::slurm::parse_sbatch("Submitted batch job 4711\n"));
}

BOOST_AUTO_TEST_CASE(partition_limits_from_scontrol) {
  const std::string out = captured("slurm/scontrol-show-partition.out");
  const jobsub::ResourceLimits short_limits = jobsub::slurm::parse_partition_limits(out, "short");
  BOOST_TEST(short_limits.time_seconds == 120u);
  BOOST_TEST(short_limits.mem_mib == 300u);
  BOOST_TEST(short_limits.where == "partition short");
  // No partition named: the default one's, which sets none.
  const jobsub::ResourceLimits debug = jobsub::slurm::parse_partition_limits(out, "");
  BOOST_TEST(debug.where == "partition debug");
  BOOST_TEST(debug.time_seconds == 0u);
  BOOST_TEST(debug.mem_mib == 0u);
  BOOST_TEST(jobsub::slurm::parse_partition_limits(out, "nope").where.empty());
}

BOOST_AUTO_TEST_CASE(an_unknown_partition_is_a_failed_limits_call_that_says_why) {
  Slurm slurm;
  slurm.runner.answer("scontrol", 1, captured("slurm/scontrol-show-partition-unknown.out"),
                      captured("slurm/scontrol-show-partition-unknown.err"));
  jobsub::BatchRequest request = jobsub::testing::request_for({{1, 1}}, 1);
  request.resources["partition"] = "nope";
  jobsub::ResourceLimits limits;
  const jobsub::Status status = slurm.scheduler.resource_limits(request, limits);
  BOOST_TEST(!status.ok);
  BOOST_TEST(status.message.find("Partition nope not found") != std::string::npos, status.message);
  BOOST_TEST((slurm.runner.calls_of("scontrol").back() ==
              jobsub::Argv{"scontrol", "show", "partition", "nope", "--oneliner"}));
}

BOOST_AUTO_TEST_CASE(squeue_rows_of_every_state) {
  const auto rows = jobsub::slurm::parse_squeue(captured("slurm/squeue-mixed.out"));
  BOOST_REQUIRE_EQUAL(rows.size(), 15u);
  std::map<std::string, const jobsub::batch::JobRow*> by_id;
  for (const auto& row : rows) by_id[row.id] = &row;
  BOOST_TEST((by_id.at("2_2")->state == JobState::queued));  // held back by the %1 throttle
  BOOST_TEST(by_id.at("2_2")->task == 2u);
  BOOST_TEST((by_id.at("2_1")->state == JobState::running));
  BOOST_TEST((by_id.at("9_2")->state == JobState::failed));
  BOOST_TEST((by_id.at("4")->state == JobState::completed));
  BOOST_TEST(by_id.at("4")->task == 0u);
  BOOST_TEST((by_id.at("6")->state == JobState::cancelled));
  BOOST_TEST((by_id.at("1")->state == JobState::timeout));
  BOOST_TEST(by_id.at("1")->native_state == "TIMEOUT");
}

BOOST_AUTO_TEST_CASE(a_folded_pending_range_is_not_a_task) {
  // Without --array squeue folds pending tasks into `2_[2-3%1]`.
  for (const auto& row : jobsub::slurm::parse_squeue(captured("slurm/squeue-no-array-flag.out")))
    BOOST_TEST(row.id.find('[') == std::string::npos, row.id);
}

BOOST_AUTO_TEST_CASE(max_array_size_comes_from_scontrol_or_is_assumed_with_a_warning) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("scontrol", 0, captured("slurm/scontrol-show-config.out"));
  jobsub::slurm::SlurmScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({}).ok);
  auto request = jobsub::testing::request_for({{1, 250000}}, 250000);
  jobsub::RenderedBatch rendered;
  BOOST_REQUIRE(scheduler.render(request, rendered).ok);
  BOOST_REQUIRE_EQUAL(rendered.all_submit_argvs.size(), 3u);  // MaxArraySize 100001: 100000 tasks an array
  BOOST_TEST(rendered.warnings.at(0) ==
             "jobs 1-250000 go in 3 arrays of at most 100000 (MaxArraySize 100001, from scontrol)");

  jobsub::testing::ScriptedRunner broken;
  broken.answer("scontrol", 1, "", "slurm_load_ctl_conf error: Unable to contact slurm controller\n");
  jobsub::slurm::SlurmScheduler assumed;
  assumed.use_runner(broken);
  BOOST_REQUIRE(assumed.configure({}).ok);
  jobsub::RenderedBatch plan;
  BOOST_REQUIRE(assumed.render(jobsub::testing::request_for({{1, 10}}, 10), plan).ok);
  BOOST_REQUIRE_EQUAL(plan.warnings.size(), 1u);
  BOOST_TEST(plan.warnings[0].find(
                 "could not read MaxArraySize from `scontrol show config` (slurm_load_ctl_conf "
                 "error: Unable to contact slurm controller); planning with Slurm's default 1001") == 0u,
             plan.warnings[0]);
}

BOOST_AUTO_TEST_CASE(a_transient_sbatch_failure_is_looked_up_then_retried_and_the_array_recorded) {
  Slurm slurm;
  slurm.runner.answer("sbatch", 1, "",
                      "sbatch: error: Batch job submission failed: Socket timed out on send/recv\n");
  slurm.runner.answer("sbatch", 0, captured("slurm/sbatch-array.out"));
  slurm.runner.answer("squeue", 0, "");  // the look-up: Slurm holds nothing of this batch
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  const auto request = jobsub::testing::request_for({{1, 3}}, 3);
  const jobsub::Status status = slurm.scheduler.submit(request, {}, context, result);
  BOOST_REQUIRE_MESSAGE(status.ok, status.message);
  BOOST_TEST(slurm.runner.calls_of("sbatch").size() == 2u);
  BOOST_TEST(slurm.runner.calls_of("squeue").size() == 1u);  // looked before sending again
  BOOST_REQUIRE_EQUAL(context.lines.size(), 1u);
  BOOST_TEST(context.lines[0].find(
                 "sbatch failed (sbatch: error: Batch job submission failed: Socket timed out") == 0u);
  BOOST_TEST(context.lines[0].find("before trying again (1/5)") != std::string::npos, context.lines[0]);
  BOOST_REQUIRE_EQUAL(result.arrays.size(), 1u);
  BOOST_TEST(result.arrays[0].task_id(3) == "2_3");
  const jobsub::Argv expected = {"sbatch",
                                 "--parsable",
                                 "--array=1-3",
                                 "--comment=jobsub-0123456789abcdef:0",
                                 request.script_path.string(),
                                 "0"};
  BOOST_TEST(slurm.runner.calls.back() == expected, boost::test_tools::per_element());
}

// Issue 19: the controller took the array, and sbatch's answer was lost.
BOOST_AUTO_TEST_CASE(an_array_taken_although_sbatch_failed_is_adopted_and_not_sent_again) {
  for (const bool timed_out : {false, true}) {
    Slurm slurm;
    if (timed_out) {
      slurm.runner.time_out("sbatch");
    } else {
      slurm.runner.answer("sbatch", 1, "",
                          "sbatch: error: Batch job submission failed: Socket timed out on send/recv\n");
    }
    // Another batch's chunk (offset 10) and another sweep's token are not this chunk.
    slurm.runner.answer("squeue", 0,
                        "7_1|PENDING|jobsub-0123456789abcdef:0\n7_2|RUNNING|jobsub-0123456789abcdef:0\n"
                        "8_1|PENDING|jobsub-0123456789abcdef:10\n9|PENDING|jobsub-ffffffffffffffff:0\n");
    const jobsub::Status status = slurm.submit(2);
    BOOST_REQUIRE_MESSAGE(status.ok, status.message);
    BOOST_TEST(slurm.runner.calls_of("sbatch").size() == 1u);
    BOOST_REQUIRE_EQUAL(slurm.result.arrays.size(), 1u);
    BOOST_TEST(slurm.result.arrays[0].native_id == "7");
    BOOST_TEST(slurm.result.native_id == "7");
    BOOST_REQUIRE_EQUAL(slurm.context.lines.size(), 2u);
    BOOST_TEST(slurm.context.lines[1].find("but Slurm holds the jobs as 7: taken once, not sent again") !=
                   std::string::npos,
               slurm.context.lines[1]);
  }
}

BOOST_AUTO_TEST_CASE(an_array_the_queue_forgot_is_found_in_accounting_by_its_submit_line) {
  Slurm slurm;
  slurm.runner.answer("sbatch", 1, "", "sbatch: error: Batch job submission failed: Socket timed out\n");
  slurm.runner.answer("squeue", 0, "");
  slurm.runner.answer("sacct", 0,
                      "12_1|COMPLETED|0:0|sbatch --parsable --array=1-2 --comment=jobsub-0123456789abcdef:0 "
                      "/r/batch-1.sh 0\n12_2|COMPLETED|0:0|sbatch --parsable --array=1-2 "
                      "--comment=jobsub-0123456789abcdef:0 /r/batch-1.sh 0\n"
                      "13|COMPLETED|0:0|sbatch --parsable other.sh\n");
  const jobsub::Status status = slurm.submit(2);
  BOOST_REQUIRE_MESSAGE(status.ok, status.message);
  BOOST_TEST(slurm.result.native_id == "12");
  BOOST_TEST(slurm.runner.calls_of("sbatch").size() == 1u);
  const jobsub::Argv sacct = slurm.runner.calls_of("sacct").at(0);
  BOOST_TEST(sacct.at(4) == "--format=JobID,State,ExitCode,SubmitLine");
}

BOOST_AUTO_TEST_CASE(a_failed_sbatch_is_not_sent_again_when_slurm_cannot_be_asked) {
  Slurm slurm;
  slurm.runner.answer("sbatch", 1, "",
                      "sbatch: error: Batch job submission failed: Socket timed out on send/recv\n");
  slurm.runner.answer("squeue", 1, "", "squeue: error: Unable to contact slurm controller\n");
  const jobsub::Status status = slurm.submit(2);
  BOOST_TEST(!status.ok);
  BOOST_TEST(slurm.runner.calls_of("sbatch").size() == 1u);
  BOOST_TEST(status.message.find("Slurm could not be asked whether it took the jobs all the same") !=
                 std::string::npos,
             status.message);
  BOOST_TEST(status.message.find("`jobsub submit --resume` looks again") != std::string::npos,
             status.message);
}

BOOST_AUTO_TEST_CASE(the_cap_on_running_jobs_chains_the_arrays_when_it_cannot_be_split) {
  Slurm slurm({{"max-array-size", "3"}, {"submit-retry-delay", "0"}});  // arrays of 2
  auto request = jobsub::testing::request_for({{1, 6}}, 6);
  request.max_running = 1;
  jobsub::RenderedBatch plan;
  BOOST_REQUIRE(slurm.scheduler.render(request, plan).ok);
  BOOST_REQUIRE_EQUAL(plan.all_submit_argvs.size(), 3u);
  BOOST_TEST(plan.all_submit_argvs[0][2] == "--array=1-2%1");
  BOOST_TEST(plan.all_submit_argvs[1][3] == "--dependency=afterany:<id of call 1>");
  slurm.runner.answer("sbatch", 0, "41\n");
  slurm.runner.answer("sbatch", 0, "42\n");
  slurm.runner.answer("sbatch", 0, "43\n");
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  BOOST_REQUIRE(slurm.scheduler.submit(request, plan, context, result).ok);
  const auto calls = slurm.runner.calls_of("sbatch");
  BOOST_REQUIRE_EQUAL(calls.size(), 3u);
  BOOST_TEST(calls[1][3] == "--dependency=afterany:41");
  BOOST_TEST(calls[2][3] == "--dependency=afterany:42");
  BOOST_TEST(result.native_id == "41,42,43");
}

BOOST_AUTO_TEST_CASE(a_refused_sbatch_is_looked_up_once_not_retried_and_says_why) {
  Slurm slurm;
  slurm.runner.answer("sbatch", 1, captured("slurm/sbatch-bad-partition.out"),
                      captured("slurm/sbatch-bad-partition.err"));
  slurm.runner.answer("squeue", 0, "");
  const jobsub::Status status = slurm.submit(3);
  BOOST_TEST(!status.ok);
  BOOST_TEST(status.message.find("Invalid partition name specified") != std::string::npos, status.message);
  BOOST_TEST(slurm.runner.calls_of("sbatch").size() == 1u);
  BOOST_TEST(slurm.runner.calls_of("squeue").size() == 1u);
  BOOST_TEST(slurm.context.lines.empty());  // no pause, no retry
}

BOOST_AUTO_TEST_CASE(retries_end_with_one_more_look_and_the_count_of_attempts) {
  // submit-attempts 3, and the same by the names before 0.2 (submit-retries N is N+1 attempts).
  for (const jobsub::PluginOptions& options :
       {jobsub::PluginOptions{
            {"max-array-size", "1001"}, {"submit-retry-delay", "0"}, {"submit-attempts", "3"}},
        jobsub::PluginOptions{{"max-array-size", "1001"}, {"retry-delay", "0"}, {"submit-retries", "2"}}}) {
    Slurm slurm(options);
    slurm.runner.answer("sbatch", 1, "",
                        "sbatch: error: Slurm controller not responding, sleeping and retrying\n");
    slurm.runner.answer("squeue", 0, "");
    const jobsub::Status status = slurm.submit(3);
    BOOST_TEST(!status.ok);
    BOOST_TEST(status.message.find("after 3 attempts, sbatch: error: Slurm controller not responding") == 0u,
               status.message);
    BOOST_TEST(slurm.runner.calls_of("sbatch").size() == 3u);
    BOOST_TEST(slurm.runner.calls_of("squeue").size() == 3u);
    BOOST_TEST(slurm.context.lines.back().find("before giving up") != std::string::npos,
               slurm.context.lines.back());
  }
}

BOOST_AUTO_TEST_CASE(a_hung_client_is_an_error_that_names_the_command) {
  Slurm slurm;
  slurm.runner.time_out("squeue");
  std::vector<jobsub::TaskOutcome> out;
  const jobsub::Status status = slurm.scheduler.query({"2_1"}, out);
  BOOST_TEST(!status.ok);
  BOOST_TEST(status.message.find(
                 "`squeue --noheader --array --states=all --format=%i|%T|%r --jobs=2` did not answer "
                 "within 120 s") == 0u,
             status.message);
}

BOOST_AUTO_TEST_CASE(sacct_rows_of_every_end_and_the_exit_code_before_the_colon) {
  std::map<std::string, jobsub::batch::JobRow> rows;
  for (const auto& row : jobsub::slurm::parse_sacct(captured("slurm/sacct-mixed.out"))) rows[row.id] = row;
  BOOST_REQUIRE_EQUAL(rows.size(), 8u);
  BOOST_TEST((rows.at("2").state == JobState::failed));
  BOOST_TEST(rows.at("2").exit_code == 3);
  BOOST_TEST((rows.at("3").state == JobState::timeout));
  BOOST_TEST((rows.at("4").state == JobState::out_of_memory));  // although the script exited 0
  BOOST_TEST(rows.at("4").exit_code == 0);
  BOOST_TEST((rows.at("5").state == JobState::cancelled));
  BOOST_TEST(rows.at("5").native_state == "CANCELLED");  // not `CANCELLED by 0`
  BOOST_TEST(rows.at("1_2").task == 2u);
  BOOST_TEST(rows.at("1_2").source == "sacct");
  BOOST_TEST((rows.at("384").state == JobState::cancelled));  // an array cancelled before it started
  // Tasks that never started, as some versions list them: one row each.
  const auto pending = jobsub::slurm::parse_sacct("77_[2-3%1]|CANCELLED by 0|0:0\n");
  BOOST_REQUIRE_EQUAL(pending.size(), 2u);
  BOOST_TEST(pending[1].id == "77_3");
}

BOOST_AUTO_TEST_CASE(jobs_the_queue_forgot_are_asked_of_sacct_in_one_call_bounded_by_the_sweeps_time) {
  Slurm slurm({{"max-array-size", "1001"}, {jobsub::kSubmittedAfterOption, "1764547200"}});
  slurm.runner.answer("squeue", 1, "", captured("slurm/squeue-gone.err"));
  slurm.runner.answer("sacct", 0, captured("slurm/sacct-mixed.out"));
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(slurm.scheduler.query({"1_2", "3", "4", "384_1", "384_4"}, out).ok);
  const auto sacct = slurm.runner.calls_of("sacct");
  BOOST_REQUIRE_EQUAL(sacct.size(), 1u);
  BOOST_TEST(sacct[0].back() == "--jobs=1,3,384,4");
  BOOST_TEST(sacct[0][5] == "--starttime=" + jobsub::slurm::sacct_start(1764547200));
  BOOST_TEST(jobsub::slurm::sacct_start(0) == "now-30days");
  std::map<std::string, jobsub::TaskOutcome> by_id;
  for (const auto& o : out) by_id[o.native_id] = o;
  BOOST_REQUIRE_EQUAL(by_id.size(), 5u);
  BOOST_TEST((by_id.at("3").state == JobState::timeout));
  BOOST_TEST(by_id.at("3").source == "sacct");
  BOOST_TEST((by_id.at("3").evidence == jobsub::Evidence::scheduler));
  BOOST_TEST((by_id.at("4").state == JobState::out_of_memory));
  BOOST_TEST((by_id.at("384_4").state == JobState::cancelled));  // the array's own row
}

BOOST_AUTO_TEST_CASE(without_accounting_the_query_answers_what_the_queue_knows) {
  Slurm slurm;
  slurm.runner.answer("squeue", 1, "", captured("slurm/squeue-gone.err"));
  slurm.runner.answer("sacct", 1, captured("slurm/sacct-disabled.out"), captured("slurm/sacct-disabled.err"));
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(slurm.scheduler.query({"3"}, out).ok);
  BOOST_TEST(out.empty());
  jobsub::testing::ScriptedRunner hung;  // a sacct that never answers is no answer either
  jobsub::slurm::SlurmScheduler scheduler;
  scheduler.use_runner(hung);
  BOOST_REQUIRE(scheduler.configure({{"max-array-size", "1001"}}).ok);
  hung.answer("squeue", 1, "", captured("slurm/squeue-gone.err"));
  hung.time_out("sacct");
  BOOST_REQUIRE(scheduler.query({"3"}, out).ok);
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(slurms_last_words_in_a_jobs_log_are_its_verdict) {
  const auto logs = std::filesystem::temp_directory_path() / "jobsub-slurm-log-test";
  std::filesystem::create_directories(logs);
  std::filesystem::copy_file(
      std::filesystem::path(JOBSUB_TEST_DATA_DIR) / "schedulers/slurm/slurm-time-limit.log",
      logs / "slurm-3.out", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(std::filesystem::path(JOBSUB_TEST_DATA_DIR) / "schedulers/slurm/slurm-oom.log",
                             logs / "slurm-4_2.out", std::filesystem::copy_options::overwrite_existing);
  Slurm slurm;
  jobsub::TaskOutcome out;
  BOOST_REQUIRE(slurm.scheduler.log_verdict(logs, "3", out));
  BOOST_TEST((out.state == JobState::timeout));
  BOOST_TEST(out.source == "Slurm log");
  BOOST_TEST((out.evidence == jobsub::Evidence::scheduler_log));
  BOOST_REQUIRE(slurm.scheduler.log_verdict(logs, "4_2", out));
  BOOST_TEST((out.state == JobState::out_of_memory));
  BOOST_TEST(!slurm.scheduler.log_verdict(logs, "5", out));  // no log
  std::filesystem::remove_all(logs);
}

BOOST_AUTO_TEST_CASE(a_held_batch_is_sbatch_hold_its_tasks_are_held_and_scontrol_releases_them) {
  // --canary --detach: the rest goes with --hold; the canary's script runs
  // `scontrol release` (comma-separated, scontrol(1)) or `scancel`.
  Slurm slurm;
  BOOST_TEST(slurm.scheduler.holds_batches());
  auto request = jobsub::testing::request_for({{2, 4}}, 4);
  request.hold = true;
  jobsub::RenderedBatch rendered;
  BOOST_REQUIRE(slurm.scheduler.render(request, rendered).ok);
  BOOST_TEST(rendered.submit_argv.at(1) == "--hold");
  jobsub::HeldBatchCommands commands;
  BOOST_REQUIRE(slurm.scheduler.held_batch_commands({"18", "21"}, commands).ok);
  BOOST_TEST(commands.release == (jobsub::Argv{"scontrol", "release", "18,21"}),
             jobsub::join(commands.release, " "));
  BOOST_TEST(commands.cancel == (jobsub::Argv{"scancel", "18", "21"}), jobsub::join(commands.cancel, " "));
  BOOST_TEST(!slurm.scheduler.held_batch_commands({}, commands).ok);

  slurm.runner.answer("squeue", 0, captured("slurm/squeue-held.out"));
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(slurm.scheduler.query({"18_1", "18_2", "18_3", "19"}, out).ok);
  BOOST_TEST(slurm.runner.calls_of("squeue").back().at(4) == "--format=%i|%T|%r");
  std::map<std::string, jobsub::TaskOutcome> by_id;
  for (const auto& o : out) by_id[o.native_id] = o;
  BOOST_REQUIRE_EQUAL(by_id.size(), 4u);
  BOOST_TEST((by_id.at("18_2").state == JobState::held));
  BOOST_TEST(by_id.at("18_2").native_state == "PENDING (JobHeldUser)");
  BOOST_TEST((by_id.at("19").state == JobState::running));
  BOOST_TEST(by_id.at("19").native_state == "RUNNING");
}

BOOST_AUTO_TEST_CASE(query_is_one_squeue_for_all_arrays_and_an_empty_queue_is_no_error) {
  Slurm slurm;
  slurm.runner.answer("squeue", 0, captured("slurm/squeue-mixed.out"));
  slurm.runner.answer("sacct", 0, "");
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(slurm.scheduler.query({"2_1", "2_2", "9_2", "4", "77_1"}, out).ok);
  BOOST_TEST(slurm.runner.calls_of("squeue").size() == 1u);
  BOOST_TEST(slurm.runner.calls_of("squeue").back().back() == "--jobs=2,4,77,9");
  BOOST_TEST(slurm.runner.calls_of("sacct").back().back() == "--jobs=77");  // only what squeue forgot
  BOOST_REQUIRE_EQUAL(out.size(), 4u);                                      // 77_1: in neither, so no answer
  std::map<std::string, JobState> states;
  for (const auto& o : out) states[o.native_id] = o.state;
  BOOST_TEST((states.at("9_2") == JobState::failed));
  BOOST_TEST((states.at("2_2") == JobState::queued));

  Slurm gone;
  gone.runner.answer("squeue", 1, captured("slurm/squeue-gone.out"), captured("slurm/squeue-gone.err"));
  gone.runner.answer("sacct", 0, "");
  out.clear();
  BOOST_TEST(gone.scheduler.query({"999999"}, out).ok);
  BOOST_TEST(out.empty());

  Slurm down;
  down.runner.answer("squeue", 1, "",
                     "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n");
  const auto status = down.scheduler.query({"2_1"}, out);
  BOOST_TEST(status.message ==
             "squeue failed: slurm_load_jobs error: Unable to contact slurm controller (connect failure)");
}

BOOST_AUTO_TEST_CASE(find_adopts_the_jobs_that_carry_the_token) {
  Slurm slurm;
  slurm.runner.answer("squeue", 0, captured("slurm/squeue-all-comments.out"));
  auto request = jobsub::testing::request_for({{1, 30}}, 30);
  request.token = "jobsub-00000000deadbeef";
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(slurm.scheduler.find(request, out).ok);
  std::set<std::pair<uint64_t, std::string>> found;
  for (const auto& o : out) found.insert({o.job, o.native_id});
  // Array 9 carries offset 10 (jobs 11-14), array 10 offset 20; `(null)` and other tokens are not ours.
  const std::set<std::pair<uint64_t, std::string>> expected = {
      {11, "9_1"}, {12, "9_2"}, {13, "9_3"}, {14, "9_4"}, {21, "10_1"}, {22, "10_2"}, {23, "10_3"}};
  BOOST_TEST((found == expected));
}

BOOST_AUTO_TEST_CASE(cancel_is_one_scancel) {
  Slurm slurm;
  slurm.runner.answer("scancel", 0, captured("slurm/scancel-unknown.out"),
                      captured("slurm/scancel-unknown.err"));
  BOOST_TEST(slurm.scheduler.cancel({"2_1", "3"}).ok);
  BOOST_TEST((slurm.runner.calls.back() == jobsub::Argv{"scancel", "2_1", "3"}));
}

BOOST_AUTO_TEST_CASE(no_array_submits_one_job_per_combination_with_its_number) {
  Slurm slurm;
  slurm.runner.answer("sbatch", 0, "41\n");
  slurm.runner.answer("sbatch", 0, "42\n");
  auto request = jobsub::testing::request_for({{2, 3}}, 3);
  request.array = false;
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  BOOST_REQUIRE(slurm.scheduler.submit(request, {}, context, result).ok);
  BOOST_REQUIRE_EQUAL(result.outcomes.size(), 2u);
  BOOST_TEST(result.outcomes[1].job == 3u);
  BOOST_TEST(result.outcomes[1].native_id == "42");
  BOOST_TEST(result.native_id == "41,42");
  BOOST_TEST(slurm.runner.calls_of("sbatch")[1].back() == "3");
}

BOOST_AUTO_TEST_SUITE_END()
