#include "jobsub/results.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <utility>

#include "jobsub/errors.h"
#include "jobsub/results_layout.h"
#include "jobsub/script.h"
#include "jobsub/text.h"
#include "jobsub/tracker.h"

namespace jobsub {

// ---------------------------------------------------------------- reading

ResultsSpec recorded_results_spec(const fs::path& results_dir) {
  ResultsSpec rules;
  std::ifstream in(ResultsLayout(results_dir, 1).sweep_record());
  if (!in) return rules;
  try {
    const nlohmann::ordered_json record = nlohmann::ordered_json::parse(in);
    if (!record.contains("results")) return rules;
    const auto& r = record.at("results");
    for (const auto& m : r.value("metrics", nlohmann::ordered_json::array()))
      rules.metrics.emplace_back(m.at(0).get<std::string>(), m.at(1).get<std::string>());
    rules.metric_lines = r.value("metric_lines", false);
    rules.objective = r.value("objective", std::string());
    rules.seeds = r.value("seeds", std::vector<std::string>());
    rules.seeds_given = r.value("seeds_given", false);
  } catch (const nlohmann::json::exception&) {
    // A sweep.json cut short or from another tool: the defaults.
  }
  return rules;
}

namespace {

/// The keys and raw value texts of one params.jsonl line, in order, without
/// reformatting the values (`1e-3` stays `1e-3`): params_to_json writes one
/// object on one line.
std::vector<std::pair<std::string, std::string>> split_params(const std::string& line) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = line.find('{');
  if (i == std::string::npos) return out;
  ++i;
  auto skip_space = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  auto string_end = [&](std::size_t at) {  // at: the opening quote; returns one past the closing one
    for (std::size_t k = at + 1; k < line.size(); ++k) {
      if (line[k] == '\\') {
        ++k;
      } else if (line[k] == '"') {
        return k + 1;
      }
    }
    return line.size();
  };
  while (i < line.size()) {
    skip_space();
    if (i >= line.size() || line[i] == '}' || line[i] != '"') break;
    const std::size_t key_end = string_end(i);
    std::string key;
    try {
      key = nlohmann::json::parse(line.substr(i, key_end - i)).get<std::string>();
    } catch (const nlohmann::json::exception&) {
      break;
    }
    i = key_end;
    skip_space();
    if (i >= line.size() || line[i] != ':') break;
    ++i;
    skip_space();
    const std::size_t start = i;
    int depth = 0;
    while (i < line.size()) {
      const char c = line[i];
      if (c == '"') {
        i = string_end(i);
        continue;
      }
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') {
        if (depth == 0) break;
        --depth;
      }
      if (c == ',' && depth == 0) break;
      ++i;
    }
    std::size_t end = i;
    while (end > start && line[end - 1] == ' ') --end;
    out.emplace_back(std::move(key), line.substr(start, end - start));
    if (i < line.size() && line[i] == ',') ++i;
  }
  return out;
}

double runtime_of(const MetricSet& m, bool running, double now) {
  if (m.started <= 0) return -1;
  if (m.ended > 0) return std::max(0.0, m.ended - m.started);
  if (running && now > 0) return std::max(0.0, now - m.started);
  return -1;
}

/// The metrics of the completed jobs another sweep's skipped jobs point to.
class CompletedRuns {
 public:
  explicit CompletedRuns(Store& store) : store_(store) {}

  /// The metrics of job `where.job` of the sweep in `where.sweep_dir`, or nullptr.
  const MetricSet* find(const CompletedJob& where) {
    Source* source = source_of(where.sweep_dir);
    if (source == nullptr || where.job == 0 || where.job > source->jobs.size()) return nullptr;
    const JobRecord& job = source->jobs[where.job - 1];
    auto it = source->metrics.find({where.job, job.attempt});
    if (it == source->metrics.end()) {
      const ResultsLayout layout(source->sweep.sweep.dir, source->sweep.sweep.job_count);
      // Read by the rules of the sweep that ran it, and kept there.
      AttemptMetrics read{where.job, job.attempt, source->reader->read(layout.job_dir(where.job))};
      if (is_final(job.state)) {
        try {
          store_.record_metrics(source->sweep.id, {read});
        } catch (const Error&) {  // a read-only store: read again next time
        }
      }
      it = source->metrics.emplace(std::pair{where.job, job.attempt}, std::move(read.metrics)).first;
    }
    return &it->second;
  }

 private:
  struct Source {
    SweepSummary sweep;
    std::vector<JobRecord> jobs;
    std::map<std::pair<uint64_t, int>, MetricSet> metrics;
    std::unique_ptr<MetricReader> reader;
  };
  Source* source_of(const std::string& dir) {
    auto it = sources_.find(dir);
    if (it != sources_.end()) return it->second.get();
    std::unique_ptr<Source> source;
    for (const SweepSummary& s : store_.sweeps()) {
      if (s.sweep.dir.string() != dir) continue;
      source = std::make_unique<Source>();
      source->sweep = s;
      source->jobs = store_.jobs(s.id);
      source->reader = std::make_unique<MetricReader>(recorded_results_spec(s.sweep.dir));
      for (AttemptMetrics& m : store_.metrics(s.id))
        source->metrics.emplace(std::pair{m.job, m.attempt}, std::move(m.metrics));
      break;
    }
    return sources_.emplace(dir, std::move(source)).first->second.get();
  }
  Store& store_;

  std::map<std::string, std::unique_ptr<Source>> sources_;
};

}  // namespace

