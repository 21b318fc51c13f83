// How plugin options are named, on the bundled plugins: a short name one
// plugin declares, one that plugins of several kinds share, and one that
// every batch scheduler declares (it means the chosen scheduler's).
#include <jobsub/errors.h>
#include <jobsub/plugin_options.h>
#include <jobsub/registry.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>

namespace {

const std::vector<jobsub::PluginOption>& bundled_options() {
  static const jobsub::PluginRegistry registry({JOBSUB_TEST_PLUGIN_DIR});
  static const std::vector<jobsub::PluginOption> options = jobsub::plugin_options(registry);
  return options;
}

constexpr jobsub::SettingSource kCommandLine = jobsub::SettingSource::command_line;

/// The message and exit code resolve_plugin_option() fails with.
std::pair<std::string, jobsub::ExitCode> refusal(const std::string& name, const std::string& origin,
                                                 const std::map<std::string, std::string>& chosen = {}) {
  try {
    const jobsub::SettingSource source =
        origin == "command line" ? jobsub::SettingSource::command_line : jobsub::SettingSource::spec_file;
    const std::string resolved =
        jobsub::resolve_plugin_option(bundled_options(), name, origin, source, chosen);
    return {"resolved to " + resolved, jobsub::ExitCode::ok};
  } catch (const jobsub::Error& e) {
    return {e.what(), e.code()};
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_options)

BOOST_AUTO_TEST_CASE(a_short_name_one_plugin_declares_is_that_plugins) {
  BOOST_TEST(jobsub::resolve_plugin_option(bundled_options(), "seed", "command line", kCommandLine) ==
             "random.seed");
  BOOST_TEST(jobsub::resolve_plugin_option(bundled_options(), "random.seed", "command line", kCommandLine) ==
             "random.seed");
}

BOOST_AUTO_TEST_CASE(a_name_every_batch_scheduler_declares_is_the_chosen_schedulers) {
  const auto& options = bundled_options();
  const auto timeout = std::find_if(options.begin(), options.end(),
                                    [](const auto& o) { return o.qualified == "slurm.client-timeout"; });
  BOOST_REQUIRE(timeout != options.end());
  BOOST_TEST(timeout->kind_shared);
  BOOST_TEST(timeout->short_usable());
  BOOST_TEST(jobsub::resolve_plugin_option(options, "client-timeout", "command line", kCommandLine,
                                           {{"scheduler", "sge"}}) == "sge.client-timeout");
  BOOST_TEST(jobsub::resolve_plugin_option(options, "client-timeout", "jobsub.yaml:4",
                                           jobsub::SettingSource::spec_file,
                                           {{"scheduler", "lsf"}}) == "lsf.client-timeout");
  const auto [local, code] = refusal("client-timeout", "command line", {{"scheduler", "local"}});
  BOOST_TEST(
      local ==
      "command line: option 'client-timeout' belongs to the schedulers lsf, pbs, sge, slurm, and this sweep "
      "uses scheduler 'local'");
  BOOST_TEST((code == jobsub::ExitCode::usage));
  // Before the sweep's plugins are known there is no choice to make: the qualified names are listed.
  const auto [unchosen, spec_code] = refusal("client-timeout", "jobsub.yaml:4");
  BOOST_TEST(
      unchosen.find("jobsub.yaml:4: option 'client-timeout' is declared by several plugins: write options: "
                    "{lsf: {client-timeout: ...}}") == 0u,
      unchosen);
  BOOST_TEST((spec_code == jobsub::ExitCode::bad_spec));
}

BOOST_AUTO_TEST_CASE(an_unknown_name_gets_the_nearest) {
  const auto [message, code] = refusal("client-timout", "command line", {{"scheduler", "slurm"}});
  BOOST_TEST(
      message.find("command line: 'client-timout' is not an option of any installed plugin (did you mean "
                   "'client-timeout'?)") == 0u,
      message);
  BOOST_TEST((code == jobsub::ExitCode::usage));
}

BOOST_AUTO_TEST_SUITE_END()
