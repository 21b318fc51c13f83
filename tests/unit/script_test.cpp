#include <jobsub/errors.h>
#include <jobsub/pipeline.h>
#include <jobsub/process.h>
#include <jobsub/records.h>
#include <jobsub/script.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <tuple>

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
  const std::string body = jobsub::task_body("/r/s/1", 12345, "/w", {}, true);
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
  const std::string script =
      "JOBSUB_TASK_ID=2\n" + jobsub::task_body(results, 3, root, {"export FOO=bar"}, true);
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

BOOST_AUTO_TEST_CASE(init_lines_are_grouped_into_the_commands_bash_reads) {
  const std::vector<std::string> lines = {"export A=1",    "if [ -n \"$A\" ]; then",
                                          "  export B=2",  "fi",
                                          "cat > f <<EOF", "x",
                                          "EOF",           "echo a \\",
                                          "  b # c",       "# a comment"};
  const std::vector<std::string> expected = {"export A=1", "if [ -n \"$A\" ]; then\n  export B=2\nfi",
                                             "cat > f <<EOF\nx\nEOF", "echo a \\\n  b # c", "# a comment"};
  BOOST_TEST(jobsub::init_commands(lines, "jobsub.yaml:3") == expected);
  BOOST_CHECK_EXCEPTION(
      jobsub::init_commands({"export A=1", "for x in 1 2; do", "  echo $x"}, "jobsub.yaml:3"), jobsub::Error,
      [](const jobsub::Error& e) {
        const std::string m = e.what();
        BOOST_TEST_MESSAGE(m);
        return m.find("jobsub.yaml:3") != std::string::npos &&
               m.find("from its line 2 on") != std::string::npos && e.code() == jobsub::ExitCode::bad_spec;
      });
}

BOOST_AUTO_TEST_CASE(a_failing_init_command_fails_the_job_before_its_program) {
  const fs::path root = fs::temp_directory_path() / ("jobsub script init " + std::to_string(::getpid()));
  fs::create_directories(root);
  write_job_files(root, {{"echo ran $ACT", "{}", "[]"}});
  // An activate script whose own steps fail harmlessly, as conda's do: its
  // status (the last step's) is what counts.
  std::ofstream(root / "act.sh") << "false\nexport ACT=yes\n";
  auto run = [&](const std::vector<std::string>& init, bool check) {
    fs::remove_all(root / "jobs");
    std::ofstream(root / "s.sh") << "JOBSUB_TASK_ID=1\n" + jobsub::task_body(root, 1, root, init, check);
    return jobsub::run_process({"bash", (root / "s.sh").string()});
  };
  const fs::path job = root / "jobs" / "0001";
  auto ok =
      run(jobsub::init_commands({"source act.sh", "if true; then", "  export B=1", "fi"}, "test"), true);
  BOOST_TEST(ok.exit_code == 0);
  BOOST_TEST(read(job / "stdout") == "ran yes\n");
  BOOST_TEST(!fs::exists(job / "init_failed"));

  auto failed = run({"source act.sh", "source /opt/none/bin/activate ml3", "export B=1"}, true);
  BOOST_TEST(failed.exit_code == 1);
  BOOST_TEST(read(job / "exit_code") == "1\n");
  BOOST_TEST(read(job / "stdout").empty());  // the program did not run
  BOOST_TEST(read(job / "init_failed") == "1\nsource /opt/none/bin/activate ml3\n");
  const std::string err = read(job / "stderr");
  BOOST_TEST(err.find("No such file or directory") != std::string::npos, err);
  BOOST_TEST(err.find("jobsub: init failed with exit status 1, so the program did not run: source "
                      "/opt/none/bin/activate ml3") != std::string::npos,
             err);

  auto missing = run({"module load cuda/12.1"}, true);
  BOOST_TEST(missing.exit_code == 127);
  BOOST_TEST(read(job / "init_failed") == "127\nmodule load cuda/12.1\n");

  auto unchecked = run({"source /opt/none/bin/activate ml3"}, false);
  BOOST_TEST(unchecked.exit_code == 0);
  BOOST_TEST(read(job / "stdout") == "ran\n");
  fs::remove_all(root);
}

