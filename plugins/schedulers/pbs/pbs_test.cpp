// The PBS dialects without a PBS (none can be installed here): the parsers on
// answers in the formats of OpenPBS's `qstat -f -F json` and Torque's
// `qstat -f`, as their manuals show them, and the scheduler through a
// scripted runner.
#include "pbs.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "scripted_runner.h"

using jobsub::JobState;

namespace {

const char* const kProJson = R"({
    "timestamp":1764527400,
    "pbs_version":"23.06.06",
    "pbs_server":"head",
    "Jobs":{
        "12[].head":{"Job_Name":"sweep","job_state":"B","array":"True",
                     "Variable_List":{"JOBSUB_OFFSET":"0","JOBSUB_TOKEN":"jobsub-0123456789abcdef:0"}},
        "12[1].head":{"job_state":"X","Exit_status":0,
                      "Variable_List":{"JOBSUB_OFFSET":"0","JOBSUB_TOKEN":"jobsub-0123456789abcdef:0"}},
        "12[2].head":{"job_state":"X","Exit_status":-29,
                      "Variable_List":{"JOBSUB_OFFSET":"0","JOBSUB_TOKEN":"jobsub-0123456789abcdef:0"}},
        "12[3].head":{"job_state":"R",
                      "Variable_List":{"JOBSUB_OFFSET":"0","JOBSUB_TOKEN":"jobsub-0123456789abcdef:0"}},
        "13.head":{"job_state":"F","Exit_status":271,"Variable_List":{"PBS_O_HOME":"/root"}}
    }
})";

const char* const kTorqueText =
    "Job Id: 20[1].head\n"
    "    Job_Name = sweep-1\n"
    "    job_state = C\n"
    "    exit_status = 3\n"
    "    Variable_List = PBS_O_HOME=/root,JOBSUB_OFFSET=4,\n"
    "\tJOBSUB_TOKEN=jobsub-0123456789abcdef:4\n"
    "\n"
    "Job Id: 20[2].head\n"
    "    job_state = Q\n"
    "    Variable_List = JOBSUB_OFFSET=4,JOBSUB_TOKEN=jobsub-0123456789abcdef:4\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(pbs)

BOOST_AUTO_TEST_CASE(pbs_pro_json_states_and_exit_statuses) {
  std::map<std::string, jobsub::batch::JobRow> rows;
  for (const auto& row : jobsub::pbs::parse_qstat_json(kProJson)) rows[row.id] = row;
  BOOST_TEST((rows.at("12[1].head").state == JobState::completed));
  BOOST_TEST(rows.at("12[1].head").task == 1u);
  BOOST_TEST((rows.at("12[2].head").state == JobState::timeout));  // -29: walltime
  BOOST_TEST((rows.at("12[3].head").state == JobState::running));
  BOOST_TEST((rows.at("13.head").state == JobState::cancelled));  // 256 + SIGTERM from qdel
  BOOST_TEST(rows.at("12[3].head").tag.find("JOBSUB_TOKEN=jobsub-0123456789abcdef:0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(torque_text_with_a_continued_variable_list) {
  const auto rows = jobsub::pbs::parse_qstat_text(kTorqueText);
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST((rows[0].state == JobState::failed));
  BOOST_TEST(rows[0].exit_code == 3);
  BOOST_TEST(rows[0].tag.find("JOBSUB_TOKEN=jobsub-0123456789abcdef:4") != std::string::npos);
  BOOST_TEST((rows[1].state == JobState::queued));
}

BOOST_AUTO_TEST_CASE(find_and_query_through_one_qstat) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("qstat", 0, kProJson);
  jobsub::pbs::PbsScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({{"dialect", "pro"}}).ok);
  std::vector<jobsub::TaskOutcome> found;
  BOOST_REQUIRE(scheduler.find(jobsub::testing::request_for({{1, 3}}, 3), found).ok);
  BOOST_REQUIRE_EQUAL(found.size(), 3u);  // the tasks, not the array `12[]`
  std::vector<jobsub::TaskOutcome> states;
  BOOST_REQUIRE(scheduler.query({"12[2].head", "13.head"}, states).ok);
  BOOST_REQUIRE_EQUAL(states.size(), 2u);
  BOOST_TEST((runner.calls.back() == jobsub::Argv{"qstat", "-f", "-F", "json", "-x", "-t"}));
}

