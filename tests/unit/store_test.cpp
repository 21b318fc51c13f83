#include <jobsub/errors.h>
#include <jobsub/store.h>
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("jobsub-store-test-" + std::to_string(::getpid()));
  TempDir() { fs::remove_all(path); }
  ~TempDir() { fs::remove_all(path); }
};

uint64_t count(const std::vector<std::pair<std::string, uint64_t>>& states, const std::string& state) {
  for (const auto& [s, n] : states)
    if (s == state) return n;
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store)

BOOST_AUTO_TEST_CASE(a_sweep_its_batches_and_jobs_are_recorded) {
  TempDir dir;
  const fs::path file = jobsub::Store::path_for(dir.path);
  BOOST_TEST(file == dir.path / ".jobsub" / "state.db");
  jobsub::Store store(file, true);
  const int64_t sweep =
      store.add_sweep({"s", dir.path / "results/s/1", "2026-11-26T00:00:00Z", "local", 5, "x {args}"});
  BOOST_TEST(store.jobs(sweep).size() == 5u);  // rows or not, every job is there
  BOOST_TEST(store.jobs(sweep)[4].state == "not_submitted");
  const int64_t batch = store.begin_batch(sweep, "batch-1", {{1, 3}}, {11, 12, 13, 14, 15});
  auto summary = store.sweeps();
  BOOST_REQUIRE_EQUAL(summary.size(), 1u);
  BOOST_TEST(count(summary[0].states, "pending") == 3u);
  BOOST_TEST(count(summary[0].states, "not_submitted") == 2u);
  // The scheduler took jobs 1 and 2, then failed: job 3 was not submitted.
  store.end_batch(sweep, batch, "failed", "", "sbatch: error",
                  {{1, jobsub::JobState::queued, -1, "7_1", "PENDING"},
                   {2, jobsub::JobState::queued, -1, "7_2", "PENDING"}});
  store.update_jobs(sweep, {{1, jobsub::JobState::completed, 0, "7_1", "COMPLETED"}});
  summary = store.sweeps();
  BOOST_TEST(count(summary[0].states, "completed") == 1u);
  BOOST_TEST(count(summary[0].states, "queued") == 1u);
  BOOST_TEST(count(summary[0].states, "not_submitted") == 3u);
  BOOST_TEST(summary[0].sweep.job_count == 5u);
  BOOST_TEST(summary[0].sweep.dir == dir.path / "results/s/1");
}

BOOST_AUTO_TEST_CASE(the_schema_is_versioned_and_a_newer_one_refused) {
  TempDir dir;
  const fs::path file = jobsub::Store::path_for(dir.path);
  { jobsub::Store store(file, true); }
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr);
  BOOST_REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  BOOST_TEST(sqlite3_column_int(statement, 0) == jobsub::Store::schema_version());
  sqlite3_finalize(statement);
  sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  BOOST_CHECK_EXCEPTION(jobsub::Store(file, false), jobsub::Error, [](const jobsub::Error& e) {
    return std::string(e.what()).find("schema version 99, newer than this jobsub's") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(writers_at_once_lose_nothing) {
  TempDir dir;
  const fs::path file = jobsub::Store::path_for(dir.path);
  { jobsub::Store store(file, true); }
  // Separate connections, as separate jobsub processes have.
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      jobsub::Store store(file, false);
      for (int s = 0; s < 10; ++s) {
        const int64_t id = store.add_sweep(
            {"w", dir.path / ("r" + std::to_string(w) + "_" + std::to_string(s)), "t", "local", 1000, "c"});
        store.begin_batch(id, "batch-1", {{1, 1000}}, std::vector<uint64_t>(1000, 7));
      }
    });
  }
  for (auto& t : writers) t.join();
  const auto summary = jobsub::Store(file, false).sweeps();
  BOOST_TEST(summary.size() == 40u);
  for (const auto& s : summary) BOOST_TEST(count(s.states, "pending") == 1000u);
}

BOOST_AUTO_TEST_CASE(opening_without_create_a_missing_store_fails) {
  TempDir dir;
  BOOST_CHECK_THROW(jobsub::Store(jobsub::Store::path_for(dir.path), false), jobsub::Error);
}

BOOST_AUTO_TEST_SUITE_END()
