#include <jobsub/errors.h>
#include <jobsub/process.h>
#include <jobsub/records.h>

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

BOOST_AUTO_TEST_SUITE_END()