std::vector<ResultRow> read_results(Store& store, const SweepSummary& sweep,
                                    const std::vector<JobRecord>& jobs, const ResultsSpec& rules,
                                    const ReadOptions& options, std::size_t sweep_index) {
  const uint64_t job_count = jobs.size();
  const ResultsLayout layout(sweep.sweep.dir, std::max<uint64_t>(sweep.sweep.job_count, 1));
  const MetricReader reader(rules);
  std::map<std::pair<uint64_t, int>, MetricSet> stored;
  for (AttemptMetrics& m : store.metrics(sweep.id))
    stored.emplace(std::pair{m.job, m.attempt}, std::move(m.metrics));
  std::map<uint64_t, std::vector<JobRecord>> earlier;
  if (options.all_attempts) {
    for (JobRecord& j : store.earlier_attempts(sweep.id)) earlier[j.job].push_back(std::move(j));
  }
  std::ifstream params_file;
  if (options.params) params_file.open(layout.params(), std::ios::binary);
  // Job directories are opened relative to `jobs/`, opened once.
  const int jobs_fd = ::open(layout.jobs().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const struct CloseJobs {
    int fd;
    ~CloseJobs() {
      if (fd >= 0) ::close(fd);
    }
  } close_jobs{jobs_fd};
  auto read_attempt = [&](uint64_t job, int attempt, bool current) {
    const fs::path dir = current ? layout.job_dir(job) : layout.attempt_dir(job, attempt);
    return jobs_fd >= 0 ? reader.read_at(jobs_fd, dir.filename().string()) : reader.read(dir);
  };
  std::unique_ptr<CompletedRuns> completed_runs;
  std::vector<AttemptMetrics> fresh;
  std::vector<ResultRow> out;
  out.reserve(job_count);
  std::string line;
  for (uint64_t n = 1; n <= job_count; ++n) {
    const JobRecord& current = jobs[n - 1];
    std::vector<std::pair<std::string, std::string>> params;
    if (params_file && std::getline(params_file, line)) params = split_params(line);
    std::vector<const JobRecord*> attempts;
    if (auto it = earlier.find(n); it != earlier.end())
      for (const JobRecord& j : it->second) attempts.push_back(&j);
    attempts.push_back(&current);
    for (const JobRecord* record : attempts) {
      const bool is_current = record == &current;
      ResultRow row;
      row.sweep = sweep_index;
      row.job = n;
      row.attempt = record->attempt;
      row.latest = is_current;
      row.state = record->state;
      row.exit_code = record->exit_code;
      // The current attempt is this job's last row: it takes the params, earlier ones copy them.
      row.params = is_current ? std::exchange(params, {}) : params;
      if (record->state == JobState::skipped) {
        if (const std::optional<CompletedJob> where = parse_skipped_reason(record->native_state)) {
          if (!completed_runs) completed_runs = std::make_unique<CompletedRuns>(store);
          if (const MetricSet* m = completed_runs->find(*where)) {
            row.metrics = *m;
            row.metrics_from = fmt::format("{} job {}", where->sweep_dir, where->job);
            row.metrics_from_dir = where->sweep_dir;
            row.runtime = runtime_of(row.metrics, false, 0);
          }
        }
      } else if (is_final(record->state)) {
        auto it = stored.find({n, record->attempt});
        if (it != stored.end()) {
          row.metrics = std::move(it->second);  // each attempt is read once here
        } else {
          row.metrics = read_attempt(n, record->attempt, is_current);
          // `lost` may yet turn out completed (a shared file system showing its files late): not kept.
          if (record->state != JobState::lost) fresh.push_back({n, record->attempt, row.metrics});
        }
        row.runtime = runtime_of(row.metrics, false, 0);
      } else if (record->state == JobState::running) {
        row.metrics = read_attempt(n, record->attempt, true);
        row.in_flight = !row.metrics.values.empty();
        row.runtime = runtime_of(row.metrics, true, options.now);
      }
      out.push_back(std::move(row));
    }
  }
  if (!fresh.empty()) {
    try {
      store.record_metrics(sweep.id, fresh);
    } catch (const Error&) {  // a read-only store: read again next time
    }
  }
  return out;
}

SweepsRead read_named_sweeps(Store& store, const PluginRegistry& registry,
                             const std::vector<std::string>& words, bool all, const fs::path& experiment,
                             const ReadOptions& options) {
  if (all && !words.empty())
    throw usage_error("--all reads every sweep: name sweeps or give --all, not both");
  const std::vector<SweepSummary> recorded = store.sweeps(false);
  std::vector<SweepSummary> chosen;
  if (all) {
    chosen = recorded;
  } else if (words.empty()) {
    chosen.push_back(choose_sweep(recorded, "", experiment));
  } else {
    for (const std::string& word : words) {
      const SweepSummary& s = choose_sweep(recorded, word, experiment);
      if (std::none_of(chosen.begin(), chosen.end(), [&](const SweepSummary& c) { return c.id == s.id; }))
        chosen.push_back(s);
    }
  }
  std::vector<std::string> problems;
  settle_sweeps(store, chosen, registry, problems);
  for (const std::string& problem : problems)
    fmt::print(stderr,
               "jobsub: could not settle the jobs of scheduler {}; their states are as last recorded\n",
               problem);
  SweepsRead out;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const SweepSummary& s = chosen[i];
    out.names.push_back(fs::relative(s.sweep.dir, experiment).string());
    out.sweep_names.push_back(s.sweep.name);
    out.rules.push_back(recorded_results_spec(s.sweep.dir));
    std::vector<ResultRow> part = read_results(store, s, store.jobs(s.id), out.rules.back(), options, i);
    out.rows.insert(out.rows.end(), std::make_move_iterator(part.begin()),
                    std::make_move_iterator(part.end()));
  }
  // A skipped job whose run is in a sweep read too would count that run twice (in a group's
  // mean and std): the run's own row stays.
  if (chosen.size() > 1) {
    std::set<std::string> read_dirs;
    for (const SweepSummary& s : chosen) read_dirs.insert(s.sweep.dir.string());
    std::erase_if(out.rows, [&](const ResultRow& row) {
      return row.state == JobState::skipped && read_dirs.count(row.metrics_from_dir) != 0;
    });
  }
  return out;
}

// ---------------------------------------------------------------- the objective

std::optional<Objective> parse_objective(const std::string& text) {
  Objective o;
  o.lower_is_better = !text.empty() && text[0] == '-';
  o.metric = text.substr(o.lower_is_better ? 1 : 0);
  if (o.metric.empty() || trim(o.metric) != o.metric) return std::nullopt;
  return o;
}

