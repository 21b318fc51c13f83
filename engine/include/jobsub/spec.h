#pragma once
/// The sweep spec: `jobsub.yaml`, environment variables and command-line
/// overrides, merged with the origin of every value kept.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/hyperspace.h"
#include "jobsub/value.h"

namespace jobsub {

namespace fs = std::filesystem;

/// A resolved setting and where it came from (`default`, `jobsub.yaml:3`,
/// `env JOBSUB_SCHEDULER`, `command line`).
/// Where a setting's value came from, lowest precedence first. Logic asks
/// this; `Setting::origin` is the text a person reads (`jobsub.yaml:4`).
enum class SettingSource {
  default_value,  ///< jobsub's own default
  site,           ///< a site profile (sites.yaml)
  spec_file,      ///< jobsub.yaml
  environment,    ///< a JOBSUB_<NAME> variable
  command_line,   ///< a flag or override
  detected,       ///< found on this host (the scheduler probe)
};

/// The word sweep.json records for a source, and back (nullopt: unknown).
JOBSUB_API const char* to_string(SettingSource source);
JOBSUB_API std::optional<SettingSource> setting_source_from_string(const std::string& text);

struct Setting {
  std::string value;
  std::string origin;  ///< for people: `jobsub.yaml:4`, `env JOBSUB_SCHEDULER`, `command line`
  SettingSource source = SettingSource::spec_file;
};

struct HyperDecl {
  std::string key;
  ValueList values;
  std::string origin;
};

/// One mapping of `hypers:` (a spec may list several: their union). In a
/// list, an entry `{hypers: {...}, resources: {...}}` gives its grid
/// resources of its own, over the spec's.
struct GridDecl {
  std::vector<HyperDecl> hypers;
  std::map<std::string, Setting> resources{};  ///< `time` -> its value and origin
};

/// What a sweep's results are judged by (docs/user-guide.md, "Results"):
/// where its metrics come from besides `$JOBSUB_METRICS`, which is best, and
/// which keys are replicates.
struct ResultsSpec {
  /// `metrics:` in declared order: a name and the Perl regular expression
  /// (one capture group) that finds its value in the job's stdout; an empty
  /// pattern names a metric the job writes to `$JOBSUB_METRICS` (for order:
  /// the first is the headline).
  std::vector<std::pair<std::string, std::string>> metrics{};
  /// `metric_lines: true`: stdout lines `name: number` are metrics too (as Guild AI reads them).
  bool metric_lines = false;
  /// `objective: val_acc` (higher is better) or `-val_loss` (lower); empty: none named.
  std::string objective{};
  /// `seeds:`: the keys whose values are replicates, averaged over by `collect`.
  std::vector<std::string> seeds{};
  bool seeds_given = false;  ///< false: the default (`seed`, when a job has it)
};

struct SweepSpec {
  fs::path file;            ///< the spec file, empty when there is none
  fs::path experiment_dir;  ///< absolute
  /// Flat keys: `name`, `layout`, ..., `resources.time`, `options.sample`.
  std::map<std::string, Setting> settings;
  std::vector<std::string> init_lines;
  std::string init_origin;
  std::vector<GridDecl> grids;
  std::vector<std::vector<std::string>> zip;
  /// What reading the spec and its overrides decided that the summary shows
  /// as notes (which grids an override changed, a `None` that is a string).
  std::vector<std::string> notes;
  /// `allow_duplicates: true`: a value listed twice under one key makes
  /// replicas (identical jobs) instead of an error.
  bool allow_duplicates = false;
  ResultsSpec results{};
  /// The spec's text when it came on standard input (`--spec -`), for the
  /// copy in the results directory.
  std::string stdin_text;

  /// The value of a setting, or `fallback` when unset.
  JOBSUB_API std::string get(const std::string& key, const std::string& fallback = "") const;
  JOBSUB_API bool has(const std::string& key) const;
  /// Entries under `prefix.` (e.g. "resources"), prefix stripped.
  JOBSUB_API std::map<std::string, std::string> section(const std::string& prefix) const;
};

/// The settings that are plain scalars at the top level of a spec, and can
/// also come from JOBSUB_<NAME> and --<name>.
JOBSUB_API const std::vector<std::string>& scalar_setting_keys();

/// Reads a spec file, YAML or JSON; `-` reads standard input (the
/// experiment is then the current directory). Errors name the file, the line
/// and the key.
JOBSUB_API SweepSpec load_spec_file(const fs::path& file);

/// Refuses a value listed twice under one key of a grid, which would make
/// identical jobs, unless spec.allow_duplicates: a spec error (exit 3) that
/// names where the key was written, a usage error (exit 2) for an override.
/// Ranges are not compared.
JOBSUB_API void check_duplicate_values(const SweepSpec& spec);

/// A note for an unquoted string that a user may have meant as null or a
/// boolean (`None`, as Python writes null; YAML 1.1's `yes`, `no`, `on`,
/// `off`), naming `where` and how to write it; empty for any other value.
JOBSUB_API std::string string_meant_as_other_type(const Value& value, const std::string& where);

/// A spec with no file: the experiment directory only.
JOBSUB_API SweepSpec empty_spec(const fs::path& experiment_dir);

/// Applies defaults (lowest) and JOBSUB_* environment variables (above the
/// spec file). Command-line values are set afterwards with set_setting.
JOBSUB_API void apply_defaults_and_environment(SweepSpec& spec);
JOBSUB_API void set_setting(SweepSpec& spec, const std::string& key, const std::string& value,
                            const std::string& origin, SettingSource source);

/// The spec's grids as sweep.json records them (`hypers`): a JSON array of
/// objects, key to its values as written (a range as {"range": {...}}).
/// Two specs declare the same space when their texts, and zips, are equal.
JOBSUB_API std::string hypers_json(const SweepSpec& spec);

/// The combinations the spec declares, zip groups applied.
JOBSUB_API HyperSpace build_hyperspace(const SweepSpec& spec);

}  // namespace jobsub
