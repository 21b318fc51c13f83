#include "jobsub/submit.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "jobsub/errors.h"
#include "jobsub/plugin_options.h"
#include "jobsub/process.h"
#include "jobsub/records.h"
#include "jobsub/script.h"
#include "jobsub/shell.h"
#include "jobsub/store.h"
#include "jobsub/terminal.h"
#include "jobsub/text.h"
#include "jobsub/tracker.h"
#include "jobsub/version.h"

namespace jobsub {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_interrupt(int) { g_interrupted.store(true); }

using ordered_json = nlohmann::ordered_json;

std::string json_dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// The components chosen for one sweep, with their options.
struct Pipeline {
  PluginHandle<Layout> layout;
  PluginHandle<Sweeper> sweeper;
  PluginHandle<Formatter> formatter;
  PluginHandle<Scheduler> scheduler;
  std::map<std::string, const ComponentEntry*> entries;  // by kind
  std::vector<std::string> notes;                        // e.g. a plugin that shadows another
};

/// The options `entry` declares, from `given` (by qualified name) or their defaults.
PluginOptions options_for(const ComponentEntry& entry, const std::map<std::string, std::string>& given) {
  PluginOptions options;
  for (std::size_t i = 0; i < entry.info->option_count; ++i) {
    const jobsub_option_info& option = entry.info->options[i];
    auto it = given.find(fmt::format("{}.{}", entry.info->name, option.name));
    if (it != given.end()) {
      options[option.name] = it->second;
    } else if (option.default_value != nullptr) {
      options[option.name] = option.default_value;
    }
  }
  return options;
}

/// Every `options.*` setting by the qualified name it stands for. An option
/// of a plugin this sweep does not use is an error that says which to choose.
std::map<std::string, std::string> resolve_options(const Pipeline& pipeline, const SweepSpec& spec,
                                                   const PluginRegistry& registry) {
  const std::vector<PluginOption> declared = plugin_options(registry);
  std::map<std::string, std::string> resolved;
  for (const auto& [key, setting] : spec.settings) {
    if (key.rfind("options.", 0) != 0) continue;
    const std::string name = key.substr(8);
    const std::string qualified = resolve_plugin_option(declared, name, setting.origin);
    const auto option = std::find_if(declared.begin(), declared.end(),
                                     [&](const PluginOption& o) { return o.qualified == qualified; });
    const char* kind = option->entry->info->kind;
    const auto used = pipeline.entries.find(kind);
    if (used == pipeline.entries.end() || used->second != option->entry) {
      throw spec_error(fmt::format(
          "{}: option '{}' belongs to {} '{}', which this sweep does not use: add --{}={} (now: {})",
          setting.origin, name, kind, option->entry->info->name, kind, option->entry->info->name,
          spec.get(kind)));
    }
    resolved[qualified] = setting.value;
  }
  return resolved;
}

void check(const Status& status, const std::string& what, ExitCode code = ExitCode::bad_spec) {
  if (!status.ok) throw Error(code, fmt::format("{}: {}", what, status.message));
}

/// A batch-script template: a file that exists and says something.
/// `origin` says where it was named (`command line`, `jobsub.yaml:7`).
std::string read_template_file(const fs::path& path, const std::string& origin) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw spec_error(
        fmt::format("template {} ({}) is a directory: name a Mustache file, e.g. "
                    "templates/slurm.sh.mustache",
                    path.string(), origin));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw spec_error(fmt::format("cannot read template {} ({})", path.string(), origin));
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw spec_error(
        fmt::format("template {} ({}) is empty: start from the default one (`jobsub --dry-run` "
                    "prints it), or drop the setting to use it",
                    path.string(), origin));
  }
  return text;
}

/// Removes a results directory unless something was submitted from it.
/// Removes a results directory that nothing was submitted from, and the
/// parents that were made for it (`results/`, `results/<name>/`) when they
/// were not there before and are empty now.
class ResultsDirGuard {
 public:
  ResultsDirGuard(fs::path dir, std::vector<fs::path> new_parents)
      : dir_(std::move(dir)), new_parents_(std::move(new_parents)) {}
  ~ResultsDirGuard() {
    if (dir_.empty()) return;
    std::error_code ec;
    fs::remove_all(dir_, ec);
    for (const fs::path& parent : new_parents_) fs::remove(parent, ec);  // only if empty
  }
  void keep() { dir_.clear(); }

