#include "jobsub/store.h"

#include <fmt/core.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "jobsub/errors.h"
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
    // 2: batch tokens and who submitted them (for --resume), attempt history
    // (for resubmit), completed jobs by hash (for skipping them).
    R"(ALTER TABLE batches ADD COLUMN token TEXT NOT NULL DEFAULT '';
       ALTER TABLE batches ADD COLUMN host TEXT NOT NULL DEFAULT '';
       ALTER TABLE batches ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
       CREATE TABLE attempts(
         sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
         job INTEGER NOT NULL,
         attempt INTEGER NOT NULL,
         state TEXT NOT NULL,
         native_state TEXT NOT NULL,
         native_id TEXT NOT NULL,
         exit_code INTEGER,
         batch_id INTEGER,
         updated TEXT,
         PRIMARY KEY(sweep_id, job, attempt)) WITHOUT ROWID;
       CREATE INDEX completed_by_hash ON jobs(hash) WHERE state = 'completed';)",
};
constexpr int kVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

}  // namespace

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
  Statement& bind_null(int i) {
    sqlite3_bind_null(statement_, i);
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
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
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

int64_t Store::add_sweep(const SweepRecord& sweep) {
  Transaction transaction(db_);
  Statement insert(db_,
                   "INSERT INTO sweeps(name, dir, created, scheduler, job_count, command_template) "
                   "VALUES(?, ?, ?, ?, ?, ?)");
  insert.bind(1, sweep.name)
      .bind(2, sweep.dir.string())
      .bind(3, sweep.created)
      .bind(4, sweep.scheduler)
      .bind(5, static_cast<int64_t>(sweep.job_count))
      .bind(6, sweep.command_template)
      .run();
  const int64_t id = sqlite3_last_insert_rowid(db_);
  transaction.commit();
  return id;
}

int64_t Store::begin_batch(int64_t sweep, const std::string& name, const std::string& token,
                           const std::vector<TaskRange>& jobs,
                           const std::function<uint64_t(uint64_t)>& hash) {
  Transaction transaction(db_);
  const std::string when = utc_timestamp();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  Statement insert(db_,
                   "INSERT INTO batches(sweep_id, name, jobs, state, updated, token, host, pid) "
                   "VALUES(?, ?, ?, 'submitting', ?, ?, ?, ?)");
  insert.bind(1, sweep)
      .bind(2, name)
      .bind(3, format_task_ranges(jobs))
      .bind(4, when)
      .bind(5, token)
      .bind(6, std::string(host))
      .bind(7, static_cast<int64_t>(::getpid()))
      .run();
  const int64_t batch = sqlite3_last_insert_rowid(db_);
  // A job's row is made when it is first submitted; a job without one has
  // not been (so --manual and the jobs a user skips cost no row).
  Statement pending(
      db_,
      "INSERT INTO jobs(sweep_id, job, hash, state, batch_id, updated) VALUES(?, ?, ?, 'pending', ?, ?) "
      "ON CONFLICT(sweep_id, job) DO UPDATE SET state = 'pending', batch_id = excluded.batch_id, "
      "updated = excluded.updated");
  for (const TaskRange& r : jobs) {
    for (uint64_t job = r.first; job <= r.last; ++job) {
      pending.bind(1, sweep)
          .bind(2, static_cast<int64_t>(job))
          .bind(3, static_cast<int64_t>(hash(job)))
          .bind(4, batch)
          .bind(5, when)
          .run();
    }
  }
  transaction.commit();
  return batch;
}

void Store::write_outcomes(int64_t sweep, const std::vector<TaskOutcome>& outcomes) {
  Statement update(
      db_,
      "UPDATE jobs SET state = ?, native_state = ?, native_id = COALESCE(NULLIF(?, ''), native_id), "
      "exit_code = ?, updated = ? WHERE sweep_id = ? AND job = ?");
  const std::string when = utc_timestamp();
  for (const TaskOutcome& o : outcomes) {
    update.bind(1, std::string(to_string(o.state))).bind(2, o.native_state).bind(3, o.native_id);
    if (o.exit_code >= 0) {
      update.bind(4, static_cast<int64_t>(o.exit_code));
    } else {
      update.bind_null(4);
    }
    update.bind(5, when).bind(6, sweep).bind(7, static_cast<int64_t>(o.job)).run();
  }
}

void Store::end_batch(int64_t sweep, int64_t batch, const std::string& state, const std::string& native_id,
                      const std::string& message, const std::vector<TaskOutcome>& outcomes) {
  Transaction transaction(db_);
  Statement update(db_, "UPDATE batches SET state = ?, native_id = ?, message = ?, updated = ? WHERE id = ?");
  update.bind(1, state).bind(2, native_id).bind(3, message).bind(4, utc_timestamp()).bind(5, batch).run();
  write_outcomes(sweep, outcomes);
  // Jobs that the scheduler did not take were not submitted.
  Statement untaken(db_,
                    "UPDATE jobs SET state = 'not_submitted' WHERE batch_id = ? AND state = 'pending' AND "
                    "native_id = ''");
  untaken.bind(1, batch).run();
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
    b.state = select.text(3);
    b.native_id = select.text(4);
    b.token = select.text(5);
    b.host = select.text(6);
    b.pid = select.integer(7);
    out.push_back(std::move(b));
  }
  return out;
}

