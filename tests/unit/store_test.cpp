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

uint64_t count(const std::vector<std::pair<jobsub::JobState, uint64_t>>& states, const std::string& state) {
  for (const auto& [s, n] : states)
    if (jobsub::to_string(s) == state) return n;
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store)

BOOST_AUTO_TEST_CASE(a_sweep_its_batches_and_jobs_are_recorded) {
  TempDir dir;
  const fs::path file = jobsub::Store::path_for(dir.path);
  BOOST_TEST(file == dir.path / ".jobsub" / "state.db");
  jobsub::Store store(file, true);
  const int64_t sweep = store.add_sweep(
      {"s", dir.path / "results/s/1", "2026-11-26T00:00:00Z", "local", 5, "x {args}"}, {11, 12, 13, 14, 15});
  BOOST_TEST(store.jobs(sweep).size() == 5u);  // rows or not, every job is there
  BOOST_TEST(std::string(jobsub::to_string(store.jobs(sweep)[4].state)) == "not_submitted");
  const int64_t batch = store.begin_batch(sweep, "batch-1", "jobsub-00000000000000aa", {{1, 3}});
  const auto batches = store.batches(sweep);
  BOOST_REQUIRE_EQUAL(batches.size(), 1u);
  BOOST_TEST(std::string(jobsub::to_string(batches[0].state)) == "submitting");
  BOOST_TEST(batches[0].token == "jobsub-00000000000000aa");
  BOOST_TEST(batches[0].pid == ::getpid());
  BOOST_TEST((batches[0].jobs == std::vector<jobsub::TaskRange>{{1, 3}}));
  BOOST_TEST(store.hashes(sweep) == (std::vector<uint64_t>{11, 12, 13, 14, 15}));
  auto summary = store.sweeps();
  BOOST_REQUIRE_EQUAL(summary.size(), 1u);
  BOOST_TEST(count(summary[0].states, "pending") == 3u);
  BOOST_TEST(count(summary[0].states, "not_submitted") == 2u);
  // The scheduler took jobs 1 and 2, then failed: job 3 was not submitted.
  store.end_batch(sweep, batch, jobsub::BatchState::failed, "", "sbatch: error",
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
        store.begin_batch(id, "batch-1", "t", {{1, 1000}});
      }
    });
  }
  for (auto& t : writers) t.join();
  const auto summary = jobsub::Store(file, false).sweeps();
  BOOST_TEST(summary.size() == 40u);
  for (const auto& s : summary) BOOST_TEST(count(s.states, "pending") == 1000u);
}

BOOST_AUTO_TEST_CASE(a_new_attempt_keeps_the_old_one_in_the_history) {
  TempDir dir;
  jobsub::Store store(jobsub::Store::path_for(dir.path), true);
  const int64_t sweep = store.add_sweep({"s", dir.path / "r", "t", "slurm", 3, "c"}, {1, 2, 3});
  const int64_t batch = store.begin_batch(sweep, "batch-1", "t1", {{1, 3}});
  store.end_batch(sweep, batch, jobsub::BatchState::submitted, "7", "",
                  {{1, jobsub::JobState::completed, 0, "7_1", "COMPLETED"},
                   {2, jobsub::JobState::failed, 3, "7_2", "FAILED"},
                   {3, jobsub::JobState::timeout, -1, "7_3", "TIMEOUT"}});
  store.new_attempt(sweep, std::vector<jobsub::JobRecord>{store.jobs(sweep)[1], store.jobs(sweep)[2]});
  auto jobs = store.jobs(sweep);
  BOOST_TEST(jobs[0].attempt == 1);
  BOOST_TEST(jobs[1].attempt == 2);
  BOOST_TEST(std::string(jobsub::to_string(jobs[1].state)) == "not_submitted");
  BOOST_TEST(jobs[1].native_id == "");
  BOOST_TEST(jobs[1].exit_code == -1);
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(jobsub::Store::path_for(dir.path).c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT job, attempt, state, exit_code FROM attempts ORDER BY job", -1, &statement,
                     nullptr);
  BOOST_REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  BOOST_TEST(sqlite3_column_int(statement, 0) == 2);
  BOOST_TEST(sqlite3_column_int(statement, 1) == 1);
  BOOST_TEST(std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, 2))) == "failed");
  BOOST_TEST(sqlite3_column_int(statement, 3) == 3);
  BOOST_REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  BOOST_TEST(sqlite3_column_int(statement, 0) == 3);
  BOOST_TEST(sqlite3_step(statement) == SQLITE_DONE);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