std::optional<Objective> choose_objective(const std::string& given, const std::vector<ResultsSpec>& rules,
                                          const std::vector<ResultRow>& rows) {
  if (!given.empty()) {
    std::optional<Objective> o = parse_objective(given);
    if (!o)
      throw usage_error(
          fmt::format("--objective '{}': expected a metric, `-name` when lower is better", given));
    o->why = "--objective";
    return o;
  }
  for (const ResultsSpec& r : rules) {
    if (r.objective.empty()) continue;
    if (std::optional<Objective> o = parse_objective(r.objective)) {
      o->why = "objective: in the spec";
      return o;
    }
  }
  std::string first;
  for (const ResultsSpec& r : rules) {
    if (!r.metrics.empty()) {
      first = r.metrics.front().first;
      break;
    }
  }
  if (first.empty()) {
    for (const ResultRow& row : rows) {
      if (!row.metrics.values.empty()) {
        first = row.metrics.values.front().first;
        break;
      }
    }
  }
  if (first.empty()) return std::nullopt;
  return Objective{
      first, false,
      "the first metric, higher is better: name one with `objective:` in the spec or --objective"};
}

std::string headline_metric(const std::string& given, const ResultsSpec& rules,
                            const std::vector<ResultRow>& rows) {
  if (!given.empty()) return given;
  if (!rules.metrics.empty()) return rules.metrics.front().first;
  if (std::optional<Objective> o = parse_objective(rules.objective)) return o->metric;
  for (const ResultRow& row : rows)
    if (!row.metrics.values.empty()) return row.metrics.values.front().first;
  return "";
}

const ResultRow* best_row(const std::vector<ResultRow>& rows, const Objective& objective) {
  const ResultRow* best = nullptr;
  double best_value = 0;
  for (const ResultRow& row : rows) {
    if (row.state != JobState::completed && row.state != JobState::skipped) continue;
    const MetricValue* v = row.metrics.find(objective.metric);
    if (v == nullptr || !v->is_number() || std::isnan(v->number)) continue;
    if (best == nullptr || (objective.lower_is_better ? v->number < best_value : v->number > best_value)) {
      best = &row;
      best_value = v->number;
    }
  }
  return best;
}

// ---------------------------------------------------------------- cells

namespace {

Cell param_cell(const std::string& json) {
  Cell c;
  if (json.empty()) return c;
  c.text = json;
  switch (json[0]) {
    case '"':
      c.type = Cell::Type::text;
      try {
        c.text = nlohmann::json::parse(json).get<std::string>();
      } catch (const nlohmann::json::exception&) {
      }
      return c;
    case '[':
    case '{':
      c.type = Cell::Type::json;
      return c;
    case 't':
    case 'f':
      c.type = Cell::Type::boolean;
      c.number = json[0] == 't' ? 1 : 0;
      return c;
    case 'n':
      c.type = Cell::Type::null;
      return c;
    default:
      c.type = json.find_first_of(".eE") == std::string::npos ? Cell::Type::integer : Cell::Type::number;
      c.number = std::strtod(json.c_str(), nullptr);
      return c;
  }
}

Cell metric_cell(const MetricValue& v) {
  Cell c;
  c.text = v.text;
  c.number = v.number;
  switch (v.kind) {
    case MetricValue::Kind::integer:
      c.type = Cell::Type::integer;
      break;
    case MetricValue::Kind::real:
      c.type = Cell::Type::number;
      break;
    case MetricValue::Kind::boolean:
      c.type = Cell::Type::boolean;
      break;
    case MetricValue::Kind::string:
      c.type = Cell::Type::text;
      break;
  }
  return c;
}

Cell number_cell(double x) {
  Cell c;
  c.type = Cell::Type::number;
  c.number = x;
  c.text = MetricValue::of_number(x).text;
  return c;
}

Cell integer_cell(int64_t x) {
  Cell c;
  c.type = Cell::Type::integer;
  c.number = static_cast<double>(x);
  c.text = std::to_string(x);
  return c;
}

Cell text_cell(std::string text) {
  Cell c;
  c.type = Cell::Type::text;
  c.text = std::move(text);
  return c;
}

Cell bool_cell(bool b) {
  Cell c;
  c.type = Cell::Type::boolean;
  c.number = b ? 1 : 0;
  c.text = b ? "true" : "false";
  return c;
}

bool numeric(const Cell& c) { return c.type == Cell::Type::number || c.type == Cell::Type::integer; }

/// Whether a cell holds what `--where key=value` names.
bool cell_equals(const Cell& c, const std::string& value) {
  switch (c.type) {
    case Cell::Type::missing:
      return value.empty();
    case Cell::Type::number:
    case Cell::Type::integer: {
      const MetricValue v = MetricValue::of_text(value);
      if (!v.is_number()) return false;
      if (std::isnan(c.number) || std::isnan(v.number)) return std::isnan(c.number) && std::isnan(v.number);
      return c.number == v.number;
    }
    case Cell::Type::boolean:
      return (c.number != 0 ? "true" : "false") == [&] {
        std::string lower = value;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        return lower;
      }();
    case Cell::Type::null:
      return value == "null" || value.empty();
    case Cell::Type::json: {
      auto squeeze = [](const std::string& t) {
        std::string s;
        bool in_string = false;
        for (std::size_t i = 0; i < t.size(); ++i) {
          if (t[i] == '"' && (i == 0 || t[i - 1] != '\\')) in_string = !in_string;
          if (!in_string && (t[i] == ' ' || t[i] == '\t')) continue;
          s += t[i];
        }
        return s;
      };
      return squeeze(c.text) == squeeze(value);
    }
    case Cell::Type::text:
      return c.text == value;
  }
  return false;
}

/// Sorting: numbers, then text, then missing and NaN; ascending.
int compare_cells(const Cell& a, const Cell& b) {
  auto rank = [](const Cell& c) {
    if (c.type == Cell::Type::missing || c.type == Cell::Type::null) return 3;
    if (numeric(c) || c.type == Cell::Type::boolean) return std::isnan(c.number) ? 3 : 0;
    return 1;
  };
  const int ra = rank(a);
  const int rb = rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 0) return a.number < b.number ? -1 : a.number > b.number ? 1 : 0;
  if (ra == 1) return a.text.compare(b.text) < 0 ? -1 : a.text == b.text ? 0 : 1;
  return 0;
}