BOOST_AUTO_TEST_CASE(an_array_id_spells_its_tasks_with_the_server) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("qsub", 0, "12[].head\n");
  jobsub::pbs::PbsScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({{"dialect", "torque"}}).ok);
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  BOOST_REQUIRE(scheduler.submit(jobsub::testing::request_for({{1, 3}}, 3), {}, context, result).ok);
  BOOST_REQUIRE_EQUAL(result.arrays.size(), 1u);
  BOOST_TEST(result.arrays[0].task_id(2) == "12[2].head");
}

BOOST_AUTO_TEST_CASE(an_array_qsub_took_before_its_answer_was_lost_is_adopted_by_its_array_id) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("qsub", 1, "", "qsub: cannot connect to server head (errno=15007)\n");
  runner.answer("qstat", 0, kProJson);  // 12[] carries the token of chunk 0
  jobsub::pbs::PbsScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({{"dialect", "pro"}, {"submit-retry-delay", "0"}}).ok);
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  const jobsub::Status status =
      scheduler.submit(jobsub::testing::request_for({{1, 3}}, 3), {}, context, result);
  BOOST_REQUIRE_MESSAGE(status.ok, status.message);
  BOOST_TEST(runner.calls_of("qsub").size() == 1u);
  BOOST_REQUIRE_EQUAL(result.arrays.size(), 1u);
  BOOST_TEST(result.native_id == "12[].head");
  BOOST_TEST(result.arrays[0].task_id(3) == "12[3].head");
}

BOOST_AUTO_TEST_CASE(torque_chains_an_array_after_an_array_with_afteranyarray_also_in_a_dry_run) {
  // -j 1 over two arrays (array-limit 2 cuts jobs 1-3 in two): the second
  // waits for the first to end, and Torque waits on an array with its own type.
  jobsub::testing::ScriptedRunner runner;
  runner.answer("qsub", 0, "12[].head\n");
  runner.answer("qsub", 0, "13[].head\n");
  jobsub::pbs::PbsScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({{"dialect", "torque"}, {"array-limit", "2"}}).ok);
  auto request = jobsub::testing::request_for({{1, 3}}, 3);
  request.max_running = 1;
  jobsub::RenderedBatch rendered;
  BOOST_REQUIRE(scheduler.render(request, rendered).ok);
  BOOST_REQUIRE_EQUAL(rendered.all_submit_argvs.size(), 2u);
  const auto& planned = rendered.all_submit_argvs[1];
  BOOST_TEST(
      (std::find(planned.begin(), planned.end(), "depend=afteranyarray:<id of call 1>") != planned.end()));
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  BOOST_REQUIRE(scheduler.submit(request, rendered, context, result).ok);
  const auto sent = runner.calls_of("qsub");
  BOOST_REQUIRE_EQUAL(sent.size(), 2u);
  BOOST_TEST((std::find(sent[1].begin(), sent[1].end(), "depend=afteranyarray:12[].head") != sent[1].end()));
}

BOOST_AUTO_TEST_CASE(the_dialect_is_told_by_qstat_version) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("qstat", 0, "Version: 6.1.3\nCommit: abc\n");
  jobsub::pbs::PbsScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({}).ok);
  jobsub::RenderedBatch rendered;
  auto request = jobsub::testing::request_for({{1, 3}}, 3);
  request.resources = {{"cpus", "4"}};
  BOOST_REQUIRE(scheduler.render(request, rendered).ok);
  BOOST_TEST(rendered.script.find("#PBS -l nodes=1:ppn=4\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
