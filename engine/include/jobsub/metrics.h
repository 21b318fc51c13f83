#pragma once
/// A job's metrics: what it wrote to `$JOBSUB_METRICS`, and what the spec's
/// patterns find in its stdout (docs/user-guide.md, "Results").
///
/// The contract, the same on every scheduler, no library needed in the job:
/// - the task body sets `JOBSUB_METRICS` to `<job dir>/metrics.jsonl`; a job
///   writes one JSON object there, or JSON lines (one object per step: every
///   line is kept in the file, the last value of each key is the summary);
///   Python's `json.dumps` spellings `NaN`, `Infinity` and `-Infinity` are read;
/// - `metrics:` in the spec maps names to Perl regular expressions with one
///   capture group, applied to each stdout line (the last match wins);
/// - `metric_lines: true` reads stdout lines `name: number` (as Guild AI does).
/// The file's value of a name wins over stdout's.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/results_layout.h"
#include "jobsub/spec.h"

namespace jobsub {

namespace fs = std::filesystem;

/// One metric's value, typed as the job wrote it.
struct MetricValue {
  enum class Kind : uint8_t { integer, real, boolean, string };
  Kind kind = Kind::real;
  double number = 0;  ///< integer, real (NaN and +-infinity included) and boolean (0 or 1)
  /// A string's bytes; a number's text (`0.93`, `NaN`, `Infinity`, `-Infinity`; an
  /// integer exactly, a real as its shortest round-trip form); `true`/`false`.
  std::string text{};

  bool is_number() const { return kind == Kind::integer || kind == Kind::real; }
  JOBSUB_API static MetricValue of_number(double number);
  JOBSUB_API static MetricValue of_integer(int64_t number);
  JOBSUB_API static MetricValue of_string(std::string text);
  /// A captured word: a number when the whole of it is one (`1e-3`, `nan`,
  /// `inf`, `-Infinity`), else a string.
  JOBSUB_API static MetricValue of_text(const std::string& word);
};

/// What one attempt of one job left: its metrics (summary values, first-seen
/// order), how many JSON lines it wrote, and when it ran.
struct MetricSet {
  std::vector<std::pair<std::string, MetricValue>> values{};
  uint64_t steps = 0;     ///< JSON lines read from the metrics file (a single object is 1)
  double started = 0;     ///< seconds since the epoch; 0: unknown
  double ended = 0;       ///< when its exit-code file was written; 0: not (yet)
  std::string problem{};  ///< why some of it could not be read (`metrics.jsonl line 3: ...`); empty: none
  /// The GPUs the attempt had, as the local scheduler recorded them (its job
  /// file `gpus`): their indices, comma-separated (`0,2`); empty: none recorded.
  std::string gpus{};

  /// The value of `name`, or nullptr.
  JOBSUB_API const MetricValue* find(const std::string& name) const;
  /// Sets (or replaces) a value, keeping first-seen order.
  JOBSUB_API void set(const std::string& name, MetricValue value);
};

/// Reads jobs' metrics by a sweep's rules (its ResultsSpec), patterns compiled once.
class JOBSUB_API MetricReader {
 public:
  /// Throws Error (bad spec) for a pattern that is not a Perl regex with one group.
  explicit MetricReader(const ResultsSpec& rules);
  ~MetricReader();
  MetricReader(const MetricReader&) = delete;
  MetricReader& operator=(const MetricReader&) = delete;

  /// The metrics of the attempt whose files are in `job_dir`. Never throws
  /// for what a job wrote: a line that is not JSON is skipped and named in
  /// MetricSet::problem (a last line cut short by a kill is expected and not
  /// named); missing files are missing metrics.
  MetricSet read(const fs::path& job_dir) const;
  /// The same for `job_dir` relative to the open directory `dir_fd` (a
  /// sweep's `jobs/`, opened once: a shorter path walk per file).
  MetricSet read_at(int dir_fd, const std::string& job_dir) const;

  /// Reads the JSON lines of `text` into `out` (exposed for tests): objects'
  /// keys are metrics, nested objects flattened with `.` (`val.acc`), lists
  /// kept as their JSON text.
  static void read_json_lines(const std::string& text, MetricSet& out);

 private:
  struct Patterns;
  std::unique_ptr<Patterns> patterns_;
  bool metric_lines_;
};

}  // namespace jobsub