std::string runtime_text(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

const std::vector<std::string>& builtin_columns() {
  static const std::vector<std::string> names = {"sweep",     "job",          "state", "attempt", "runtime",
                                                 "in_flight", "metrics_from", "jobs",  "gpu_ids"};
  return names;
}

bool is_builtin(const std::string& name) {
  const auto& b = builtin_columns();
  return std::find(b.begin(), b.end(), name) != b.end();
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

/// A condition of --where.
struct Condition {
  std::string key;
  std::string op;  // = != < >
  std::string value;
  double number = 0;
  std::vector<JobState> states{};
};

Condition parse_condition(const std::string& text) {
  Condition c;
  std::size_t at = std::string::npos;
  for (const char* op : {"!=", "<", ">", "="}) {
    const std::size_t p = text.find(op);
    if (p != std::string::npos && p < at) {
      at = p;
      c.op = op;
    }
  }
  if (at == std::string::npos || at == 0) {
    throw usage_error(
        fmt::format("--where '{}': expected key=value, key!=value, key<number, key>number or state=LIST "
                    "(--where lr=0.01)",
                    text));
  }
  c.key = trim(text.substr(0, at));
  c.value = text.substr(at + c.op.size());
  if (c.op == "<" || c.op == ">") {
    const MetricValue v = MetricValue::of_text(c.value);
    if (!v.is_number())
      throw usage_error(
          fmt::format("--where '{}': {} compares numbers, and '{}' is not one", text, c.op, c.value));
    c.number = v.number;
  }
  if (c.key == "state") {
    if (c.op != "=" && c.op != "!=")
      throw usage_error(fmt::format("--where '{}': state takes = or !=", text));
    std::vector<std::string> names;
    for (int s = 0; s <= static_cast<int>(kLastJobState); ++s)
      names.emplace_back(to_string(static_cast<JobState>(s)));
    for (const std::string& word : split_commas(c.value)) {
      const std::string name = trim(word);
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        throw usage_error(fmt::format("--where '{}': '{}' is not a job state{}; the states are: {}", text,
                                      name, did_you_mean(name, names), join(names)));
      }
      c.states.push_back(job_state_from_string(name));
    }
  }
  return c;
}

/// Mean, sample standard deviation, min and max of the numbers (NaN skipped, as pandas does).
struct Stats {
  uint64_t n = 0;
  double mean = 0, std = std::numeric_limits<double>::quiet_NaN(), min = 0, max = 0;
};
Stats stats_of(const std::vector<double>& xs) {
  Stats s;
  double sum = 0;
  for (double x : xs) {
    if (std::isnan(x)) continue;
    if (s.n == 0 || x < s.min) s.min = x;
    if (s.n == 0 || x > s.max) s.max = x;
    sum += x;
    ++s.n;
  }
  if (s.n == 0) return s;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n >= 2) {
    double squares = 0;
    for (double x : xs)
      if (!std::isnan(x)) squares += (x - s.mean) * (x - s.mean);
    // Equal values have no spread: not the rounding noise of their sum (1.7e-17 for three 0.1s).
    s.std = s.min == s.max ? 0.0 : std::sqrt(squares / static_cast<double>(s.n - 1));
  }
  return s;
}

std::string ranges_text(std::vector<uint64_t> jobs) {
  std::sort(jobs.begin(), jobs.end());
  jobs.erase(std::unique(jobs.begin(), jobs.end()), jobs.end());
  return format_task_ranges(ranges_of(jobs));
}

}  // namespace

std::string display_cell(const Cell& cell, const std::string& column) {
  switch (cell.type) {
    case Cell::Type::missing:
      return "-";
    case Cell::Type::number:
      if (column == "runtime" && std::isfinite(cell.number)) return runtime_text(cell.number);
      if (!std::isfinite(cell.number)) return cell.text;
      // A short number as written (a param's 0.0 stays 0.0); a long one (0.30000000000000004) shortened.
      if (!cell.text.empty() && cell.text.size() <= 10) return cell.text;
      return fmt::format("{:.6g}", cell.number);
    default:
      return cell.text;
  }
}

// ---------------------------------------------------------------- the table

