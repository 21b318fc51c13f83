// The LSF dialect without an LSF (none can be installed here): its parsers on
// answers in the formats of IBM's LSF 10.1 command reference, and the
// scheduler through a scripted runner.
#include "lsf.h"

#include <boost/test/unit_test.hpp>

#include "scripted_runner.h"

using jobsub::JobState;

namespace {

// bjobs -a -noheader -o "jobid jobindex stat exit_code exit_reason job_description delimiter='|'"
const char* const kBjobs =
    "300|1|DONE|-|-|jobsub-0123456789abcdef:0\n"
    "300|2|EXIT|4|-|jobsub-0123456789abcdef:0\n"
    "300|3|EXIT|-|TERM_RUNLIMIT: job killed after reaching LSF run time limit|jobsub-0123456789abcdef:0\n"
    "300|4|RUN|-|-|jobsub-0123456789abcdef:0\n"
    "300|5|PEND|-|-|jobsub-0123456789abcdef:0\n"
    "301|0|EXIT|130|TERM_OWNER: job killed by owner|jobsub-0123456789abcdef:5\n"
    "302|0|EXIT|-|TERM_MEMLIMIT: job killed after reaching LSF memory usage limit|-\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(lsf)

BOOST_AUTO_TEST_CASE(bsub_and_bjobs_answers) {
  BOOST_TEST(*jobsub::lsf::parse_bsub("Job <1234> is submitted to default queue <normal>.\n") == "1234");
  BOOST_TEST(!jobsub::lsf::parse_bsub("Request aborted by esub. Job not submitted.\n"));
  std::map<std::string, jobsub::batch::JobRow> rows;
  for (const auto& row : jobsub::lsf::parse_bjobs(kBjobs)) rows[row.id] = row;
  BOOST_REQUIRE_EQUAL(rows.size(), 7u);
  BOOST_TEST((rows.at("300[1]").state == JobState::completed));
  BOOST_TEST(rows.at("300[1]").exit_code == 0);
  BOOST_TEST((rows.at("300[2]").state == JobState::failed));
  BOOST_TEST(rows.at("300[2]").exit_code == 4);
  BOOST_TEST((rows.at("300[3]").state == JobState::timeout));
  BOOST_TEST((rows.at("300[4]").state == JobState::running));
  BOOST_TEST((rows.at("300[5]").state == JobState::queued));
  BOOST_TEST(rows.at("300[5]").task == 5u);
  BOOST_TEST((rows.at("301").state == JobState::cancelled));
  BOOST_TEST((rows.at("302").state == JobState::out_of_memory));
}

BOOST_AUTO_TEST_CASE(find_reads_the_token_from_the_job_description) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("bjobs", 0, kBjobs);
  jobsub::lsf::LsfScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({}).ok);
  std::vector<jobsub::TaskOutcome> found;
  BOOST_REQUIRE(scheduler.find(jobsub::testing::request_for({{1, 6}}, 6), found).ok);
  BOOST_REQUIRE_EQUAL(found.size(), 6u);
  BOOST_TEST(found.back().job == 5u);  // job 301 alone, offset 5
  BOOST_TEST(found.back().native_id == "301");
}

BOOST_AUTO_TEST_CASE(submit_feeds_the_script_on_stdin_and_query_forgets_nothing) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("bsub", 0, "Job <300> is submitted to default queue <normal>.\n");
  runner.answer("bjobs", 255, "", "Job <299> is not found\n");
  jobsub::lsf::LsfScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({}).ok);
  const auto request = jobsub::testing::request_for({{1, 5}}, 5);
  jobsub::testing::RecordingContext context;
  jobsub::SubmitResult result;
  BOOST_REQUIRE(scheduler.submit(request, {}, context, result).ok);
  BOOST_TEST(runner.stdin_files.back() == request.script_path);
  BOOST_TEST(result.arrays.at(0).task_id(5) == "300[5]");
  std::vector<jobsub::TaskOutcome> states;
  BOOST_TEST(scheduler.query({"299[1]"}, states).ok);  // forgotten: no answer, no error
  BOOST_TEST(states.empty());
  BOOST_TEST(
      (runner.calls.back() ==
       jobsub::Argv{"bjobs", "-a", "-noheader", "-o",
                    "jobid jobindex stat exit_code exit_reason job_description delimiter='|'", "299"}));
}

BOOST_AUTO_TEST_SUITE_END()
