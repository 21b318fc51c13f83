// The LSF dialect without an LSF (none can be installed here): its parsers on
// answers in the formats of IBM's LSF 10.1 command reference, and the
// scheduler through a scripted runner.
#include "lsf.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

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

// bacct -l 300 301 302 303, in the layout of IBM's LSF 10.1 bacct reference:
// lines wrapped at 79 columns, cut anywhere (here inside `Status <EXIT>` and
// `TERM_RUNLIMIT`), the rest indented by 21 spaces. Written from the
// documentation, not captured (no LSF can be installed here).
const char* const kBacct =
    "Accounting information about jobs that are:\n"
    "  - submitted by all users.\n"
    "  - accounted on all projects.\n"
    "  - completed normally or exited\n"
    "  - executed on all hosts.\n"
    "  - submitted to all queues.\n"
    "  - accounted on all service classes.\n"
    "------------------------------------------------------------------------------\n"
    "\n"
    "Job <300[1]>, Job Name <sweep[1]>, User <ana>, Project <default>, Status <DONE>\n"
    "                     , Queue <normal>, Command <#!/bin/bash;#BSUB -n 2>\n"
    "Tue Dec  1 02:00:05: Submitted from host <login1>, CWD <$HOME>;\n"
    "Tue Dec  1 02:00:06: Dispatched to <node3>;\n"
    "Tue Dec  1 02:01:06: Completed <done>.\n"
    "\n"
    "Accounting information about this job:\n"
    "     CPU_T     WAIT     TURNAROUND   STATUS     HOG_FACTOR    MEM    SWAP\n"
    "      0.08        1             61     done         0.0013     5M    222M\n"
    "------------------------------------------------------------------------------\n"
    "\n"
    "Job <300[2]>, Job Name <sweep[2]>, User <ana>, Project <default>, Status <EX\n"
    "                     IT>, Queue <normal>, Command <#!/bin/bash;#BSUB -n 2>\n"
    "Tue Dec  1 02:00:05: Submitted from host <login1>, CWD <$HOME>;\n"
    "Tue Dec  1 02:00:06: Dispatched to <node3>;\n"
    "Tue Dec  1 02:00:09: Completed <exit>.\n"
    "\n"
    "Accounting information about this job:\n"
    "     CPU_T     WAIT     TURNAROUND   STATUS     HOG_FACTOR    MEM    SWAP\n"
    "      0.02        1              4     exit         0.0050     2M     25M\n"
    "------------------------------------------------------------------------------\n"
    "\n"
    "Job <301>, Job Name <sweep>, User <ana>, Project <default>, Status <EXIT>, Queu\n"
    "                     e <normal>, Command <#!/bin/bash;#BSUB -W 0:01>\n"
    "Tue Dec  1 02:00:05: Submitted from host <login1>, CWD <$HOME>;\n"
    "Tue Dec  1 02:00:06: Dispatched to <node4>;\n"
    "Tue Dec  1 02:01:07: Completed <exit>; TERM_RUNLI\n"
    "                     MIT: job killed after reaching LSF run time limit.\n"
    "\n"
    "Accounting information about this job:\n"
    "     CPU_T     WAIT     TURNAROUND   STATUS     HOG_FACTOR    MEM    SWAP\n"
    "      0.01        1             62     exit         0.0002     2M     25M\n"
    "------------------------------------------------------------------------------\n"
    "\n"
    "Job <302>, Job Name <sweep>, User <ana>, Project <default>, Status <EXIT>, Queu\n"
    "                     e <normal>, Command <#!/bin/bash;#BSUB -M 100MB>\n"
    "Tue Dec  1 02:00:05: Submitted from host <login1>, CWD <$HOME>;\n"
    "Tue Dec  1 02:00:06: Dispatched to <node4>;\n"
    "Tue Dec  1 02:00:30: Completed <exit>; TERM_MEMLIMIT: job killed after reaching\n"
    "                      LSF memory usage limit.\n"
    "\n"
    "Accounting information about this job:\n"
    "     CPU_T     WAIT     TURNAROUND   STATUS     HOG_FACTOR    MEM    SWAP\n"
    "      3.20        1             25     exit         0.1280   101M    125M\n"
    "------------------------------------------------------------------------------\n"
    "\n"
    "Job <303>, Job Name <sweep>, User <ana>, Project <default>, Status <EXIT>, Queu\n"
    "                     e <normal>, Command <#!/bin/bash>\n"
    "Tue Dec  1 02:00:30: Completed <exit>; TERM_PREEMPT: job killed after preemption.\n"
    "------------------------------------------------------------------------------\n"
    "\n"
    "Job <303>, Job Name <sweep>, User <ana>, Project <default>, Status <EXIT>, Queu\n"
    "                     e <normal>, Command <#!/bin/bash>\n"
    "Tue Dec  1 02:05:30: Completed <exit>; TERM_FORCE_OWNER: job killed by owner without time for cleanup.\n"
    "------------------------------------------------------------------------------\n"
    "\n"
    "SUMMARY:      ( time unit: second )\n"
    " Total number of done jobs:       1      Total number of exited jobs:     3\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(lsf)

