#include <jobsub/errors.h>
#include <jobsub/overrides.h>
#include <jobsub/resource_groups.h>
#include <jobsub/script.h>
#include <jobsub/spec.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

namespace fs = std::filesystem;

namespace {

struct TempSpec {
  fs::path dir = fs::temp_directory_path() / ("jobsub-spec-test-" + std::to_string(::getpid()));
  fs::path file = dir / "jobsub.yaml";
  explicit TempSpec(const std::string& text) {
    fs::create_directories(dir);
    std::ofstream(file) << text;
  }
  ~TempSpec() { fs::remove_all(dir); }
};

std::string error_of(const std::string& text) {
  TempSpec spec(text);
  try {
    jobsub::load_spec_file(spec.file);
  } catch (const jobsub::Error& e) {
    BOOST_TEST((e.code() == jobsub::ExitCode::bad_spec));
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> texts(const jobsub::ValueList& values) {
  std::vector<std::string> out;
  for (uint64_t i = 0; i < values.size(); ++i) out.push_back(values[i].text);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(spec)

BOOST_AUTO_TEST_CASE(reads_settings_hypers_and_keeps_literal_text) {
  TempSpec file(
      "formatter: sacred\n"
      "resources: {time: 2h, mem: 12400M}\n"
      "init: |\n  source a\n  source b\n"
      "hypers:\n  lr: [0.001, 0.0001, 1e-04]\n  id: '001'\n  flag: true\n");
  const auto spec = jobsub::load_spec_file(file.file);
  BOOST_TEST(spec.get("formatter") == "sacred");
  BOOST_TEST(spec.settings.at("formatter").origin == "jobsub.yaml:1");
  BOOST_TEST(spec.get("resources.time") == "2h");
  BOOST_TEST(spec.init_lines == (std::vector<std::string>{"source a", "source b"}));
  BOOST_REQUIRE_EQUAL(spec.grids.size(), 1u);
  const auto& hypers = spec.grids[0].hypers;
  BOOST_TEST(texts(hypers[0].values) == (std::vector<std::string>{"0.001", "0.0001", "1e-04"}));
  BOOST_TEST(hypers[1].values[0].text == "001");
  BOOST_TEST((hypers[1].values[0].kind == jobsub::ValueKind::String));
  BOOST_TEST((hypers[2].values[0].kind == jobsub::ValueKind::Bool));
}

BOOST_AUTO_TEST_CASE(unknown_key_names_file_line_and_suggests) {
  const std::string e = error_of("formatter: sacred\nformater: x\n");
  BOOST_TEST(e.find("jobsub.yaml:2") != std::string::npos, e);
  BOOST_TEST(e.find("key 'formater'") != std::string::npos, e);
  BOOST_TEST(e.find("did you mean 'formatter'") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(bad_hyper_value_names_line_and_key) {
  const std::string e = error_of("hypers:\n  lr: [0.1]\n  seed:\n    - range(a)\n");
  BOOST_TEST(e.find("jobsub.yaml:4") != std::string::npos, e);
  BOOST_TEST(e.find("hypers.seed") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(empty_list_is_an_error) {
  const std::string e = error_of("hypers:\n  lr: []\n");
  BOOST_TEST(e.find("hypers.lr") != std::string::npos, e);
  BOOST_TEST(e.find("empty list") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(yaml_syntax_error_names_the_line) {
  const std::string e = error_of("hypers:\n  lr: [0.1\n  seed: 1\n");
  BOOST_TEST(e.find("jobsub.yaml:") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(overrides_lists_ranges_and_quotes) {
  auto o = jobsub::parse_override("lr=0.1,0.01");
  BOOST_TEST(o.key == "lr");
  BOOST_TEST(texts(o.values) == (std::vector<std::string>{"0.1", "0.01"}));
  o = jobsub::parse_override("seed=range(0,5)");
  BOOST_TEST(texts(o.values) == (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  o = jobsub::parse_override("seed=range(10,0,-5)");
  BOOST_TEST(texts(o.values) == (std::vector<std::string>{"10", "5"}));
  o = jobsub::parse_override("name='a,b'");
  BOOST_TEST(texts(o.values) == (std::vector<std::string>{"a,b"}));
  BOOST_TEST((o.values[0].kind == jobsub::ValueKind::String));
  o = jobsub::parse_override("x='a,b',c,\"d e\"");
  BOOST_TEST(texts(o.values) == (std::vector<std::string>{"a,b", "c", "d e"}));
  o = jobsub::parse_override("id='001'");
  BOOST_TEST((o.values[0].kind == jobsub::ValueKind::String));
  o = jobsub::parse_override("x=");
  BOOST_TEST(texts(o.values) == (std::vector<std::string>{""}));
  o = jobsub::parse_override("lr=0.0001");
  BOOST_TEST(o.values[0].text == "0.0001");
}

BOOST_AUTO_TEST_CASE(bad_overrides_are_usage_errors) {
  for (const char* bad : {"=1", "x='unterminated", "seed=range(a,b)", "seed=range(0,0)", "x=1,,2"}) {
    BOOST_CHECK_EXCEPTION(jobsub::parse_override(bad), jobsub::Error,
                          [](const jobsub::Error& e) { return e.code() == jobsub::ExitCode::usage; });
  }
}

BOOST_AUTO_TEST_CASE(an_override_replaces_in_the_grids_that_have_its_key_or_adds_it_to_all) {
  jobsub::SweepSpec spec;
  spec.grids.push_back(
      {{{"lr", {jobsub::plain_value("1")}, "f"}, {"momentum", {jobsub::plain_value("0.9")}, "f"}}});
  spec.grids.push_back({{{"lr", {jobsub::plain_value("2")}, "f"}}});
  jobsub::apply_override(spec, jobsub::parse_override("momentum=0.5,0.99"));
  BOOST_TEST(spec.grids[0].hypers[1].values.size() == 2u);
  BOOST_TEST(spec.grids[1].hypers.size() == 1u);  // adam's grid has no momentum, and gets none
  BOOST_REQUIRE_EQUAL(spec.notes.size(), 1u);
  BOOST_TEST(spec.notes[0] ==
             "momentum=[0.5, 0.99]: replaces 'momentum' in hypers[0] of the 2 grids (the grid that has it)");
  jobsub::apply_override(spec, jobsub::parse_override("seed=1,2"));
  BOOST_TEST(spec.grids[0].hypers.back().key == "seed");
  BOOST_TEST(spec.grids[1].hypers.back().key == "seed");
  BOOST_TEST(spec.notes[1] == "seed=[1, 2]: no grid has 'seed', so it is added to all 2 grids");
}

jobsub::Value list_of(std::vector<jobsub::Value> items) { return jobsub::list_value(std::move(items)); }

BOOST_AUTO_TEST_CASE(overrides_read_lists_and_dicts_by_hydras_grammar) {
  using jobsub::plain_value;
  using jobsub::string_value;
  auto o = jobsub::parse_override("layers=[64,64]");
  BOOST_REQUIRE_EQUAL(o.values.size(), 1u);
  BOOST_TEST((o.values[0] == list_of({plain_value("64"), plain_value("64")})));
  o = jobsub::parse_override("layers=[64,64],[128]");
  BOOST_REQUIRE_EQUAL(o.values.size(), 2u);
  BOOST_TEST((o.values[1] == list_of({plain_value("128")})));
  o = jobsub::parse_override("layers=[1,2],[3,4]");
  BOOST_TEST(o.values.size() == 2u);
  o = jobsub::parse_override("opt={lr:1,wd:2}");
  BOOST_REQUIRE_EQUAL(o.values.size(), 1u);
  BOOST_TEST((o.values[0] == jobsub::dict_value({"lr", "wd"}, {plain_value("1"), plain_value("2")})));
  BOOST_TEST(o.values[0].text == "{lr: 1, wd: 2}");
  // Quotes, escapes, spaces, nesting, empty containers, typed elements.
  o = jobsub::parse_override(R"(x=[ 'a,b' , "c]", d\,e , [] , {}, {k: [1, null, true, x y]} ])");
  BOOST_REQUIRE_EQUAL(o.values.size(), 1u);
  const jobsub::Value& v = o.values[0];
  BOOST_REQUIRE_EQUAL(v.items.size(), 6u);
  BOOST_TEST((v.items[0] == string_value("a,b")));
  BOOST_TEST((v.items[1] == string_value("c]")));
  BOOST_TEST((v.items[2] == string_value("d,e")));
  BOOST_TEST((v.items[3] == list_of({})));
  BOOST_TEST((v.items[4].kind == jobsub::ValueKind::Dict && v.items[4].items.empty()));
  const jobsub::Value& inner = v.items[5].items.at(0);
  BOOST_TEST((inner.items.at(1).kind == jobsub::ValueKind::Null));
  BOOST_TEST((inner.items.at(2).kind == jobsub::ValueKind::Bool));
  BOOST_TEST((inner.items.at(3) == string_value("x y")));
  // Brackets that do not start a value stay text; a sweep of a list and a scalar.
  o = jobsub::parse_override("name=run[1],run[2]");
  BOOST_TEST(texts(o.values) == (std::vector<std::string>{"run[1]", "run[2]"}));
  o = jobsub::parse_override("x='[1,2]',[1,2]");
  BOOST_TEST((o.values[0] == string_value("[1,2]")));
  BOOST_TEST((o.values[1].kind == jobsub::ValueKind::List));
}

BOOST_AUTO_TEST_CASE(a_bad_list_or_dict_is_a_usage_error_naming_the_column) {
  auto message = [](const std::string& arg) -> std::string {
    try {
      jobsub::parse_override(arg);
    } catch (const jobsub::Error& e) {
      BOOST_TEST((e.code() == jobsub::ExitCode::usage));
      return e.what();
    }
    return "(no error)";
  };
  std::string e = message("layers=[64,64");
  BOOST_TEST(e.find("column 8: the '[' is never closed") != std::string::npos, e);
  BOOST_TEST(e.find("quote the value") != std::string::npos, e);
  e = message("re=[a-z]+");
  BOOST_TEST(e.find("column 9: text after the list or dict ends") != std::string::npos, e);
  BOOST_TEST(e.find("re='[a-z]+'") != std::string::npos, e);
  e = message("x=[1,,2]");
  BOOST_TEST(e.find("column 6: an element is missing") != std::string::npos, e);
  e = message("x={a:1,a:2}");
  BOOST_TEST(e.find("the key 'a' twice") != std::string::npos, e);
  e = message("x={a}");
  BOOST_TEST(e.find("has no ':'") != std::string::npos, e);
  e = message("opt={lr:0.1]");
  BOOST_TEST(e.find("column 12: ']' does not close the open '{': close it with '}'") != std::string::npos, e);
  e = message("x=[it's]");
  BOOST_TEST(e.find("quote the whole element instead (\"it's\")") != std::string::npos, e);
  e = message("x=[f(1)]");
  BOOST_TEST(e.find("'(' inside a list or dict must be escaped") != std::string::npos, e);
  e = message(std::string("x=") + std::string(70, '[') + std::string(70, ']'));
  BOOST_TEST(e.find("nest more than 64 deep") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(quoted_elements_unescape_as_hydra_does) {
  // Only a backslash run before the quote is an escape (Hydra's _unescape_quoted_string).
  const jobsub::Override o = jobsub::parse_override(R"(x=['C:\\dir', 'it\'s', 'end\\', "a\b"])");
  BOOST_REQUIRE_EQUAL(o.values.size(), 1u);
  const std::vector<jobsub::Value>& items = o.values[0].items;
  BOOST_REQUIRE_EQUAL(items.size(), 4u);
  BOOST_TEST(items[0].text == R"(C:\\dir)");
  BOOST_TEST(items[1].text == "it's");
  BOOST_TEST(items[2].text == "end\\");
  BOOST_TEST(items[3].text == R"(a\b)");
}

BOOST_AUTO_TEST_CASE(a_value_twice_under_one_key_is_an_error_but_zipped_tuples_are_compared_whole) {
  auto check = [](const std::string& text) -> std::string {
    TempSpec file(text);
    try {
      jobsub::check_duplicate_values(jobsub::load_spec_file(file.file));
    } catch (const jobsub::Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  BOOST_TEST(check("hypers: {lr: [0.1, 0.1], seed: [1, 2]}\nzip: [[lr, seed]]\n") == "(no error)");
  std::string e = check("hypers: {lr: [0.1, 0.1], seed: [1, 1]}\nzip: [[lr, seed]]\n");
  BOOST_TEST(e.find("the zip group [lr, seed] lists (0.1, 1) twice") != std::string::npos, e);
  e = check("hypers:\n  layers: [[64, 64], [64, 64]]\n");
  BOOST_TEST(e.find("jobsub.yaml:2: hypers.layers lists the value [64, 64] twice") != std::string::npos, e);
  e = check("hypers:\n  layers: [64, 64]\n");
  BOOST_TEST(e.find("write it inside another list: layers: [[64, 64]]") != std::string::npos, e);
  BOOST_TEST(check("hypers: {lr: [0.1, 0.10]}\n") == "(no error)");  // two spellings: two jobs
  BOOST_TEST(check("allow_duplicates: true\nhypers: {lr: [1, 1]}\n") == "(no error)");
}

BOOST_AUTO_TEST_CASE(a_grid_entry_with_hypers_and_resources_has_resources_of_its_own) {
  TempSpec file(
      "resources: {time: 1h}\n"
      "hypers:\n"
      "  - {model: [small], resources: [a, b]}\n"  // a plain grid: a hyper called resources
      "  - hypers: {model: [large]}\n"
      "    resources: {time: 4h, mem: 8G}\n");
  const jobsub::SweepSpec spec = jobsub::load_spec_file(file.file);
  BOOST_REQUIRE_EQUAL(spec.grids.size(), 2u);
  BOOST_TEST(spec.grids[0].hypers.size() == 2u);
  BOOST_TEST(spec.grids[0].resources.empty());
  BOOST_TEST(spec.grids[1].hypers.size() == 1u);
  BOOST_TEST(spec.grids[1].resources.at("time").value == "4h");
  BOOST_TEST(spec.grids[1].resources.at("mem").origin == "jobsub.yaml:5");
  const std::string e = error_of("hypers:\n  - hypers: {a: [1]}\n    init: [x]\n");
  BOOST_TEST(
      e.find("key 'hypers[0].init': a grid with settings of its own takes `hypers:` and `resources:` only") !=
          std::string::npos,
      e);
}

BOOST_AUTO_TEST_CASE(resource_groups_split_the_jobs_by_their_grid) {
  jobsub::ResourceGroups groups =
      jobsub::recorded_resource_groups({{"time", "1h"}}, {{{"hypers[1]", {{"time", "4h"}}}, {{3, 4}}}}, 5);
  BOOST_TEST(groups.several());
  BOOST_TEST(groups.of(3) == 1u);
  BOOST_TEST(groups.of(5) == 0u);
  const auto split = groups.split({{2, 5}});
  BOOST_REQUIRE_EQUAL(split.size(), 2u);
  BOOST_TEST(split[0].first == 0u);
  BOOST_TEST(jobsub::format_task_ranges(split[0].second) == "2,5");
  BOOST_TEST(split[1].first == 1u);
  BOOST_TEST(jobsub::format_task_ranges(split[1].second) == "3-4");
  BOOST_TEST(jobsub::ResourceGroups{}.split({{1, 3}}).size() == 1u);  // one group: the tasks as they are
}

BOOST_AUTO_TEST_CASE(spec_lists_and_mappings_are_list_and_dict_values) {
  TempSpec file(
      "hypers:\n"
      "  layers: [[64, 64], [128]]\n"
      "  one: [[64, 64]]\n"
      "  empty: [[]]\n"
      "  opt: {lr: 1, wd: [1, 'a,b'], nested: {x: null}}\n"
      "  mixed: [1, [2], {k: v}]\n");
  const jobsub::SweepSpec spec = jobsub::load_spec_file(file.file);
  const auto& h = spec.grids.at(0).hypers;
  BOOST_TEST(h.at(0).values.size() == 2u);
  BOOST_TEST(h.at(0).values[0].text == "[64, 64]");
  BOOST_TEST(h.at(1).values.size() == 1u);
  BOOST_TEST((h.at(2).values[0] == list_of({})));
  BOOST_TEST(h.at(3).values.size() == 1u);
  BOOST_TEST(h.at(3).values[0].text == "{lr: 1, wd: [1, 'a,b'], nested: {x: null}}");
  BOOST_TEST((h.at(3).values[0].items.at(1).items.at(1) == jobsub::string_value("a,b")));
  BOOST_TEST(h.at(4).values.size() == 3u);
  BOOST_TEST((h.at(4).values[2].kind == jobsub::ValueKind::Dict));
}

BOOST_AUTO_TEST_CASE(environment_overrides_spec_and_defaults_fill_gaps) {
  TempSpec file("scheduler: slurm\nformatter: sacred\n");
  auto spec = jobsub::load_spec_file(file.file);
  ::setenv("JOBSUB_SCHEDULER", "local", 1);
  jobsub::apply_defaults_and_environment(spec);
  ::unsetenv("JOBSUB_SCHEDULER");
  BOOST_TEST(spec.get("scheduler") == "local");
  BOOST_TEST(spec.settings.at("scheduler").origin == "env JOBSUB_SCHEDULER");
  BOOST_TEST(spec.get("formatter") == "sacred");
  BOOST_TEST(spec.get("sweeper") == "grid");
  BOOST_TEST(spec.settings.at("sweeper").origin == "default");
  // What logic asks is the source, not the origin's text.
  BOOST_TEST((spec.settings.at("scheduler").source == jobsub::SettingSource::environment));
  BOOST_TEST((spec.settings.at("formatter").source == jobsub::SettingSource::spec_file));
  BOOST_TEST((spec.settings.at("sweeper").source == jobsub::SettingSource::default_value));
}

BOOST_AUTO_TEST_CASE(a_settings_source_has_one_word_each_way) {
  for (const jobsub::SettingSource source :
       {jobsub::SettingSource::default_value, jobsub::SettingSource::site, jobsub::SettingSource::spec_file,
        jobsub::SettingSource::environment, jobsub::SettingSource::command_line,
        jobsub::SettingSource::detected})
    BOOST_TEST((jobsub::setting_source_from_string(jobsub::to_string(source)) == source));
  BOOST_TEST(!jobsub::setting_source_from_string("jobsub.yaml:4").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