 private:
  fs::path dir_;
  std::vector<fs::path> new_parents_;  ///< innermost first
};

/// Each command that submits `rendered`, one indented line each.
std::string submit_commands(const RenderedBatch& rendered) {
  std::string out;
  if (rendered.all_submit_argvs.empty()) return fmt::format("  {}\n", shell_join(rendered.submit_argv));
  for (const std::vector<std::string>& argv : rendered.all_submit_argvs)
    out += fmt::format("  {}\n", shell_join(argv));
  return out;
}

/// The last `count` lines of a file, each indented, after a newline; empty
/// when there is no such file or it is empty. Reads at most the last 4 KiB.
std::string last_lines(const fs::path& path, std::size_t count) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - 4096);
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::vector<std::string> lines;
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  if (start > 0 && !lines.empty()) lines.erase(lines.begin());  // a partial first line
  std::string out;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
    out += fmt::format("\n    | {}", lines[i]);
  return out;
}

void write_script(const fs::path& path, const std::string& text) {
  write_file_atomically(path, text);
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
}

/// Everything one `jobsub submit` run keeps track of.
class Submission final : public SubmitContext {
 public:
  Submission(const PluginRegistry& registry, const SubmitRequest& request, std::ostream& out)
      : request_(request),
        spec_(request.spec),
        out_(out),
        terminal_(&out == &std::cout && ::isatty(STDOUT_FILENO)),
        color_(terminal_ && use_color(STDOUT_FILENO)) {
    load_pipeline(registry);
  }

  SubmitOutcome run(Prompter* prompter);

  // SubmitContext
  bool interrupted() const noexcept override { return interrupt_requested(); }
  void job_event(const TaskOutcome& outcome) noexcept override;
  void progress(const std::string& line) noexcept override {
    clear_progress_line();
    fmt::print(out_, "{}\n", line);
  }

 private:
  void load_pipeline(const PluginRegistry& registry);
  void prepare();
  void print_summary() const;
  void job_at(uint64_t job, Params& params, Argv& args) const;
  BatchRequest batch_request(const std::string& name, const std::vector<TaskRange>& tasks) const;
  void dry_run();
  void print_warnings(const RenderedBatch& rendered) const {
    for (const std::string& w : rendered.warnings)
      fmt::print(out_, "jobsub: {} {}: {}\n", styled(color_, styles::note, "note:"), spec_.get("scheduler"),
                 w);
  }
  /// `formatter 'sacred'`: a stage and the plugin chosen for it, for messages.
  std::string stage(const std::string& kind) const { return fmt::format("{} '{}'", kind, spec_.get(kind)); }
  void write_job_files();
  void write_provenance();
  void submit_batch(TaskRange range);
  void write_jobs_table();
  void record_sweep();
  void flush_store() noexcept;
  void wait_for_jobs();
  void append_submission(const ordered_json& line);
  void clear_progress_line() noexcept;
  void draw_progress() noexcept;
  SubmitOutcome finish();

  const SubmitRequest& request_;
  const SweepSpec& spec_;
  std::ostream& out_;
  bool terminal_;
  bool color_;  ///< terminal_ and not NO_COLOR
  Pipeline pipeline_;
  std::map<std::string, std::string> options_;  ///< plugin options by qualified name

  LayoutResult layout_;
  HyperSpace space_;
  uint64_t job_count_ = 0;
  std::string command_template_;
  std::string template_text_;
  fs::path template_file_;
  uint64_t max_running_ = 0;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();

  fs::path results_dir_;
  int batches_ = 0;
  uint64_t submitted_ = 0;
  std::vector<JobState> states_;
  std::vector<int> exit_codes_;
  NativeIdTable native_ids_;
  uint64_t running_ = 0, completed_ = 0, failed_ = 0, cancelled_ = 0;
  uint64_t batch_size_ = 0;
  uint64_t lost_ = 0;
  bool progress_shown_ = false;
  ResultsDirGuard* guard_ = nullptr;
  std::vector<uint64_t> hashes_;  ///< job i+1: a stable hash of its params and command
  std::unique_ptr<Store> store_;  ///< opened when the sweep is first kept
  int64_t sweep_id_ = 0;
  std::vector<TaskOutcome> changed_;  ///< job states not yet written to the store
};