BOOST_AUTO_TEST_CASE(completed_jobs_are_found_by_hash_and_skipped_ones_recorded) {
  TempDir dir;
  jobsub::Store store(jobsub::Store::path_for(dir.path), true);
  const int64_t first = store.add_sweep({"s", dir.path / "r1", "t", "local", 2, "c"}, {101, 102});
  const int64_t b = store.begin_batch(first, "batch-1", "t", {{1, 2}});
  store.end_batch(
      first, b, jobsub::BatchState::submitted, "", "",
      {{1, jobsub::JobState::completed, 0, "l_1", ""}, {2, jobsub::JobState::failed, 1, "l_2", ""}});
  const int64_t second = store.add_sweep({"s", dir.path / "r2", "t", "local", 2, "c"});
  const auto completed = store.completed_jobs(second);
  BOOST_TEST(completed.size() == 1u);  // the failed one is not
  BOOST_REQUIRE(completed.count(101));
  BOOST_TEST(completed.at(101).sweep_dir == (dir.path / "r1").string());
  BOOST_TEST(completed.at(101).job == 1u);
  store.record_skipped(second, {2}, [](uint64_t) { return std::string("completed in r1 (job 1)"); });
  const auto jobs = store.jobs(second);
  BOOST_TEST(std::string(jobsub::to_string(jobs[0].state)) == "not_submitted");
  BOOST_TEST(std::string(jobsub::to_string(jobs[1].state)) == "skipped");
  BOOST_TEST(jobs[1].native_state == "completed in r1 (job 1)");
  BOOST_TEST(store.completed_jobs(first).empty());
}

BOOST_AUTO_TEST_CASE(an_array_is_kept_as_ranges_and_a_jobs_own_news_overrides_it) {
  TempDir dir;
  jobsub::Store store(jobsub::Store::path_for(dir.path), true);
  const int64_t sweep = store.add_sweep({"s", dir.path / "r", "t", "slurm", 20, "c"});
  const int64_t b1 = store.begin_batch(sweep, "batch-1", "t1", {{11, 14}});
  BOOST_TEST(std::string(jobsub::to_string(store.jobs(sweep)[10].state)) == "pending");
  // The scheduler took jobs 11-13 as tasks 1-3 of array 77, and not job 14.
  store.end_batch(sweep, b1, jobsub::BatchState::failed, "77", "later chunk refused", {},
                  {{"77", 10, {{1, 3}}, "PENDING"}});
  auto jobs = store.jobs(sweep);
  BOOST_TEST(std::string(jobsub::to_string(jobs[10].state)) == "queued");
  BOOST_TEST(jobs[10].native_id == "77_1");
  BOOST_TEST(jobs[12].native_id == "77_3");
  BOOST_TEST(jobs[12].native_state == "PENDING");
  BOOST_TEST(std::string(jobsub::to_string(jobs[13].state)) == "not_submitted");
  BOOST_TEST(std::string(jobsub::to_string(jobs[0].state)) == "not_submitted");
  store.update_jobs(sweep, {{12, jobsub::JobState::failed, 2, "77_2", "FAILED"}});
  jobs = store.jobs(sweep);
  BOOST_TEST(std::string(jobsub::to_string(jobs[11].state)) == "failed");
  BOOST_TEST(jobs[11].exit_code == 2);
  BOOST_TEST(std::string(jobsub::to_string(jobs[10].state)) == "queued");
  // A new attempt of job 12 that the scheduler does not take is not_submitted,
  // not the old array's `queued`.
  store.new_attempt(sweep, std::vector<jobsub::JobRecord>{store.jobs(sweep)[11]});
  BOOST_TEST(store.jobs(sweep)[11].attempt == 2);
  const int64_t b2 = store.begin_batch(sweep, "batch-2", "t2", {{12, 12}});
  BOOST_TEST(std::string(jobsub::to_string(store.jobs(sweep)[11].state)) == "pending");
  store.end_batch(sweep, b2, jobsub::BatchState::failed, "", "refused", {});
  BOOST_TEST(std::string(jobsub::to_string(store.jobs(sweep)[11].state)) == "not_submitted");
  // Taken as an array this time: the array has the news.
  const int64_t b3 = store.begin_batch(sweep, "batch-3", "t3", {{12, 12}});
  store.end_batch(sweep, b3, jobsub::BatchState::submitted, "80", "", {},
                  {{"80", 11, {{1, 1}}, "qw", "."}});  // Grid Engine ids
  BOOST_TEST(store.jobs(sweep)[11].native_id == "80.1");
  BOOST_TEST(std::string(jobsub::to_string(store.jobs(sweep)[11].state)) == "queued");
  const auto summary = store.sweeps();
  BOOST_TEST(count(summary[0].states, "queued") == 3u);  // 11 and 13 of array 77, 12 of array 80
  BOOST_TEST(count(summary[0].states, "not_submitted") == 17u);
}

