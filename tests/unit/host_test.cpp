// jobsub::Host as a third-party command sees it: the installed plugins, an
// experiment's sweeps, a sweep's jobs as recorded and as settled.
#include <fmt/core.h>
#include <jobsub/engine_host.h>
#include <jobsub/script.h>
#include <jobsub/store.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <tuple>

namespace fs = std::filesystem;

namespace {

struct Experiment {
  fs::path dir = fs::temp_directory_path() / fmt::format("jobsub-host-test-{}", ::getpid());
  Experiment() { fs::remove_all(dir); }
  ~Experiment() { fs::remove_all(dir); }
};

const jobsub::PluginRegistry& registry() {
  static const jobsub::PluginRegistry r({JOBSUB_TEST_PLUGIN_DIR});
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(host)

BOOST_AUTO_TEST_CASE(lists_the_installed_plugins_by_kind_and_name) {
  jobsub::EngineHost host(registry());
  std::vector<jobsub::InstalledPlugin> plugins;
  BOOST_REQUIRE(host.plugins(plugins).ok);
  auto has = [&](const std::string& kind, const std::string& name) {
    return std::any_of(plugins.begin(), plugins.end(), [&](const jobsub::InstalledPlugin& p) {
      return p.kind == kind && p.name == name &&
             p.file.filename() == fmt::format("jobsub-{}-{}.so", kind, name);
    });
  };
  BOOST_TEST(has("formatter", "sacred"));
  BOOST_TEST(has("scheduler", "slurm"));
  BOOST_TEST(has("command", "status"));
  BOOST_TEST(std::is_sorted(plugins.begin(), plugins.end(), [](const auto& a, const auto& b) {
    return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
  }));
}

BOOST_AUTO_TEST_CASE(an_experiment_without_records_has_no_sweeps_and_no_jobs) {
  Experiment e;
  fs::create_directories(e.dir);
  jobsub::EngineHost host(registry());
  std::vector<jobsub::SweepInfo> sweeps(1);  // what a call leaves must not be kept
  BOOST_REQUIRE(host.sweeps(e.dir, sweeps).ok);
  BOOST_TEST(sweeps.empty());
  std::vector<jobsub::JobInfo> jobs;
  const jobsub::Status status = host.jobs(e.dir, "", false, jobs);
  BOOST_TEST(!status.ok);
  BOOST_TEST(status.message.find("no sweeps recorded") != std::string::npos, status.message);
}

BOOST_AUTO_TEST_CASE(reads_a_sweeps_jobs_and_settles_them_by_their_exit_code_files) {
  Experiment e;
  const fs::path results = e.dir / "results/s/1";
  int64_t sweep = 0;
  {
    jobsub::Store store(jobsub::Store::path_for(e.dir), true);
    sweep = store.add_sweep({"s", results, "2026-11-30T00:00:00Z", "local", 3, "x {args}"}, {1, 2, 3});
    const int64_t batch = store.begin_batch(sweep, "batch-1", "jobsub-00000000000000ab", {{1, 2}});
    store.end_batch(sweep, batch, jobsub::BatchState::submitted, "", "",
                    {{1, jobsub::JobState::running, -1, "local-1_1", ""},
                     {2, jobsub::JobState::completed, 0, "local-1_2", ""}});
  }
  // Job 1 ended with exit 3 after the records last looked; the local
  // scheduler no longer knows it, so its exit-code file settles it.
  const fs::path job_dir = results / "jobs" / jobsub::job_dir_name(1, 3);
  fs::create_directories(job_dir);
  std::ofstream(job_dir / "exit_code") << "3\n";

  jobsub::EngineHost host(registry());
  std::vector<jobsub::SweepInfo> sweeps;
  BOOST_REQUIRE(host.sweeps(e.dir, sweeps).ok);
  BOOST_REQUIRE_EQUAL(sweeps.size(), 1u);
  BOOST_TEST(sweeps[0].name == "s");
  BOOST_TEST(sweeps[0].job_count == 3u);
  BOOST_TEST(sweeps[0].scheduler == "local");

  std::vector<jobsub::JobInfo> jobs;
  BOOST_REQUIRE(host.jobs(e.dir, "", false, jobs).ok);
  BOOST_REQUIRE_EQUAL(jobs.size(), 3u);
  BOOST_TEST(std::string(jobsub::to_string(jobs[0].state)) ==
             jobsub::to_string(jobsub::JobState::running));  // as recorded
  BOOST_TEST(std::string(jobsub::to_string(jobs[1].state)) == jobsub::to_string(jobsub::JobState::completed));
  BOOST_TEST(jobs[1].exit_code == 0);
  BOOST_TEST(std::string(jobsub::to_string(jobs[2].state)) ==
             jobsub::to_string(jobsub::JobState::not_submitted));
  BOOST_TEST(jobs[2].native_id.empty());

  const jobsub::Status settled = host.jobs(e.dir, "s", true, jobs);
  BOOST_REQUIRE_MESSAGE(settled.ok, settled.message);
  BOOST_TEST(std::string(jobsub::to_string(jobs[0].state)) == jobsub::to_string(jobsub::JobState::failed));
  BOOST_TEST(jobs[0].exit_code == 3);
  BOOST_TEST(jobs[0].native_id == "local-1_1");
  // ...and the store now says so too: a second reader sees it without settling.
  BOOST_REQUIRE(host.jobs(e.dir, "", false, jobs).ok);
  BOOST_TEST(std::string(jobsub::to_string(jobs[0].state)) == jobsub::to_string(jobsub::JobState::failed));

  const jobsub::Status unknown = host.jobs(e.dir, "nope", false, jobs);
  BOOST_TEST(!unknown.ok);
  BOOST_TEST(unknown.message.find("nope") != std::string::npos, unknown.message);
}

BOOST_AUTO_TEST_SUITE_END()
