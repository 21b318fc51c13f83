#include "jobsub/script.h"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include <kainjow/mustache.hpp>

#include "jobsub/errors.h"
#include "jobsub/results_layout.h"
#include "jobsub/shell.h"
#include "jobsub/task_files.h"
#include "jobsub/text.h"
#include "jobsub/version.h"

namespace jobsub {

std::string task_body(const fs::path& results_dir, uint64_t job_count, const fs::path& workdir,
                      const std::vector<std::string>& init_commands, bool check_init) {
  const ResultsLayout layout(results_dir, job_count);
  std::string init;
  for (const std::string& command : init_commands) {
    // Continuation lines stay as written: a here-document's end marker
    // must start its line.
    init += fmt::format("    {}\n", command);
    if (check_init) {
      const std::string first_line = command.substr(0, command.find('\n'));
      init += fmt::format("    jobsub_init_check $? {} || exit\n", shell_quote(first_line));
    }
  }
  return fmt::format(
      R"(JOBSUB_RESULTS_DIR={results_dir}
export JOBSUB_RESULTS_DIR
# Bytes [$2, $3) of job file $1, read in constant time.
jobsub_slice() {{
  dd if="$JOBSUB_RESULTS_DIR/$1" iflag=skip_bytes,count_bytes skip=$((10#$2)) count=$((10#$3 - 10#$2)) bs=1M status=none
}}
# Job $JOBSUB_TASK_ID's params and argv into its directory, its command line
# into JOBSUB_COMMAND. tasks.idx has fixed-width records of byte offsets.
jobsub_lookup() {{
  local offsets
  offsets=($(dd if="$JOBSUB_RESULTS_DIR/{task_index}" bs={record} skip=$((JOBSUB_TASK_ID - 1)) count=2 status=none))
  [ "${{#offsets[@]}}" -eq 6 ] &&
    jobsub_slice {params} "${{offsets[1]}}" "${{offsets[4]}}" > "$JOBSUB_JOB_DIR/{job_params}" &&
    jobsub_slice {argv} "${{offsets[2]}}" "${{offsets[5]}}" > "$JOBSUB_JOB_DIR/{job_argv}" &&
    JOBSUB_COMMAND=$(jobsub_slice {commands} "${{offsets[0]}}" "${{offsets[3]}}")
}}
# After an init command: its status ($1) and its text ($2). A command that
# failed fails the job before the program starts.
jobsub_init_check() {{
  [ "$1" = 0 ] && return 0
  echo "jobsub: init failed with exit status $1, so the program did not run: $2" >&2
  printf '%s\n%s\n' "$1" "$2" > "$JOBSUB_JOB_DIR/{init_failed}"
  return "$1"
}}
# Job $JOBSUB_TASK_ID's directory into JOBSUB_JOB_DIR.
jobsub_job_dir() {{
  printf -v JOBSUB_JOB_DIR '%s/{jobs}/%0{width}d' "$JOBSUB_RESULTS_DIR" "$JOBSUB_TASK_ID"
}}
# Runs job $JOBSUB_TASK_ID and returns its exit code. $1 is its command line
# when the caller already has it (and has made its directory).
jobsub_task() {{
  jobsub_job_dir
  export JOBSUB_TASK_ID JOBSUB_JOB_DIR
  # A local worker's job cancelled while it waited: not run, as if stopped by SIGTERM.
  if [ -n "${{JOBSUB_WORKER:-}}" ] && [ -e "$JOBSUB_JOB_DIR/{cancelled}" ]; then return 143; fi
  JOBSUB_COMMAND=$1
  if [ -z "$JOBSUB_COMMAND" ]; then
    mkdir -p "$JOBSUB_JOB_DIR" || return 1
    if ! jobsub_lookup || [ -z "$JOBSUB_COMMAND" ]; then
      echo "jobsub: no command for job $JOBSUB_TASK_ID in $JOBSUB_RESULTS_DIR" >&2
      return 127
    fi
  fi
  JOBSUB_METRICS=$JOBSUB_JOB_DIR/{metrics}
  export JOBSUB_METRICS
  echo "${{EPOCHREALTIME:-$(date +%s)}}" > "$JOBSUB_JOB_DIR/{started}"
  (
    cd {workdir} || exit 1
{init}    eval "$JOBSUB_COMMAND"
  ) < /dev/null > "$JOBSUB_JOB_DIR/{stdout}" 2> "$JOBSUB_JOB_DIR/{stderr}"
}}
if [ -n "${{JOBSUB_WORKER:-}}" ]; then
  # A worker of the local scheduler: "<job><TAB><command>" lines on stdin,
  # "<job> <exit code>" on stdout as each job ends.
  while IFS= read -r JOBSUB_LINE; do
    JOBSUB_TASK_ID=${{JOBSUB_LINE%%$'\t'*}}
    export JOBSUB_ARRAY_TASK_ID=$JOBSUB_TASK_ID
    jobsub_task "${{JOBSUB_LINE#*$'\t'}}"
    echo "$JOBSUB_TASK_ID $?"
  done
  exit 0
fi
case ${{JOBSUB_TASK_ID:-}} in
  '' | *[!0-9]*)
    echo "jobsub: no job number (JOBSUB_TASK_ID='${{JOBSUB_TASK_ID:-}}'): the script's preamble sets it" >&2
    exit 2 ;;
esac
jobsub_task ""
JOBSUB_EXIT=$?
echo "$JOBSUB_EXIT" > "$JOBSUB_JOB_DIR/{exit_code}.tmp" && mv -f "$JOBSUB_JOB_DIR/{exit_code}.tmp" "$JOBSUB_JOB_DIR/{exit_code}"
exit "$JOBSUB_EXIT"
)",
      fmt::arg("results_dir", shell_quote(results_dir.string())), fmt::arg("record", kTaskIndexRecordSize),
      fmt::arg("width", job_dir_width(job_count)), fmt::arg("workdir", shell_quote(workdir.string())),
      fmt::arg("init", init),
      // The layout's names (results_layout.h), relative to the results and job directories.
      fmt::arg("task_index", layout.task_index().filename().string()),
      fmt::arg("params", layout.params().filename().string()),
      fmt::arg("argv", layout.argv().filename().string()),
      fmt::arg("commands", layout.commands().filename().string()),
      fmt::arg("jobs", layout.jobs().filename().string()), fmt::arg("job_params", job_files::kParams),
      fmt::arg("job_argv", job_files::kArgv), fmt::arg("stdout", job_files::kStdout),
      fmt::arg("stderr", job_files::kStderr), fmt::arg("exit_code", job_files::kExitCode),
      fmt::arg("metrics", job_files::kMetrics), fmt::arg("started", job_files::kStarted),
      fmt::arg("init_failed", job_files::kInitFailed), fmt::arg("cancelled", job_files::kCancelled));
}

namespace {
// Where with_canary_hooks() puts its code: task_body()'s run of one job and
// its last line (the unit test pins both).
constexpr std::string_view kRunJob = "\njobsub_task \"\"\nJOBSUB_EXIT=$?\n";
constexpr std::string_view kLastExit = "\nexit \"$JOBSUB_EXIT\"\n";
}  // namespace

std::string with_canary_hooks(const std::string& body, const CanaryHooks& hooks) {
  const std::size_t run = body.rfind(kRunJob);
  const std::size_t last = body.rfind(kLastExit);
  if (run == std::string::npos || last == std::string::npos || last < run || hooks.release.empty() ||
      hooks.cancel.empty())
    throw std::invalid_argument("with_canary_hooks: not a task body of task_body(), or no commands");
  // Functions first; each step is safe under a template's `set -e` (every
  // status that may be non-zero is taken with `||`).
  const std::string before = fmt::format(
      R"SH(
# jobsub --canary --detach: this job is the canary of {held_comment}, held
# until it completed{or_ran}; cancelled if it fails first. The decision is
# made once (the file `canary_decision` in the job's directory): a timer that
# released them, and a rerun of this script after a requeue, leave it be.
jobsub_canary_decide() {{
  local what=$1 why=$2
  ( set -C; echo "$what" > "$JOBSUB_JOB_DIR/{decision}" ) 2>/dev/null || return 0
  if [ "$what" = released ]; then
    echo "jobsub: the canary $why: releasing "{held} >&2
    {release} >&2 || echo "jobsub: could not release "{held}" (cancelled meanwhile? if they are still held, release them by hand: see --canary --detach in jobsub's user guide)" >&2
  else
    echo "jobsub: the canary $why: cancelling "{held} >&2
    {cancel} >&2 || echo "jobsub: could not cancel "{held} >&2
  fi
}}
# A SIGTERM (the time limit, a cancel; Slurm 22.05 sends it to this script
# first) is passed on to the job, once, and this script lives on to decide.
jobsub_canary_term() {{
  [ -z "${{JOBSUB_CANARY_SIGNAL:-}}" ] || return 0
  JOBSUB_CANARY_SIGNAL=TERM
  kill -TERM -- "-$$" 2>/dev/null || jobsub_canary_kill_tree "${{JOBSUB_CANARY_JOB:-}}"
}}
# This script leads no process group (Slurm's batch script does): the job's processes one by one.
jobsub_canary_kill_tree() {{
  [ -n "$1" ] || return 0
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do jobsub_canary_kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null || :
}}
# Waits for the job $1 (a trapped signal cuts `wait` short) and returns its exit status.
jobsub_canary_wait() {{
  JOBSUB_CANARY_JOB=$1
  local status again
  while :; do
    status=0
    wait "$1" || status=$?
    ! kill -0 "$1" 2>/dev/null || continue
    if [ "$status" -gt 128 ] && [ -n "${{JOBSUB_CANARY_SIGNAL:-}}" ]; then
      again=0
      wait "$1" 2>/dev/null || again=$?  # the status the job ended with, when the signal only cut `wait` short
      [ "$again" = 127 ] || status=$again
    fi
    return "$status"
  done
}}
trap jobsub_canary_term TERM
)SH",
      fmt::arg("held", shell_quote(hooks.held)), fmt::arg("held_comment", hooks.held),
      fmt::arg("or_ran", hooks.release_after_seconds == 0
                             ? std::string()
                             : fmt::format(" or ran {} s", hooks.release_after_seconds)),
      fmt::arg("release", shell_join(hooks.release)), fmt::arg("cancel", shell_join(hooks.cancel)),
      fmt::arg("decision", job_files::kCanaryDecision));
  // The job runs in the background, and this script waits for it: a trapped
  // signal interrupts `wait` (not a job in the foreground), so the trap can
  // pass a SIGTERM on at once. (A background job starts with SIGINT and
  // SIGQUIT ignored, as bash does without job control: Slurm's time limits
  // and cancels send SIGTERM.)
  const std::string timer =
      hooks.release_after_seconds == 0
          ? std::string("JOBSUB_CANARY_TIMER=\n")
          : fmt::format(R"SH(# Released once the job has run {seconds} s without failing.
(
  trap 'kill "$JOBSUB_CANARY_SLEEP" 2>/dev/null; exit 143' TERM
  sleep {seconds} &
  JOBSUB_CANARY_SLEEP=$!
  wait "$JOBSUB_CANARY_SLEEP" && jobsub_canary_decide released "ran {seconds} s without failing"
) &
JOBSUB_CANARY_TIMER=$!
)SH",
                        fmt::arg("seconds", hooks.release_after_seconds));
  const std::string run_job =
      "jobsub_job_dir\nmkdir -p \"$JOBSUB_JOB_DIR\" || :\n" + timer + R"SH(jobsub_task "" &
