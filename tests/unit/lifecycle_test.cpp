// The pieces of the submit pipeline on their own: the pipeline, the sweep
// plan, the job book, the progress view and the submitter. The submitter's
// scheduler here is an in-process stand-in that records what it is handed;
// the real schedulers are driven end to end in tests/e2e (local, Slurm).
#include <jobsub/errors.h>
#include <jobsub/job_book.h>
#include <jobsub/pipeline.h>
#include <jobsub/progress_view.h>
#include <jobsub/records.h>
#include <jobsub/script.h>
#include <jobsub/spec.h>
#include <jobsub/store.h>
#include <jobsub/submitter.h>
#include <jobsub/sweep_plan.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("jobsub-lifecycle-test-" + std::to_string(::getpid()));
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

/// Job i has the one param `i` = i - 1.
class CountingSweeper final : public jobsub::Sweeper {
 public:
  explicit CountingSweeper(uint64_t n) : n_(n) {}
  jobsub::Status configure(const jobsub::HyperSpace&, const jobsub::PluginOptions&) noexcept override {
    return jobsub::Status::success();
  }
  uint64_t size() const noexcept override { return n_; }
  jobsub::Status at(uint64_t index, jobsub::Params& out) const noexcept override {
    out.push_back({"i", {std::to_string(index), jobsub::ValueKind::Number}});
    return jobsub::Status::success();
  }

 private:
  uint64_t n_;
};

class DashFormatter final : public jobsub::Formatter {
 public:
  jobsub::Status configure(const jobsub::PluginOptions&) noexcept override {
    return jobsub::Status::success();
  }
  std::string default_command() const noexcept override { return "prog {args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    if (params.at(0).value.text == "13") return jobsub::Status::failure("13 is unlucky");
    for (const auto& p : params) out.push_back("--" + p.key + "=" + p.value.text);
    return jobsub::Status::success();
  }
};

/// A scheduler that does what each test tells it, and remembers each batch.
class StandInScheduler final : public jobsub::Scheduler {
 public:
  using SubmitFn = std::function<jobsub::Status(const jobsub::BatchRequest&, jobsub::SubmitContext&,
                                                jobsub::SubmitResult&)>;
  SubmitFn on_submit;
  std::vector<jobsub::BatchRequest> batches;
  std::vector<std::size_t> calls;  ///< how many batches each submit_batches() call had

  void submit_batches(std::vector<jobsub::BatchSubmission>& submissions,
                      jobsub::SubmitContext& context) noexcept override {
    calls.push_back(submissions.size());
    Scheduler::submit_batches(submissions, context);  // the SDK's default: in turn
  }
  jobsub::Status configure(const jobsub::PluginOptions&) noexcept override {
    return jobsub::Status::success();
  }
  std::string default_template() const noexcept override { return "#!/bin/bash\n{{{task_body}}}\n"; }
  jobsub::Status render(const jobsub::BatchRequest& request, jobsub::RenderedBatch& out) noexcept override {
    out.script = "#!/bin/bash\n# " + request.batch_name + "\n";
    out.submit_argv = {"stand-in", request.script_path.string()};
    return jobsub::Status::success();
  }
  jobsub::Status submit(const jobsub::BatchRequest& request, const jobsub::RenderedBatch&,
                        jobsub::SubmitContext& context, jobsub::SubmitResult& result) noexcept override {
    batches.push_back(request);
    return on_submit(request, context, result);
  }
  jobsub::Status query(const std::vector<std::string>&, std::vector<jobsub::TaskOutcome>&) noexcept override {
    return jobsub::Status::success();
  }
  jobsub::Status cancel(const std::vector<std::string>&) noexcept override {
    return jobsub::Status::success();
  }
  jobsub::Status find(const jobsub::BatchRequest&, std::vector<jobsub::TaskOutcome>&) noexcept override {
    return jobsub::Status::success();
  }
};