BOOST_AUTO_TEST_CASE(bacct_records_with_their_wrapped_lines) {
  std::map<std::string, jobsub::batch::JobRow> rows;
  for (const auto& row : jobsub::lsf::parse_bacct(kBacct)) rows[row.id] = row;
  BOOST_REQUIRE_EQUAL(rows.size(), 5u);
  BOOST_TEST((rows.at("303").state == JobState::cancelled));  // its last run's record: killed by owner
  BOOST_TEST(rows.at("303").native_state == "EXIT (TERM_FORCE_OWNER)");
  BOOST_TEST(
      (jobsub::lsf::state_of("EXIT", "TERM_PREEMPT: job killed after preemption") == JobState::preempted));
  BOOST_TEST((rows.at("300[1]").state == JobState::completed));
  BOOST_TEST(rows.at("300[1]").exit_code == 0);
  BOOST_TEST(rows.at("300[1]").task == 1u);
  BOOST_TEST((rows.at("300[2]").state == JobState::failed));
  BOOST_TEST(rows.at("300[2]").exit_code == -1);  // bacct -l does not say it
  BOOST_TEST((rows.at("301").state == JobState::timeout));
  BOOST_TEST(rows.at("301").native_state == "EXIT (TERM_RUNLIMIT)");
  BOOST_TEST(rows.at("301").task == 0u);
  BOOST_TEST((rows.at("302").state == JobState::out_of_memory));
  BOOST_TEST(rows.at("302").source == "bacct");
  BOOST_TEST(jobsub::lsf::parse_bacct("No matching job found\n").empty());
}

BOOST_AUTO_TEST_CASE(a_job_bjobs_forgot_is_asked_of_bacct_in_one_call) {
  jobsub::testing::ScriptedRunner runner;
  runner.answer("bjobs", 0, "300|3|RUN|-|-|-\n", "Job <301> is not found\nJob <302> is not found\n");
  runner.answer("bacct", 0, kBacct);
  jobsub::lsf::LsfScheduler scheduler;
  scheduler.use_runner(runner);
  BOOST_REQUIRE(scheduler.configure({}).ok);
  std::vector<jobsub::TaskOutcome> states;
  BOOST_REQUIRE(scheduler.query({"300[1]", "300[3]", "301", "302"}, states).ok);
  std::map<std::string, jobsub::TaskOutcome> by_id;
  for (const auto& s : states) by_id[s.native_id] = s;
  BOOST_REQUIRE_EQUAL(by_id.size(), 4u);
  BOOST_TEST((by_id.at("300[3]").state == JobState::running));  // the queue's answer wins
  BOOST_TEST((by_id.at("300[1]").state == JobState::completed));
  BOOST_TEST((by_id.at("301").state == JobState::timeout));
  BOOST_TEST((by_id.at("301").evidence == jobsub::Evidence::scheduler));
  BOOST_TEST(by_id.at("301").source == "bacct");
  BOOST_TEST((by_id.at("302").state == JobState::out_of_memory));
  BOOST_TEST((runner.calls_of("bacct") == std::vector<jobsub::Argv>{{"bacct", "-l", "300", "301", "302"}}));
}

BOOST_AUTO_TEST_CASE(lsf_job_report_in_the_output_file_is_a_verdict) {
  const auto logs = std::filesystem::temp_directory_path() / "jobsub-lsf-log-test";
  std::filesystem::create_directories(logs);
  {
    std::ofstream out(logs / "lsf-301_0.out");
    out << "step 1\n\n------------------------------------------------------------\n"
           "Sender: LSF System <lsfadmin@node4>\nSubject: Job 301: <sweep> in cluster <c1> Exited\n\n"
           "TERM_RUNLIMIT: job killed after reaching LSF run time limit.\nExited with exit code 140.\n";
    std::ofstream ok(logs / "lsf-300_2.out");
    ok << "Successfully completed.\n";
  }
  jobsub::lsf::LsfScheduler scheduler;
  BOOST_REQUIRE(scheduler.configure({}).ok);
  jobsub::TaskOutcome verdict;
  BOOST_TEST(scheduler.log_verdict(logs, "301", verdict));
  BOOST_TEST((verdict.state == JobState::timeout));
  BOOST_TEST((verdict.evidence == jobsub::Evidence::scheduler_log));
  BOOST_TEST(verdict.source == "LSF log");
  jobsub::TaskOutcome none;
  BOOST_TEST(!scheduler.log_verdict(logs, "300[2]", none));  // no termination reason
  BOOST_TEST(!scheduler.log_verdict(logs, "300[9]", none));  // no file
  std::filesystem::remove_all(logs);
}

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
  runner.answer("bacct", 255, "", "No matching job found\n");
  BOOST_TEST(scheduler.query({"299[1]"}, states).ok);  // forgotten, also by bacct: no answer, no error
  BOOST_TEST(states.empty());
  BOOST_TEST(
      (runner.calls_of("bjobs").back() ==
       jobsub::Argv{"bjobs", "-a", "-noheader", "-o",
                    "jobid jobindex stat exit_code exit_reason job_description delimiter='|'", "299"}));
}

BOOST_AUTO_TEST_SUITE_END()
