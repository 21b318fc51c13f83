// Metrics as jobs write them, kept in the store, and the table `collect` makes of them.
#include <jobsub/errors.h>
#include <jobsub/metrics.h>
#include <jobsub/results.h>
#include <jobsub/results_layout.h>
#include <jobsub/store.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("jobsub-results-test-" + std::to_string(::getpid()));
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

jobsub::MetricSet lines(const std::string& text) {
  jobsub::MetricSet m;
  jobsub::MetricReader::read_json_lines(text, m);
  return m;
}

/// A completed row with params and metrics given as JSON texts.
jobsub::ResultRow row(uint64_t job, std::vector<std::pair<std::string, std::string>> params,
                      const std::string& metrics_json, jobsub::JobState state = jobsub::JobState::completed) {
  jobsub::ResultRow r;
  r.job = job;
  r.state = state;
  r.params = std::move(params);
  jobsub::MetricReader::read_json_lines(metrics_json, r.metrics);
  return r;
}

std::size_t column(const jobsub::ResultTable& t, const std::string& name) {
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i] == name) return i;
  BOOST_FAIL("no column " + name);
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(json_lines_keep_the_last_value_of_each_key_typed) {
  const jobsub::MetricSet m = lines(
      "{\"step\": 1, \"loss\": 0.5, \"tag\": \"a\"}\n"
      "{\"step\": 2, \"loss\": NaN, \"acc\": Infinity, \"worst\": -Infinity}\n"
      "{\"step\": 3, \"val\": {\"acc\": 0.75}, \"ok\": true, \"shape\": [2, 3], \"gone\": null}\n");
  BOOST_TEST(m.steps == 3u);
  BOOST_TEST(m.problem.empty());
  BOOST_TEST(m.find("step")->text == "3");
  BOOST_TEST((m.find("step")->kind == jobsub::MetricValue::Kind::integer));
  BOOST_TEST(std::isnan(m.find("loss")->number));  // the last line's NaN, not the first's 0.5
  BOOST_TEST(m.find("loss")->text == "NaN");
  BOOST_TEST(std::isinf(m.find("acc")->number));
  BOOST_TEST(m.find("acc")->number > 0);
  BOOST_TEST(m.find("worst")->text == "-Infinity");
  BOOST_TEST(m.find("val.acc")->number == 0.75);  // nested objects flattened
  BOOST_TEST(m.find("tag")->text == "a");
  BOOST_TEST((m.find("ok")->kind == jobsub::MetricValue::Kind::boolean));
  BOOST_TEST(m.find("shape")->text == "[2,3]");
  BOOST_TEST(m.find("gone") == nullptr);         // null is missing
  BOOST_TEST(m.values.front().first == "step");  // first-seen order
}

BOOST_AUTO_TEST_CASE(the_words_nan_and_infinity_inside_strings_stay_strings) {
  const jobsub::MetricSet m = lines("{\"note\": \"NaN and Infinity \\\" NaN\", \"x\": 1}\n");
  BOOST_TEST(m.find("note")->text == "NaN and Infinity \" NaN");
  BOOST_TEST(m.find("x")->text == "1");
}

BOOST_AUTO_TEST_CASE(a_line_cut_short_at_the_end_is_expected_and_a_bad_line_inside_is_named) {
  const jobsub::MetricSet cut = lines("{\"loss\": 0.5}\n{\"loss\": 0.");
  BOOST_TEST(cut.find("loss")->number == 0.5);
  BOOST_TEST(cut.problem.empty());
  BOOST_TEST(cut.steps == 1u);
  const jobsub::MetricSet bad = lines("{\"loss\": 0.5}\nloss=0.4\n[1]\n{\"loss\": 0.3}\n");
  BOOST_TEST(bad.find("loss")->number == 0.3);
  BOOST_TEST(bad.problem.find("metrics.jsonl line 2: not JSON") == 0u, bad.problem);
  BOOST_TEST(bad.steps == 2u);
}

BOOST_AUTO_TEST_CASE(a_captured_word_is_a_number_when_all_of_it_is_one) {
  BOOST_TEST((jobsub::MetricValue::of_text("12").kind == jobsub::MetricValue::Kind::integer));
  BOOST_TEST(jobsub::MetricValue::of_text("1e-3").number == 0.001);
  BOOST_TEST(std::isnan(jobsub::MetricValue::of_text("nan").number));
  BOOST_TEST(jobsub::MetricValue::of_text("-inf").text == "-Infinity");
  BOOST_TEST((jobsub::MetricValue::of_text("0.9x").kind == jobsub::MetricValue::Kind::string));
  BOOST_TEST((jobsub::MetricValue::of_text("0x10").kind == jobsub::MetricValue::Kind::string));
}