void Store::record_skipped(int64_t sweep, const std::vector<std::pair<uint64_t, uint64_t>>& job_hashes,
                           const std::function<std::string(uint64_t job)>& reason) {
  if (job_hashes.empty()) return;
  Transaction transaction(db_);
  const std::string when = utc_timestamp();
  Statement insert(db_,
                   "INSERT INTO jobs(sweep_id, job, hash, state, native_state, updated) "
                   "VALUES(?, ?, ?, 'skipped', ?, ?)");
  for (const auto& [job, hash] : job_hashes) {
    insert.bind(1, sweep)
        .bind(2, static_cast<int64_t>(job))
        .bind(3, static_cast<int64_t>(hash))
        .bind(4, reason(job))
        .bind(5, when)
        .run();
  }
  transaction.commit();
}

std::unordered_map<uint64_t, CompletedJob> Store::completed_jobs(int64_t except_sweep) const {
  std::unordered_map<uint64_t, CompletedJob> out;
  Statement select(
      db_,
      "SELECT jobs.hash, sweeps.dir, jobs.job FROM jobs JOIN sweeps ON sweeps.id = jobs.sweep_id "
      "WHERE jobs.state = 'completed' AND jobs.sweep_id != ?");
  select.bind(1, except_sweep);
  while (select.step()) {
    out.emplace(static_cast<uint64_t>(select.integer(0)),
                CompletedJob{select.text(1), static_cast<uint64_t>(select.integer(2))});
  }
  return out;
}

void Store::new_attempt(int64_t sweep, const std::vector<uint64_t>& jobs) {
  if (jobs.empty()) return;
  Transaction transaction(db_);
  Statement keep(
      db_,
      "INSERT OR REPLACE INTO attempts(sweep_id, job, attempt, state, native_state, native_id, "
      "exit_code, batch_id, updated) SELECT sweep_id, job, attempt, state, native_state, native_id, "
      "exit_code, batch_id, updated FROM jobs WHERE sweep_id = ? AND job = ?");
  Statement reset(db_,
                  "UPDATE jobs SET attempt = attempt + 1, state = 'not_submitted', native_state = '', "
                  "native_id = '', exit_code = NULL, updated = ? WHERE sweep_id = ? AND job = ?");
  const std::string when = utc_timestamp();
  for (uint64_t job : jobs) {
    keep.bind(1, sweep).bind(2, static_cast<int64_t>(job)).run();
    reset.bind(1, when).bind(2, sweep).bind(3, static_cast<int64_t>(job)).run();
  }
  transaction.commit();
}

void Store::update_jobs(int64_t sweep, const std::vector<TaskOutcome>& outcomes) {
  if (outcomes.empty()) return;
  Transaction transaction(db_);
  write_outcomes(sweep, outcomes);
  transaction.commit();
}