void Submission::load_pipeline(const PluginRegistry& registry) {
  auto load = [&](const std::string& kind, auto& handle) {
    using Interface = std::remove_reference_t<decltype(*handle)>;
    const std::string name = spec_.get(kind);
    pipeline_.entries[kind] = &registry.require(kind, name);
    handle = registry.create<Interface>(name);
  };
  for (const std::string kind : {"layout", "sweeper", "formatter", "scheduler"}) {
    const fs::path hidden = registry.shadowed_by(registry.require(kind, spec_.get(kind)));
    if (!hidden.empty()) {
      pipeline_.notes.push_back(fmt::format("{} '{}' is {}, which shadows {}", kind, spec_.get(kind),
                                            registry.require(kind, spec_.get(kind)).file.string(),
                                            hidden.string()));
    }
  }
  load("layout", pipeline_.layout);
  load("sweeper", pipeline_.sweeper);
  load("formatter", pipeline_.formatter);
  load("scheduler", pipeline_.scheduler);
  options_ = resolve_options(pipeline_, spec_, registry);
  check(pipeline_.formatter->configure(options_for(*pipeline_.entries["formatter"], options_)),
        stage("formatter"));
  check(pipeline_.scheduler->configure(options_for(*pipeline_.entries["scheduler"], options_)),
        stage("scheduler"));
}

void Submission::prepare() {
  check(pipeline_.layout->verify({spec_.experiment_dir, spec_.get("program")}, layout_), stage("layout"));
  // The planned directory (checking the name), which dry run and the probe render use.
  results_dir_ = planned_results_dir(layout_.results_root, spec_.get("name"), started_);
  space_ = build_hyperspace(spec_);
  PluginOptions sweeper_options = options_for(*pipeline_.entries["sweeper"], options_);
  sweeper_options[kMaxJobsOption] = std::to_string(request_.max_jobs);  // so a sweeper can refuse early
  check(pipeline_.sweeper->configure(space_, sweeper_options), stage("sweeper"));
  job_count_ = pipeline_.sweeper->size();
  if (job_count_ == 0) throw spec_error("the sweep has no jobs");
  if (job_count_ > request_.max_jobs) {
    throw spec_error(
        fmt::format("the sweep has {} jobs, more than --max-jobs {}: nothing was written. Check the grid "
                    "(`jobsub --show-config` lists every hyper; a range() may be larger than meant), or pass "
                    "--max-jobs {} if you mean it",
                    job_count_, request_.max_jobs, job_count_));
  }

  command_template_ = spec_.get("command", pipeline_.formatter->default_command());
  if (spec_.file.empty() && layout_.program.empty() &&
      command_template_.find("{script}") != std::string::npos) {
    throw spec_error(fmt::format(
        "there is no jobsub.yaml in {} (and no --spec), so jobsub does not know what to run: write a "
        "jobsub.yaml there (at least `program: main.py`; see docs/user-guide.md), pass --spec FILE, or "
        "--program main.py",
        spec_.experiment_dir.string()));
  }
  validate_command_template(command_template_, layout_.program);
  // Without {args}, {job} or {job_dir}, every job would run the same command.
  const bool per_job = command_template_.find("{args}") != std::string::npos ||
                       command_template_.find("{job}") != std::string::npos ||
                       command_template_.find("{job_dir}") != std::string::npos;
  if (job_count_ > 1 && !per_job && !request_.allow_no_args) {
    throw spec_error(fmt::format(
        "the command `{}` has no {{args}}, so all {} jobs would run the same command: put {{args}} where the "
        "arguments go, or pass --allow-no-args if the program reads its parameters itself (from "
        "$JOBSUB_JOB_DIR/params.json)",
        command_template_, job_count_));
  }

  const std::string max_running = spec_.get("max_running", "0");
  try {
    std::size_t used = 0;
    const long long v = std::stoll(max_running, &used);
    if (used != max_running.size() || v < 0) throw std::invalid_argument("negative");
    max_running_ = static_cast<uint64_t>(v);
  } catch (const std::exception&) {
    throw spec_error(fmt::format("max_running must be a whole number >= 0, got '{}' ({})", max_running,
                                 spec_.settings.at("max_running").origin));
  }

  const std::string scheduler = spec_.get("scheduler");
  if (spec_.has("template")) {
    fs::path path = spec_.get("template");
    if (path.is_relative()) path = spec_.experiment_dir / path;
    template_text_ = read_template_file(path, spec_.settings.at("template").origin);
    template_file_ = path;
  } else if (const fs::path path =
                 spec_.experiment_dir / "templates" / fmt::format("{}.sh.mustache", scheduler);
             fs::exists(path)) {
    template_text_ = read_template_file(path, "found in the experiment's templates/");
    template_file_ = path;
  }
}

