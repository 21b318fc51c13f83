#include "jobsub/store.h"

#include <fmt/core.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <optional>

#include "jobsub/errors.h"
#include "jobsub/process.h"
#include "jobsub/script.h"
#include "jobsub/text.h"

namespace jobsub {
namespace {

// Each entry moves the schema one version up; a store is migrated on open,
// in one transaction. Never edit an entry once released: add one.
const char* const kMigrations[] = {
    // 1: sweeps, their batches and jobs.
    R"(CREATE TABLE sweeps(
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         dir TEXT NOT NULL UNIQUE,
         created TEXT NOT NULL,
         scheduler TEXT NOT NULL,
         job_count INTEGER NOT NULL,
         command_template TEXT NOT NULL);
       CREATE TABLE batches(
         id INTEGER PRIMARY KEY,
         sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
         name TEXT NOT NULL,
         jobs TEXT NOT NULL,
         state TEXT NOT NULL,
         native_id TEXT NOT NULL DEFAULT '',
         message TEXT NOT NULL DEFAULT '',
         updated TEXT NOT NULL,
         UNIQUE(sweep_id, name));
       CREATE TABLE jobs(
         sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
         job INTEGER NOT NULL,
         hash INTEGER NOT NULL,
         state TEXT NOT NULL,
         native_state TEXT NOT NULL DEFAULT '',
         native_id TEXT NOT NULL DEFAULT '',
         exit_code INTEGER,
         attempt INTEGER NOT NULL DEFAULT 1,
         batch_id INTEGER,
         updated TEXT,
         PRIMARY KEY(sweep_id, job)) WITHOUT ROWID;)",
    // 2: batch tokens and who submitted them (for --resume); arrays as ranges
    // and every job's hash in one blob (so a 10^6-job submit writes a few rows,
    // and a job gets a row only when there is news of it); attempt history
    // (for resubmit).
    R"(ALTER TABLE batches ADD COLUMN token TEXT NOT NULL DEFAULT '';
       ALTER TABLE batches ADD COLUMN host TEXT NOT NULL DEFAULT '';
       ALTER TABLE batches ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
       ALTER TABLE sweeps ADD COLUMN hashes BLOB;
       CREATE TABLE arrays(
         batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
         native_id TEXT NOT NULL,
         separator TEXT NOT NULL,
         suffix TEXT NOT NULL,
         task_offset INTEGER NOT NULL,
         tasks TEXT NOT NULL,
         native_state TEXT NOT NULL);
       CREATE TABLE attempts(
         sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
         job INTEGER NOT NULL,
         attempt INTEGER NOT NULL,
         state TEXT NOT NULL,
         native_state TEXT NOT NULL,
         native_id TEXT NOT NULL,
         exit_code INTEGER,
         updated TEXT,
         PRIMARY KEY(sweep_id, job, attempt)) WITHOUT ROWID;
       CREATE INDEX completed_jobs ON jobs(state) WHERE state = 'completed';)",
    // 3: what each job's state rests on (TaskOutcome::evidence and source).
    R"(ALTER TABLE jobs ADD COLUMN evidence INTEGER NOT NULL DEFAULT 0;
       ALTER TABLE jobs ADD COLUMN source TEXT NOT NULL DEFAULT '';)",
    // 4: metrics, per job and attempt, read once the attempt ended (metrics.h):
    // a row per read (so a job that wrote none is not read again) and a row
    // per value. SQLite keeps no NaN (it stores NULL): a non-finite number is
    // its text (`NaN`, `Infinity`, `-Infinity`) with `number` NULL.
    R"(CREATE TABLE metric_reads(
         sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
         job INTEGER NOT NULL,
         attempt INTEGER NOT NULL,
         steps INTEGER NOT NULL,
         started REAL NOT NULL,
         ended REAL NOT NULL,
         problem TEXT NOT NULL,
         PRIMARY KEY(sweep_id, job, attempt)) WITHOUT ROWID;
       CREATE TABLE metrics(
         sweep_id INTEGER NOT NULL,
         job INTEGER NOT NULL,
         attempt INTEGER NOT NULL,
         position INTEGER NOT NULL,
         name TEXT NOT NULL,
         kind INTEGER NOT NULL,
         number REAL,
         text TEXT NOT NULL,
         PRIMARY KEY(sweep_id, job, attempt, position)) WITHOUT ROWID;)",
    // 5: `jobsub cancel` of jobs that the jobsub running them (local) carries out.
    R"(CREATE TABLE cancel_requests(
         sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
         job INTEGER NOT NULL,
         requested TEXT NOT NULL,
         taken INTEGER NOT NULL DEFAULT 0,
         PRIMARY KEY(sweep_id, job)) WITHOUT ROWID;)",
    // 6: automatic retries (retry.h), one row a retry: claimed in the
    // transaction that starts the job's next attempt, by the jobsub that sends it.
    R"(CREATE TABLE retries(
         sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
         job INTEGER NOT NULL,
         attempt INTEGER NOT NULL,
         after TEXT NOT NULL,
         claimed TEXT NOT NULL,
         host TEXT NOT NULL,
         pid INTEGER NOT NULL,
         PRIMARY KEY(sweep_id, job, attempt)) WITHOUT ROWID;)",
    // 7: the GPUs an attempt had (MetricSet::gpus), read with its metrics.
    R"(ALTER TABLE metric_reads ADD COLUMN gpus TEXT NOT NULL DEFAULT '';)",
};
constexpr int kVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

}  // namespace

