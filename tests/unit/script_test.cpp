#include <jobsub/errors.h>
#include <jobsub/process.h>
#include <jobsub/script.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(script)

BOOST_AUTO_TEST_CASE(job_dirs_are_zero_padded_to_the_sweep_size) {
  BOOST_TEST(jobsub::job_dir_name(7, 10) == "0007");
  BOOST_TEST(jobsub::job_dir_name(7, 123456) == "000007");
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

BOOST_AUTO_TEST_CASE(task_body_runs_the_job_line_and_records_it) {
  const fs::path root = fs::temp_directory_path() / ("jobsub script test " + std::to_string(::getpid()));
  const fs::path results = root / "it's results";
  fs::create_directories(results);
  std::ofstream(results / "commands") << "echo one\nprintf '%s|' \"$PWD\" \"$JOBSUB_TASK_ID\"; exit 3\n";
  std::ofstream(results / "params.jsonl") << "{\"a\":1}\n{\"a\":2}\n";
  std::ofstream(results / "argv.jsonl") << "[\"x\"]\n[\"y\"]\n";
  const std::string script = "JOBSUB_TASK_ID=2\n" + jobsub::task_body(results, 2, root, {"export FOO=bar"});
  std::ofstream(root / "s.sh") << script;
  const auto result = jobsub::run_process({"bash", (root / "s.sh").string()});
  BOOST_TEST(result.exit_code == 3);
  auto read = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const fs::path job = results / "jobs" / "0002";
  BOOST_TEST(read(job / "stdout") == root.string() + "|2|");
  BOOST_TEST(read(job / "exit_code") == "3\n");
  BOOST_TEST(read(job / "params.json") == "{\"a\":2}\n");
  BOOST_TEST(read(job / "argv.json") == "[\"y\"]\n");
  fs::remove_all(root);
}

BOOST_AUTO_TEST_SUITE_END()