ResultTable build_result_table(const std::vector<ResultRow>& all_rows, const std::vector<std::string>& sweeps,
                               const std::vector<ResultsSpec>& rules, const ResultQuery& query) {
  ResultTable table;
  // The params and metrics there are, in first-seen order (the spec's
  // `metrics:` order first).
  std::vector<std::string> param_keys;
  std::set<std::string> param_seen;
  std::vector<std::string> metric_names;
  std::set<std::string> metric_seen;
  for (const ResultsSpec& r : rules)
    for (const auto& [name, pattern] : r.metrics)
      if (metric_seen.insert(name).second) metric_names.push_back(name);
  std::vector<std::string> declared_metrics = metric_names;
  for (const ResultRow& row : all_rows) {
    for (const auto& [key, value] : row.params)
      if (param_seen.insert(key).second) param_keys.push_back(key);
    for (const auto& [name, value] : row.metrics.values)
      if (metric_seen.insert(name).second) metric_names.push_back(name);
  }
  // A metric declared in the spec that no job has is still a column (missing everywhere).
  auto param_column = [&](const std::string& key) { return is_builtin(key) ? "params." + key : key; };
  auto metric_column = [&](const std::string& name) {
    return is_builtin(name) || param_seen.count(name) ? "metrics." + name : name;
  };
  auto param_of = [](const ResultRow& row, const std::string& key) -> Cell {
    for (const auto& [k, v] : row.params)
      if (k == key) return param_cell(v);
    return {};
  };
  auto metric_of = [](const ResultRow& row, const std::string& name) -> Cell {
    const MetricValue* v = row.metrics.find(name);
    return v ? metric_cell(*v) : Cell{};
  };
  auto known_names = [&] {
    std::vector<std::string> names = {"state", "job", "attempt", "runtime"};
    for (const auto& k : param_keys) names.push_back(param_column(k));
    for (const auto& m : metric_names) names.push_back(metric_column(m));
    return names;
  };
  // A column's value in a row, by the name --where and --sort use.
  auto value_of = [&](const ResultRow& row, const std::string& name) -> std::optional<Cell> {
    if (name == "job") return integer_cell(static_cast<int64_t>(row.job));
    if (name == "attempt") return integer_cell(row.attempt);
    if (name == "state") return text_cell(to_string(row.state));
    if (name == "sweep") return text_cell(sweeps.at(row.sweep));
    if (name == "runtime") return row.runtime >= 0 ? number_cell(row.runtime) : Cell{};
    if (name == "gpu_ids") return row.metrics.gpus.empty() ? Cell{} : text_cell(row.metrics.gpus);
    for (const auto& k : param_keys)
      if (param_column(k) == name) return param_of(row, k);
    for (const auto& m : metric_names)
      if (metric_column(m) == name) return metric_of(row, m);
    return std::nullopt;
  };
  auto unknown = [&](const std::string& given, const std::string& name) {
    const std::vector<std::string> names = known_names();
    return usage_error(fmt::format("--where '{}': no param, metric or column is named '{}'{}; there are: {}",
                                   given, name, did_you_mean(name, names), join(names)));
  };

  // --where
  std::vector<Condition> conditions;
  for (const std::string& w : query.where) {
    Condition c = parse_condition(w);
    if (!all_rows.empty() && c.key != "sweep" && !value_of(all_rows.front(), c.key)) throw unknown(w, c.key);
    conditions.push_back(std::move(c));
  }
  std::vector<const ResultRow*> rows;
  for (const ResultRow& row : all_rows) {
    bool keep = true;
    for (const Condition& c : conditions) {
      if (!c.states.empty()) {
        const bool in = std::find(c.states.begin(), c.states.end(), row.state) != c.states.end();
        keep = c.op == "=" ? in : !in;
      } else {
        const Cell cell = *value_of(row, c.key);
        if (c.op == "=") keep = cell_equals(cell, c.value);
        if (c.op == "!=") keep = !cell_equals(cell, c.value);
        if (c.op == "<") keep = numeric(cell) && cell.number < c.number;
        if (c.op == ">") keep = numeric(cell) && cell.number > c.number;
      }
      if (!keep) break;
    }
    if (keep) rows.push_back(&row);
  }

  // Which params vary, and which are constant.
  std::vector<std::string> varying;
  for (const std::string& key : param_keys) {
    std::optional<std::string> first;
    bool varies = false;
    for (const ResultRow* row : rows) {
      const Cell c = param_of(*row, key);
      const std::string text = c.type == Cell::Type::missing ? std::string("\x01missing") : c.text;
      if (!first) {
        first = text;
      } else if (*first != text) {
        varies = true;
        break;
      }
    }
    if (varies) {
      varying.push_back(key);
    } else if (!rows.empty()) {
      table.constants.emplace_back(key, param_of(*rows.front(), key));
    }
  }

  // Seeds and grouping.
  std::vector<std::string> seeds;
  bool seeds_given = false;
  for (const ResultsSpec& r : rules) {
    if (!r.seeds_given) continue;
    seeds_given = true;
    for (const auto& s : r.seeds)
      if (std::find(seeds.begin(), seeds.end(), s) == seeds.end()) seeds.push_back(s);
  }
  if (!seeds_given && param_seen.count("seed")) seeds.push_back("seed");
  std::vector<std::string> group_keys;
  bool grouped = false;
  if (query.group_by) {
    grouped = !query.group_by->empty();
    for (const std::string& key : *query.group_by) {
      if (!param_seen.count(key)) {
        throw usage_error(fmt::format("--group-by '{}': no param has that name{}; the params are: {}", key,
                                      did_you_mean(key, param_keys), join(param_keys)));
      }
      group_keys.push_back(key);
    }
  } else {
    bool has_seed = false;
    for (const auto& s : seeds) has_seed = has_seed || param_seen.count(s) != 0;
    grouped = has_seed;
    for (const std::string& key : varying)
      if (std::find(seeds.begin(), seeds.end(), key) == seeds.end()) group_keys.push_back(key);
  }
  table.grouped = grouped;
  table.seeds = seeds;
  table.group_keys = group_keys;
  if (query.rows_only) grouped = false;  // a row per job; the groups' keys stay known

  table.objective = choose_objective(query.objective, rules, all_rows);
  if (!query.objective.empty() && !all_rows.empty() &&
      std::find(metric_names.begin(), metric_names.end(), table.objective->metric) == metric_names.end()) {
    throw usage_error(fmt::format("--objective '{}': no job has the metric '{}'{}; the metrics are: {}",
                                  query.objective, table.objective->metric,
                                  did_you_mean(table.objective->metric, metric_names),
                                  metric_names.empty() ? std::string("none yet") : join(metric_names)));
  }
  const bool several_sweeps = [&] {
    for (const ResultRow* row : rows)
      if (row->sweep != rows.front()->sweep) return true;
    return false;
  }();
  const bool show_in_flight =
      std::any_of(rows.begin(), rows.end(), [](const ResultRow* r) { return r->in_flight; });
  const bool show_from =
      std::any_of(rows.begin(), rows.end(), [](const ResultRow* r) { return !r->metrics_from.empty(); });
  const bool show_gpus =  // the local scheduler gave GPUs
      std::any_of(rows.begin(), rows.end(), [](const ResultRow* r) { return !r->metrics.gpus.empty(); });

  // Header: what was read, and how it is shown.
  {
    struct Counts {
      uint64_t rows = 0, completed = 0, skipped = 0;
    };
    std::map<std::size_t, Counts> per_sweep;
    for (const ResultRow& row : all_rows) {
      Counts& c = per_sweep[row.sweep];
      ++c.rows;
      if (row.state == JobState::completed) ++c.completed;
      if (row.state == JobState::skipped) ++c.skipped;
    }
    for (const auto& [index, c] : per_sweep) {
      table.header.push_back(fmt::format(
          "sweep {}: {} {}, {} completed{}", sweeps.at(index), c.rows, c.rows == 1 ? "row" : "rows",
          c.completed,
          c.skipped > 0
              ? fmt::format(", {} skipped (completed in an earlier sweep: its metrics are shown)", c.skipped)
              : std::string()));
    }
    if (!conditions.empty())
      table.header.push_back(fmt::format("where {}: {} rows", join(query.where, " and "), rows.size()));
    const bool on_metric = std::any_of(conditions.begin(), conditions.end(), [&](const Condition& c) {
      return std::find(metric_names.begin(), metric_names.end(), c.key) != metric_names.end() ||
             std::any_of(metric_names.begin(), metric_names.end(),
                         [&](const std::string& m) { return metric_column(m) == c.key; });
    });
    if (grouped && on_metric) {
      table.header.push_back(
          "note: --where on a metric keeps jobs, not groups: a group may have lost some of its seeds "
          "(compare its "
          "jobs); --group-by none shows each job");
    }
  }

  std::vector<std::string> not_completed_lines;
  std::vector<std::string> problem_lines;
  uint64_t problems = 0;
  for (const ResultRow* row : rows) {
    if (row->metrics.problem.empty()) continue;
    if (++problems <= 5)
      problem_lines.push_back(fmt::format("{}job {}: {}", several_sweeps ? sweeps.at(row->sweep) + " " : "",
                                          row->job, row->metrics.problem));
  }
  if (problems > 5)
    problem_lines.push_back(
        fmt::format("... and {} more jobs whose metrics could not all be read", problems - 5));
  {
    std::map<std::pair<std::size_t, JobState>, std::vector<uint64_t>> open;
    uint64_t count = 0;
    for (const ResultRow* row : rows) {
      if (row->state == JobState::completed || row->state == JobState::skipped || !row->latest) continue;
      open[{row->sweep, row->state}].push_back(row->job);
      ++count;
    }
    const auto jobs_shown = static_cast<uint64_t>(
        std::count_if(rows.begin(), rows.end(), [](const ResultRow* r) { return r->latest; }));
    if (count > 0) {
      not_completed_lines.push_back(fmt::format("{} of {} {} not completed{}:", count, jobs_shown,
                                                jobs_shown == 1 ? "job" : "jobs",
                                                grouped ? " (left out of the groups)" : ""));
      for (const auto& [key, jobs] : open) {
        not_completed_lines.push_back(
            fmt::format("  {}{}: {} {}", several_sweeps ? sweeps.at(key.first) + " " : "",
                        to_string(key.second), jobs.size() == 1 ? "job" : "jobs", ranges_text(jobs)));
      }
      if (show_in_flight)
        not_completed_lines.push_back("  (* metrics of a running job: its last line so far)");
    }
  }

  // Columns and rows.
  std::vector<std::string> sort_names;  // --sort names each column answers to
  if (!grouped) {
    if (several_sweeps) table.columns.push_back("sweep");
    table.columns.push_back("job");
    for (const auto& k : param_keys) table.columns.push_back(param_column(k));
    for (const char* c : {"state", "attempt", "runtime"}) table.columns.push_back(c);
    if (show_gpus) table.columns.push_back("gpu_ids");
    for (const auto& m : metric_names) table.columns.push_back(metric_column(m));
    if (show_in_flight) table.columns.push_back("in_flight");
    if (show_from) table.columns.push_back("metrics_from");
    for (const ResultRow* row : rows) {
      std::vector<Cell> cells;
      if (several_sweeps) cells.push_back(text_cell(sweeps.at(row->sweep)));
      cells.push_back(integer_cell(static_cast<int64_t>(row->job)));
      for (const auto& k : param_keys) cells.push_back(param_of(*row, k));
      cells.push_back(text_cell(to_string(row->state)));
      cells.push_back(integer_cell(row->attempt));
      cells.push_back(row->runtime >= 0 ? number_cell(std::round(row->runtime * 1000) / 1000) : Cell{});
      if (show_gpus) cells.push_back(row->metrics.gpus.empty() ? Cell{} : text_cell(row->metrics.gpus));
      for (const auto& m : metric_names) cells.push_back(metric_of(*row, m));
      if (show_in_flight) cells.push_back(bool_cell(row->in_flight));
      if (show_from) cells.push_back(row->metrics_from.empty() ? Cell{} : text_cell(row->metrics_from));
      table.rows.push_back(std::move(cells));
    }
    sort_names = table.columns;
  } else {
    // One row per combination of the group keys, over the completed jobs.
    std::vector<std::vector<std::string>> order;
    std::map<std::vector<std::string>, std::vector<const ResultRow*>> members;
    for (const ResultRow* row : rows) {
      if (row->state != JobState::completed && row->state != JobState::skipped) continue;
      std::vector<std::string> key;
      for (const auto& k : group_keys) {
        const Cell c = param_of(*row, k);
        key.push_back(c.type == Cell::Type::missing ? std::string("\x01missing") : c.text);
      }
      auto [it, inserted] = members.try_emplace(key);
      if (inserted) order.push_back(key);
      it->second.push_back(row);
    }
    for (const auto& k : group_keys) table.columns.push_back(param_column(k));
    for (const auto& [k, cell] : table.constants)  // CSV and JSON keep every column
      if (std::find(group_keys.begin(), group_keys.end(), k) == group_keys.end())
        table.columns.push_back(param_column(k));
    table.columns.push_back("jobs");
    for (const auto& m : metric_names) {
      const std::string c = metric_column(m);
      for (const char* stat : {"_mean", "_std", "_min", "_max", "_n"}) table.columns.push_back(c + stat);
    }
    for (const auto& key : order) {
      const std::vector<const ResultRow*>& group = members.at(key);
      std::vector<Cell> cells;
      for (const auto& k : group_keys) cells.push_back(param_of(*group.front(), k));
      for (const auto& [k, cell] : table.constants)
        if (std::find(group_keys.begin(), group_keys.end(), k) == group_keys.end()) cells.push_back(cell);
      cells.push_back(integer_cell(static_cast<int64_t>(group.size())));
      for (const auto& m : metric_names) {
        std::vector<double> xs;
        for (const ResultRow* row : group) {
          const MetricValue* v = row->metrics.find(m);
          if (v != nullptr && v->is_number()) xs.push_back(v->number);
        }
        const Stats s = stats_of(xs);
        if (s.n == 0) {
          for (int i = 0; i < 4; ++i) cells.emplace_back();
        } else {
          cells.push_back(number_cell(s.mean));
          cells.push_back(std::isnan(s.std) ? Cell{} : number_cell(s.std));
          cells.push_back(number_cell(s.min));
          cells.push_back(number_cell(s.max));
        }
        cells.push_back(integer_cell(static_cast<int64_t>(s.n)));
      }
      table.rows.push_back(std::move(cells));
    }
    sort_names = table.columns;
    std::vector<std::string>
        seeds_here;  // what each group averages over: the varying params it is not keyed by
    for (const auto& v : varying)
      if (std::find(group_keys.begin(), group_keys.end(), v) == group_keys.end()) seeds_here.push_back(v);
    table.header.push_back(fmt::format(
        "grouped by {}: {} groups; per metric the mean, sample std, min, max and n (jobs with a number; NaN "
        "is "
        "left out, as pandas does) over {}",
        group_keys.empty() ? std::string("nothing (one group)") : join(group_keys), table.rows.size(),
        seeds_here.empty() ? std::string("the completed jobs") : join(seeds_here)));
  }

  // Sorting: --sort, else the objective, best first.
  std::string sort = query.sort;
  bool descending = false;
  if (!sort.empty() && sort[0] == '-') {
    descending = true;
    sort = sort.substr(1);
  }
  std::optional<std::size_t> sort_column;
  auto column_index = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < table.columns.size(); ++i)
      if (table.columns[i] == name) return i;
    if (grouped)  // a metric's name sorts by its mean
      for (std::size_t i = 0; i < table.columns.size(); ++i)
        if (table.columns[i] == name + "_mean") return i;
    return std::nullopt;
  };
  if (!sort.empty()) {
    sort_column = column_index(sort);
    if (!sort_column) {
      const bool seed_key = grouped && param_seen.count(sort) != 0;
      if (grouped)  // a metric's own name sorts by its mean
        for (const auto& m : metric_names) sort_names.push_back(metric_column(m));
      throw usage_error(fmt::format(
          "--sort '{}': no column has that name{}; the columns are: {}{}", query.sort,
          did_you_mean(sort, sort_names), join(sort_names),
          seed_key ? fmt::format(" (rows are grouped over {}: --group-by none shows a row per job)", sort)
                   : ""));
    }
    table.header.push_back(fmt::format("sorted by {}{}", query.sort, descending ? " (descending)" : ""));
  } else if (table.objective) {
    sort_column = column_index(metric_column(table.objective->metric));
    descending = !table.objective->lower_is_better;
    if (sort_column) {
      table.header.push_back(
          fmt::format("best first: the {} {}{} ({})", table.objective->lower_is_better ? "lowest" : "highest",
                      table.objective->metric, grouped ? " mean" : "", table.objective->why));
    } else {
      table.header.push_back(fmt::format("no job has the metric {} ({}): rows in job order",
                                         table.objective->metric, table.objective->why));
    }
  }
  if (sort_column) {
    const std::size_t col = *sort_column;
    const bool metric_sort = std::any_of(metric_names.begin(), metric_names.end(), [&](const std::string& m) {
      const std::string c = metric_column(m);
      return table.columns[col] == c || table.columns[col] == c + "_mean" ||
             table.columns[col] == c + "_min" || table.columns[col] == c + "_max";
    });
    std::vector<std::size_t> index(table.rows.size());
    for (std::size_t i = 0; i < index.size(); ++i) index[i] = i;
    std::stable_sort(index.begin(), index.end(), [&](std::size_t a, std::size_t b) {
      const Cell& x = table.rows[a][col];
      const Cell& y = table.rows[b][col];
      int c = compare_cells(x, y);
      // Missing, NaN, and text in a metric's column (`"diverged"`) rank last either way.
      const bool x_last = compare_cells(x, Cell{}) == 0 || (metric_sort && x.type == Cell::Type::text);
      const bool y_last = compare_cells(y, Cell{}) == 0 || (metric_sort && y.type == Cell::Type::text);
      if (x_last || y_last) return !x_last && y_last;  // missing and NaN last either way
      return descending ? c > 0 : c < 0;
    });
    std::vector<std::vector<Cell>> sorted;
    sorted.reserve(index.size());
    for (std::size_t i : index) sorted.push_back(std::move(table.rows[i]));
    table.rows = std::move(sorted);
  }
  if (query.top > 0 && table.rows.size() > query.top) {
    table.header.push_back(fmt::format("the top {} of {} rows", query.top, table.rows.size()));
    table.rows.resize(query.top);
  }
  {
    std::set<std::string> param_columns;
    std::set<std::string> metric_columns;
    for (const auto& k : param_keys) param_columns.insert(param_column(k));
    for (const auto& m : metric_names) metric_columns.insert(metric_column(m));
    for (const std::string& c : table.columns) {
      std::string role = c;
      if (param_columns.count(c)) {
        role = "param";
      } else if (metric_columns.count(c)) {
        role = grouped ? "stat" : "metric";
      } else if (c == "in_flight") {
        role = "flag";
      } else if (c == "jobs" && grouped) {
        role = "count";
      } else if (grouped) {
        role = "stat";
      }
      table.roles.push_back(role);
    }
  }
  const std::size_t jobs_column = [&] {
    for (std::size_t i = 0; i < table.columns.size(); ++i)
      if (grouped && table.columns[i] == "jobs") return i;
    return table.columns.size();
  }();
  // A metric with one value in every row (an epoch count) is said once above too.
  std::vector<const ResultRow*> counted;  // grouped: the completed jobs, which the groups are made of
  for (const ResultRow* row : rows)
    if (!grouped || row->state == JobState::completed || row->state == JobState::skipped)
      counted.push_back(row);
  if (counted.size() > 1) {
    for (const std::string& m : metric_names) {
      const MetricValue* first = counted.front()->metrics.find(m);
      if (first == nullptr) continue;
      const bool same = std::all_of(counted.begin(), counted.end(), [&](const ResultRow* row) {
        const MetricValue* v = row->metrics.find(m);
        return v != nullptr && v->text == first->text && v->kind == first->kind;
      });
      if (same) table.constant_metrics.emplace_back(m, metric_cell(*first));
    }
  }
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    for (const auto& [key, cell] : table.constants)
      if (table.columns[i] == param_column(key)) table.hidden_columns.push_back(i);
    for (const auto& [name, cell] : table.constant_metrics) {
      const std::string c = metric_column(name);
      const std::string& col = table.columns[i];
      const bool stat_of_it = grouped && (col == c + "_mean" || col == c + "_std" || col == c + "_min" ||
                                          col == c + "_max" || col == c + "_n");
      if (col == c || stat_of_it) table.hidden_columns.push_back(i);
    }
    const std::string& c = table.columns[i];
    if (jobs_column < table.columns.size() && i > jobs_column && c.size() > 2 &&
        c.compare(c.size() - 2, 2, "_n") == 0 &&
        std::all_of(table.rows.begin(), table.rows.end(),
                    [&](const std::vector<Cell>& row) { return row[i].number == row[jobs_column].number; }))
      table.hidden_columns.push_back(i);
  }
  table.footer = not_completed_lines;
  table.footer.insert(table.footer.end(), problem_lines.begin(), problem_lines.end());
  if (rows.empty() && !all_rows.empty()) table.footer.push_back("no row matches --where");
  return table;
}