JOBSUB_EXIT=0
jobsub_canary_wait $! || JOBSUB_EXIT=$?
)SH";
  const std::string after = fmt::format(R"SH(
if [ -n "$JOBSUB_CANARY_TIMER" ]; then
  kill "$JOBSUB_CANARY_TIMER" 2>/dev/null || :
  wait "$JOBSUB_CANARY_TIMER" 2>/dev/null || :
fi
if [ "$JOBSUB_EXIT" = 0 ] && [ -z "${{JOBSUB_CANARY_SIGNAL:-}}" ]; then
  jobsub_canary_decide released completed
else
  jobsub_canary_decide cancelled "ended with exit status $JOBSUB_EXIT${{JOBSUB_CANARY_SIGNAL:+ (SIGTERM)}}"
fi
if [ "$JOBSUB_EXIT" != 0 ] && [ "$(cat "$JOBSUB_JOB_DIR/{decision}" 2>/dev/null)" = released ]; then
  echo "jobsub: the canary ended with exit status $JOBSUB_EXIT after the held jobs were released" >&2
fi)SH",
                                        fmt::arg("decision", job_files::kCanaryDecision));
  std::string out = body.substr(0, run);
  out += before;
  out += run_job;
  out += body.substr(run + kRunJob.size() - 1, last - (run + kRunJob.size() - 1));
  out += after;
  out += body.substr(last);
  return out;
}