void Submission::print_summary() const {
  auto origin = [&](const std::string& key) {
    auto it = spec_.settings.find(key);
    return it == spec_.settings.end() ? std::string() : fmt::format("  ({})", it->second.origin);
  };
  fmt::print(out_, "jobsub: sweep '{}': {} {}\n", spec_.get("name"), job_count_,
             job_count_ == 1 ? "job" : "jobs");
  for (const std::string kind : {"layout", "sweeper", "formatter", "scheduler"}) {
    fmt::print(out_, "  {:<11}{}{}\n", kind, pipeline_.entries.at(kind)->info->name, origin(kind));
  }
  for (const std::string& note : pipeline_.notes)
    fmt::print(out_, "jobsub: {} {}\n", styled(color_, styles::note, "note:"), note);
  fmt::print(out_, "  {:<11}{}{}\n", "command", command_template_, origin("command"));
  if (!layout_.program.empty()) fmt::print(out_, "  {:<11}{}\n", "program", layout_.program.string());
  fmt::print(out_, "  {:<11}{}\n", "workdir", layout_.workdir.string());
  for (const auto& [key, setting] : spec_.settings) {
    if (key.rfind("resources.", 0) == 0 || key.rfind("options.", 0) == 0) {
      fmt::print(out_, "  {} = {}  ({})\n", key, setting.value, setting.origin);
    }
  }
}

void Submission::job_at(uint64_t job, Params& params, Argv& args) const {
  params.clear();
  args.clear();
  check(pipeline_.sweeper->at(job - 1, params), fmt::format("{}, job {}", stage("sweeper"), job));
  check(pipeline_.formatter->format(params, args), fmt::format("{}, job {}", stage("formatter"), job));
}

BatchRequest Submission::batch_request(const std::string& name, const std::vector<TaskRange>& tasks) const {
  BatchRequest batch;
  batch.sweep_name = spec_.get("name");
  batch.batch_name = name;
  batch.results_dir = results_dir_;
  batch.script_path = results_dir_ / fmt::format("{}.sh", name);
  batch.workdir = layout_.workdir;
  batch.tasks = tasks;
  batch.job_count = job_count_;
  batch.array = !request_.no_array;
  batch.max_running = max_running_;
  batch.resources = spec_.section("resources");
  batch.init_lines = spec_.init_lines;
  batch.template_text = template_text_;
  batch.template_file = template_file_;
  batch.task_body = task_body(results_dir_, job_count_, layout_.workdir, spec_.init_lines);
  return batch;
}

void Submission::dry_run() {
  Params params;
  Argv args;
  fmt::print(out_, "dry run: nothing is written or submitted; results would go to {}\n\n",
             results_dir_.string());
  for (uint64_t job = 1; job <= job_count_; ++job) {
    if (interrupted()) throw Error(ExitCode::interrupted, fmt::format("dry run interrupted at job {}", job));
    job_at(job, params, args);
    fmt::print(out_, "job {}: {}\n", job, expand_command_template(command_template_, layout_.program, args));
  }
  const BatchRequest batch = batch_request("batch-1", {{1, job_count_}});
  RenderedBatch rendered;
  check(pipeline_.scheduler->render(batch, rendered), stage("scheduler"));
  print_warnings(rendered);
  fmt::print(out_, "\n--- {} ---\n{}--- submitted with:\n{}", batch.script_path.string(), rendered.script,
             submit_commands(rendered));
}

