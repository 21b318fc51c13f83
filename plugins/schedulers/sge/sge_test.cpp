// The Grid Engine dialect without a cluster: its parsers on output captured
// from a real Grid Engine 8.1.9 (tests/data/schedulers/sge/README.md), and the
// whole scheduler driven through a scripted runner.
#include "sge.h"

#include <boost/test/unit_test.hpp>
#include <set>

#include "scripted_runner.h"

using jobsub::JobState;
using jobsub::testing::captured;

namespace {

struct Sge {
  jobsub::testing::ScriptedRunner runner;
  jobsub::sge::SgeScheduler scheduler;
  Sge() {
    scheduler.use_runner(runner);
    const jobsub::Status status =
        scheduler.configure({{"max-array-tasks", "100"}, {"submit-retry-delay", "0"}});
    BOOST_REQUIRE_MESSAGE(status.ok, status.message);
  }
};

std::map<std::string, jobsub::batch::JobRow> by_id(const std::vector<jobsub::batch::JobRow>& rows) {
  std::map<std::string, jobsub::batch::JobRow> out;
  for (const auto& row : rows) out[row.id] = row;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sge)

BOOST_AUTO_TEST_CASE(queue_limits_from_qconf) {
  const jobsub::ResourceLimits none = jobsub::sge::parse_queue_limits(captured("sge/qconf-sq.out"), "all.q");
  BOOST_TEST(none.time_seconds == 0u);
  BOOST_TEST(none.where == "queue all.q");
  const jobsub::ResourceLimits h_rt =
      jobsub::sge::parse_queue_limits(captured("sge/qconf-sq-h_rt.out"), "all.q");
  BOOST_TEST(h_rt.time_seconds == 5400u);
  BOOST_TEST(h_rt.mem_mib == 0u);  // per slot, and named by the site: not read
  BOOST_TEST(jobsub::sge::parse_queue_limits("h_rt 7200\n", "q").time_seconds == 7200u);  // seconds
}

BOOST_AUTO_TEST_CASE(a_held_batch_is_qsub_h_and_qrls_releases_it) {
  // --canary --detach: qsub -h (a user hold), qrls(1) or qdel on the ids.
  Sge sge;
  BOOST_TEST(sge.scheduler.holds_batches());
  auto request = jobsub::testing::request_for({{2, 4}}, 4);
  request.hold = true;
  jobsub::RenderedBatch rendered;
  BOOST_REQUIRE(sge.scheduler.render(request, rendered).ok);
  BOOST_TEST(rendered.submit_argv.at(0) == "qsub");
  BOOST_TEST(rendered.submit_argv.at(1) == "-h");
  jobsub::HeldBatchCommands commands;
  BOOST_REQUIRE(sge.scheduler.held_batch_commands({"18", "21"}, commands).ok);
  BOOST_TEST(commands.release == (jobsub::Argv{"qrls", "18", "21"}));
  BOOST_TEST(commands.cancel == (jobsub::Argv{"qdel", "18", "21"}));
}

BOOST_AUTO_TEST_CASE(qsub_terse_answers) {
  BOOST_TEST(*jobsub::sge::parse_qsub(captured("sge/qsub-array.out")) == "5");  // `5.1-3:1`
  BOOST_TEST(*jobsub::sge::parse_qsub(captured("sge/qsub-single.out")) == "6");
  BOOST_TEST(!jobsub::sge::parse_qsub("Your job 6 (\"x\") has been submitted\n"));
}

BOOST_AUTO_TEST_CASE(qstat_g_d_gives_one_row_per_task_by_column) {
  const auto rows = by_id(jobsub::sge::parse_qstat_tasks(captured("sge/qstat-mixed.out")));
  BOOST_TEST(rows.size() == 13u);
  BOOST_TEST((rows.at("4.2").state == JobState::running));
  BOOST_TEST(rows.at("4.2").task == 2u);
  BOOST_TEST((rows.at("6").state == JobState::running));  // not an array: no task column
  BOOST_TEST(rows.at("6").task == 0u);
  BOOST_TEST((rows.at("5.3").state == JobState::queued));  // pending: no queue column either
  BOOST_TEST((rows.at("7").state == JobState::held));
  BOOST_TEST(rows.at("7").native_state == "hqw");
  BOOST_TEST((rows.at("8.2").state == JobState::held));
  const auto error = jobsub::sge::parse_qstat_tasks(captured("sge/qstat-with-error.out"));
  BOOST_TEST(std::any_of(error.begin(), error.end(), [](const auto& r) {
    return r.native_state == "Eqw" && r.state == JobState::failed;
  }));
}

BOOST_AUTO_TEST_CASE(qstat_j_gives_each_jobs_context) {
  const auto contexts = jobsub::sge::parse_qstat_contexts(captured("sge/qstat-jobs-detail.out"));
  BOOST_TEST(contexts.at("5") == "jobsub=jobsub-0123456789abcdef:0");
  BOOST_TEST(contexts.at("9") == "jobsub=jobsub-00000000deadbeef:50");
  BOOST_TEST(!contexts.count("10"));  // submitted without -ac
}

BOOST_AUTO_TEST_CASE(qacct_verdicts) {
  const auto completed = by_id(jobsub::sge::parse_qacct(captured("sge/qacct-array-completed.out"), "1"));
  BOOST_REQUIRE_EQUAL(completed.size(), 3u);
  for (const auto& [id, row] : completed) {
    BOOST_TEST((row.state == JobState::completed), id);
    BOOST_TEST(row.exit_code == 0);
  }
  const auto exit3 = jobsub::sge::parse_qacct(captured("sge/qacct-exit3.out"), "2");
  BOOST_REQUIRE_EQUAL(exit3.size(), 1u);
  BOOST_TEST(exit3[0].id == "2");  // taskid undefined: not an array
  BOOST_TEST((exit3[0].state == JobState::failed));
  BOOST_TEST(exit3[0].exit_code == 3);
  const auto killed = jobsub::sge::parse_qacct(captured("sge/qacct-h_rt-killed.out"), "3");
  BOOST_REQUIRE_EQUAL(killed.size(), 1u);
  BOOST_TEST((killed[0].state == JobState::timeout));  // failed 37: qmaster enforced h_rt
  BOOST_TEST(killed[0].native_state == "qacct failed=37 exit_status=137");
  const auto deleted = jobsub::sge::parse_qacct(captured("sge/qacct-task-deleted-running.out"), "4");
  BOOST_REQUIRE(!deleted.empty());
  BOOST_TEST((deleted[0].state == JobState::cancelled));  // failed 100 with a signal
  BOOST_TEST(jobsub::sge::parse_qacct(captured("sge/qacct-unknown.out"), "999999").empty());
}

BOOST_AUTO_TEST_CASE(submit_reads_the_terse_id_and_a_refusal_says_why) {
  Sge sge;
  sge.runner.answer("qsub", 0, captured("sge/qsub-array.out"));
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  const auto request = jobsub::testing::request_for({{1, 3}}, 3);
  BOOST_REQUIRE(sge.scheduler.submit(request, {}, context, result).ok);
  BOOST_REQUIRE_EQUAL(result.arrays.size(), 1u);
  BOOST_TEST(result.arrays[0].task_id(2) == "5.2");
  const auto& argv = sge.runner.calls.back();
  BOOST_TEST((std::find(argv.begin(), argv.end(), "jobsub=jobsub-0123456789abcdef:0") != argv.end()));

  Sge refused;
  refused.runner.answer("qsub", 1, captured("sge/qsub-bad-queue.out"), captured("sge/qsub-bad-queue.err"));
  refused.runner.answer("qstat", 0, "");  // the look-up before giving up: no job carries the token
  const auto status = refused.scheduler.submit(request, {}, context, result);
  BOOST_TEST(
      status.message ==
      "qsub (exit 1): Unable to run job: Job was rejected because job requests unknown queue \"nosuch.q\"\n"
      "Exiting.");
  BOOST_TEST(refused.runner.calls_of("qsub").size() == 1u);  // a refusal is not retried
}

BOOST_AUTO_TEST_CASE(a_qsub_that_failed_is_not_sent_again_while_qmaster_cannot_be_asked) {
  Sge sge;
  const std::string down =
      "error: commlib error: got select error (Connection refused)\n"
      "Unable to run job: unable to send message to qmaster using port 6444 on host \"vm\": "
      "got send error\nExiting.\n";
  sge.runner.answer("qsub", 1, "", down);
  sge.runner.answer("qstat", 1, "", "error: commlib error: got select error (Connection refused)\n");
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  const auto status = sge.scheduler.submit(jobsub::testing::request_for({{1, 3}}, 3), {}, context, result);
  BOOST_TEST(!status.ok);
  BOOST_TEST(
      status.message.find("Grid Engine could not be asked whether it took the jobs") != std::string::npos,
      status.message);
  BOOST_TEST(sge.runner.calls_of("qsub").size() == 1u);
  // No job at all is an answer: "Following jobs do not exist".
  Sge empty;
  empty.runner.answer("qsub", 1, "", down);
  empty.runner.answer("qsub", 0, captured("sge/qsub-array.out"));
  empty.runner.answer("qstat", 1, "", "Following jobs do not exist: \n*\n");
  BOOST_REQUIRE(empty.scheduler.submit(jobsub::testing::request_for({{1, 3}}, 3), {}, context, result).ok);
  BOOST_TEST(empty.runner.calls_of("qsub").size() == 2u);
}

BOOST_AUTO_TEST_CASE(jobs_gone_from_qstat_are_asked_of_qacct_in_one_call) {
  Sge sge;
  sge.runner.answer("qstat", 0, captured("sge/qstat-mixed.out"));
  // The user's records: jobs 3 (asked) and 1 (not asked, left out).
  sge.runner.answer("qacct", 0,
                    captured("sge/qacct-h_rt-killed.out") + captured("sge/qacct-array-completed.out"));
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(sge.scheduler.query({"4.2", "3", "11.1"}, out).ok);
  const auto qacct = sge.runner.calls_of("qacct");
  BOOST_REQUIRE_EQUAL(qacct.size(), 1u);
  BOOST_TEST((std::vector<std::string>(qacct[0].begin() + 3, qacct[0].end()) ==
              std::vector<std::string>{"-j", "*"}));
  std::map<std::string, jobsub::TaskOutcome> by_id;
  for (const auto& o : out) by_id[o.native_id] = o;
  BOOST_REQUIRE_EQUAL(by_id.size(), 2u);  // 11.1: in neither
  BOOST_TEST((by_id.at("4.2").state == JobState::running));
  BOOST_TEST((by_id.at("3").state == JobState::timeout));
  BOOST_TEST(by_id.at("3").source == "qacct");
}

BOOST_AUTO_TEST_CASE(find_matches_the_context_to_the_tasks_in_the_queue) {
  Sge sge;
  sge.runner.answer("qstat", 0, captured("sge/qstat-jobs-detail.out"));  // qstat -j '*'
  sge.runner.answer("qstat", 0, captured("sge/qstat-mixed.out"));        // qstat -g d
  auto request = jobsub::testing::request_for({{1, 60}}, 60);
  request.token = "jobsub-00000000deadbeef";
  std::vector<jobsub::TaskOutcome> out;
  BOOST_REQUIRE(sge.scheduler.find(request, out).ok);
  std::set<std::pair<uint64_t, std::string>> found;
  for (const auto& o : out) found.insert({o.job, o.native_id});
  // Job 4 carries offset 35 (its task 2 is job 37), 8 offset 40, 9 offset 50.
  const std::set<std::pair<uint64_t, std::string>> expected = {
      {37, "4.2"}, {41, "8.1"}, {42, "8.2"}, {51, "9.1"}, {52, "9.2"}, {53, "9.3"}, {54, "9.4"}};
  BOOST_TEST((found == expected));
}

BOOST_AUTO_TEST_CASE(qdel_of_a_job_already_gone_is_not_a_failure) {
  Sge sge;
  // `denied: job "999999" does not exist`, exit 1, on stdout.
  sge.runner.answer("qdel", 1, captured("sge/qdel-unknown.out"), captured("sge/qdel-unknown.err"));
  BOOST_TEST(sge.scheduler.cancel({"999999"}).ok);
  Sge broken;
  broken.runner.answer("qdel", 1, "", "error: commlib error: got select error (Connection refused)\n");
  BOOST_TEST(broken.scheduler.cancel({"5.1"}).message.find("qdel failed: error: commlib error") == 0u);
}

BOOST_AUTO_TEST_CASE(max_aj_tasks_comes_from_qconf) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("qconf", 0, captured("sge/qconf-sconf.out"));
  jobsub::sge::SgeScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({}).ok);
  const auto chunks = scheduler.plan(jobsub::testing::request_for({{1, 80000}}, 80000));
  BOOST_REQUIRE_EQUAL(chunks.size(), 2u);  // max_aj_tasks 75000
  BOOST_TEST(chunks[1].offset == 75000u);
  BOOST_TEST(chunks[1].tasks() == 5000u);
}

BOOST_AUTO_TEST_SUITE_END()