BOOST_AUTO_TEST_CASE(stdout_patterns_take_the_last_match_and_the_file_wins) {
  TempDir dir;
  write(dir.path / "stdout",
        "epoch 1 val_acc=0.50 loss: 2.0\n"
        "epoch 2 val_acc=0.75\n"
        "lr: 0.01\n"
        "loss: 1.5\n"
        "not a metric: yes\n");
  write(dir.path / "metrics.jsonl", "{\"lr\": 0.02}\n");
  write(dir.path / "started", "1700000000,250000\n");  // $EPOCHREALTIME in a locale with a decimal comma
  jobsub::ResultsSpec rules;
  rules.metrics = {{"val_acc", R"(val_acc=(\S+))"}, {"declared", ""}};
  rules.metric_lines = true;
  const jobsub::MetricReader reader(rules);
  const jobsub::MetricSet m = reader.read(dir.path);
  BOOST_TEST(m.find("val_acc")->number == 0.75);
  BOOST_TEST(m.find("loss")->number == 1.5);  // a whole line `loss: 1.5`; `... loss: 2.0` is not one
  BOOST_TEST(m.find("lr")->number == 0.02);   // the file's value over stdout's
  BOOST_TEST(m.find("not a metric") == nullptr);
  BOOST_TEST(m.find("declared") == nullptr);
  BOOST_TEST(m.started == 1700000000.25);
  BOOST_TEST(m.ended == 0.0);  // no exit_code file: not ended
}

BOOST_AUTO_TEST_CASE(a_pattern_without_one_group_is_refused_by_the_spec_reader) {
  TempDir dir;
  write(dir.path / "jobsub.yaml", "metrics:\n  acc: 'acc=\\S+'\n");
  try {
    jobsub::load_spec_file(dir.path / "jobsub.yaml");
    BOOST_FAIL("expected an error");
  } catch (const jobsub::Error& e) {
    BOOST_TEST(std::string(e.what()).find(
                   "jobsub.yaml:2: key 'metrics.acc': the pattern has 0 capture groups") != std::string::npos,
               e.what());
  }
  write(dir.path / "jobsub.yaml",
        "metrics: [acc, loss]\nobjective: -loss\nseeds: [seed, rep]\nmetric_lines: true\n");
  const jobsub::SweepSpec spec = jobsub::load_spec_file(dir.path / "jobsub.yaml");
  BOOST_TEST(spec.results.metrics.size() == 2u);
  BOOST_TEST(spec.results.metrics[1].first == "loss");
  BOOST_TEST(spec.results.objective == "-loss");
  BOOST_TEST(spec.results.seeds.size() == 2u);
  BOOST_TEST(spec.results.metric_lines);
}

BOOST_AUTO_TEST_CASE(the_store_keeps_reads_with_their_types_nan_and_infinity_included) {
  TempDir dir;
  jobsub::Store store(jobsub::Store::path_for(dir.path), true);
  const int64_t sweep =
      store.add_sweep({"s", dir.path / "r", "2026-11-26T00:00:00Z", "local", 2, "x"}, {1, 2});
  jobsub::AttemptMetrics a{1, 2,
                           lines("{\"n\": 7, \"x\": NaN, \"y\": -Infinity, \"s\": \"hi\", \"z\": 0.1}\n")};
  a.metrics.started = 100.5;
  a.metrics.ended = 160.25;
  jobsub::AttemptMetrics empty{2, 1, {}};
  store.record_metrics(sweep, {a, empty});
  const std::vector<jobsub::AttemptMetrics> back = store.metrics(sweep);
  BOOST_REQUIRE_EQUAL(back.size(), 2u);
  const jobsub::MetricSet& m = back[0].metrics;
  BOOST_TEST(back[0].attempt == 2);
  BOOST_TEST(m.values.size() == 5u);
  BOOST_TEST(m.values[0].first == "n");
  BOOST_TEST((m.find("n")->kind == jobsub::MetricValue::Kind::integer));
  BOOST_TEST(std::isnan(m.find("x")->number));
  BOOST_TEST(std::isinf(m.find("y")->number));
  BOOST_TEST(m.find("y")->number < 0);
  BOOST_TEST(m.find("s")->text == "hi");
  BOOST_TEST(m.find("z")->number == 0.1);
  BOOST_TEST(m.ended - m.started == 59.75);
  BOOST_TEST(back[1].metrics.values.empty());  // a read that found nothing is kept too
}

