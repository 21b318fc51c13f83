#pragma once
/// Pieces shared by every scheduler's batch script.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/results_layout.h"

namespace jobsub {

namespace fs = std::filesystem;

/// Shell code that runs one job of a sweep, given `$JOBSUB_TASK_ID` (the
/// 1-based job number) set by the script's scheduler-specific preamble.
/// It creates the job's directory, copies its params and argv there, runs
/// its line of `commands` (found in constant time through `tasks.idx`) from
/// `workdir` after the init lines, with stdout/stderr/exit_code in the job
/// directory, and exits with the command's exit code.
/// With `JOBSUB_WORKER` set it is instead a worker of the local scheduler:
/// it reads `<job><TAB><command>` lines on stdin (the job directory, params
/// and argv already written), runs each job in turn and prints
/// `<job> <exit code>` on stdout; jobsub writes the exit_code files.
///
/// `init` holds complete shell commands (one may span lines: an `if` ...
/// `fi`), run in order before the program. With `check_init`, the status of
/// each is checked after it runs: one that fails fails the job with that
/// status before the program starts, said on its stderr and kept in the
/// job's `init_failed` file (results_layout.h). A command's own inner steps
/// are not checked (conda's activate script has harmless failures), and
/// without `check_init` nothing is.
JOBSUB_API std::string task_body(const fs::path& results_dir, uint64_t job_count, const fs::path& workdir,
                                 const std::vector<std::string>& init, bool check_init);

/// What a canary's script does with the jobs held behind it (`--canary
/// --detach`): it runs `release` once its job completed (exit 0), or once
/// the job has run `release_after_seconds` (0: only at its end) without
/// failing, and `cancel` when the job failed before that: a non-zero exit,
/// or a SIGTERM (the scheduler's time limit, or a cancel) that ended it.
struct CanaryHooks {
  std::vector<std::string> release;  ///< Slurm `scontrol release 4711`
  std::vector<std::string> cancel;   ///< Slurm `scancel 4711`
  uint64_t release_after_seconds = 0;
  std::string held;  ///< for its log: `jobs 2-144 (4711)`
};

/// `body` (task_body()'s) as a canary's: the hooks of `hooks` around its job,
/// their messages on the script's stderr (the scheduler's log of the job). A
/// local worker (JOBSUB_WORKER) runs no hooks.
JOBSUB_API std::string with_canary_hooks(const std::string& body, const CanaryHooks& hooks);

/// `1-3,7,9-12`
JOBSUB_API std::string format_task_ranges(const std::vector<TaskRange>& ranges);
/// format_task_ranges' inverse (`1-3,7`); throws Error (exit 3) on anything else.
JOBSUB_API std::vector<TaskRange> parse_task_ranges(const std::string& text);
/// The non-empty lines of `text`, trimmed: a `directives` resource, an init block.
JOBSUB_API std::vector<std::string> nonempty_lines(const std::string& text);
/// Ascending job numbers as the fewest ranges (`1 2 3 7` -> `1-3,7`).
JOBSUB_API std::vector<TaskRange> ranges_of(const std::vector<uint64_t>& sorted_jobs);

/// Values for a Mustache template: scalars, lists of strings, and objects
/// (`{{resources.time}}` looks up `time` in the object `resources`).
struct TemplateValues {
  std::map<std::string, std::string> scalars;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, std::map<std::string, std::string>> objects;
};

/// Renders a Mustache template with no HTML escaping (a shell script is not
/// HTML). Throws Error naming `template_name` when the template is invalid.
JOBSUB_API std::string render_template(const std::string& template_text, const TemplateValues& values,
                                       const std::string& template_name);

/// The values every scheduler's batch template gets (documented for users in
/// docs/user-guide.md): jobsub_version, sweep_name, batch_name, tasks,
/// script_path, script_path_quoted, results_dir, workdir, task_body, the list
/// init and the object resources. A scheduler adds its own before rendering.
JOBSUB_API TemplateValues batch_template_values(const BatchRequest& request);

/// Renders the user's template when the request carries one, else the
/// scheduler's `default_template`.
JOBSUB_API std::string render_batch_script(const BatchRequest& request, const TemplateValues& values,
                                           const std::string& default_template, const std::string& scheduler);

}  // namespace jobsub

namespace jobsub {

/// Builds one job's shell command line from a command template such as
/// `python {script} with {args}`:
///   {script}      the program's path, quoted
///   {args}        the formatter's argv, each word quoted
///   {job_dir}     the job's results directory (expanded when the job runs)
///   {results_dir} the sweep's results directory (likewise)
///   {job}         the job number (likewise)
///   {{ and }}     literal braces
/// Throws Error (bad spec) on an unknown placeholder or {script} without a program.
JOBSUB_API std::string expand_command_template(const std::string& command_template, const fs::path& program,
                                               const Argv& args);

/// Checks a template once, before any job is built.
JOBSUB_API void validate_command_template(const std::string& command_template, const fs::path& program);

}  // namespace jobsub