class ScriptedPrompter final : public jobsub::Prompter {
 public:
  explicit ScriptedPrompter(std::deque<jobsub::Answer> answers) : answers_(std::move(answers)) {}
  jobsub::Answer ask(uint64_t job, uint64_t, const std::string& args) override {
    asked.push_back(std::to_string(job) + ":" + args);
    const jobsub::Answer a = answers_.front();
    answers_.pop_front();
    return a;
  }
  bool confirm(const std::string& question) override {
    asked.push_back(question);
    return true;
  }
  std::vector<std::string> asked;

 private:
  std::deque<jobsub::Answer> answers_;
};

/// A store, a sweep of `jobs` in it, a book, a view on a string, and a submitter.
struct Rig {
  explicit Rig(uint64_t jobs)
      : store(jobsub::Store::path_for(dir.path), true),
        sweep(store.add_sweep({"s", dir.path / "results", "t", "stand-in", jobs, "prog {args}"})),
        book(jobs),
        view(out, "stand-in", dir.path / "results", jobs) {
    fs::create_directories(dir.path / "results");
    prototype.sweep_name = "s";
    prototype.results_dir = dir.path / "results";
    prototype.job_count = jobs;
  }
  std::unique_ptr<jobsub::Submitter> submitter() {
    return std::make_unique<jobsub::Submitter>(
        jobsub::Submitter::Parts{scheduler,
                                 "stand-in",
                                 prototype,
                                 store,
                                 0,
                                 book,
                                 view,
                                 [](uint64_t job) { return "--i=" + std::to_string(job - 1); },
                                 {},
                                 groups});
  }
  std::function<int64_t()> first_batch() {
    return [this] {
      ++first_batch_calls;
      return sweep;
    };
  }
  TempDir dir;
  jobsub::Store store;
  int64_t sweep;
  jobsub::JobBook book;
  std::ostringstream out;
  jobsub::ProgressView view;
  jobsub::BatchRequest prototype;
  StandInScheduler scheduler;
  jobsub::ResourceGroups groups;
  int first_batch_calls = 0;
};

/// Jobs 1-2 in group 0 (time 1h), jobs 3-4 in group 1 (time 4h).
jobsub::ResourceGroups two_groups() {
  jobsub::ResourceGroups groups;
  groups.groups = {{"", {{"time", "1h"}}}, {"hypers[1]", {{"time", "4h"}}}};
  groups.group_of_job = {0, 0, 1, 1};
  return groups;
}

