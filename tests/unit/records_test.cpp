#include <jobsub/errors.h>
#include <jobsub/process.h>
#include <jobsub/records.h>
#include <jobsub/store.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(records)

BOOST_AUTO_TEST_CASE(sweeps_in_the_same_second_never_share_a_directory) {
  const fs::path root = fs::temp_directory_path() / ("jobsub-records-" + std::to_string(::getpid()));
  const auto when = std::chrono::system_clock::now();
  std::set<fs::path> dirs;
  for (int i = 0; i < 5; ++i) dirs.insert(jobsub::create_results_dir(root, "sweep", when));
  BOOST_TEST(dirs.size() == 5u);
  const fs::path first = jobsub::planned_results_dir(root, "sweep", when);
  BOOST_TEST(dirs.count(first) == 1u);
  BOOST_TEST(dirs.count(fs::path(first.string() + "_2")) == 1u);
  fs::remove_all(root);
}

BOOST_AUTO_TEST_CASE(sweep_names_must_be_directory_names) {
  BOOST_CHECK_THROW(jobsub::planned_results_dir("/tmp", "a/b", std::chrono::system_clock::now()),
                    jobsub::Error);
  BOOST_CHECK_THROW(jobsub::planned_results_dir("/tmp", "..", std::chrono::system_clock::now()),
                    jobsub::Error);
}

BOOST_AUTO_TEST_CASE(params_json_keeps_literal_text) {
  const jobsub::Params params = {
      {"lr", jobsub::plain_value("0.0001")}, {"id", jobsub::string_value("001")},
      {"odd", jobsub::plain_value("007")},   {"flag", jobsub::plain_value("True")},
      {"none", jobsub::plain_value("~")},    {"s", jobsub::string_value("a \"b\"\n")}};
  BOOST_TEST(
      jobsub::params_to_json(params) ==
      "{\"lr\":0.0001,\"id\":\"001\",\"odd\":\"007\",\"flag\":true,\"none\":null,\"s\":\"a \\\"b\\\"\\n\"}");
}

BOOST_AUTO_TEST_CASE(atomic_write_replaces_whole_files) {
  const fs::path file = fs::temp_directory_path() / ("jobsub-atomic-" + std::to_string(::getpid()));
  jobsub::write_file_atomically(file, "one");
  jobsub::write_file_atomically(file, "two");
  std::ifstream in(file);
  BOOST_TEST(std::string(std::istreambuf_iterator<char>(in), {}) == "two");
  fs::remove(file);
}

BOOST_AUTO_TEST_CASE(git_state_reports_commit_and_dirty_tree) {
  const fs::path repo = fs::temp_directory_path() / ("jobsub-git-" + std::to_string(::getpid()));
  fs::create_directories(repo);
  BOOST_TEST(!jobsub::read_git_state(repo).is_repo);
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", repo.string(), "-c", "user.email=t@t", "-c", "user.name=t"});
    BOOST_REQUIRE_EQUAL(jobsub::run_process(args).exit_code, 0);
  };
  git({"init", "-q"});
  std::ofstream(repo / "f") << "1";
  git({"add", "f"});
  git({"commit", "-qm", "c"});
  auto state = jobsub::read_git_state(repo);
  BOOST_TEST(state.is_repo);
  BOOST_TEST(state.commit.size() == 40u);
  BOOST_TEST(!state.dirty);
  std::ofstream(repo / "f") << "2";
  BOOST_TEST(jobsub::read_git_state(repo).dirty);
  fs::remove_all(repo);
}

BOOST_AUTO_TEST_CASE(file_sha256_is_what_sha256sum_prints) {
  const fs::path file = fs::temp_directory_path() / "jobsub-sha256-test";
  std::ofstream(file, std::ios::binary) << "abc";
  BOOST_TEST(jobsub::file_sha256(file) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  fs::remove(file);
  BOOST_TEST(jobsub::file_sha256(file).empty());
}

BOOST_AUTO_TEST_CASE(a_sweep_is_named_whole_or_by_a_unique_prefix) {
  // Issue 22, 8: two submits in one second give `..._10-00-00` and `..._10-00-00_2`.
  const fs::path exp = "/e";
  std::vector<jobsub::SweepSummary> sweeps(4);
  const char* dirs[] = {"results/a/2026-11-30_10-00-00", "results/a/2026-11-30_10-00-00_2",
                        "results/b/2026-11-30_10-00-00", "results/b/2026-11-30_11-00-00"};
  for (int i = 0; i < 4; ++i) {
    sweeps[i].id = i + 1;
    sweeps[i].sweep.dir = exp / dirs[i];
  }
  auto chosen = [&](const std::string& which) { return jobsub::choose_sweep(sweeps, which, exp).id; };
  BOOST_TEST(chosen("") == 4);
  BOOST_TEST(chosen("a/2026-11-30_10-00-00") == 1);  // exact, though `_2` begins with it too
  BOOST_TEST(chosen("results/a/2026-11-30_10-00-00/") == 1);
  BOOST_TEST(chosen("a/2026-11-30_10-00-00_2") == 2);
  BOOST_TEST(chosen("2026-11-30_10-00-00_2") == 2);
  BOOST_TEST(chosen("2026-11-30_11") == 4);
  auto refusal = [&](const std::string& which) {
    try {
      jobsub::choose_sweep(sweeps, which, exp);
    } catch (const jobsub::Error& e) {
      BOOST_TEST(static_cast<int>(e.code()) == 3);
      return std::string(e.what());
    }
    return std::string("chosen");
  };
  // The time alone names one sweep of each name: both are listed.
  BOOST_TEST(refusal("2026-11-30_10-00-00") ==
             "'2026-11-30_10-00-00' names 2 sweeps (results/a/2026-11-30_10-00-00, "
             "results/b/2026-11-30_10-00-00): give more of it");
  BOOST_TEST(refusal("a/2026").find("names 2 sweeps") != std::string::npos);
  BOOST_TEST(refusal("b/").find("names 2 sweeps") != std::string::npos);
  BOOST_TEST(refusal("c").find("no sweep 'c'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