std::string format_task_ranges(const std::vector<TaskRange>& ranges) {
  std::string out;
  for (const TaskRange& r : ranges) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.first);
    if (r.last != r.first) out += fmt::format("-{}", r.last);
  }
  return out;
}

std::vector<TaskRange> parse_task_ranges(const std::string& text) {
  std::vector<TaskRange> out;
  auto number = [&](const std::string& part) {
    std::size_t used = 0;
    uint64_t v = 0;
    try {
      if (!part.empty() && part[0] >= '0' && part[0] <= '9') v = std::stoull(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != part.size() || v == 0)
      throw spec_error(fmt::format("'{}' is not a list of job numbers (like 1-3,7)", text));
    return v;
  };
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const std::size_t dash = item.find('-');
    const TaskRange r = dash == std::string::npos
                            ? TaskRange{number(item), number(item)}
                            : TaskRange{number(item.substr(0, dash)), number(item.substr(dash + 1))};
    if (r.last < r.first)
      throw spec_error(fmt::format("'{}' is not a list of job numbers (like 1-3,7)", text));
    out.push_back(r);
    start = end + 1;
  }
  return out;
}

std::vector<std::string> nonempty_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (const std::string& raw : lines_of(text)) {
    if (std::string line = trim(raw); !line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<TaskRange> ranges_of(const std::vector<uint64_t>& sorted_jobs) {
  std::vector<TaskRange> out;
  for (uint64_t job : sorted_jobs) {
    if (!out.empty() && out.back().last + 1 == job) {
      out.back().last = job;
    } else {
      out.push_back({job, job});
    }
  }
  return out;
}

std::string render_template(const std::string& template_text, const TemplateValues& values,
                            const std::string& template_name) {
  using kainjow::mustache::data;
  kainjow::mustache::mustache tmpl{template_text};
  if (!tmpl.is_valid()) {
    // kainjow says where as a byte offset ("Unclosed tag at 57"): a reader wants a line.
    std::string message = tmpl.error_message();
    std::string where = template_name;
    const std::size_t at = message.rfind(" at ");
    if (at != std::string::npos && message.find_first_not_of("0123456789", at + 4) == std::string::npos &&
        at + 4 < message.size()) {
      const std::size_t offset =
          std::min<std::size_t>(std::stoul(message.substr(at + 4)), template_text.size());
      const auto line = std::count(template_text.begin(),
                                   template_text.begin() + static_cast<std::ptrdiff_t>(offset), '\n') +
                        1;
      where = fmt::format("{}:{}", template_name, line);
      message.resize(at);
    }
    throw spec_error(fmt::format("template {}: not valid Mustache: {}", where, message));
  }
  tmpl.set_custom_escape([](const std::string& s) { return s; });
  data context;
  for (const auto& [key, value] : values.scalars) context.set(key, value);
  for (const auto& [key, items] : values.lists) {
    data list{data::type::list};
    for (const std::string& item : items) list << data{item};
    context.set(key, list);
  }
  for (const auto& [key, fields] : values.objects) {
    data object{data::type::object};
    for (const auto& [name, value] : fields) object.set(name, value);
    context.set(key, object);
  }
  return tmpl.render(context);
}

}  // namespace jobsub

namespace jobsub {

std::string expand_command_template(const std::string& command_template, const fs::path& program,
                                    const Argv& args) {
  std::string out;
  for (std::size_t i = 0; i < command_template.size(); ++i) {
    const char c = command_template[i];
    if ((c == '{' || c == '}') && i + 1 < command_template.size() && command_template[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const std::size_t close = command_template.find('}', i);
    if (close == std::string::npos) {
      throw spec_error(fmt::format("command template '{}': unclosed '{{' (write {{{{ for a literal brace)",
                                   command_template));
    }
    const std::string name = command_template.substr(i + 1, close - i - 1);
    if (name == "script") {
      if (program.empty()) {
        throw spec_error(
            "the command uses {script} but no program is set: add `program: main.py` to the spec");
      }
      out += shell_quote(program.string());
    } else if (name == "args") {
      out += shell_join(args);
    } else if (name == "job_dir") {
      out += "\"$JOBSUB_JOB_DIR\"";
    } else if (name == "results_dir") {
      out += "\"$JOBSUB_RESULTS_DIR\"";
    } else if (name == "job") {
      out += "\"$JOBSUB_TASK_ID\"";
    } else {
      throw spec_error(
          fmt::format("command template '{}': unknown placeholder {{{}}}; known: {{script}} {{args}} "
                      "{{job_dir}} {{results_dir}} "
                      "{{job}}",
                      command_template, name));
    }
    i = close;
  }
  return out;
}

void validate_command_template(const std::string& command_template, const fs::path& program) {
  if (command_template.find_first_not_of(" \t") == std::string::npos) {
    throw spec_error("the command template is empty: set `command:` in the spec");
  }
  if (command_template.find('\n') != std::string::npos) {
    throw spec_error("the command template must be one line; put setup commands under `init:`");
  }
  expand_command_template(command_template, program, {});
}

}  // namespace jobsub

namespace jobsub {

TemplateValues batch_template_values(const BatchRequest& request) {
  TemplateValues values;
  values.scalars = {{"jobsub_version", JOBSUB_VERSION},
                    {"sweep_name", request.sweep_name},
                    {"batch_name", request.batch_name},
                    {"tasks", format_task_ranges(request.tasks)},
                    {"script_path", request.script_path.string()},
                    {"script_path_quoted", shell_quote(request.script_path.string())},
                    {"results_dir", request.results_dir.string()},
                    {"workdir", request.workdir.string()},
                    {"task_body", request.task_body}};
  values.objects["resources"] = request.resources;
  values.lists["init"] = request.init_lines;
  return values;
}

namespace {

/// Every value a template pastes raw (names, paths, resources) must stay on
/// its line: a newline in a comment or a directive would be a line of shell.
void refuse_control_characters(const TemplateValues& values) {
  auto check = [](const std::string& field, const std::string& value) {
    const bool bad = has_control_character(value, /*except_tab=*/true);
    if (bad) {
      throw spec_error(
          fmt::format("{} {} holds a control character, which cannot go into a batch script: "
                      "rename it",
                      field, display_value(string_value(value))));
    }
  };
  for (const auto& [key, value] : values.scalars) {
    if (key != "task_body") check(key, value);
  }
  for (const auto& [key, fields] : values.objects) {
    for (const auto& [name, value] : fields) {
      // `directives`, like `init`, is the user's own script text, one line each.
      if (name != "directives") check(fmt::format("{}.{}", key, name), value);
    }
  }
}

}  // namespace

namespace {

/// Every tag of a user's template must name a value jobsub provides: a
/// misspelt `{{resource.time}}` would render as nothing, silently. Inside a
/// section over an object (`{{#resources}}`) any name is the object's field;
/// `{{.}}` is the item of a list; `resources.<name>` may name a resource the
/// sweep does not set (an optional one). A template that changes its
/// delimiters (`{{=`) is not checked.
void check_template_names(const std::string& text, const TemplateValues& values, const std::string& name) {
  if (text.find("{{=") != std::string::npos) return;
  std::vector<std::string> known;
  for (const auto& [key, value] : values.scalars) known.push_back(key);
  for (const auto& [key, value] : values.lists) known.push_back(key);
  for (const auto& [key, value] : values.objects) known.push_back(key);
  std::vector<bool> in_object;  // one entry per open section
  std::size_t at = 0;
  while ((at = text.find("{{", at)) != std::string::npos) {
    const bool triple = text.compare(at, 3, "{{{") == 0;
    const std::size_t close = text.find(triple ? "}}}" : "}}", at);
    if (close == std::string::npos) return;  // render_template reports it
    std::string tag = trim(text.substr(at + (triple ? 3 : 2), close - at - (triple ? 3 : 2)));
    const std::size_t tag_at = at;
    at = close + (triple ? 3 : 2);
    char sigil = tag.empty() ? '\0' : tag[0];
    if (sigil == '!') continue;
    if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '&' || sigil == '>')
      tag = trim(tag.substr(1));
    if (sigil == '/') {
      if (!in_object.empty()) in_object.pop_back();
      continue;
    }
    const std::string head = tag.substr(0, tag.find('.'));
    const bool inside_object = std::find(in_object.begin(), in_object.end(), true) != in_object.end();
    const bool ok = tag == "." || inside_object || std::find(known.begin(), known.end(), head) != known.end();
    if (!ok) {
      const auto line =
          std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(tag_at), '\n') + 1;
      std::sort(known.begin(), known.end());
      throw spec_error(fmt::format("template {}:{}: `{}` is not a value jobsub provides{}; it provides {}",
                                   name, line, text.substr(tag_at, at - tag_at), did_you_mean(head, known),
                                   join(known)));
    }
    if (sigil == '#' || sigil == '^') in_object.push_back(values.objects.count(tag) > 0);
  }
}

}  // namespace

std::string render_batch_script(const BatchRequest& request, const TemplateValues& values,
                                const std::string& default_template, const std::string& scheduler) {
  refuse_control_characters(values);
  if (!request.template_text.empty()) {
    const std::string name =
        request.template_file.empty() ? std::string("(user template)") : request.template_file.string();
    std::string script = render_template(request.template_text, values, name);  // valid Mustache first
    check_template_names(request.template_text, values, name);
    const std::size_t body = script.find(request.task_body);
    if (body == std::string::npos) {
      throw spec_error(fmt::format(
          "the {} batch template does not run the jobs: it must contain {{{{{{task_body}}}}}} (after setting "
          "JOBSUB_TASK_ID; see the user guide, 'Batch script templates')",
          scheduler));
    }
    if (script.rfind("JOBSUB_TASK_ID=", body) == std::string::npos) {
      throw spec_error(
          fmt::format("the {} batch template does not set JOBSUB_TASK_ID before {{{{{{task_body}}}}}}, so no "
                      "job would know "
                      "its number: copy the line that sets it from the default template (`jobsub --dry-run` "
                      "shows it; the "
                      "user guide's 'Batch script templates' says what each scheduler passes)",
                      scheduler));
    }
    return script;
  }
  return render_template(default_template, values, fmt::format("{} default", scheduler));
}

}  // namespace jobsub