int64_t epoch_of_timestamp(const std::string& timestamp) {
  std::tm utc{};
  const char* end = strptime(timestamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  if (end == nullptr || *end != '\0') return 0;
  return static_cast<int64_t>(timegm(&utc));
}

std::string utc_timestamp(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

namespace {

/// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK)
      throw job_error(fmt::format("state store: {}", sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, int64_t v) {
    sqlite3_bind_int64(statement_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(statement_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(statement_, i, v);
    return *this;
  }
  Statement& bind_null(int i) {
    sqlite3_bind_null(statement_, i);
    return *this;
  }
  Statement& bind_blob(int i, const void* data, std::size_t size) {
    sqlite3_bind_blob64(statement_, i, data, size, SQLITE_STATIC);
    return *this;
  }
  /// An exit code, NULL when unknown (< 0).
  Statement& bind_exit_code(int i, int code) {
    if (code < 0) {
      sqlite3_bind_null(statement_, i);
    } else {
      sqlite3_bind_int64(statement_, i, code);
    }
    return *this;
  }
  /// One step: true while it yields a row.
  bool step() {
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw job_error(fmt::format("state store: {}", sqlite3_errmsg(db_)));
  }
  void run() {
    step();
    reset();
  }
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  double real(int column) const { return sqlite3_column_double(statement_, column); }
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::pair<const void*, std::size_t> blob(int column) const {
    const void* data = sqlite3_column_blob(statement_, column);
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))};
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(statement_, column);
    return p != nullptr ? reinterpret_cast<const char*>(p) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

/// BEGIN IMMEDIATE (the write lock at once, so two writers queue on the busy
/// timeout instead of failing mid-way); ROLLBACK unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec("COMMIT");
    done_ = true;
  }

 private:
  void exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      throw job_error(fmt::format("state store: {}: {}", sql, message));
    }
  }
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace

fs::path Store::path_for(const fs::path& experiment_dir) { return experiment_dir / ".jobsub" / "state.db"; }

int Store::schema_version() { return kVersion; }

namespace {

/// An exclusive flock on `<store>.lock` for as long as it lives: opening,
/// switching to WAL and migrating need the database to themselves, and
/// SQLite answers a second process doing the same at that moment with "database
/// is locked" instead of waiting.
class OpenLock {
 public:
  explicit OpenLock(const fs::path& store) {
    const std::string path = store.string() + ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~OpenLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  OpenLock(const OpenLock&) = delete;
  OpenLock& operator=(const OpenLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

Store::Store(const fs::path& file, bool create) : file_(file) {
  if (create) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
  }
  if (!create && !fs::exists(file))
    throw job_error(fmt::format("there is no state store at {}", file.string()));
  const OpenLock lock(file);
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw job_error(fmt::format("cannot open the state store {}: {}", file.string(), why));
  }
  try {
    migrate();
  } catch (...) {
    sqlite3_close(db_);  // the destructor does not run for a constructor that throws
    db_ = nullptr;
    throw;
  }
}

void Store::migrate() {
  sqlite3_busy_timeout(db_, 30'000);  // another jobsub writing: wait for it, up to 30 s
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  Transaction migration(db_);
  int version = 0;
  {
    Statement read(db_, "PRAGMA user_version");
    if (read.step()) version = static_cast<int>(read.integer(0));
  }
  if (version > kVersion) {
    throw job_error(
        fmt::format("the state store {} has schema version {}, newer than this jobsub's {}: use a "
                    "newer jobsub",
                    file_.string(), version, kVersion));
  }
  for (int v = version; v < kVersion; ++v) exec(kMigrations[v]);
  if (version != kVersion) exec(fmt::format("PRAGMA user_version={}", kVersion).c_str());
  migration.commit();
}

Store::~Store() { sqlite3_close(db_); }

void Store::exec(const char* sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    throw job_error(fmt::format("state store {}: {}", file_.string(), message));
  }
}

int64_t Store::add_sweep(const SweepRecord& sweep, const std::vector<uint64_t>& hashes) {
  Transaction transaction(db_);
  Statement insert(db_,
                   "INSERT INTO sweeps(name, dir, created, scheduler, job_count, command_template, hashes) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, sweep.name)
      .bind(2, sweep.dir.string())
      .bind(3, sweep.created)
      .bind(4, sweep.scheduler)
      .bind(5, static_cast<int64_t>(sweep.job_count))
      .bind(6, sweep.command_template)
      .bind_blob(7, hashes.data(), hashes.size() * sizeof(uint64_t))
      .run();
  const int64_t id = sqlite3_last_insert_rowid(db_);
  transaction.commit();
  return id;
}

const char* to_string(BatchState state) {
  switch (state) {
    case BatchState::submitting:
      return "submitting";
    case BatchState::submitted:
      return "submitted";
    case BatchState::failed:
      return "failed";
  }
  return "failed";
}

namespace {
BatchState batch_state_from_string(const std::string& text) {
  for (const BatchState s : {BatchState::submitting, BatchState::submitted, BatchState::failed})
    if (text == to_string(s)) return s;
  return BatchState::failed;
}
}  // namespace

int64_t Store::begin_batch(int64_t sweep, const std::string& name, const std::string& token,
                           const std::vector<TaskRange>& jobs) {
  Transaction transaction(db_);
  Statement insert(db_,
                   "INSERT INTO batches(sweep_id, name, jobs, state, updated, token, host, pid) "
                   "VALUES(?, ?, ?, 'submitting', ?, ?, ?, ?)");
  insert.bind(1, sweep)
      .bind(2, name)
      .bind(3, format_task_ranges(jobs))
      .bind(4, utc_timestamp())
      .bind(5, token)
      .bind(6, host_name())
      .bind(7, static_cast<int64_t>(::getpid()))
      .run();
  const int64_t batch = sqlite3_last_insert_rowid(db_);
  // The batch's jobs are `pending` from now on: jobs() reads them so from the
  // batch's ranges, and the rows of those that have one (an earlier attempt)
  // say so too.
  Statement pending(
      db_, "UPDATE jobs SET state = 'pending', batch_id = ? WHERE sweep_id = ? AND job BETWEEN ? AND ?");
  for (const TaskRange& r : jobs) {
    pending.bind(1, batch)
        .bind(2, sweep)
        .bind(3, static_cast<int64_t>(r.first))
        .bind(4, static_cast<int64_t>(r.last))
        .run();
  }
  transaction.commit();
  return batch;
}

void Store::write_outcomes(int64_t sweep, const std::vector<TaskOutcome>& outcomes) {
  // News of an earlier attempt's scheduler id (from a jobsub that still
  // followed it when another sent the job again) is old news: dropped, so
  // it never overwrites the job's current attempt.
  bool has_history = false;
  {
    Statement any(db_, "SELECT 1 FROM attempts WHERE sweep_id = ? LIMIT 1");
    any.bind(1, sweep);
    has_history = any.step();
  }
  Statement earlier(db_, "SELECT 1 FROM attempts WHERE sweep_id = ? AND job = ? AND native_id = ? LIMIT 1");
  Statement upsert(
      db_,
      "INSERT INTO jobs(sweep_id, job, hash, state, native_state, native_id, exit_code, updated, evidence, "
      "source) VALUES(?, ?, 0, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sweep_id, job) DO UPDATE SET state = "
      "excluded.state, native_state = excluded.native_state, native_id = "
      "COALESCE(NULLIF(excluded.native_id, ''), native_id), exit_code = excluded.exit_code, updated = "
      "excluded.updated, evidence = excluded.evidence, source = excluded.source");
  const std::string when = utc_timestamp();
  for (const TaskOutcome& o : outcomes) {
    if (has_history && !o.native_id.empty()) {
      earlier.bind(1, sweep).bind(2, static_cast<int64_t>(o.job)).bind(3, o.native_id);
      const bool old = earlier.step();
      earlier.reset();
      if (old) continue;
    }
    upsert.bind(1, sweep)
        .bind(2, static_cast<int64_t>(o.job))
        .bind(3, std::string(to_string(o.state)))
        .bind(4, o.native_state)
        .bind(5, o.native_id)
        .bind_exit_code(6, o.exit_code)
        .bind(7, when)
        .bind(8, static_cast<int64_t>(o.evidence))
        .bind(9, o.source)
        .run();
  }
}

void Store::end_batch(int64_t sweep, int64_t batch, BatchState state, const std::string& native_id,
                      const std::string& message, const std::vector<TaskOutcome>& outcomes,
                      const std::vector<SubmittedArray>& arrays) {
  Transaction transaction(db_);
  Statement update(db_, "UPDATE batches SET state = ?, native_id = ?, message = ?, updated = ? WHERE id = ?");
  update.bind(1, to_string(state))
      .bind(2, native_id)
      .bind(3, message)
      .bind(4, utc_timestamp())
      .bind(5, batch)
      .run();
  // Array tasks as ranges: a 10^6-task array is one row (and its jobs' own
  // rows, from an earlier attempt, go: the array has the news now).
  Statement clear(db_, "DELETE FROM jobs WHERE sweep_id = ? AND job BETWEEN ? AND ?");
  Statement insert(
      db_,
      "INSERT INTO arrays(batch_id, native_id, task_offset, tasks, native_state, separator, suffix) "
      "VALUES(?, ?, ?, ?, ?, ?, ?)");
  for (const SubmittedArray& array : arrays) {
    for (const TaskRange& r : array.tasks) {
      clear.bind(1, sweep)
          .bind(2, static_cast<int64_t>(r.first + array.offset))
          .bind(3, static_cast<int64_t>(r.last + array.offset))
          .run();
    }
    insert.bind(1, batch)
        .bind(2, array.native_id)
        .bind(3, static_cast<int64_t>(array.offset))
        .bind(4, format_task_ranges(array.tasks))
        .bind(5, array.native_state)
        .bind(6, array.separator)
        .bind(7, array.suffix)
        .run();
  }
  write_outcomes(sweep, outcomes);
  // Jobs of the batch in neither were not taken: `not_submitted` (jobs()
  // reads those without a row so once the batch is not `submitting`).
  Statement untaken(db_, "UPDATE jobs SET state = 'not_submitted' WHERE batch_id = ? AND state = 'pending'");
  untaken.bind(1, batch).run();
  transaction.commit();
}

void Store::update_jobs(int64_t sweep, const std::vector<TaskOutcome>& outcomes) {
  if (outcomes.empty()) return;
  Transaction transaction(db_);
  write_outcomes(sweep, outcomes);
  transaction.commit();
}

std::vector<BatchRecord> Store::batches(int64_t sweep) const {
  std::vector<BatchRecord> out;
  Statement select(
      db_,
      "SELECT id, name, jobs, state, native_id, token, host, pid FROM batches WHERE sweep_id = ? "
      "ORDER BY id");
  select.bind(1, sweep);
  while (select.step()) {
    BatchRecord b;
    b.id = select.integer(0);
    b.name = select.text(1);
    b.jobs = parse_task_ranges(select.text(2));
    b.state = batch_state_from_string(select.text(3));
    b.native_id = select.text(4);
    b.token = select.text(5);
    b.host = select.text(6);
    b.pid = select.integer(7);
    out.push_back(std::move(b));
  }
  return out;
}

void Store::record_skipped(int64_t sweep, const std::vector<uint64_t>& jobs,
                           const std::function<std::string(uint64_t job)>& reason) {
  if (jobs.empty()) return;
  Transaction transaction(db_);
  Statement insert(db_,
                   "INSERT OR REPLACE INTO jobs(sweep_id, job, hash, state, native_state, updated) "
                   "VALUES(?, ?, 0, 'skipped', ?, ?)");
  const std::string when = utc_timestamp();
  for (uint64_t job : jobs)
    insert.bind(1, sweep).bind(2, static_cast<int64_t>(job)).bind(3, reason(job)).bind(4, when).run();
  transaction.commit();
}

std::vector<uint64_t> Store::hashes(int64_t sweep) const {
  Statement select(db_, "SELECT hashes FROM sweeps WHERE id = ?");
  select.bind(1, sweep);
  std::vector<uint64_t> out;
  if (select.step()) {
    const auto [data, size] = select.blob(0);
    out.resize(size / sizeof(uint64_t));
    if (!out.empty()) std::memcpy(out.data(), data, out.size() * sizeof(uint64_t));
  }
  return out;
}

std::unordered_map<uint64_t, CompletedJob> Store::completed_jobs(int64_t except_sweep) const {
  std::unordered_map<uint64_t, CompletedJob> out;
  // Rows of completed jobs, by sweep; a job's hash is in its sweep's blob
  // (or, from a version 1 store, in its row).
  Statement select(
      db_,
      "SELECT jobs.sweep_id, jobs.job, jobs.hash, sweeps.dir FROM jobs JOIN sweeps ON sweeps.id = "
      "jobs.sweep_id WHERE jobs.state = 'completed' AND jobs.sweep_id != ? ORDER BY jobs.sweep_id");
  select.bind(1, except_sweep);
  int64_t loaded = 0;
  std::vector<uint64_t> blob;
  while (select.step()) {
    const int64_t sweep = select.integer(0);
    const auto job = static_cast<uint64_t>(select.integer(1));
    if (sweep != loaded) {
      blob = hashes(sweep);
      loaded = sweep;
    }
    uint64_t hash = static_cast<uint64_t>(select.integer(2));
    if (hash == 0 && job <= blob.size()) hash = blob[job - 1];
    if (hash != 0) out.emplace(hash, CompletedJob{select.text(3), job});
  }
  return out;
}

void Store::request_cancel(int64_t sweep, const std::vector<uint64_t>& jobs) {
  Transaction transaction(db_);
  Statement insert(db_,
                   "INSERT INTO cancel_requests(sweep_id, job, requested) VALUES(?, ?, ?) "
                   "ON CONFLICT(sweep_id, job) DO UPDATE SET requested = excluded.requested, taken = 0");
  const std::string when = utc_timestamp();
  for (uint64_t job : jobs) insert.bind(1, sweep).bind(2, static_cast<int64_t>(job)).bind(3, when).run();
  transaction.commit();
}

std::vector<uint64_t> Store::take_cancel_requests(int64_t sweep) {
  auto pending = [&] {
    std::vector<uint64_t> jobs;
    Statement select(db_, "SELECT job FROM cancel_requests WHERE sweep_id = ? AND taken = 0 ORDER BY job");
    select.bind(1, sweep);
    while (select.step()) jobs.push_back(static_cast<uint64_t>(select.integer(0)));
    return jobs;
  };
  if (pending().empty()) return {};  // the usual answer, without a write lock
  Transaction transaction(db_);
  std::vector<uint64_t> jobs = pending();
  Statement take(db_, "UPDATE cancel_requests SET taken = 1 WHERE sweep_id = ? AND taken = 0");
  take.bind(1, sweep).run();
  transaction.commit();
  return jobs;
}

void Store::set_hashes(int64_t sweep, const std::vector<std::pair<uint64_t, uint64_t>>& hashes) {
  if (hashes.empty()) return;
  Transaction transaction(db_);
  // A job that never ran has no row yet: it gets one (begin_batch() makes it pending).
  Statement upsert(
      db_,
      "INSERT INTO jobs(sweep_id, job, hash, state, updated) VALUES(?, ?, ?, 'not_submitted', ?) "
      "ON CONFLICT(sweep_id, job) DO UPDATE SET hash = excluded.hash");
  const std::string when = utc_timestamp();
  for (const auto& [job, hash] : hashes) {
    upsert.bind(1, sweep)
        .bind(2, static_cast<int64_t>(job))
        .bind(3, static_cast<int64_t>(hash))
        .bind(4, when)
        .run();
  }
  transaction.commit();
}

void Store::new_attempt(int64_t sweep, const std::vector<JobRecord>& as_read) {
  if (as_read.empty()) return;
  Transaction transaction(db_);
  const std::vector<JobRecord> now = this->jobs(sweep);
  std::vector<const JobRecord*> chosen;
  std::vector<uint64_t> moved;
  for (const JobRecord& r : as_read) {
    const JobRecord& j = now.at(r.job - 1);
    if (j.state != r.state || j.attempt != r.attempt) moved.push_back(r.job);
    chosen.push_back(&j);
  }
  if (!moved.empty()) {
    throw job_error(
        fmt::format("{} {} of this sweep changed while this jobsub waited (another jobsub sent {} again: an "
                    "automatic retry, "
                    "or a resubmit): nothing was submitted; `jobsub status` shows where {} now",
                    moved.size() == 1 ? "job" : "jobs", format_task_ranges(ranges_of(moved)),
                    moved.size() == 1 ? "it" : "them", moved.size() == 1 ? "it is" : "they are"));
  }
  start_next_attempts(sweep, chosen);
  transaction.commit();
}

void Store::start_next_attempts(int64_t sweep, const std::vector<const JobRecord*>& jobs) {
  Statement keep(db_,
                 "INSERT OR REPLACE INTO attempts(sweep_id, job, attempt, state, native_state, native_id, "
                 "exit_code, updated) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  Statement reset(db_,
                  "INSERT OR REPLACE INTO jobs(sweep_id, job, hash, state, updated) VALUES(?, ?, 0, "
                  "'not_submitted', ?)");
  const std::string when = utc_timestamp();
  for (const JobRecord* j : jobs) {
    keep.bind(1, sweep)
        .bind(2, static_cast<int64_t>(j->job))
        .bind(3, static_cast<int64_t>(j->attempt))
        .bind(4, to_string(j->state))
        .bind(5, j->native_state)
        .bind(6, j->native_id)
        .bind_exit_code(7, j->exit_code)
        .bind(8, when)
        .run();
    reset.bind(1, sweep).bind(2, static_cast<int64_t>(j->job)).bind(3, when).run();
  }
}

std::vector<uint64_t> Store::claim_retries(int64_t sweep, const std::vector<JobRecord>& due,
                                           uint64_t max_total, const std::string& host, int64_t pid) {
  if (due.empty()) return {};
  Transaction transaction(db_);
  const std::vector<JobRecord> now = this->jobs(sweep);
  uint64_t claimed_before = 0;
  {
    Statement count(db_, "SELECT COUNT(*) FROM retries WHERE sweep_id = ?");
    count.bind(1, sweep);
    if (count.step()) claimed_before = static_cast<uint64_t>(count.integer(0));
  }
  Statement claim(
      db_,
      "INSERT INTO retries(sweep_id, job, attempt, after, claimed, host, pid) VALUES(?, ?, ?, ?, ?, "
      "?, ?)");
  const std::string when = utc_timestamp();
  std::vector<const JobRecord*> taken;
  std::vector<uint64_t> out;
  for (const JobRecord& d : due) {
    if (max_total > 0 && claimed_before + out.size() >= max_total) break;
    if (d.job == 0 || d.job > now.size()) continue;
    const JobRecord& j = now[d.job - 1];
    if (j.state != d.state || j.attempt != d.attempt) continue;  // another jobsub was first
    claim.bind(1, sweep)
        .bind(2, static_cast<int64_t>(j.job))
        .bind(3, static_cast<int64_t>(j.attempt + 1))
        .bind(4, to_string(j.state))
        .bind(5, when)
        .bind(6, host)
        .bind(7, pid)
        .run();
    taken.push_back(&j);
    out.push_back(j.job);
  }
  start_next_attempts(sweep, taken);
  transaction.commit();
  return out;
}

void Store::release_retries(int64_t sweep, const std::vector<uint64_t>& jobs) {
  if (jobs.empty()) return;
  Transaction transaction(db_);
  Statement release(
      db_,
      "UPDATE retries SET host = '', pid = 0, claimed = ? WHERE sweep_id = ? AND job = ? AND attempt = "
      "(SELECT MAX(attempt) FROM retries WHERE sweep_id = ? AND job = ?)");
  const std::string when = utc_timestamp();
  for (const uint64_t job : jobs) {
    release.bind(1, when)
        .bind(2, sweep)
        .bind(3, static_cast<int64_t>(job))
        .bind(4, sweep)
        .bind(5, static_cast<int64_t>(job))
        .run();
  }
  transaction.commit();
}

std::vector<RetryClaim> Store::retry_claims(int64_t sweep) const {
  std::vector<RetryClaim> out;
  Statement read(
      db_,
      "SELECT job, attempt, after, claimed, host, pid FROM retries WHERE sweep_id = ? ORDER BY job, "
      "attempt");
  read.bind(1, sweep);
  while (read.step()) {
    out.push_back({static_cast<uint64_t>(read.integer(0)), static_cast<int>(read.integer(1)),
                   job_state_from_string(read.text(2)), read.text(3), read.text(4), read.integer(5)});
  }
  return out;
}

std::vector<uint64_t> Store::take_over_retries(int64_t sweep, const std::vector<RetryClaim>& stale,
                                               const std::string& host, int64_t pid) {
  if (stale.empty()) return {};
  Transaction transaction(db_);
  const std::vector<JobRecord> now = this->jobs(sweep);
  Statement take(
      db_,
      "UPDATE retries SET host = ?, pid = ?, claimed = ? WHERE sweep_id = ? AND job = ? AND attempt = ? "
      "AND host = ? AND pid = ?");
  const std::string when = utc_timestamp();
  std::vector<uint64_t> out;
  for (const RetryClaim& c : stale) {
    if (c.job == 0 || c.job > now.size()) continue;
    const JobRecord& j = now[c.job - 1];
    if (j.state != JobState::not_submitted || j.attempt != c.attempt) continue;  // sent since
    take.bind(1, host)
        .bind(2, pid)
        .bind(3, when)
        .bind(4, sweep)
        .bind(5, static_cast<int64_t>(c.job))
        .bind(6, static_cast<int64_t>(c.attempt))
        .bind(7, c.host)
        .bind(8, c.pid);
    take.step();
    const bool won = sqlite3_changes(db_) == 1;
    take.reset();
    if (won) out.push_back(c.job);
  }
  transaction.commit();
  return out;
}

std::vector<SweepSummary> Store::sweeps(bool with_counts) const {
  std::vector<SweepSummary> out;
  Statement list(
      db_, "SELECT id, name, dir, created, scheduler, job_count, command_template FROM sweeps ORDER BY id");
  while (list.step()) {
    SweepSummary s;
    s.id = list.integer(0);
    s.sweep = {list.text(1), list.text(2), list.text(3), list.text(4), static_cast<uint64_t>(list.integer(5)),
               list.text(6)};
    out.push_back(std::move(s));
  }
  for (SweepSummary& s : out) {
    if (!with_counts) break;
    std::map<JobState, uint64_t> counts;
    for (const JobRecord& j : jobs(s.id)) ++counts[j.state];
    s.states.assign(counts.begin(), counts.end());
    // Most first; a tie in the order of the states' names, as people read them.
    std::sort(s.states.begin(), s.states.end(), [](const auto& a, const auto& b) {
      if (a.second != b.second) return a.second > b.second;
      return std::string_view(to_string(a.first)) < std::string_view(to_string(b.first));
    });
  }
  return out;
}

std::unique_ptr<Store> open_records(const fs::path& experiment) {
  const fs::path file = Store::path_for(experiment);
  if (!fs::exists(file)) {
    // Inside a results directory, the experiment is further up: say where.
    std::string hint;
    for (fs::path up = experiment; !up.empty() && up != up.parent_path(); up = up.parent_path()) {
      if (up != experiment && fs::exists(Store::path_for(up))) {
        hint = fmt::format(": this is inside the experiment {}; run jobsub there, or pass --spec {}",
                           up.string(), (up / "jobsub.yaml").string());
        break;
      }
    }
    if (hint.empty())
      hint =
          " yet: run jobsub from the experiment's directory (where its jobsub.yaml is), or pass --spec FILE";
    throw spec_error(fmt::format("no sweeps recorded in {}{}", experiment.string(), hint));
  }
  return std::make_unique<Store>(file, false);
}

std::vector<JobRecord> Store::jobs(int64_t sweep) const {
  uint64_t job_count = 0;
  {
    Statement count(db_, "SELECT job_count FROM sweeps WHERE id = ?");
    count.bind(1, sweep);
    if (count.step()) job_count = static_cast<uint64_t>(count.integer(0));
  }
  std::vector<JobRecord> out(job_count);
  for (uint64_t job = 1; job <= job_count; ++job)
    out[job - 1] = {job, JobState::not_submitted, "", "", -1, 1, Evidence::none, ""};
  // In order, each later word overriding: a batch still `submitting` makes
  // its jobs pending; an array, its tasks queued; a job's own row, all else.
  Statement batches(db_,
                    "SELECT id, jobs FROM batches WHERE sweep_id = ? AND state = 'submitting' ORDER BY id");
  batches.bind(1, sweep);
  while (batches.step()) {
    for (const TaskRange& r : parse_task_ranges(batches.text(1))) {
      for (uint64_t job = r.first; job <= std::min(r.last, job_count); ++job)
        out[job - 1].state = JobState::pending;
    }
  }
  Statement arrays(
      db_,
      "SELECT arrays.native_id, arrays.task_offset, arrays.tasks, arrays.native_state, arrays.separator, "
      "arrays.suffix FROM "
      "arrays "
      "JOIN batches ON batches.id = arrays.batch_id WHERE batches.sweep_id = ? ORDER BY batches.id");
  arrays.bind(1, sweep);
  while (arrays.step()) {
    const std::string id = arrays.text(0);
    const auto offset = static_cast<uint64_t>(arrays.integer(1));
    const std::string native_state = arrays.text(3);
    const std::string separator = arrays.text(4);
    const std::string suffix = arrays.text(5);
    for (const TaskRange& r : parse_task_ranges(arrays.text(2))) {
      for (uint64_t t = r.first; t <= r.last && t + offset <= job_count; ++t) {
        JobRecord& j = out[t + offset - 1];
        j.state = JobState::queued;
        j.native_state = native_state;
        j.native_id = fmt::format("{}{}{}{}", id, separator, t, suffix);
        j.exit_code = -1;
      }
    }
  }
  Statement rows(
      db_,
      "SELECT job, state, native_state, native_id, exit_code, evidence, source, updated FROM jobs WHERE "
      "sweep_id = ? ORDER BY job");
  rows.bind(1, sweep);
  while (rows.step()) {
    const auto job = static_cast<uint64_t>(rows.integer(0));
    if (job == 0 || job > job_count) continue;
    JobRecord& j = out[job - 1];
    j.state = job_state_from_string(rows.text(1));
    j.native_state = rows.text(2);
    if (!rows.text(3).empty()) j.native_id = rows.text(3);
    j.exit_code = rows.is_null(4) ? -1 : static_cast<int>(rows.integer(4));
    j.evidence = static_cast<Evidence>(std::clamp<int64_t>(rows.integer(5), 0, 3));
    j.source = rows.text(6);
    j.updated = rows.is_null(7) ? std::string() : rows.text(7);
  }
  Statement attempts(db_, "SELECT job, MAX(attempt) FROM attempts WHERE sweep_id = ? GROUP BY job");
  attempts.bind(1, sweep);
  while (attempts.step()) {
    const auto job = static_cast<uint64_t>(attempts.integer(0));
    if (job >= 1 && job <= job_count) out[job - 1].attempt = static_cast<int>(attempts.integer(1)) + 1;
  }
  return out;
}

}  // namespace jobsub

namespace jobsub {

void Store::record_metrics(int64_t sweep, const std::vector<AttemptMetrics>& reads) {
  if (reads.empty()) return;
  Transaction transaction(db_);
  Statement read(
      db_,
      "INSERT OR REPLACE INTO metric_reads(sweep_id, job, attempt, steps, started, ended, problem, gpus) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  Statement forget(db_, "DELETE FROM metrics WHERE sweep_id = ? AND job = ? AND attempt = ?");
  Statement value(db_,
                  "INSERT INTO metrics(sweep_id, job, attempt, position, name, kind, number, text) "
                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  for (const AttemptMetrics& r : reads) {
    const auto job = static_cast<int64_t>(r.job);
    read.bind(1, sweep)
        .bind(2, job)
        .bind(3, static_cast<int64_t>(r.attempt))
        .bind(4, static_cast<int64_t>(r.metrics.steps))
        .bind(5, r.metrics.started)
        .bind(6, r.metrics.ended)
        .bind(7, r.metrics.problem)
        .bind(8, r.metrics.gpus)
        .run();
    forget.bind(1, sweep).bind(2, job).bind(3, static_cast<int64_t>(r.attempt)).run();
    int64_t position = 0;
    for (const auto& [name, v] : r.metrics.values) {
      value.bind(1, sweep)
          .bind(2, job)
          .bind(3, static_cast<int64_t>(r.attempt))
          .bind(4, position++)
          .bind(5, name);
      value.bind(6, static_cast<int64_t>(v.kind));
      if (std::isfinite(v.number)) {
        value.bind(7, v.number);
      } else {
        value.bind_null(7);
      }
      value.bind(8, v.text).run();
    }
  }
  transaction.commit();
}

std::vector<AttemptMetrics> Store::metrics(int64_t sweep) const {
  std::vector<AttemptMetrics> out;
  std::map<std::pair<uint64_t, int>, std::size_t> index;
  Statement reads(
      db_,
      "SELECT job, attempt, steps, started, ended, problem, gpus FROM metric_reads WHERE sweep_id = ? "
      "ORDER BY job, attempt");
  reads.bind(1, sweep);
  while (reads.step()) {
    AttemptMetrics r;
    r.job = static_cast<uint64_t>(reads.integer(0));
    r.attempt = static_cast<int>(reads.integer(1));
    r.metrics.steps = static_cast<uint64_t>(reads.integer(2));
    r.metrics.started = reads.real(3);
    r.metrics.ended = reads.real(4);
    r.metrics.problem = reads.text(5);
    r.metrics.gpus = reads.text(6);
    index[{r.job, r.attempt}] = out.size();
    out.push_back(std::move(r));
  }
  Statement values(
      db_,
      "SELECT job, attempt, name, kind, number, text FROM metrics WHERE sweep_id = ? ORDER BY job, "
      "attempt, position");
  values.bind(1, sweep);
  while (values.step()) {
    auto it = index.find({static_cast<uint64_t>(values.integer(0)), static_cast<int>(values.integer(1))});
    if (it == index.end()) continue;
    MetricValue v;
    v.kind = static_cast<MetricValue::Kind>(std::clamp<int64_t>(values.integer(3), 0, 3));
    v.text = values.text(5);
    if (v.kind == MetricValue::Kind::string) {
      v.number = std::numeric_limits<double>::quiet_NaN();
    } else if (values.is_null(4)) {
      v = MetricValue::of_text(v.text);  // NaN, Infinity, -Infinity
    } else {
      v.number = values.real(4);
    }
    out[it->second].metrics.values.emplace_back(values.text(2), std::move(v));
  }
  return out;
}

std::vector<JobRecord> Store::earlier_attempts(int64_t sweep) const {
  std::vector<JobRecord> out;
  Statement rows(
      db_,
      "SELECT job, attempt, state, native_state, native_id, exit_code, updated FROM attempts WHERE "
      "sweep_id = ? ORDER BY job, attempt");
  rows.bind(1, sweep);
  while (rows.step()) {
    JobRecord j;
    j.job = static_cast<uint64_t>(rows.integer(0));
    j.attempt = static_cast<int>(rows.integer(1));
    j.state = job_state_from_string(rows.text(2));
    j.native_state = rows.text(3);
    j.native_id = rows.text(4);
    j.exit_code = rows.is_null(5) ? -1 : static_cast<int>(rows.integer(5));
    j.updated = rows.is_null(6) ? std::string() : rows.text(6);
    out.push_back(std::move(j));
  }
  return out;
}

std::string skipped_reason(const CompletedJob& where) {
  return fmt::format("completed in {} (job {})", where.sweep_dir, where.job);
}

std::optional<CompletedJob> parse_skipped_reason(const std::string& reason) {
  static constexpr std::string_view kStart = "completed in ";
  static constexpr std::string_view kJob = " (job ";
  if (reason.rfind(kStart, 0) != 0 || reason.empty() || reason.back() != ')') return std::nullopt;
  const std::size_t job_at = reason.rfind(kJob);
  if (job_at == std::string::npos || job_at < kStart.size()) return std::nullopt;
  const std::string number = reason.substr(job_at + kJob.size(), reason.size() - 1 - job_at - kJob.size());
  if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return CompletedJob{reason.substr(kStart.size(), job_at - kStart.size()), std::stoull(number)};
}

}  // namespace jobsub