// ---------------------------------------------------------------- rendering

std::optional<ResultFormat> result_format_from_string(const std::string& text) {
  if (text == "table") return ResultFormat::table;
  if (text == "markdown") return ResultFormat::markdown;
  if (text == "csv") return ResultFormat::csv;
  if (text == "json") return ResultFormat::json;
  return std::nullopt;
}

namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos &&
      (text.empty() || (text.front() != ' ' && text.back() != ' ')))
    return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_cell(const Cell& c) {
  switch (c.type) {
    case Cell::Type::missing:
    case Cell::Type::null:
      return "";
    case Cell::Type::number:
      if (std::isnan(c.number)) return "nan";
      if (std::isinf(c.number)) return c.number > 0 ? "inf" : "-inf";
      return c.text;
    default:
      return csv_field(c.text);
  }
}

std::string json_cell(const Cell& c) {
  switch (c.type) {
    case Cell::Type::missing:
    case Cell::Type::null:
      return "null";
    case Cell::Type::number:
    case Cell::Type::integer:
    case Cell::Type::json:
    case Cell::Type::boolean:
      return c.text;  // NaN, Infinity, -Infinity as Python's json writes them
    case Cell::Type::text:
      return nlohmann::json(c.text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return "null";
}

/// Display width in terminal columns: UTF-8 continuation bytes take none.
std::size_t width_of(const std::string& s) {
  std::size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;
  return w;
}

std::string printable(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

}  // namespace

std::string render_result_table(const ResultTable& table, ResultFormat format) {
  std::string out;
  if (format == ResultFormat::csv) {
    std::vector<std::string> fields;
    for (const auto& c : table.columns) fields.push_back(csv_field(c));
    out += join(fields, ",") + "\n";
    for (const auto& row : table.rows) {
      fields.clear();
      for (const Cell& c : row) fields.push_back(csv_cell(c));
      out += join(fields, ",") + "\n";
    }
    return out;
  }
  if (format == ResultFormat::json) {
    out += "[";
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      out += r == 0 ? "\n  {" : ",\n  {";
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        if (i > 0) out += ", ";
        out +=
            nlohmann::json(table.columns[i]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        out += ": " + json_cell(table.rows[r][i]);
      }
      out += "}";
    }
    out += table.rows.empty() ? "]\n" : "\n]\n";
    return out;
  }
  // table and markdown: constants once above, the varying columns below.
  const bool markdown = format == ResultFormat::markdown;
  std::vector<std::size_t> shown;
  for (std::size_t i = 0; i < table.columns.size(); ++i)
    if (std::find(table.hidden_columns.begin(), table.hidden_columns.end(), i) == table.hidden_columns.end())
      shown.push_back(i);
  for (const std::string& line : table.header) out += markdown ? line + "  \n" : line + "\n";
  if (!table.constants.empty() || !table.constant_metrics.empty()) {
    std::vector<std::string> parts;
    for (const auto& [key, cell] : table.constants)
      parts.push_back(markdown ? fmt::format("`{}={}`", key, printable(display_cell(cell)))
                               : fmt::format("{}={}", key, printable(display_cell(cell))));
    for (const auto& [name, cell] : table.constant_metrics)
      parts.push_back(markdown ? fmt::format("`{}={}` (metric)", name, printable(display_cell(cell)))
                               : fmt::format("{}={} (metric)", name, printable(display_cell(cell))));
    out += fmt::format("the same in every row: {}{}", join(parts), markdown ? "  \n" : "\n");
  }
  out += "\n";
  std::vector<std::vector<std::string>> text(table.rows.size() + 1);
  for (std::size_t i : shown) text[0].push_back(table.columns[i]);
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const bool in_flight = [&] {
      for (std::size_t i = 0; i < table.columns.size(); ++i)
        if (table.columns[i] == "in_flight") return table.rows[r][i].number != 0;
      return false;
    }();
    for (std::size_t i : shown) {
      if (table.columns[i] == "in_flight") {
        text[r + 1].push_back(in_flight ? "*" : "");
        continue;
      }
      std::string cell = printable(display_cell(table.rows[r][i], table.columns[i]));
      if (markdown) {
        std::string escaped;
        for (char c : cell) {
          if (c == '|') escaped += '\\';
          escaped += c;
        }
        cell = escaped;
      }
      text[r + 1].push_back(std::move(cell));
    }
  }
  std::vector<std::size_t> widths(shown.size(), 0);
  for (const auto& row : text)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width_of(row[i]));
  auto right_aligned = [&](std::size_t i) {
    for (const auto& row : table.rows)
      if (row[shown[i]].type != Cell::Type::missing) return numeric(row[shown[i]]);
    return false;
  };
  for (std::size_t r = 0; r < text.size(); ++r) {
    std::string line = markdown ? "|" : "";
    for (std::size_t i = 0; i < text[r].size(); ++i) {
      const std::string& cell = text[r][i];
      const std::string pad(widths[i] - width_of(cell), ' ');
      const std::string padded = right_aligned(i) && r > 0 ? pad + cell : cell + pad;
      line += markdown ? fmt::format(" {} |", padded) : (i == 0 ? padded : "  " + padded);
    }
    while (!markdown && !line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (markdown && r == 0) {
      line = "|";
      for (std::size_t i = 0; i < text[r].size(); ++i)
        line += fmt::format(" {}{} |", std::string(widths[i] > 0 ? widths[i] - 1 : 0, '-'),
                            right_aligned(i) ? ":" : "-");
      out += line + "\n";
    }
  }
  if (!table.footer.empty()) {
    out += "\n";
    for (const std::string& line : table.footer) out += markdown ? line + "  \n" : line + "\n";
  }
  return out;
}

}  // namespace jobsub