BOOST_AUTO_TEST_CASE(task_body_without_its_job_says_so_and_exits_127) {
  const fs::path root = fs::temp_directory_path() / ("jobsub script test 127 " + std::to_string(::getpid()));
  fs::create_directories(root);
  write_job_files(root, {{"echo one", "{}", "[]"}});
  std::ofstream(root / "s.sh") << "JOBSUB_TASK_ID=5\n" + jobsub::task_body(root, 1, root, {}, true);
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
  std::ofstream(root / "s.sh") << "JOBSUB_TASK_ID=\n" + jobsub::task_body(root, 2, root, {}, true);
  std::ofstream(root / "in") << "1\techo \"$JOBSUB_TASK_ID $JOBSUB_ARRAY_TASK_ID\"\n2\texit 4\n";
  const auto result = jobsub::run_process({"bash", "-c", "JOBSUB_WORKER=1 bash s.sh < in"}, {root, {}, {}});
  BOOST_TEST(result.exit_code == 0);
  BOOST_TEST(result.out == "1 0\n2 4\n");
  BOOST_TEST(read(root / "jobs" / "0001" / "stdout") == "1 1\n");
  BOOST_TEST(!fs::exists(root / "jobs" / "0001" / "exit_code"));  // jobsub writes it from the report
  fs::remove_all(root);
}

