#include <jobsub/plugin.h>
#include <jobsub/registry.h>

#include <dlfcn.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path kBundled = JOBSUB_TEST_PLUGIN_DIR;
const fs::path kTestPlugins = JOBSUB_TEST_PLUGINS_BUILD_DIR;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string problem_for(const jobsub::PluginRegistry& registry, const std::string& file_name) {
  for (const auto& p : registry.problems()) {
    if (p.file.filename() == file_name) return p.message;
  }
  return "(no problem recorded)";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(file_names_follow_the_naming_rule) {
  std::string kind, name;
  BOOST_TEST(jobsub::parse_plugin_file_name("jobsub-formatter-sacred.so", kind, name));
  BOOST_TEST(kind == "formatter");
  BOOST_TEST(name == "sacred");
  BOOST_TEST(!jobsub::parse_plugin_file_name("libjobsub-formatter-sacred.so", kind, name));
  BOOST_TEST(!jobsub::parse_plugin_file_name("jobsub-formatter-sacred.so.1", kind, name));
  BOOST_TEST(!jobsub::parse_plugin_file_name("README", kind, name));
}

BOOST_AUTO_TEST_CASE(search_path_order) {
  ::setenv("JOBSUB_PLUGIN_PATH", "/env/one:/env/two", 1);
  ::setenv("HOME", "/home/someone", 1);
  const auto path = jobsub::plugin_search_path({"/cli"}, "/opt/jobsub/bin/jobsub");
  ::unsetenv("JOBSUB_PLUGIN_PATH");
  const std::vector<fs::path> expected = {"/cli", "/env/one", "/env/two",
                                          "/home/someone/.local/lib/jobsub/plugins",
                                          "/opt/jobsub/lib/jobsub/plugins"};
  BOOST_TEST(path == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bundled_plugins_load_and_create_objects) {
  jobsub::PluginRegistry registry({kBundled});
  BOOST_TEST(registry.problems().empty());
  BOOST_TEST(registry.names("formatter") == (std::vector<std::string>{"argparse", "hydra", "sacred"}),
             boost::test_tools::per_element());
  auto formatter = registry.create<jobsub::Formatter>("sacred");
  jobsub::Argv argv;
  BOOST_TEST(formatter->format({{"lr", jobsub::plain_value("0.1")}}, argv).ok);
  BOOST_TEST(argv == (jobsub::Argv{"lr=0.1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(broken_plugins_are_reported_and_do_not_stop_the_others) {
  jobsub::PluginRegistry registry({kTestPlugins / "bad", kBundled});
  BOOST_TEST(registry.find("formatter", "sacred") != nullptr);
  BOOST_TEST(registry.find("formatter", "upper") != nullptr);
  const std::string abi = problem_for(registry, "jobsub-formatter-wrongabi.so");
  BOOST_TEST(contains(abi, "built for plugin ABI 99; this jobsub"), abi);
  BOOST_TEST(contains(abi, "supports ABI 4"), abi);
  BOOST_TEST(
      contains(problem_for(registry, "jobsub-formatter-noentry.so"), "no entry point 'jobsub_plugin_entry'"));
  BOOST_TEST(
      contains(problem_for(registry, "jobsub-formatter-othertoolchain.so"), "toolchain 'other/toolchain'"));
  BOOST_TEST(contains(problem_for(registry, "jobsub-formatter-notelf.so"), "not a shared library"));
  // Asking for a broken plugin says why it cannot be used, naming the file.
  BOOST_CHECK_EXCEPTION(registry.require("formatter", "wrongabi"), jobsub::Error, [](const jobsub::Error& e) {
    return contains(e.what(), "jobsub-formatter-wrongabi.so") && contains(e.what(), "ABI 99") &&
           e.code() == jobsub::ExitCode::plugin;
  });
}

BOOST_AUTO_TEST_CASE(misused_components_are_refused_with_what_is_wrong) {
  jobsub::PluginRegistry registry({kTestPlugins / "bad", kBundled});
  // A formatter class declared as a sweeper would crash at the first call.
  const std::string kind = problem_for(registry, "jobsub-sweeper-wrongkind.so");
  BOOST_TEST(contains(kind,
                      "sweeper 'wrongkind' reports interface jobsub::Formatter/2, but a sweeper must "
                      "implement jobsub::Sweeper/2"),
             kind);
  BOOST_TEST(registry.find("sweeper", "wrongkind") == nullptr);
  // A file that provides another name than its own.
  const std::string misnamed = problem_for(registry, "jobsub-formatter-aaa.so");
  BOOST_TEST(contains(misnamed,
                      "provides formatter 'fire', not formatter 'aaa' as its file name says: name "
                      "the file jobsub-formatter-fire.so"),
             misnamed);
  BOOST_TEST(registry.find("formatter", "fire") == nullptr);
  // A constructor's exception keeps its text.
  BOOST_CHECK_EXCEPTION(
      registry.create<jobsub::Formatter>("throws"), jobsub::Error, [](const jobsub::Error& e) {
        return contains(e.what(),
                        "could not create its formatter 'throws': cannot read the licence file "
                        "/opt/upper/licence") &&
               e.code() == jobsub::ExitCode::plugin;
      });
}

BOOST_AUTO_TEST_CASE(a_sanitizer_built_plugin_is_skipped_unless_this_jobsub_has_the_runtime) {
  jobsub::PluginRegistry registry({kTestPlugins / "bad", kBundled});
  const bool host_has_asan = ::dlsym(RTLD_DEFAULT, "__asan_init") != nullptr;  // the ASan build of the suite
  if (host_has_asan) {
    BOOST_TEST(registry.find("formatter", "asan") != nullptr);
  } else {
    const std::string why = problem_for(registry, "jobsub-formatter-asan.so");
    BOOST_TEST(contains(why, "built with AddressSanitizer (needs libasan.so"), why);
    BOOST_TEST(contains(why, "LD_PRELOAD=$(g++ -print-file-name=libasan.so"), why);
    BOOST_TEST(registry.find("formatter", "sacred") != nullptr);  // the others still load
  }
}

BOOST_AUTO_TEST_CASE(files_not_named_like_plugins_are_skipped) {
  jobsub::PluginRegistry registry({kTestPlugins / "bad"});
  for (const auto& p : registry.problems()) BOOST_TEST(p.file.filename() != "not-a-plugin.txt");
}

BOOST_AUTO_TEST_CASE(an_earlier_directory_shadows_a_later_one_and_both_files_are_named) {
  jobsub::PluginRegistry registry({kTestPlugins / "dup1", kTestPlugins / "dup2"});
  const auto* entry = registry.find("formatter", "upper");
  BOOST_REQUIRE(entry != nullptr);
  BOOST_TEST(entry->file.parent_path().filename() == "dup1");
  BOOST_TEST(registry.problems().empty());
  BOOST_REQUIRE_EQUAL(registry.shadowed().size(), 1u);
  BOOST_TEST(registry.shadowed()[0].first == kTestPlugins / "dup1" / "jobsub-formatter-upper.so");
  BOOST_TEST(registry.shadowed()[0].second == kTestPlugins / "dup2" / "jobsub-formatter-upper.so");
  BOOST_TEST(registry.shadowed_by(*entry) == kTestPlugins / "dup2" / "jobsub-formatter-upper.so");
}

BOOST_AUTO_TEST_CASE(unknown_names_list_installed_and_suggest) {
  jobsub::PluginRegistry registry({kBundled});
  BOOST_CHECK_EXCEPTION(registry.require("formatter", "sacrd"), jobsub::Error, [](const jobsub::Error& e) {
    return contains(e.what(), "did you mean 'sacred'") &&
           contains(e.what(), "installed: argparse, hydra, sacred");
  });
}

BOOST_AUTO_TEST_CASE(objects_keep_their_library_loaded) {
  jobsub::PluginHandle<jobsub::Formatter> formatter;
  {
    jobsub::PluginRegistry registry({kBundled});
    formatter = registry.create<jobsub::Formatter>("argparse");
  }
  // The registry is gone; the handle still holds the library.
  BOOST_TEST(formatter->default_command() == "python {script} {args}");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(guarded_turns_exceptions_into_failed_status) {
  BOOST_TEST(jobsub::guarded([] {}).ok);
  const auto thrown = jobsub::guarded([] { throw std::runtime_error("disk full"); });
  BOOST_TEST(!thrown.ok);
  BOOST_TEST(thrown.message == "disk full");
  BOOST_TEST(!jobsub::guarded([] { throw 42; }).ok);
  const auto returned = jobsub::guarded([]() -> jobsub::Status { return jobsub::Status::failure("bad"); });
  BOOST_TEST(returned.message == "bad");
}

BOOST_AUTO_TEST_SUITE_END()
