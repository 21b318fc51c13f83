#pragma once
/// A sweep's results: each job's params, state and metrics as rows, and the
/// table `jobsub collect` prints of them (filtered, sorted, grouped over
/// seeds). docs/user-guide.md, "Results", is the user's side of it.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/metrics.h"
#include "jobsub/registry.h"
#include "jobsub/spec.h"
#include "jobsub/store.h"

namespace jobsub {

/// The results rules a sweep was submitted with (sweep.json's `results`);
/// the defaults for a sweep recorded before there were any.
JOBSUB_API ResultsSpec recorded_results_spec(const fs::path& results_dir);

/// One attempt of one job.
struct ResultRow {
  std::size_t sweep = 0;  ///< index into the sweeps read
  uint64_t job = 0;
  int attempt = 1;
  JobState state = JobState::not_submitted;
  int exit_code = -1;
  /// Its params as params.jsonl has them: key and the value's JSON text, in declared order.
  std::vector<std::pair<std::string, std::string>> params{};
  MetricSet metrics{};
  bool in_flight = false;          ///< the job is running: its metrics so far
  std::string metrics_from{};      ///< a skipped job: `<results dir> job N`, whose metrics these are
  std::string metrics_from_dir{};  ///< that run's results directory
  double runtime = -1;             ///< seconds; -1: unknown
  bool latest = true;              ///< the job's current attempt (false: an earlier one, `--attempt all`)
};

/// What to read of a sweep.
struct ReadOptions {
  bool params = true;         ///< read params.jsonl
  bool all_attempts = false;  ///< every attempt, not only each job's latest
  double now = 0;             ///< seconds since the epoch, for a running job's runtime
};

/// The rows of one recorded sweep, in job (then attempt) order, `jobs` being
/// its jobs as settled now. An attempt that ended is read from its files once
/// (its job directory, or `jobs/<NNN>.attempt-<K>` for an earlier one) and
/// kept in the store; later calls read the store. A running job's metrics are
/// read afresh each time and marked in flight. A skipped job shows the
/// metrics of the run it was skipped for. `sweep_index` is put in each row.
/// A store that cannot be written (a read-only copy) is read only.
JOBSUB_API std::vector<ResultRow> read_results(Store& store, const SweepSummary& sweep,
                                               const std::vector<JobRecord>& jobs, const ResultsSpec& rules,
                                               const ReadOptions& options, std::size_t sweep_index = 0);

/// What a results command (`collect`, `report`) reads of the sweeps it names.
struct SweepsRead {
  std::vector<ResultRow> rows{};
  std::vector<std::string> names{};        ///< each sweep's results directory, relative to the experiment
  std::vector<std::string> sweep_names{};  ///< each sweep's name (`name:` of its spec)
  std::vector<ResultsSpec> rules{};        ///< each sweep's recorded_results_spec
};

/// The sweeps `words` name (choose_sweep: the latest when there are none;
/// every sweep of the experiment with `all`; a sweep named twice is read
/// once), settled now as `list` does (a scheduler that cannot be asked leaves
/// its sweeps as recorded, and says so on stderr), then their rows. Throws
/// Error: usage (exit 2) for words with `all`; exit 3 for no such sweep.
JOBSUB_API SweepsRead read_named_sweeps(Store& store, const PluginRegistry& registry,
                                        const std::vector<std::string>& words, bool all,
                                        const fs::path& experiment, const ReadOptions& options);

/// A direction to rank by: a metric and whether lower is better.
struct Objective {
  std::string metric;
  bool lower_is_better = false;
  std::string why{};  ///< how it was chosen, for the output (`objective: in the spec`)
};

/// `val_acc` or `-val_loss`; nullopt for an empty or bad text.
JOBSUB_API std::optional<Objective> parse_objective(const std::string& text);

/// The objective: `given` (--objective), else the first sweep's spec's, else
/// the first metric named in `metrics:` or seen in `rows` (higher is better);
/// nullopt when there are no metrics.
JOBSUB_API std::optional<Objective> choose_objective(const std::string& given,
                                                     const std::vector<ResultsSpec>& rules,
                                                     const std::vector<ResultRow>& rows);

/// The metric `status` shows per job: `given` (--metric), else the first of
/// the spec's `metrics:`, else the objective's, else the first a row has;
/// empty when there is none.
JOBSUB_API std::string headline_metric(const std::string& given, const ResultsSpec& rules,
                                       const std::vector<ResultRow>& rows);

/// The completed (or skipped) row that is best by `objective`, nullptr when
/// none has it as a number other than NaN.
JOBSUB_API const ResultRow* best_row(const std::vector<ResultRow>& rows, const Objective& objective);

/// What `collect` asks of the rows.
struct ResultQuery {
  std::vector<std::string> where{};  ///< `key=value`, `key!=value`, `key<number`, `key>number`, `state=a,b`
  std::string sort{};       ///< a column, `-` in front for descending; empty: the objective, best first
  std::string objective{};  ///< --objective
  /// --group-by: nullopt for the default (the varying params but the seed
  /// keys, when the sweep has seed keys); an empty list for none.
  std::optional<std::vector<std::string>> group_by{};
  uint64_t top = 0;  ///< rows kept after grouping and sorting; 0: all
  /// A row per job even where groups would be made (`report` groups itself);
  /// ResultTable::group_keys still says what the groups would be.
  bool rows_only = false;
};

/// A cell: missing, a number (NaN and +-infinity included), text, or a JSON
/// value (a list or dict param, kept as its JSON text).
struct Cell {
  enum class Type : uint8_t { missing, number, integer, text, json, boolean, null };
  Type type = Type::missing;
  double number = 0;
  std::string text{};  ///< a number's text as written; the string; the JSON text
};

/// The table of a query: columns, rows, and what is said around them.
struct ResultTable {
  std::vector<std::string> columns{};
  /// What each column is: `sweep`, `job`, `param`, `state`, `attempt`,
  /// `runtime`, `gpu_ids` (the GPUs the local scheduler gave the attempt: `0,2`),
  /// `metric`, `flag` (in_flight), `metrics_from`; grouped, `param`,
  /// `count` (jobs) and `stat` (`<metric>_mean`, ...).
  std::vector<std::string> roles{};
  std::vector<std::vector<Cell>> rows{};
  /// Params with one value in every row: printed once above the table (table,
  /// markdown); CSV and JSON keep them as columns too.
  std::vector<std::pair<std::string, Cell>> constants{};
  /// Metrics with one value in every row (an epoch count): printed once above
  /// the table with the constants (table, markdown), their columns left out there.
  std::vector<std::pair<std::string, Cell>> constant_metrics{};
  /// Columns table and markdown leave out: the constants (shown above), and a
  /// group's `<metric>_n` where it equals `jobs` in every row.
  std::vector<std::size_t> hidden_columns{};
  std::vector<std::string> header{};  ///< lines above: the sweeps, the ranking, the grouping
  std::vector<std::string> footer{};  ///< lines below: the jobs not completed, problems reading metrics
  std::optional<Objective> objective{};
  bool grouped = false;
  std::vector<std::string> seeds{};       ///< the seed keys (`seeds:`, else `seed` when the jobs have it)
  std::vector<std::string> group_keys{};  ///< what the rows are (or would be) grouped by
};

/// Filters, groups and sorts `rows` of `sweeps` (their directories relative
/// to the experiment, for the output) as `query` says. Throws Error (usage,
/// exit 2) for a --where, --sort or --group-by naming no param, metric or
/// column there is, with the names there are.
JOBSUB_API ResultTable build_result_table(const std::vector<ResultRow>& rows,
                                          const std::vector<std::string>& sweeps,
                                          const std::vector<ResultsSpec>& rules, const ResultQuery& query);

/// The output formats of `collect`: an aligned table, GitHub markdown, CSV
/// (RFC 4180; `nan`, `inf`, `-inf`; missing is empty), JSON (an array of
/// objects; NaN, Infinity and -Infinity as Python's json writes them, which
/// pandas.read_json and json.loads read; missing is null).
enum class ResultFormat { table, markdown, csv, json };
JOBSUB_API std::optional<ResultFormat> result_format_from_string(const std::string& text);
JOBSUB_API std::string render_result_table(const ResultTable& table, ResultFormat format);

/// A cell as the table shows it (`0.9123`, `1m05s` for a runtime column, `-` for missing).
JOBSUB_API std::string display_cell(const Cell& cell, const std::string& column = "");

}  // namespace jobsub