jobsub::Status take_all_as_one_array(const jobsub::BatchRequest& request, jobsub::SubmitContext&,
                                     jobsub::SubmitResult& result) {
  result.native_id = "900";
  result.arrays.push_back({"900", request.tasks.front().first - 1, {}, "PENDING"});
  for (const auto& r : request.tasks) {
    const uint64_t offset = result.arrays.back().offset;
    result.arrays.back().tasks.push_back({r.first - offset, r.last - offset});
  }
  return jobsub::Status::success();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(job_book)

BOOST_AUTO_TEST_CASE(counts_follow_every_change) {
  jobsub::JobBook book(5);
  BOOST_TEST(book.count(jobsub::JobState::not_submitted) == 5u);
  BOOST_TEST(book.submitted() == 0u);
  for (uint64_t job = 1; job <= 4; ++job) book.set_state(job, jobsub::JobState::queued);
  book.set_state(5, jobsub::JobState::skipped);
  BOOST_TEST(book.submitted() == 4u);
  BOOST_TEST((book.apply({1, jobsub::JobState::completed, 0, "7_1", ""}) == jobsub::JobState::queued));
  book.apply({2, jobsub::JobState::timeout, -1, "7_2", "TIMEOUT"});
  book.apply({3, jobsub::JobState::cancelled, -1, "7_3", ""});
  BOOST_TEST(book.failed() == 1u);  // the timeout; cancelled and skipped are not failures
  BOOST_TEST(book.ended() == 3u);
  BOOST_TEST(book.open().size() == 1u);
  BOOST_TEST(book.open().front().job == 4u);
  BOOST_TEST(book.row(1).native_id == "7_1");
  BOOST_TEST(book.row(1).exit_code == 0);
  BOOST_TEST(std::string(jobsub::to_string(book.row(2).state)) == "timeout");
}

BOOST_AUTO_TEST_CASE(a_book_reads_back_from_the_records) {
  const jobsub::JobBook book =
      jobsub::JobBook::from_records({{1, jobsub::JobState::completed, "", "5_1", 0, 1},
                                     {2, jobsub::JobState::running, "RUNNING", "5_2", -1, 1},
                                     {3, jobsub::JobState::not_submitted, "", "", -1, 1}});
  BOOST_TEST(book.count(jobsub::JobState::completed) == 1u);
  BOOST_TEST(book.open().size() == 1u);
  BOOST_TEST(book.open().front().native_id == "5_2");
  BOOST_TEST(book.submitted() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sweep_plan)

BOOST_AUTO_TEST_CASE(the_job_files_are_streamed_and_each_job_hashed) {
  TempDir dir;
  const CountingSweeper sweeper(5);
  const DashFormatter formatter;
  const jobsub::SweepPlan plan(sweeper, formatter, "sweeper 'count'", "formatter 'dash'", "prog {args}", "");
  std::vector<uint64_t> hashes;
  const jobsub::ResultsLayout results(dir.path, 5);
  plan.write(results, [&](uint64_t job, uint64_t hash) {
    BOOST_TEST(job == hashes.size() + 1);
    hashes.push_back(hash);
  });
  BOOST_TEST(hashes.size() == 5u);
  jobsub::TaskReader reader(results);
  BOOST_TEST(reader.at(4).command == "prog '--i=3'");
  BOOST_TEST(reader.at(4).params == R"({"i":3})");
  BOOST_TEST(reader.at(4).argv == R"(["--i=3"])");
  jobsub::Params params;
  jobsub::Argv args;
  plan.job(4, params, args);
  BOOST_TEST(plan.hash(params, args) == hashes[3]);
  BOOST_TEST(hashes[3] == jobsub::job_hash(R"({"i":3})", "prog '--i=3'"));
  BOOST_TEST(hashes[3] != hashes[2]);
}

BOOST_AUTO_TEST_CASE(the_program_file_is_part_of_every_hash_and_a_stage_error_names_the_job) {
  TempDir dir;
  std::ofstream(dir.path / "prog.py") << "print(1)\n";
  const CountingSweeper sweeper(20);
  const DashFormatter formatter;
  const jobsub::SweepPlan plan(sweeper, formatter, "sweeper 'count'", "formatter 'dash'",
                               "python {script} {args}", dir.path / "prog.py");
  BOOST_TEST(plan.program_sha256().size() == 64u);
  jobsub::Params params;
  jobsub::Argv args;
  plan.job(1, params, args);
  BOOST_TEST(plan.hash(params, args) != jobsub::job_hash(R"({"i":0})", plan.command_line(args)));
  BOOST_CHECK_EXCEPTION(plan.job(14, params, args), jobsub::Error, [](const jobsub::Error& e) {
    return std::string(e.what()) == "formatter 'dash', job 14: 13 is unlucky";
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(progress_view)

BOOST_AUTO_TEST_CASE(off_a_terminal_every_ending_gets_a_line_saying_where_to_look) {
  TempDir dir;
  std::ostringstream out;
  jobsub::ProgressView view(out, "slurm", dir.path, 12);
  jobsub::JobBook book(12);
  view.job_changed({3, jobsub::JobState::completed, 0, "", ""}, jobsub::JobState::running, book, false);
  view.job_changed({4, jobsub::JobState::failed, 2, "", ""}, jobsub::JobState::running, book, false);
  view.job_changed({5, jobsub::JobState::lost, -1, "", ""}, jobsub::JobState::queued, book, false);
  view.job_changed({6, jobsub::JobState::skipped, -1, "", ""}, jobsub::JobState::not_submitted, book, false);
  view.job_changed({7, jobsub::JobState::running, -1, "", ""}, jobsub::JobState::queued, book, false);
  const std::string text = out.str();
  BOOST_TEST(text.find("job 3/12 completed (exit 0)\n") != std::string::npos);
  BOOST_TEST(text.find("job 4/12 failed (exit 2): it left no output of its own; see the scheduler's log in " +
                       (dir.path / "logs").string()) != std::string::npos);
  BOOST_TEST(text.find("job 5/12 lost: gone from the queue without an exit code") != std::string::npos);
  BOOST_TEST(text.find("job 6") == std::string::npos);  // skipped: the summary said so
  BOOST_TEST(text.find("job 7") == std::string::npos);  // not an ending
  BOOST_TEST(text.find('\r') == std::string::npos);     // no progress line off a terminal
}

BOOST_AUTO_TEST_CASE(a_failed_test_job_shows_the_end_of_its_stderr) {
  TempDir dir;
  const fs::path job_dir = dir.path / "jobs" / jobsub::job_dir_name(1, 10);
  fs::create_directories(job_dir);
  std::ofstream(job_dir / "stderr") << "line 1\nTraceback\nValueError: bad lr\n";
  std::ostringstream out;
  jobsub::ProgressView view(out, "local", dir.path, 10);
  jobsub::JobBook book(10);
  view.job_changed({1, jobsub::JobState::failed, 1, "", ""}, jobsub::JobState::running, book, true);
  BOOST_TEST(out.str().find("see " + (job_dir / "stderr").string() +
                            "\n    | line 1\n    | Traceback\n    | ValueError: bad lr\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(submitter)

BOOST_AUTO_TEST_CASE(a_batch_is_submitting_during_the_call_and_recorded_with_its_ids_after) {
  Rig rig(4);
  std::vector<jobsub::JobRecord> during;
  std::vector<jobsub::BatchRecord> batches_during;
  rig.scheduler.on_submit = [&](const jobsub::BatchRequest& request, jobsub::SubmitContext& context,
                                jobsub::SubmitResult& result) {
    const jobsub::Store other(jobsub::Store::path_for(rig.dir.path), false);  // as another process sees it
    during = other.jobs(rig.sweep);
    batches_during = other.batches(rig.sweep);
    return take_all_as_one_array(request, context, result);
  };
  auto submitter = rig.submitter();
  submitter->submit({{1, 4}}, nullptr, rig.first_batch());
  BOOST_TEST(rig.first_batch_calls == 1);
  BOOST_REQUIRE_EQUAL(batches_during.size(), 1u);
  BOOST_TEST(std::string(jobsub::to_string(batches_during[0].state)) == "submitting");
  BOOST_TEST(batches_during[0].token == rig.scheduler.batches.at(0).token);
  BOOST_TEST(batches_during[0].token.rfind("jobsub-", 0) == 0u);
  BOOST_TEST(std::string(jobsub::to_string(during.at(3).state)) == "pending");
  const auto after = rig.store.jobs(rig.sweep);
  BOOST_TEST(std::string(jobsub::to_string(after.at(3).state)) == "queued");
  BOOST_TEST(after.at(3).native_id == "900_4");
  BOOST_TEST(std::string(jobsub::to_string(rig.store.batches(rig.sweep).at(0).state)) == "submitted");
  BOOST_TEST(rig.book.count(jobsub::JobState::queued) == 4u);
  BOOST_TEST(rig.out.str().find("jobs 1-4 submitted as 900") != std::string::npos);
  std::ifstream table(rig.dir.path / "results/jobs.tsv");
  std::string header, first;
  std::getline(table, header);
  std::getline(table, first);
  BOOST_TEST(first == "1\tqueued\t\t900_1");
}

BOOST_AUTO_TEST_CASE(jobs_not_taken_are_not_submitted_and_a_refusal_is_an_error_with_the_record) {
  Rig rig(3);
  rig.scheduler.on_submit = [](const jobsub::BatchRequest&, jobsub::SubmitContext&,
                               jobsub::SubmitResult& result) {
    result.outcomes.push_back({1, jobsub::JobState::queued, -1, "41", "PENDING"});
    result.outcomes.push_back({2, jobsub::JobState::queued, -1, "42", "PENDING"});
    return jobsub::Status::failure("sbatch: error: QOSMaxSubmitJobPerUserLimit");
  };
  auto submitter = rig.submitter();
  BOOST_CHECK_EXCEPTION(
      submitter->submit({{1, 3}}, nullptr, rig.first_batch()), jobsub::Error, [&](const jobsub::Error& e) {
        const std::string m = e.what();
        return e.code() == jobsub::ExitCode::job_failed &&
               m.find(
                   "could not submit job 3 of batch-1: sbatch: error: "
                   "QOSMaxSubmitJobPerUserLimit\njobs 1-2 were submitted") != std::string::npos &&
               m.find("`jobsub submit --resume ") != std::string::npos &&
               m.find("jobs.tsv") != std::string::npos;
      });
  const auto jobs = rig.store.jobs(rig.sweep);
  BOOST_TEST(jobs.at(1).native_id == "42");
  BOOST_TEST(std::string(jobsub::to_string(jobs.at(2).state)) == "not_submitted");
  BOOST_TEST(std::string(jobsub::to_string(rig.store.batches(rig.sweep).at(0).state)) == "failed");
  BOOST_TEST((rig.book.state(3) == jobsub::JobState::not_submitted));
}

BOOST_AUTO_TEST_CASE(the_answers_choose_the_batches) {
  Rig rig(6);
  rig.scheduler.on_submit = take_all_as_one_array;
  ScriptedPrompter prompter({jobsub::Answer::yes, jobsub::Answer::no, jobsub::Answer::all});
  auto submitter = rig.submitter();
  // Jobs 1-2 and 4-6 (as a resume of a sweep whose job 3 ran).
  submitter->submit({{1, 2}, {4, 6}}, &prompter, rig.first_batch());
  BOOST_TEST(prompter.asked == (std::vector<std::string>{"1:--i=0", "2:--i=1", "4:--i=3"}));
  BOOST_REQUIRE_EQUAL(rig.scheduler.batches.size(), 2u);
  BOOST_TEST((rig.scheduler.batches[0].tasks == std::vector<jobsub::TaskRange>{{1, 1}}));
  BOOST_TEST((rig.scheduler.batches[1].tasks == std::vector<jobsub::TaskRange>{{4, 6}}));
  BOOST_TEST(rig.scheduler.batches[1].batch_name == "batch-2");
  BOOST_TEST(rig.first_batch_calls == 1);
  BOOST_TEST(std::string(jobsub::to_string(rig.store.jobs(rig.sweep).at(1).state)) ==
             "declined");  // answered n (before the sweep was recorded: kept until it was)
  ScriptedPrompter stop({jobsub::Answer::exit});
  Rig idle(2);
  idle.submitter()->submit({{1, 2}}, &stop, idle.first_batch());
  BOOST_TEST(idle.first_batch_calls == 0);  // nothing submitted, nothing recorded
  BOOST_TEST(idle.scheduler.batches.empty());
}

BOOST_AUTO_TEST_CASE(states_reported_during_a_long_run_reach_the_store_within_a_second) {
  Rig rig(2);
  std::string seen;
  rig.scheduler.on_submit = [&](const jobsub::BatchRequest&, jobsub::SubmitContext& context,
                                jobsub::SubmitResult& result) {
    context.job_event({1, jobsub::JobState::running, -1, "local-1_1", "running"});
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // a job that runs a while
    seen = jobsub::to_string(
        jobsub::Store(jobsub::Store::path_for(rig.dir.path), false).jobs(rig.sweep).at(0).state);
    result.outcomes.push_back({1, jobsub::JobState::completed, 0, "local-1_1", "completed"});
    result.outcomes.push_back({2, jobsub::JobState::completed, 0, "local-1_2", "completed"});
    return jobsub::Status::success();
  };
  rig.submitter()->submit({{1, 2}}, nullptr, rig.first_batch());
  BOOST_TEST(seen == "running");
  BOOST_TEST(std::string(jobsub::to_string(rig.store.jobs(rig.sweep).at(1).state)) == "completed");
}

BOOST_AUTO_TEST_CASE(the_batches_of_several_resource_groups_go_in_one_call_and_one_failure_stops_the_later) {
  Rig rig(4);
  rig.groups = two_groups();
  rig.scheduler.on_submit = take_all_as_one_array;
  rig.submitter()->submit({{1, 4}}, nullptr, rig.first_batch());
  BOOST_TEST(rig.scheduler.calls == (std::vector<std::size_t>{2}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(rig.scheduler.batches.size(), 2u);
  BOOST_TEST(rig.scheduler.batches[0].resources.at("time") == "1h");
  BOOST_TEST(rig.scheduler.batches[1].resources.at("time") == "4h");
  BOOST_TEST(rig.book.count(jobsub::JobState::queued) == 4u);

  // The default submit_batches(): the first batch refused, the second is not tried.
  Rig refused(4);
  refused.groups = two_groups();
  refused.scheduler.on_submit = [](const jobsub::BatchRequest&, jobsub::SubmitContext&,
                                   jobsub::SubmitResult&) {
    return jobsub::Status::failure("sbatch: error: invalid partition");
  };
  BOOST_CHECK_EXCEPTION(refused.submitter()->submit({{1, 4}}, nullptr, refused.first_batch()), jobsub::Error,
                        [](const jobsub::Error& e) {
                          return std::string(e.what()).find(
                                     "could not submit batch-1 (jobs 1-2): sbatch: "
                                     "error: invalid partition") != std::string::npos;
                        });
  BOOST_TEST(refused.scheduler.batches.size() == 1u);
  const auto batches = refused.store.batches(refused.sweep);
  BOOST_REQUIRE_EQUAL(batches.size(), 2u);
  BOOST_TEST(std::string(jobsub::to_string(batches[1].state)) == "failed");
  for (const auto& job : refused.store.jobs(refused.sweep))
    BOOST_TEST(std::string(jobsub::to_string(job.state)) == "not_submitted");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pipeline)

BOOST_AUTO_TEST_CASE(the_stages_load_with_their_options_and_an_unused_plugins_option_is_refused) {
  TempDir dir;
  const jobsub::PluginRegistry registry({JOBSUB_TEST_PLUGIN_DIR});
  jobsub::SweepSpec spec = jobsub::empty_spec(dir.path);
  jobsub::apply_defaults_and_environment(spec);
  jobsub::set_setting(spec, "scheduler", "slurm", "command line", jobsub::SettingSource::command_line);
  jobsub::set_setting(spec, "options.slurm.submit-attempts", "2", "command line",
                      jobsub::SettingSource::command_line);
  const jobsub::Pipeline pipeline = jobsub::load_pipeline(registry, spec, 0);
  BOOST_TEST(pipeline.stage("scheduler") == "scheduler 'slurm'");
  BOOST_TEST(pipeline.options_for("scheduler").at("submit-attempts") == "2");
  BOOST_TEST(pipeline.options_for("scheduler").at("submit-retry-delay") == "2");  // its default
  jobsub::set_setting(spec, "options.local.grace", "1", "jobsub.yaml:4", jobsub::SettingSource::spec_file);
  BOOST_CHECK_EXCEPTION(jobsub::load_pipeline(registry, spec, 0), jobsub::Error, [](const jobsub::Error& e) {
    return std::string(e.what()).find(
               "jobsub.yaml:4: option 'local.grace' belongs to scheduler 'local', which "
               "this sweep does not use") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(batch_settings_find_the_experiments_template) {
  TempDir dir;
  jobsub::SweepSpec spec = jobsub::empty_spec(dir.path);
  jobsub::apply_defaults_and_environment(spec);
  BOOST_TEST(jobsub::batch_settings(spec).template_text.empty());
  fs::create_directories(dir.path / "templates");
  std::ofstream(dir.path / "templates/local.sh.mustache") << "#!/bin/bash\n{{{task_body}}}\n";
  jobsub::set_setting(spec, "max_running", "3", "command line", jobsub::SettingSource::command_line);
  const jobsub::BatchSettings settings = jobsub::batch_settings(spec);
  BOOST_TEST(settings.template_file == dir.path / "templates/local.sh.mustache");
  BOOST_TEST(settings.max_running == 3u);
  jobsub::set_setting(spec, "max_running", "-1", "jobsub.yaml:2", jobsub::SettingSource::spec_file);
  BOOST_CHECK_THROW(jobsub::batch_settings(spec), jobsub::Error);
}

BOOST_AUTO_TEST_SUITE_END()
