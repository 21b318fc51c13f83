#include <jobsub/errors.h>
#include <jobsub/overrides.h>
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
  const std::string e = error_of("hypers:\n  lr: [0.1]\n  seed:\n    a: 1\n");
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

BOOST_AUTO_TEST_CASE(override_replaces_or_appends_in_every_grid) {
  jobsub::SweepSpec spec;
  spec.grids.push_back({{{"lr", {jobsub::plain_value("1")}, "f"}}});
  spec.grids.push_back({{{"wd", {jobsub::plain_value("2")}, "f"}}});
  jobsub::apply_override(spec, jobsub::parse_override("lr=0.1,0.2"));
  BOOST_TEST(spec.grids[0].hypers.size() == 1u);
  BOOST_TEST(spec.grids[0].hypers[0].values.size() == 2u);
  BOOST_TEST(spec.grids[1].hypers.size() == 2u);
  BOOST_TEST(spec.grids[1].hypers[1].key == "lr");
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