BOOST_AUTO_TEST_CASE(a_skipped_jobs_reason_names_where_it_completed) {
  const std::string reason = jobsub::skipped_reason({"/x/results/a (1)/2026", 12});
  const std::optional<jobsub::CompletedJob> back = jobsub::parse_skipped_reason(reason);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->sweep_dir == "/x/results/a (1)/2026");
  BOOST_TEST(back->job == 12u);
  BOOST_TEST(!jobsub::parse_skipped_reason("interrupted").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(result_table)

BOOST_AUTO_TEST_CASE(groups_average_over_seeds_with_the_sample_std_and_leave_nan_out) {
  const std::vector<jobsub::ResultRow> rows = {
      row(1, {{"lr", "0.1"}, {"seed", "1"}}, "{\"acc\": 0.5}"),
      row(2, {{"lr", "0.1"}, {"seed", "2"}}, "{\"acc\": 0.7}"),
      row(3, {{"lr", "0.1"}, {"seed", "3"}}, "{\"acc\": NaN}"),
      row(4, {{"lr", "1e-3"}, {"seed", "1"}}, "{\"acc\": 0.9}"),
      row(5, {{"lr", "1e-3"}, {"seed", "2"}}, "{}"),
      row(6, {{"lr", "1e-3"}, {"seed", "3"}}, "", jobsub::JobState::failed),
  };
  const jobsub::ResultTable t = jobsub::build_result_table(rows, {"r"}, {jobsub::ResultsSpec{}}, {});
  BOOST_TEST(t.grouped);  // `seed` is there: grouping is on
  BOOST_REQUIRE_EQUAL(t.rows.size(), 2u);
  // Best first: the highest acc mean (the first metric).
  BOOST_TEST(t.rows[0][column(t, "lr")].text == "1e-3");   // the params' text as written
  BOOST_TEST(t.rows[0][column(t, "jobs")].number == 2.0);  // job 6 failed: not in the group
  BOOST_TEST(t.rows[0][column(t, "acc_mean")].number == 0.9);
  BOOST_TEST((t.rows[0][column(t, "acc_std")].type == jobsub::Cell::Type::missing));  // one value: no std
  BOOST_TEST(t.rows[0][column(t, "acc_n")].number == 1.0);
  BOOST_TEST(t.rows[1][column(t, "acc_mean")].number == 0.6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.rows[1][column(t, "acc_std")].number == std::sqrt(0.02), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.rows[1][column(t, "acc_n")].number == 2.0);
  const std::string footer = jobsub::render_result_table(t, jobsub::ResultFormat::table);
  BOOST_TEST(footer.find("1 of 6 jobs not completed (left out of the groups):\n  failed: job 6") !=
                 std::string::npos,
             footer);
}

BOOST_AUTO_TEST_CASE(ungrouped_rows_show_missing_as_missing_and_sort_it_last) {
  const std::vector<jobsub::ResultRow> rows = {
      row(1, {{"lr", "0.1"}, {"opt", "\"adam\""}}, "{\"loss\": 0.3}"),
      row(2, {{"lr", "0.2"}, {"opt", "\"adam\""}}, "{}"),
      row(3, {{"lr", "0.3"}, {"opt", "\"adam\""}}, "{\"loss\": 0.1}"),
  };
  jobsub::ResultsSpec rules;
  rules.objective = "-loss";
  const jobsub::ResultTable t = jobsub::build_result_table(rows, {"r"}, {rules}, {});
  BOOST_TEST(!t.grouped);
  BOOST_TEST(t.rows[0][column(t, "job")].number == 3.0);
  BOOST_TEST(t.rows[1][column(t, "job")].number == 1.0);
  BOOST_TEST((t.rows[2][column(t, "loss")].type == jobsub::Cell::Type::missing));
  BOOST_REQUIRE_EQUAL(t.constants.size(), 1u);
  BOOST_TEST(t.constants[0].first == "opt");
  const std::string csv = jobsub::render_result_table(t, jobsub::ResultFormat::csv);
  BOOST_TEST(csv ==
                 "job,lr,opt,state,attempt,runtime,loss\n"
                 "3,0.3,adam,completed,1,,0.1\n"
                 "1,0.1,adam,completed,1,,0.3\n"
                 "2,0.2,adam,completed,1,,\n",
             csv);
  const std::string table = jobsub::render_result_table(t, jobsub::ResultFormat::table);
  BOOST_TEST(table.find("the same in every row: opt=adam") != std::string::npos, table);
  BOOST_TEST(table.find("opt  ") == std::string::npos, table);  // not a column of the table
}

BOOST_AUTO_TEST_CASE(where_compares_numbers_as_numbers_and_states_as_lists) {
  const std::vector<jobsub::ResultRow> rows = {
      row(1, {{"lr", "0.001"}, {"layers", "[64, 64]"}}, "{\"acc\": 0.5}"),
      row(2, {{"lr", "0.01"}, {"layers", "[128]"}}, "{\"acc\": 0.7}"),
      row(3, {{"lr", "0.1"}, {"layers", "[128]"}}, "", jobsub::JobState::failed),
  };
  auto jobs_where = [&](std::vector<std::string> where) {
    jobsub::ResultQuery q;
    q.where = std::move(where);
    q.sort = "job";
    const jobsub::ResultTable t = jobsub::build_result_table(rows, {"r"}, {jobsub::ResultsSpec{}}, q);
    std::string out;
    for (const auto& r : t.rows) out += r[column(t, "job")].text;
    return out;
  };
  BOOST_TEST(jobs_where({"lr=1e-3"}) == "1");
  BOOST_TEST(jobs_where({"lr!=1e-3"}) == "23");
  BOOST_TEST(jobs_where({"layers=[64,64]"}) == "1");
  BOOST_TEST(jobs_where({"acc>0.6"}) == "2");
  BOOST_TEST(jobs_where({"acc<1"}) == "12");  // job 3 has no acc: never below a number
  BOOST_TEST(jobs_where({"state=failed,completed", "lr<0.05"}) == "12");
  BOOST_TEST(jobs_where({"state!=completed"}) == "3");
  BOOST_CHECK_THROW(jobs_where({"acc>high"}), jobsub::Error);
  BOOST_CHECK_THROW(jobs_where({"state=done"}), jobsub::Error);
  try {
    jobs_where({"acx>0"});
    BOOST_FAIL("expected an error");
  } catch (const jobsub::Error& e) {
    BOOST_TEST(std::string(e.what()).find("did you mean 'acc'?") != std::string::npos, e.what());
    BOOST_TEST((e.code() == jobsub::ExitCode::usage));
  }
}

BOOST_AUTO_TEST_CASE(json_spells_non_finite_numbers_as_python_does_and_missing_as_null) {
  const std::vector<jobsub::ResultRow> rows = {
      row(1, {{"name", "\"a \\\"b\\\"\""}}, "{\"x\": NaN, \"y\": Infinity}"),
      row(2, {{"name", "\"c\""}}, "{\"y\": -Infinity}"),
  };
  jobsub::ResultQuery q;
  q.sort = "job";
  const jobsub::ResultTable t = jobsub::build_result_table(rows, {"r"}, {jobsub::ResultsSpec{}}, q);
  const std::string json = jobsub::render_result_table(t, jobsub::ResultFormat::json);
  BOOST_TEST(json.find("{\"job\": 1, \"name\": \"a \\\"b\\\"\", \"state\": \"completed\", \"attempt\": 1, "
                       "\"runtime\": null, \"x\": NaN, \"y\": Infinity}") != std::string::npos,
             json);
  BOOST_TEST(json.find("\"x\": null, \"y\": -Infinity}") != std::string::npos, json);
  const std::string csv = jobsub::render_result_table(t, jobsub::ResultFormat::csv);
  BOOST_TEST(csv.find("1,\"a \"\"b\"\"\",completed,1,,nan,inf\n") != std::string::npos, csv);
  BOOST_TEST(csv.find("2,c,completed,1,,,-inf\n") != std::string::npos, csv);
}

BOOST_AUTO_TEST_CASE(equal_values_have_no_spread_and_earlier_attempts_are_not_jobs_left_open) {
  std::vector<jobsub::ResultRow> rows = {
      row(1, {{"lr", "0.1"}, {"seed", "1"}}, "{\"acc\": 0.1}"),
      row(2, {{"lr", "0.1"}, {"seed", "2"}}, "{\"acc\": 0.1}"),
      row(3, {{"lr", "0.1"}, {"seed", "3"}}, "{\"acc\": 0.1}"),
  };
  jobsub::ResultRow earlier = row(3, {{"lr", "0.1"}, {"seed", "3"}}, "", jobsub::JobState::failed);
  earlier.latest = false;  // attempt 1 of job 3, which its attempt 2 repaired
  rows.push_back(earlier);
  const jobsub::ResultTable t = jobsub::build_result_table(rows, {"r"}, {jobsub::ResultsSpec{}}, {});
  BOOST_REQUIRE_EQUAL(t.rows.size(), 1u);
  BOOST_TEST(t.rows[0][column(t, "acc_std")].number == 0.0);  // not the 1.7e-17 of summing three 0.1s
  const std::string text = jobsub::render_result_table(t, jobsub::ResultFormat::table);
  BOOST_TEST(text.find("not completed") == std::string::npos, text);
  BOOST_TEST(text.find("over seed") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(text_in_a_metric_never_ranks_best_and_a_pretty_printed_object_is_read) {
  const std::vector<jobsub::ResultRow> rows = {
      row(1, {{"lr", "0.1"}}, "{\"acc\": 0.5}"),
      row(2, {{"lr", "0.2"}}, "{\"acc\": \"diverged\"}"),
      row(3, {{"lr", "0.3"}}, "{\"acc\": 0.7}"),
  };
  const jobsub::ResultTable t = jobsub::build_result_table(rows, {"r"}, {jobsub::ResultsSpec{}}, {});
  BOOST_TEST(t.rows[0][column(t, "job")].number == 3.0);  // highest acc first
  BOOST_TEST(t.rows[2][column(t, "job")].number == 2.0);  // "diverged" last, not above every number
  const jobsub::MetricSet pretty = lines("{\n  \"acc\": 0.9,\n  \"loss\": NaN\n}\n");
  BOOST_TEST(pretty.find("acc")->number == 0.9);
  BOOST_TEST(std::isnan(pretty.find("loss")->number));
  BOOST_TEST(pretty.problem.empty());
}

BOOST_AUTO_TEST_CASE(top_keeps_the_best_rows_after_grouping) {
  std::vector<jobsub::ResultRow> rows;
  for (uint64_t j = 1; j <= 6; ++j)
    rows.push_back(row(j, {{"lr", std::to_string(j)}, {"seed", std::to_string(j % 2)}},
                       "{\"loss\": " + std::to_string(j) + "}"));
  jobsub::ResultQuery q;
  q.objective = "-loss";
  q.top = 2;
  q.group_by = std::vector<std::string>();  // none
  const jobsub::ResultTable t = jobsub::build_result_table(rows, {"r"}, {jobsub::ResultsSpec{}}, q);
  BOOST_REQUIRE_EQUAL(t.rows.size(), 2u);
  BOOST_TEST(t.rows[0][column(t, "loss")].text == "1");
  BOOST_TEST(t.rows[1][column(t, "loss")].text == "2");
}

BOOST_AUTO_TEST_CASE(read_results_keeps_param_text_and_reads_an_ended_attempt_once) {
  TempDir dir;
  const fs::path results = dir.path / "results" / "s" / "1";
  const jobsub::ResultsLayout layout(results, 2);
  write(layout.params(), "{\"lr\": 1e-3, \"name\": \"a,b\"}\n{\"lr\": 0.10, \"name\": \"c\"}\n");
  write(layout.job_file(1, "metrics.jsonl"), "{\"acc\": 0.5}\n");
  write(layout.job_file(1, "exit_code"), "0\n");
  write(layout.job_file(2, "metrics.jsonl"), "{\"acc\": 0.25}\n");
  jobsub::Store store(jobsub::Store::path_for(dir.path), true);
  const int64_t id = store.add_sweep({"s", results, "2026-11-26T00:00:00Z", "local", 2, "x"}, {1, 2});
  jobsub::SweepSummary sweep;
  sweep.id = id;
  sweep.sweep.dir = results;
  sweep.sweep.job_count = 2;
  std::vector<jobsub::JobRecord> jobs = store.jobs(id);
  jobs[0].state = jobsub::JobState::completed;
  jobs[1].state = jobsub::JobState::running;
  const std::vector<jobsub::ResultRow> rows = jobsub::read_results(store, sweep, jobs, {}, {});
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[0].params[0].second == "1e-3");
  BOOST_TEST(rows[0].params[1].second == "\"a,b\"");
  BOOST_TEST(rows[1].params[0].second == "0.10");
  BOOST_TEST(rows[0].metrics.find("acc")->number == 0.5);
  BOOST_TEST(!rows[0].in_flight);
  BOOST_TEST(rows[1].in_flight);  // running: its metrics so far
  // The completed job's read is kept; the running one's is not.
  const std::vector<jobsub::AttemptMetrics> kept = store.metrics(id);
  BOOST_REQUIRE_EQUAL(kept.size(), 1u);
  BOOST_TEST(kept[0].job == 1u);
  // Later reads come from the store, not the file.
  fs::remove(layout.job_file(1, "metrics.jsonl"));
  const std::vector<jobsub::ResultRow> again = jobsub::read_results(store, sweep, jobs, {}, {});
  BOOST_TEST(again[0].metrics.find("acc")->number == 0.5);
}

BOOST_AUTO_TEST_SUITE_END()
