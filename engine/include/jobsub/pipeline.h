#pragma once
/// The plugins chosen for one sweep, loaded and configured, and the settings
/// every batch of the sweep shares.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "jobsub/errors.h"
#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/registry.h"
#include "jobsub/spec.h"

namespace jobsub {

namespace fs = std::filesystem;

/// Throws Error(`code`, "<what>: <message>") when `status` failed.
JOBSUB_API void check_status(const Status& status, const std::string& what,
                             ExitCode code = ExitCode::bad_spec);

struct Pipeline {
  PluginHandle<Layout> layout;
  PluginHandle<Sweeper> sweeper;
  PluginHandle<Formatter> formatter;
  PluginHandle<Scheduler> scheduler;
  std::map<std::string, const ComponentEntry*> entries;  ///< by kind
  std::vector<std::string> notes;                        ///< e.g. a plugin that shadows another
  std::map<std::string, std::string> options;            ///< plugin options by qualified name
  std::map<std::string, std::string> names;              ///< kind -> the plugin chosen

  /// The options `kind`'s plugin declares: given ones, else their defaults.
  JOBSUB_API PluginOptions options_for(const std::string& kind) const;
  /// `formatter 'sacred'`: a stage and its plugin, for messages.
  JOBSUB_API std::string stage(const std::string& kind) const;
};

/// Loads the four stages `spec` names and configures the formatter and the
/// scheduler (the sweeper is configured with the sweep's hyperspace). An
/// `options.*` setting of a plugin the sweep does not use is an error.
/// `submitted_after` as for configured_scheduler (a new sweep: now).
JOBSUB_API Pipeline load_pipeline(const PluginRegistry& registry, const SweepSpec& spec,
                                  int64_t submitted_after);

/// What every batch of a sweep shares, from its settings.
struct BatchSettings {
  uint64_t max_running = 0;
  std::string template_text;  ///< empty: the scheduler's own
  fs::path template_file;
  std::vector<std::string> init_commands;  ///< the init lines as whole commands (init_commands())
  bool check_init = true;                  ///< `init_check` (true unless set to false)
};
/// `max_running`, the init commands, `init_check`, and the template: the
/// `template` setting, else `<experiment>/templates/<scheduler>.sh.mustache`
/// when it exists. Errors are spec errors naming the setting's origin.
JOBSUB_API BatchSettings batch_settings(const SweepSpec& spec);

/// The init lines grouped into whole shell commands as bash reads them
/// (`bash -n`): a line that opens an `if`, a loop, a function body, a quote
/// or a here-document goes with the lines up to its end, a line ending in
/// `\` with the next. Each command is checked after it runs (task_body()).
/// Throws spec_error, naming `origin` and bash's message, when the lines do
/// not end as a whole command (an `if` without its `fi`).
JOBSUB_API std::vector<std::string> init_commands(const std::vector<std::string>& lines,
                                                  const std::string& origin);

/// What every batch of a sweep shares, new or recorded (everything but
/// batch_name, script_path, token and tasks): the batch settings, the
/// resources, the init lines and the task body of `spec`, for the sweep
/// `sweep_name` whose results are `results` and whose jobs start in `workdir`;
/// `array` false for `--no-array`.
JOBSUB_API BatchRequest batch_prototype(const SweepSpec& spec, const std::string& sweep_name,
                                        const ResultsLayout& results, const fs::path& workdir, bool array);

/// The scheduler plugin `name`, configured with its options' defaults: for
/// commands that follow or cancel jobs a sweep submitted earlier.
/// `submitted_after` (seconds since the epoch; 0: unknown) is when the
/// earliest of those jobs may have been submitted (kSubmittedAfterOption).
JOBSUB_API PluginHandle<Scheduler> configured_scheduler(const PluginRegistry& registry,
                                                        const std::string& name, int64_t submitted_after = 0);

}  // namespace jobsub