BOOST_AUTO_TEST_CASE(a_version_1_store_is_migrated_keeping_its_records) {
  TempDir dir;
  const fs::path file = jobsub::Store::path_for(dir.path);
  fs::create_directories(file.parent_path());
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  // Version 1's schema, as jobsub 0.x wrote it, with one sweep and one job.
  const char* v1 =
      "CREATE TABLE sweeps(id INTEGER PRIMARY KEY, name TEXT NOT NULL, dir TEXT NOT NULL UNIQUE, created "
      "TEXT "
      "NOT NULL, scheduler TEXT NOT NULL, job_count INTEGER NOT NULL, command_template TEXT NOT NULL);"
      "CREATE TABLE batches(id INTEGER PRIMARY KEY, sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON "
      "DELETE "
      "CASCADE, name TEXT NOT NULL, jobs TEXT NOT NULL, state TEXT NOT NULL, native_id TEXT NOT NULL DEFAULT "
      "'', "
      "message TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL, UNIQUE(sweep_id, name));"
      "CREATE TABLE jobs(sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE, job INTEGER NOT "
      "NULL, hash INTEGER NOT NULL, state TEXT NOT NULL, native_state TEXT NOT NULL DEFAULT '', native_id "
      "TEXT "
      "NOT NULL DEFAULT '', exit_code INTEGER, attempt INTEGER NOT NULL DEFAULT 1, batch_id INTEGER, updated "
      "TEXT, PRIMARY KEY(sweep_id, job)) WITHOUT ROWID;"
      "INSERT INTO sweeps VALUES(1, 'old', '/r/old', 't', 'slurm', 1, 'c');"
      "INSERT INTO batches(id, sweep_id, name, jobs, state, updated) VALUES(1, 1, 'batch-1', '1', "
      "'submitted', "
      "'t');"
      "INSERT INTO jobs(sweep_id, job, hash, state, exit_code) VALUES(1, 1, 5, 'completed', 0);"
      "PRAGMA user_version=1;";
  BOOST_REQUIRE(sqlite3_exec(db, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  jobsub::Store store(file, false);
  BOOST_TEST(std::string(jobsub::to_string(store.jobs(1)[0].state)) == "completed");
  BOOST_TEST(store.batches(1)[0].token == "");
  BOOST_TEST(store.completed_jobs(0).count(5) == 1u);
}

BOOST_AUTO_TEST_CASE(opening_without_create_a_missing_store_fails) {
  TempDir dir;
  BOOST_CHECK_THROW(jobsub::Store(jobsub::Store::path_for(dir.path), false), jobsub::Error);
}

BOOST_AUTO_TEST_SUITE_END()