std::vector<SweepSummary> Store::sweeps() const {
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
  Statement counts(
      db_, "SELECT state, COUNT(*) AS n FROM jobs WHERE sweep_id = ? GROUP BY state ORDER BY n DESC, state");
  for (SweepSummary& s : out) {
    counts.bind(1, s.id);
    uint64_t recorded = 0;
    while (counts.step()) {
      s.states.emplace_back(counts.text(0), static_cast<uint64_t>(counts.integer(1)));
      recorded += s.states.back().second;
    }
    counts.reset();
    // Jobs never submitted have no row.
    if (recorded < s.sweep.job_count) {
      auto it = std::find_if(s.states.begin(), s.states.end(),
                             [](const auto& p) { return p.first == "not_submitted"; });
      if (it != s.states.end()) {
        it->second += s.sweep.job_count - recorded;
      } else {
        s.states.emplace_back("not_submitted", s.sweep.job_count - recorded);
      }
      std::stable_sort(s.states.begin(), s.states.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
    }
  }
  return out;
}

fs::path take_experiment(std::vector<std::string>& args) {
  fs::path experiment = fs::current_path();
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--spec" || args[i] == "--plugin-dir") && i + 1 >= args.size())
      throw usage_error(fmt::format("{} takes a value", args[i]));
    if (args[i] == "--spec") {
      experiment = fs::absolute(args[++i]).parent_path();
    } else if (args[i].rfind("--spec=", 0) == 0) {
      experiment = fs::absolute(args[i].substr(7)).parent_path();
    } else if (args[i] == "--plugin-dir") {
      ++i;  // main's
    } else if (args[i].rfind("--plugin-dir=", 0) != 0) {
      rest.push_back(args[i]);
    }
  }
  args = std::move(rest);
  return experiment;
}

std::unique_ptr<Store> open_records(const fs::path& experiment) {
  const fs::path file = Store::path_for(experiment);
  if (!fs::exists(file)) throw spec_error(fmt::format("no sweeps recorded in {} yet", experiment.string()));
  return std::make_unique<Store>(file, false);
}

const SweepSummary& choose_sweep(const std::vector<SweepSummary>& sweeps, const std::string& which,
                                 const fs::path& experiment) {
  if (sweeps.empty()) throw spec_error(fmt::format("no sweeps recorded in {} yet", experiment.string()));
  if (which.empty()) return sweeps.back();
  std::vector<const SweepSummary*> matches;
  std::vector<std::string> names;
  for (const SweepSummary& s : sweeps) {
    const std::string relative = fs::relative(s.sweep.dir, experiment).string();
    names.push_back(relative);
    if (fs::absolute(which).lexically_normal() == s.sweep.dir) return s;
    if (relative.rfind(which, 0) == 0 || relative.rfind("results/" + which, 0) == 0) matches.push_back(&s);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) {
    throw spec_error(fmt::format("no sweep '{}' in {}{}; `jobsub list` shows them", which,
                                 experiment.string(), did_you_mean(which, names)));
  }
  std::vector<std::string> candidates;
  for (const SweepSummary* m : matches) candidates.push_back(fs::relative(m->sweep.dir, experiment).string());
  throw spec_error(
      fmt::format("'{}' names {} sweeps ({}): give more of it", which, matches.size(), join(candidates)));
}

std::vector<JobRecord> Store::jobs(int64_t sweep) const {
  uint64_t job_count = 0;
  {
    Statement count(db_, "SELECT job_count FROM sweeps WHERE id = ?");
    count.bind(1, sweep);
    if (count.step()) job_count = static_cast<uint64_t>(count.integer(0));
  }
  std::vector<JobRecord> out;
  Statement select(
      db_,
      "SELECT job, state, native_state, native_id, exit_code, hash, attempt FROM jobs WHERE sweep_id "
      "= ? ORDER BY job");
  select.bind(1, sweep);
  auto unsubmitted_until = [&](uint64_t job) {  // jobs without a row were never submitted
    while (out.size() + 1 < job) out.push_back({out.size() + 1, "not_submitted", "", "", -1, 0, 1});
  };
  while (select.step()) {
    JobRecord r;
    r.job = static_cast<uint64_t>(select.integer(0));
    r.state = select.text(1);
    r.native_state = select.text(2);
    r.native_id = select.text(3);
    r.exit_code = select.is_null(4) ? -1 : static_cast<int>(select.integer(4));
    r.hash = static_cast<uint64_t>(select.integer(5));
    r.attempt = static_cast<int>(select.integer(6));
    unsubmitted_until(r.job);
    out.push_back(std::move(r));
  }
  unsubmitted_until(job_count + 1);
  return out;
}

}  // namespace jobsub
