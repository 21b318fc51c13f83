#include <jobsub/errors.h>
#include <jobsub/process.h>
#include <jobsub/records.h>
#include <jobsub/script.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(script)

BOOST_AUTO_TEST_CASE(job_dirs_are_zero_padded_to_the_sweep_size) {
  BOOST_TEST(jobsub::job_dir_name(7, 10) == "0007");
  BOOST_TEST(jobsub::job_dir_name(7, 123456) == "000007");
}

BOOST_AUTO_TEST_CASE(the_results_layout_is_spelled_in_one_place) {
  const jobsub::ResultsLayout r("/r/s/1", 12345);
  BOOST_TEST(r.job_dir(42) == fs::path("/r/s/1/jobs/00042"));
  BOOST_TEST(r.job_file(42, jobsub::job_files::kExitCode) == fs::path("/r/s/1/jobs/00042/exit_code"));
  BOOST_TEST(r.attempt_dir(42, 2) == fs::path("/r/s/1/jobs/00042.attempt-2"));
  BOOST_TEST(r.batch_script("batch-3") == fs::path("/r/s/1/batch-3.sh"));
  BOOST_TEST(r.task_index() == fs::path("/r/s/1/tasks.idx"));
  BOOST_TEST(r.jobs_table() == fs::path("/r/s/1/jobs.tsv"));
  BOOST_TEST(r.logs() == fs::path("/r/s/1/logs"));
  // The task body names the same job directory the core reads.
  const std::string body = jobsub::task_body("/r/s/1", 12345, "/w", {});
  BOOST_TEST(body.find("'%s/jobs/%05d'") != std::string::npos);
  BOOST_TEST(body.find("\"$JOBSUB_JOB_DIR/exit_code\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(task_ranges_are_compact) {
  BOOST_TEST(jobsub::format_task_ranges({{1, 3}, {7, 7}, {9, 12}}) == "1-3,7,9-12");
}

BOOST_AUTO_TEST_CASE(command_template_placeholders) {
  const std::string command = jobsub::expand_command_template(
      "python {script} with {args} --out {job_dir} {{x}}", "/p/my main.py", {"lr=0.1", "a b"});
  BOOST_TEST(command == "python '/p/my main.py' with 'lr=0.1' 'a b' --out \"$JOBSUB_JOB_DIR\" {x}");
}

BOOST_AUTO_TEST_CASE(command_template_errors) {
  BOOST_CHECK_THROW(jobsub::validate_command_template("python {scrip} {args}", "/p"), jobsub::Error);
  BOOST_CHECK_THROW(jobsub::validate_command_template("python {script} {args}", ""), jobsub::Error);
  BOOST_CHECK_THROW(jobsub::validate_command_template("python {args", "/p"), jobsub::Error);
  BOOST_CHECK_THROW(jobsub::validate_command_template("a\nb", "/p"), jobsub::Error);
  BOOST_CHECK_NO_THROW(jobsub::validate_command_template("{args}", ""));
}

BOOST_AUTO_TEST_CASE(mustache_does_not_html_escape) {
  jobsub::TemplateValues values;
  values.scalars["v"] = "a&<>'\"b {{x}}";
  values.lists["items"] = {"one", "two"};
  const std::string out =
      jobsub::render_template("[{{v}}] [{{{v}}}] {{#items}}<{{.}}>{{/items}}", values, "test");
  BOOST_TEST(out == "[a&<>'\"b {{x}}] [a&<>'\"b {{x}}] <one><two>");
}

BOOST_AUTO_TEST_CASE(invalid_template_names_itself) {
  BOOST_CHECK_EXCEPTION(jobsub::render_template("{{#open}}", {}, "mine.sh.mustache"), jobsub::Error,
                        [](const jobsub::Error& e) {
                          return std::string(e.what()).find("mine.sh.mustache") != std::string::npos;
                        });
}

namespace {

/// Writes commands, params.jsonl, argv.jsonl and tasks.idx as the core does.
void write_job_files(const fs::path& results, const std::vector<jobsub::TaskLines>& jobs) {
  std::ofstream commands(results / "commands"), params(results / "params.jsonl"),
      argv(results / "argv.jsonl"), index(results / "tasks.idx");
  uint64_t c = 0, p = 0, a = 0;
  for (const jobsub::TaskLines& job : jobs) {
    index << jobsub::task_index_record(c, p, a);
    commands << job.command << '\n';
    params << job.params << '\n';
    argv << job.argv << '\n';
    c += job.command.size() + 1;
    p += job.params.size() + 1;
    a += job.argv.size() + 1;
  }
  index << jobsub::task_index_record(c, p, a);
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

BOOST_AUTO_TEST_CASE(task_body_runs_the_job_line_and_records_it) {
  const fs::path root = fs::temp_directory_path() / ("jobsub script test " + std::to_string(::getpid()));
  const fs::path results = root / "it's results";
  fs::create_directories(results);
  write_job_files(results,
                  {{"echo one", "{\"a\":1}", "[\"x\"]"},
                   {"printf '%s|' \"$PWD\" \"$JOBSUB_TASK_ID\" \"$FOO\"; exit 3", "{\"a\":2}", "[\"y\"]"},
                   {"echo three", "{\"a\":3}", "[\"z\"]"}});
  const std::string script = "JOBSUB_TASK_ID=2\n" + jobsub::task_body(results, 3, root, {"export FOO=bar"});
  std::ofstream(root / "s.sh") << script;
  const auto result = jobsub::run_process({"bash", (root / "s.sh").string()});
  BOOST_TEST(result.exit_code == 3);
  const fs::path job = results / "jobs" / "0002";
  BOOST_TEST(read(job / "stdout") == root.string() + "|2|bar|");
  BOOST_TEST(read(job / "exit_code") == "3\n");
  BOOST_TEST(read(job / "params.json") == "{\"a\":2}\n");
  BOOST_TEST(read(job / "argv.json") == "[\"y\"]\n");
  BOOST_TEST(!fs::exists(results / "jobs" / "0001"));
  BOOST_TEST(!fs::exists(results / "jobs" / "0003"));
  fs::remove_all(root);
}

BOOST_AUTO_TEST_CASE(task_body_without_its_job_says_so_and_exits_127) {
  const fs::path root = fs::temp_directory_path() / ("jobsub script test 127 " + std::to_string(::getpid()));
  fs::create_directories(root);
  write_job_files(root, {{"echo one", "{}", "[]"}});
  std::ofstream(root / "s.sh") << "JOBSUB_TASK_ID=5\n" + jobsub::task_body(root, 1, root, {});
  const auto result = jobsub::run_process({"bash", (root / "s.sh").string()});
  BOOST_TEST(result.exit_code == 127);
  BOOST_TEST(result.err.find("no command for job 5") != std::string::npos, result.err);
  BOOST_TEST(read(root / "jobs" / "0005" / "exit_code") == "127\n");
  fs::remove_all(root);
}

BOOST_AUTO_TEST_CASE(task_body_as_a_worker_runs_the_jobs_it_is_given) {
  const fs::path root = fs::temp_directory_path() / ("jobsub script worker " + std::to_string(::getpid()));
  fs::create_directories(root / "jobs" / "0001");
  fs::create_directories(root / "jobs" / "0002");
  std::ofstream(root / "s.sh") << "JOBSUB_TASK_ID=\n" + jobsub::task_body(root, 2, root, {});
  std::ofstream(root / "in") << "1\techo \"$JOBSUB_TASK_ID $JOBSUB_ARRAY_TASK_ID\"\n2\texit 4\n";
  const auto result = jobsub::run_process({"bash", "-c", "JOBSUB_WORKER=1 bash s.sh < in"}, {root, {}, {}});
  BOOST_TEST(result.exit_code == 0);
  BOOST_TEST(result.out == "1 0\n2 4\n");
  BOOST_TEST(read(root / "jobs" / "0001" / "stdout") == "1 1\n");
  BOOST_TEST(!fs::exists(root / "jobs" / "0001" / "exit_code"));  // jobsub writes it from the report
  fs::remove_all(root);
}

BOOST_AUTO_TEST_SUITE_END()
