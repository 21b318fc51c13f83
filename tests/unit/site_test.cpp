// Site profiles as a user writes them: which one applies here and why, and
// what it sets beneath the spec.
#include <fmt/core.h>
#include <jobsub/errors.h>
#include <jobsub/site.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

struct SitesFile {
  fs::path path = fs::temp_directory_path() / fmt::format("jobsub-site-test-{}.yaml", ::getpid());
  explicit SitesFile(const std::string& text) { std::ofstream(path) << text; }
  ~SitesFile() { fs::remove(path); }
};

const char* const kSites =
    "sites:\n"
    "  hpc:\n"
    "    match: {hosts: [\"login*\"]}\n"
    "    scheduler: slurm\n"
    "    resources: {time: 1h, mem: 4G}\n"
    "    options: {slurm: {partition: gpu}}\n"
    "    init: [module load python]\n"
    "  lab:\n"
    "    match: {env: {LAB_CLUSTER: \"yes\"}}\n"
    "    scheduler: sge\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(site)

BOOST_AUTO_TEST_CASE(the_first_profile_matching_the_host_applies_and_says_why) {
  SitesFile file(kSites);
  const auto sites = jobsub::load_sites({file.path});
  BOOST_REQUIRE_EQUAL(sites.size(), 2u);
  ::unsetenv("JOBSUB_SITE");
  const jobsub::SiteChoice choice = jobsub::choose_site(sites, "", "--site", "login2.cluster.example");
  BOOST_REQUIRE(choice.profile != nullptr);
  BOOST_TEST(choice.profile->name == "hpc");
  BOOST_TEST(choice.why.find("login*") != std::string::npos, choice.why);
  BOOST_TEST(jobsub::choose_site(sites, "", "--site", "laptop").profile == nullptr);
}

BOOST_AUTO_TEST_CASE(an_environment_rule_matches_and_a_requested_name_wins) {
  SitesFile file(kSites);
  const auto sites = jobsub::load_sites({file.path});
  ::unsetenv("JOBSUB_SITE");
  ::setenv("LAB_CLUSTER", "yes", 1);
  BOOST_TEST(jobsub::choose_site(sites, "", "--site", "laptop").profile->name == "lab");
  BOOST_TEST(jobsub::choose_site(sites, "hpc", "--site", "laptop").profile->name == "hpc");
  ::unsetenv("LAB_CLUSTER");
  BOOST_CHECK_EXCEPTION(jobsub::choose_site(sites, "hcp", "--site", "laptop"), jobsub::Error,
                        [](const jobsub::Error& e) {
                          const std::string m = e.what();
                          return e.code() == jobsub::ExitCode::bad_spec &&
                                 m.find("no site profile 'hcp'") != std::string::npos &&
                                 m.find("did you mean 'hpc'?") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(a_profile_sits_beneath_the_spec_and_says_where_each_setting_came_from) {
  SitesFile file(kSites);
  const auto sites = jobsub::load_sites({file.path});
  jobsub::SweepSpec spec = jobsub::empty_spec(fs::temp_directory_path());
  spec.init_lines = {"source venv/bin/activate"};
  jobsub::set_setting(spec, "resources.time", "2h", "jobsub.yaml:3", jobsub::SettingSource::spec_file);
  jobsub::apply_site(spec, jobsub::choose_site(sites, "hpc", "--site", "laptop"));
  BOOST_TEST(spec.get("scheduler") == "slurm");
  BOOST_TEST((spec.settings.at("scheduler").source == jobsub::SettingSource::site));
  BOOST_TEST(spec.settings.at("scheduler").origin.find("(site hpc)") != std::string::npos);
  BOOST_TEST(spec.get("resources.time") == "2h");  // the spec's own value wins
  BOOST_TEST(spec.get("resources.mem") == "4G");
  BOOST_TEST(spec.get("options.slurm.partition") == "gpu");
  BOOST_TEST((spec.init_lines == std::vector<std::string>{"module load python", "source venv/bin/activate"}));
  BOOST_TEST(spec.get("site") == "hpc");
}

BOOST_AUTO_TEST_CASE(a_mistake_names_the_file_and_line) {
  SitesFile file("sites:\n  hpc:\n    scheduler: slurm\n    partiton: gpu\n");
  BOOST_CHECK_EXCEPTION(jobsub::load_sites({file.path}), jobsub::Error, [&](const jobsub::Error& e) {
    const std::string m = e.what();
    return m.find(fmt::format("{}:4", file.path.string())) != std::string::npos &&
           m.find("unknown key 'partiton'") != std::string::npos;
  });
}

BOOST_AUTO_TEST_SUITE_END()