void Submission::write_provenance() {
  ordered_json j;
  j["jobsub_version"] = JOBSUB_VERSION;
  const std::time_t t = std::chrono::system_clock::to_time_t(started_);
  char when[64];
  std::tm local{};
  localtime_r(&t, &local);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", &local);
  j["created"] = when;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  j["host"] = host;
  const passwd* account = ::getpwuid(::getuid());
  j["user"] = account != nullptr ? std::string(account->pw_name) : std::to_string(::getuid());
  j["command_line"] = request_.command_line;
  j["cwd"] = fs::current_path().string();
  j["spec_file"] = spec_.file.empty() ? ordered_json(nullptr) : ordered_json(spec_.file.string());
  j["experiment_dir"] = spec_.experiment_dir.string();
  j["project_dir"] = layout_.project_dir.string();
  const GitState git = read_git_state(layout_.project_dir);
  j["git"] = git.is_repo ? ordered_json{{"commit", git.commit}, {"dirty", git.dirty}} : ordered_json(nullptr);
  ordered_json settings = ordered_json::object();
  for (const auto& [key, setting] : spec_.settings)
    settings[key] = {{"value", setting.value}, {"origin", setting.origin}};
  j["settings"] = settings;
  j["init"] = spec_.init_lines;
  ordered_json grids = ordered_json::array();
  for (const GridDecl& grid : spec_.grids) {
    ordered_json g = ordered_json::object();
    for (const HyperDecl& h : grid.hypers) {
      ordered_json values = ordered_json::array();
      for (const ValueList::Segment& segment : h.values.segments()) {
        if (segment.is_range()) {
          const IntRange& r = segment.range;
          values.push_back({{"range", {{"start", r.start}, {"stop", r.stop}, {"step", r.step}}}});
        }
        for (const Value& v : segment.values) values.push_back(v.text);
      }
      g[h.key] = values;
    }
    grids.push_back(g);
  }
  j["hypers"] = grids;
  j["zip"] = spec_.zip;
  ordered_json plugins = ordered_json::object();
  for (const auto& [kind, entry] : pipeline_.entries) {
    plugins[kind] = {{"name", entry->info->name},
                     {"version", entry->plugin->plugin_version ? entry->plugin->plugin_version : ""},
                     {"file", fs::absolute(entry->file).lexically_normal().string()},
                     {"sha256", file_sha256(entry->file)}};
  }
  j["plugins"] = plugins;
  j["command_template"] = command_template_;
  j["program"] = layout_.program.string();
  j["workdir"] = layout_.workdir.string();
  j["job_count"] = job_count_;
  write_file_atomically(results_dir_ / "sweep.json",
                        j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (!spec_.file.empty()) fs::copy_file(spec_.file, results_dir_ / "jobsub.yaml");
}

void Submission::write_job_files() {
  std::ofstream commands(results_dir_ / "commands", std::ios::binary);
  std::ofstream params_out(results_dir_ / "params.jsonl", std::ios::binary);
  std::ofstream argv_out(results_dir_ / "argv.jsonl", std::ios::binary);
  std::ofstream index(results_dir_ / "tasks.idx", std::ios::binary);
  uint64_t offsets[3] = {0, 0, 0};
  auto write_line = [&](std::ofstream& file, uint64_t& offset, const std::string& line) {
    file << line << '\n';
    offset += line.size() + 1;
  };
  Params params;
  Argv args;
  hashes_.reserve(job_count_);
  for (uint64_t job = 1; job <= job_count_; ++job) {
    if ((job & 0xfff) == 0 && interrupted())
      throw Error(ExitCode::interrupted, "interrupted before anything was submitted");
    job_at(job, params, args);
    index << task_index_record(offsets[0], offsets[1], offsets[2]);
    const std::string command = expand_command_template(command_template_, layout_.program, args);
    const std::string params_json = params_to_json(params);
    hashes_.push_back(job_hash(params_json, command));
    write_line(commands, offsets[0], command);
    write_line(params_out, offsets[1], params_json);
    write_line(argv_out, offsets[2], argv_to_json(args));
  }
  index << task_index_record(offsets[0], offsets[1], offsets[2]);
  for (std::ofstream* file : {&commands, &params_out, &argv_out, &index}) file->flush();
  if (!commands || !params_out || !argv_out || !index)
    throw job_error(fmt::format("cannot write the job files in {}", results_dir_.string()));
  fs::create_directory(results_dir_ / "jobs");
}

void Submission::append_submission(const ordered_json& line) {
  std::ofstream out(results_dir_ / "submissions.jsonl", std::ios::app | std::ios::binary);
  out << json_dump(line) << '\n';
  out.flush();
}

void Submission::flush_store() noexcept {
  if (!store_ || changed_.empty()) return;
  try {
    store_->update_jobs(sweep_id_, changed_);
  } catch (const std::exception& e) {
    // The files stay the record; the store catches up at the next flush.
    progress(fmt::format("jobsub: could not update the state store: {}", e.what()));
    return;
  }
  changed_.clear();
}

void Submission::write_jobs_table() {
  flush_store();
  jobsub::write_jobs_table(results_dir_, job_count_, [&](uint64_t job) {
    return JobsTableRow{to_string(states_[job - 1]), exit_codes_[job - 1], native_ids_.get(job)};
  });
}

void Submission::clear_progress_line() noexcept {
  if (terminal_ && progress_shown_) {
    fmt::print(out_, "\r\033[K");
    out_.flush();
    progress_shown_ = false;
  }
}

void Submission::draw_progress() noexcept {
  if (!terminal_) return;
  const std::string failed = fmt::format("{} failed", failed_);
  fmt::print(out_, "\r\033[K{} {} completed, {}, {} running",
             styled(color_, styles::progress,
                    fmt::format("[{}] {}/{} done:", spec_.get("scheduler"), completed_ + failed_ + cancelled_,
                                submitted_)),
             completed_, styled(color_ && failed_ > 0, styles::failure, failed), running_);
  out_.flush();
  progress_shown_ = true;
}

void Submission::job_event(const TaskOutcome& outcome) noexcept {
  if (outcome.job == 0 || outcome.job > job_count_) return;
  const uint64_t i = outcome.job - 1;
  const JobState before = states_[i];
  if (store_) {
    changed_.push_back(outcome);
    if (changed_.size() >= 4096) flush_store();  // bounded memory on a long local run
  }
  states_[i] = outcome.state;
  if (outcome.exit_code >= 0) exit_codes_[i] = outcome.exit_code;
  if (!outcome.native_id.empty()) native_ids_.set(outcome.job, outcome.native_id);
  if (before == JobState::running && outcome.state != JobState::running) --running_;
  if (outcome.state == JobState::running && before != JobState::running) ++running_;
  if (is_final(outcome.state) && !is_final(before)) {
    if (outcome.state == JobState::completed) {
      ++completed_;
    } else if (outcome.state == JobState::cancelled) {
      ++cancelled_;
    } else {
      ++failed_;
    }
    // On a terminal the progress line shows completions; a test job (a batch
    // of one) always gets its own line, with where its output is.
    const bool test_job = batch_size_ == 1;
    const bool worth_a_line = !terminal_ || outcome.state != JobState::completed || test_job;
    if (worth_a_line) {
      clear_progress_line();
      const fs::path job_dir = results_dir_ / "jobs" / job_dir_name(outcome.job, job_count_);
      std::string detail;
      if (outcome.state == JobState::lost) {
        detail = ": gone from the queue without an exit code";
      } else if (outcome.state != JobState::completed && outcome.state != JobState::cancelled) {
        std::error_code ec;
        detail = fs::exists(job_dir / "stderr", ec)
                     ? fmt::format(": see {}", (job_dir / "stderr").string())
                     : fmt::format(": it left no output of its own; see the scheduler's log in {}",
                                   (results_dir_ / "logs").string());
        if (test_job) detail += last_lines(job_dir / "stderr", 5);
      } else if (test_job && outcome.state == JobState::completed) {
        detail = fmt::format(": output in {}", job_dir.string());
      }
      const fmt::text_style style = outcome.state == JobState::completed ? styles::success : styles::failure;
      fmt::print(out_, "job {}/{} {}{}{}\n", outcome.job, job_count_,
                 styled(color_, style, to_string(outcome.state)),
                 outcome.exit_code >= 0 ? fmt::format(" (exit {})", outcome.exit_code) : std::string(),
                 detail);
    }
  }
  draw_progress();
}

/// The sweep and its jobs in the experiment's state store, once: at the first
/// submission (or --manual), when the results directory is kept.
void Submission::record_sweep() {
  if (store_) return;
  store_ = std::make_unique<Store>(Store::path_for(spec_.experiment_dir), true);
  sweep_id_ = store_->add_sweep({spec_.get("name"), results_dir_, utc_timestamp(started_),
                                 spec_.get("scheduler"), job_count_, command_template_});
}

void Submission::submit_batch(TaskRange range) {
  const std::string name = fmt::format("batch-{}", ++batches_);
  const BatchRequest batch = batch_request(name, {range});
  RenderedBatch rendered;
  check(pipeline_.scheduler->render(batch, rendered), stage("scheduler"));
  if (batches_ == 1) print_warnings(rendered);
  write_script(batch.script_path, rendered.script);
  const std::string jobs = format_task_ranges(batch.tasks);
  append_submission({{"batch", name},
                     {"jobs", jobs},
                     {"state", "submitting"},
                     {"script", batch.script_path.string()},
                     {"submit", rendered.submit_argv}});
  record_sweep();
  const int64_t batch_id = store_->begin_batch(sweep_id_, name, {range}, hashes_);
  for (uint64_t job = range.first; job <= range.last; ++job) states_[job - 1] = JobState::pending;
  submitted_ += range.size();
  batch_size_ = range.size();
  if (guard_ != nullptr) guard_->keep();  // from here on, the directory records a submission

  SubmitResult result;
  const Status status = pipeline_.scheduler->submit(batch, rendered, *this, result);
  for (const TaskOutcome& outcome : result.outcomes) job_event(outcome);
  clear_progress_line();
  if (!status.ok) {
    // Jobs the scheduler did not take are recorded as such.
    std::set<uint64_t> taken;
    for (const TaskOutcome& outcome : result.outcomes) taken.insert(outcome.job);
    for (uint64_t job = range.first; job <= range.last; ++job) {
      if (!taken.count(job)) {
        states_[job - 1] = JobState::not_submitted;
        --submitted_;
      }
    }
  }
  // Jobs still in the scheduler's hands: say where to find them.
  const bool queued = std::any_of(result.outcomes.begin(), result.outcomes.end(),
                                  [](const TaskOutcome& o) { return !is_final(o.state); });
  if (status.ok && queued && !result.native_id.empty()) {
    fmt::print(out_, "jobsub: {} {} submitted as {}{}\n", range.size() == 1 ? "job" : "jobs", jobs,
               result.native_id,
               range.size() == 1
                   ? fmt::format("; output will be in {}",
                                 (results_dir_ / "jobs" / job_dir_name(range.first, job_count_)).string())
                   : std::string());
  }
  append_submission({{"batch", name},
                     {"jobs", jobs},
                     {"state", status.ok ? "submitted" : "failed"},
                     {"native_id", result.native_id},
                     {"message", status.message}});
  store_->end_batch(sweep_id_, batch_id, status.ok ? "submitted" : "failed", result.native_id, status.message,
                    result.outcomes);
  write_jobs_table();
  if (!status.ok && interrupted()) {
    throw Error(
        ExitCode::interrupted,
        fmt::format("interrupted while submitting {}: {} of its {} jobs were submitted; record of which: {}",
                    name, result.outcomes.size(), range.size(), (results_dir_ / "jobs.tsv").string()));
  }
  if (!status.ok) {
    throw job_error(fmt::format(
        "scheduler '{}' could not submit {} (jobs {}): {}\nrecord of what was and was not "
        "submitted: {}",
        spec_.get("scheduler"), name, jobs, status.message, (results_dir_ / "jobs.tsv").string()));
  }
}

void Submission::wait_for_jobs() {
  const auto waiting = [&] {
    std::vector<OpenJob> jobs;
    for (uint64_t i = 0; i < job_count_; ++i) {
      const JobState s = states_[i];
      if (s == JobState::pending || s == JobState::queued || s == JobState::held || s == JobState::running) {
        jobs.push_back({i + 1, s, native_ids_.get(i + 1)});
      }
    }
    return jobs;
  };
  Tracker tracker(*pipeline_.scheduler, results_dir_, job_count_);
  int failed_queries = 0;
  for (std::vector<OpenJob> jobs = waiting(); !jobs.empty(); jobs = waiting()) {
    if (interrupted()) {
      clear_progress_line();
      fmt::print(out_, "jobsub: stopped waiting; the jobs go on ({} not finished)\n", jobs.size());
      return;
    }
    std::vector<TaskOutcome> outcomes;
    const Status status = tracker.poll(jobs, outcomes);
    if (!status.ok) {
      if (++failed_queries >= 5) throw job_error(fmt::format("cannot follow the jobs: {}", status.message));
      progress(fmt::format("query failed ({}); trying again", status.message));
    } else {
      failed_queries = 0;
      for (const TaskOutcome& outcome : outcomes) {
        if (outcome.state == JobState::lost && states_[outcome.job - 1] != JobState::lost) ++lost_;
        job_event(outcome);
      }
      write_jobs_table();
      if (waiting().empty()) break;
    }
    const double seconds = request_.poll_seconds;
    timespec pause{static_cast<time_t>(seconds),
                   static_cast<long>((seconds - static_cast<time_t>(seconds)) * 1e9)};
    nanosleep(&pause, nullptr);  // returns early on Ctrl-C
  }
  clear_progress_line();
}

SubmitOutcome Submission::finish() {
  SubmitOutcome outcome;
  outcome.results_dir = results_dir_;
  outcome.jobs = job_count_;
  outcome.submitted = submitted_;
  outcome.completed = completed_;
  outcome.failed = failed_;
  outcome.cancelled = cancelled_;
  outcome.lost = lost_;
  outcome.interrupted = interrupted();
  outcome.exit_code = outcome.interrupted        ? static_cast<int>(ExitCode::interrupted)
                      : failed_ + cancelled_ > 0 ? static_cast<int>(ExitCode::job_failed)
                                                 : 0;
  std::string counts;
  if (completed_ + failed_ + cancelled_ > 0) {
    counts = fmt::format(
        "; {} completed, {}, {} cancelled{}", completed_,
        styled(color_ && failed_ > 0, styles::failure, fmt::format("{} failed", failed_)), cancelled_,
        lost_ > 0 ? fmt::format(" ({} lost: gone from the queue without an exit code)", lost_)
                  : std::string());
  }
  fmt::print(out_, "jobsub: {} of {} jobs submitted{}\njobsub: results in {}\n", submitted_, job_count_,
             counts, results_dir_.string());
  return outcome;
}

SubmitOutcome Submission::run(Prompter* prompter) {
  prepare();
  print_summary();
  if (request_.dry_run) {
    dry_run();
    SubmitOutcome outcome;
    outcome.jobs = job_count_;
    return outcome;
  }
  // Rendering is pure: try it before anything is written, so a bad template
  // or resource fails without leaving a results directory behind. (prepare()
  // set results_dir_ to the planned directory.)
  RenderedBatch probe;
  check(pipeline_.scheduler->render(batch_request("batch-1", {{1, job_count_}}), probe), stage("scheduler"));

  std::vector<fs::path> new_parents;
  for (const fs::path& parent : {layout_.results_root / spec_.get("name"), layout_.results_root}) {
    if (!fs::exists(parent)) new_parents.push_back(parent);
  }
  results_dir_ = create_results_dir(layout_.results_root, spec_.get("name"), started_);
  ResultsDirGuard guard(results_dir_, new_parents);
  guard_ = &guard;
  states_.assign(job_count_, JobState::not_submitted);
  exit_codes_.assign(job_count_, -1);
  native_ids_ = NativeIdTable(job_count_);
  write_provenance();
  write_job_files();
  if (interrupted()) throw Error(ExitCode::interrupted, "interrupted before anything was submitted");

  if (request_.manual) {
    const BatchRequest batch = batch_request("batch-1", {{1, job_count_}});
    RenderedBatch rendered;
    check(pipeline_.scheduler->render(batch, rendered), stage("scheduler"));
    print_warnings(rendered);
    write_script(batch.script_path, rendered.script);
    record_sweep();
    write_jobs_table();
    guard.keep();
    fmt::print(
        out_,
        "manual mode: nothing submitted. Script: {}\nsubmit it yourself with:\n{}jobsub: results in {}\n",
        batch.script_path.string(), submit_commands(rendered), results_dir_.string());
    SubmitOutcome outcome;
    outcome.results_dir = results_dir_;
    outcome.jobs = job_count_;
    return outcome;
  }

  Params params;
  Argv args;
  uint64_t job = 1;
  while (job <= job_count_ && !interrupted()) {
    Answer answer = Answer::all;
    if (prompter != nullptr) {
      job_at(job, params, args);
      answer = prompter->ask(job, job_count_, shell_join(args));
    }
    if (answer == Answer::exit || interrupted()) break;
    if (answer == Answer::no) {
      ++job;
      continue;
    }
    const TaskRange range = answer == Answer::yes ? TaskRange{job, job} : TaskRange{job, job_count_};
    submit_batch(range);
    job = range.last + 1;
  }
  if (submitted_ == 0) {
    fmt::print(out_, "jobsub: nothing submitted; removed {}\n", results_dir_.string());
    SubmitOutcome outcome;
    outcome.jobs = job_count_;
    outcome.interrupted = interrupted();
    outcome.exit_code = outcome.interrupted ? static_cast<int>(ExitCode::interrupted) : 0;
    return outcome;  // the guard removes the directory
  }
  if (request_.wait && !interrupted()) wait_for_jobs();
  write_jobs_table();
  return finish();
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_interrupted.load(); }

void request_interrupt() noexcept { g_interrupted.store(true); }

SubmitOutcome run_submit(const PluginRegistry& registry, const SubmitRequest& request, Prompter* prompter,
                         std::ostream& out) {
  Submission submission(registry, request, out);
  return submission.run(prompter);
}

}  // namespace jobsub