namespace {

/// A canary's script for `command` (its job 1), whose hooks touch `released`
/// or `cancelled` in `root`: what it decided.
struct CanaryRun {
  fs::path root;
  std::string decided() const {
    const bool released = fs::exists(root / "released"), cancelled = fs::exists(root / "cancelled");
    return released && cancelled ? "both" : released ? "released" : cancelled ? "cancelled" : "nothing";
  }
};

CanaryRun canary_script(const std::string& name, const std::string& command, uint64_t release_after) {
  const fs::path root =
      fs::temp_directory_path() / ("jobsub canary " + name + " " + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  write_job_files(root, {{command, "{}", "[]"}});
  jobsub::CanaryHooks hooks;
  hooks.release = {"touch", (root / "released").string()};
  hooks.cancel = {"touch", (root / "cancelled").string()};
  hooks.release_after_seconds = release_after;
  hooks.held = "jobs 2-9 (4711)";
  std::ofstream(root / "s.sh") << "JOBSUB_TASK_ID=1\n" +
                                      jobsub::with_canary_hooks(jobsub::task_body(root, 1, root, {}, true),
                                                                hooks);
  return {root};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_canary_that_completes_releases_the_held_jobs_and_one_that_fails_cancels_them) {
  const CanaryRun ok = canary_script("ok", "echo fine", 0);
  auto result = jobsub::run_process({"bash", (ok.root / "s.sh").string()});
  BOOST_TEST(result.exit_code == 0);
  BOOST_TEST(ok.decided() == "released");
  BOOST_TEST(read(ok.root / "jobs" / "0001" / "stdout") == "fine\n");
  BOOST_TEST(read(ok.root / "jobs" / "0001" / "exit_code") == "0\n");
  BOOST_TEST(result.err.find("jobsub: the canary completed: releasing jobs 2-9 (4711)") != std::string::npos,
             result.err);

  const CanaryRun failed = canary_script("failed", "exit 3", 0);
  result = jobsub::run_process({"bash", (failed.root / "s.sh").string()});
  BOOST_TEST(result.exit_code == 3);  // the job's own exit status, as without a canary
  BOOST_TEST(failed.decided() == "cancelled");
  BOOST_TEST(read(failed.root / "jobs" / "0001" / "exit_code") == "3\n");
  BOOST_TEST(result.err.find("ended with exit status 3: cancelling jobs 2-9 (4711)") != std::string::npos,
             result.err);
  fs::remove_all(ok.root);
  fs::remove_all(failed.root);
}

BOOST_AUTO_TEST_CASE(a_canary_ended_by_sigterm_passes_it_to_its_job_and_cancels_the_held_jobs) {
  // Slurm's time limit and scancel send SIGTERM to the batch script alone
  // (seen on Slurm 22.05): the script passes it on and decides.
  const CanaryRun run = canary_script("term", "echo started; sleep 60 && echo never", 0);
  const auto result = jobsub::run_process({"bash", "-c",
                                           "setsid bash s.sh & pid=$!; for i in $(seq 100); do [ -s "
                                           "jobs/0001/stdout ] && break; sleep 0.1; done; "
                                           "kill -TERM $pid; wait $pid"},
                                          {run.root, {}, {}});
  BOOST_TEST(result.exit_code == 143);
  BOOST_TEST(run.decided() == "cancelled");
  BOOST_TEST(read(run.root / "jobs" / "0001" / "stdout") == "started\n");  // the sleep ended with the script
  BOOST_TEST(result.err.find("(SIGTERM): cancelling") != std::string::npos, result.err);
  fs::remove_all(run.root);
}

BOOST_AUTO_TEST_CASE(a_canary_with_a_duration_releases_the_held_jobs_while_it_runs_and_never_cancels_them) {
  // Released after 1 s; the job goes on failing afterwards: the held jobs are not cancelled.
  const CanaryRun run = canary_script("duration",
                                      "for i in $(seq 100); do [ -e released ] && break; "
                                      "sleep 0.1; done; echo saw; exit 5",
                                      1);
  const auto result = jobsub::run_process({"bash", (run.root / "s.sh").string()});
  BOOST_TEST(result.exit_code == 5);
  BOOST_TEST(run.decided() == "released");
  BOOST_TEST(result.err.find("ran 1 s without failing: releasing") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("after the held jobs were released") != std::string::npos, result.err);
  fs::remove_all(run.root);
}

BOOST_AUTO_TEST_CASE(a_canary_decides_under_a_templates_set_e_and_outside_a_process_group_of_its_own) {
  // A template may `set -euo pipefail` before the task body: the hooks still decide.
  for (const auto& [command, decided, code] : std::vector<std::tuple<std::string, std::string, int>>{
           {"exit 3", "cancelled", 3}, {"true", "released", 0}}) {
    const CanaryRun run = canary_script("set-e " + decided, command, 0);
    const std::string script = read(run.root / "s.sh");
    std::ofstream(run.root / "s.sh") << "set -euo pipefail\n" + script;
    const auto result = jobsub::run_process({"bash", (run.root / "s.sh").string()});
    BOOST_TEST(result.exit_code == code, result.err);
    BOOST_TEST(run.decided() == decided, result.err);
    BOOST_TEST(read(run.root / "jobs" / "0001" / "canary_decision") == decided + "\n");
    fs::remove_all(run.root);
  }
  // Not the leader of its process group (the shell that started it is): the
  // SIGTERM reaches the job's processes one by one.
  const CanaryRun run = canary_script("no-group", "echo started; sleep 60 && echo never", 0);
  const auto result = jobsub::run_process(
      {"bash", "-c",
       "bash s.sh & pid=$!; for i in $(seq 100); do [ -s jobs/0001/stdout ] && break; sleep 0.1; done; "
       "kill -TERM $pid; wait $pid"},
      {run.root, {}, {}});
  BOOST_TEST(result.exit_code == 143, result.err);
  BOOST_TEST(run.decided() == "cancelled");
  BOOST_TEST(read(run.root / "jobs" / "0001" / "stdout") == "started\n");
  fs::remove_all(run.root);
}

BOOST_AUTO_TEST_CASE(a_canary_decides_once_so_a_requeued_one_leaves_the_decision_be) {
  const CanaryRun run = canary_script("requeued", "exit 3", 0);
  fs::create_directories(run.root / "jobs" / "0001");
  std::ofstream(run.root / "jobs" / "0001" / "canary_decision") << "released\n";  // its first run's
  const auto result = jobsub::run_process({"bash", (run.root / "s.sh").string()});
  BOOST_TEST(result.exit_code == 3);
  BOOST_TEST(run.decided() == "nothing", result.err);
  BOOST_TEST(result.err.find("after the held jobs were released") != std::string::npos, result.err);
  fs::remove_all(run.root);
}

BOOST_AUTO_TEST_CASE(canary_hooks_refuse_a_body_they_cannot_place_themselves_in) {
  jobsub::CanaryHooks hooks;
  hooks.release = {"true"};
  hooks.cancel = {"true"};
  BOOST_CHECK_THROW(jobsub::with_canary_hooks("echo not a task body\n", hooks), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
