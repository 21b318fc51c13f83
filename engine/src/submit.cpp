#include "jobsub/submit.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ctime>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "jobsub/errors.h"
#include "jobsub/interrupt.h"
#include "jobsub/job_book.h"
#include "jobsub/pipeline.h"
#include "jobsub/process.h"
#include "jobsub/progress_view.h"
#include "jobsub/records.h"
#include "jobsub/script.h"
#include "jobsub/shell.h"
#include "jobsub/store.h"
#include "jobsub/submitter.h"
#include "jobsub/sweep_plan.h"
#include "jobsub/terminal.h"
#include "jobsub/text.h"
#include "jobsub/version.h"

namespace jobsub {
namespace {

using ordered_json = nlohmann::ordered_json;

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
  ResultsDirGuard(const ResultsDirGuard&) = delete;
  ResultsDirGuard& operator=(const ResultsDirGuard&) = delete;
  void keep() { dir_.clear(); }

 private:
  fs::path dir_;
  std::vector<fs::path> new_parents_;  ///< innermost first
};

/// Each command that submits `rendered`, one indented line each.
std::string submit_commands(const RenderedBatch& rendered) {
  const std::string input =
      rendered.submit_stdin.empty() ? "" : " < " + shell_quote(rendered.submit_stdin.string());
  std::string out;
  if (rendered.all_submit_argvs.empty())
    return fmt::format("  {}{}\n", shell_join(rendered.submit_argv), input);
  for (const std::vector<std::string>& argv : rendered.all_submit_argvs)
    out += fmt::format("  {}{}\n", shell_join(argv), input);
  return out;
}

/// A new sweep: everything one `jobsub submit` run keeps track of.
class NewSweepDriver {
 public:
  NewSweepDriver(const PluginRegistry& registry, const SubmitRequest& request, std::ostream& out)
      : registry_(registry),
        request_(request),
        spec_(request.spec),
        out_(out),
        pipeline_(load_pipeline(registry, request.spec, std::time(nullptr))) {}

  SubmitOutcome run(Prompter* prompter);

 private:
  void prepare();
  void print_summary() const;
  BatchRequest prototype() const;
  void dry_run();
  void write_sweep_json() const;
  /// Writes the job files, noting each job's hash and which completed before.
  void write_jobs(JobBook& book);
  int64_t record_sweep();
  SubmitOutcome manual(JobBook& book, ResultsDirGuard& guard);

  const PluginRegistry& registry_;
  const SubmitRequest& request_;
  const SweepSpec& spec_;
  std::ostream& out_;
  Pipeline pipeline_;
  int64_t sweep_id_ = 0;  ///< once recorded
  LayoutResult layout_;
  HyperSpace space_;
  std::unique_ptr<SweepPlan> plan_;
  uint64_t job_count_ = 0;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  fs::path results_dir_;
  std::vector<uint64_t> hashes_;                          ///< job i+1: its params and command, hashed
  std::unique_ptr<Store> store_;                          ///< the experiment's, when it has one
  std::unordered_map<uint64_t, CompletedJob> completed_;  ///< what earlier sweeps completed
  std::vector<uint64_t> skipped_;                         ///< jobs that completed before
  std::vector<TaskRange> to_submit_;
  ResourceGroups groups_;  ///< jobs whose grid has resources of its own
  /// The sweep as the batches a dry run, --manual and the probe render show:
  /// one for the whole sweep, or one per resource group.
  std::vector<BatchRequest> whole_sweep_batches() const;
};

void NewSweepDriver::prepare() {
  check_status(pipeline_.layout->verify({spec_.experiment_dir, spec_.get("program")}, layout_),
               pipeline_.stage("layout"));
  // The planned directory (checking the name), which dry run and the probe render use.
  results_dir_ = planned_results_dir(layout_.results_root, spec_.get("name"), started_);
  space_ = build_hyperspace(spec_);
  PluginOptions sweeper_options = pipeline_.options_for("sweeper");
  sweeper_options[kMaxJobsOption] = std::to_string(request_.max_jobs);  // so a sweeper can refuse early
  check_status(pipeline_.sweeper->configure(space_, sweeper_options), pipeline_.stage("sweeper"));
  job_count_ = pipeline_.sweeper->size();
  if (job_count_ == 0) throw spec_error("the sweep has no jobs");
  groups_ = resource_groups(spec_, space_, *pipeline_.sweeper, job_count_);
  if (job_count_ > request_.max_jobs) {
    throw spec_error(
        fmt::format("the sweep has {} jobs, more than --max-jobs {}: nothing was written. Check the grid "
                    "(`jobsub --show-config` lists every hyper; a range() may be larger than meant), or pass "
                    "--max-jobs {} if you mean it",
                    job_count_, request_.max_jobs, job_count_));
  }

  const std::string command_template = spec_.get("command", pipeline_.formatter->default_command());
  if (spec_.file.empty() && spec_.stdin_text.empty() && layout_.program.empty() &&
      command_template.find("{script}") != std::string::npos) {
    throw spec_error(fmt::format(
        "there is no jobsub.yaml in {} (and no --spec), so jobsub does not know what to run: write a "
        "jobsub.yaml there (at least `program: main.py`; see docs/user-guide.md), pass --spec FILE, or "
        "--program main.py",
        spec_.experiment_dir.string()));
  }
  validate_command_template(command_template, layout_.program);
  // Without {args}, {job} or {job_dir}, every job would run the same command.
  const bool per_job = command_template.find("{args}") != std::string::npos ||
                       command_template.find("{job}") != std::string::npos ||
                       command_template.find("{job_dir}") != std::string::npos;
  if (job_count_ > 1 && !per_job && !request_.allow_no_args) {
    throw spec_error(fmt::format(
        "the command `{}` has no {{args}}, so all {} jobs would run the same command: put {{args}} where the "
        "arguments go, or pass --allow-no-args if the program reads its parameters itself (from "
        "$JOBSUB_JOB_DIR/params.json)",
        command_template, job_count_));
  }
  plan_ = std::make_unique<SweepPlan>(*pipeline_.sweeper, *pipeline_.formatter, pipeline_.stage("sweeper"),
                                      pipeline_.stage("formatter"), command_template, layout_.program);
  batch_settings(spec_);  // a template that cannot be read is an error before anything is written
  if (const fs::path file = Store::path_for(spec_.experiment_dir); fs::exists(file)) {
    store_ = std::make_unique<Store>(file, false);
    if (!request_.rerun_completed) completed_ = store_->completed_jobs(0);
  }
}

/// A command template that plainly belongs to another formatter's style: a
/// `with` before the arguments (sacred's command line) with another
/// formatter, or sacred's arguments without their `with`.
std::string command_style_note(const std::string& formatter, const std::string& command) {
  const bool with = command.find("with {args}") != std::string::npos;
  if (with && formatter != "sacred") {
    return fmt::format(
        "the command `{}` puts `with` before the arguments, as sacred's command line does, but "
        "the formatter is {}: its arguments would follow `with`. Use --formatter=sacred, or "
        "drop `with` from the command",
        command, formatter);
  }
  if (!with && formatter == "sacred" && command.find("{args}") != std::string::npos) {
    return fmt::format(
        "the formatter is sacred, which reads `with key=value ...`, but the command `{}` has no "
        "`with` before {{args}}: write `... with {{args}}`",
        command);
  }
  return "";
}

void NewSweepDriver::print_summary() const {
  auto origin = [&](const std::string& key) {
    auto it = spec_.settings.find(key);
    return it == spec_.settings.end() ? std::string() : fmt::format("  ({})", it->second.origin);
  };
  fmt::print(out_, "jobsub: sweep '{}': {} {}\n", spec_.get("name"), job_count_,
             job_count_ == 1 ? "job" : "jobs");
  if (spec_.has("site")) fmt::print(out_, "  {:<11}{}{}\n", "site", spec_.get("site"), origin("site"));
  for (const std::string kind : {"layout", "sweeper", "formatter", "scheduler"})
    fmt::print(out_, "  {:<11}{}{}\n", kind, pipeline_.names.at(kind), origin(kind));
  const bool color = shows_color(out_);
  for (const std::string& note : spec_.notes)
    fmt::print(out_, "jobsub: {} {}\n", styled(color, styles::note, "note:"), note);
  if (const std::string note = command_style_note(pipeline_.names.at("formatter"), plan_->command_template());
      !note.empty())
    fmt::print(out_, "jobsub: {} {}\n", styled(color, styles::note, "note:"), note);
  for (const std::string& note : pipeline_.notes)
    fmt::print(out_, "jobsub: {} {}\n", styled(color, styles::note, "note:"), note);
  fmt::print(out_, "  {:<11}{}{}\n", "command", plan_->command_template(), origin("command"));
  if (!layout_.program.empty()) fmt::print(out_, "  {:<11}{}\n", "program", layout_.program.string());
  fmt::print(out_, "  {:<11}{}\n", "workdir", layout_.workdir.string());
  for (const auto& [key, factor] : request_.retry.scale) {
    bool set = spec_.settings.count("resources." + key) > 0;
    for (const ResourceGroups::Group& g : groups_.groups) set = set || g.resources.count(key) > 0;
    if (!set) {
      fmt::print(
          out_,
          "jobsub: {} --retry-scale {}: the sweep sets no {}, so a retry asks for the scheduler's default "
          "again (set resources.{} to scale it)\n",
          styled(color, styles::note, "note:"), key, key, key);
    }
  }
  if (request_.retry.enabled()) {
    fmt::print(out_, "  {:<11}{} ({})\n", "retries", describe(request_.retry),
               request_.manual
                   ? "once jobsub sends the jobs: --manual sends none, `jobsub submit --resume` does"
                   : "sent by the jobsub that sees a job end: a local run itself, --wait, `jobsub "
                     "status` or `status --watch`");
  }
  for (const auto& [key, setting] : spec_.settings) {
    if (key.rfind("resources.", 0) == 0 || key.rfind("options.", 0) == 0)
      fmt::print(out_, "  {} = {}  ({})\n", key, setting.value, setting.origin);
  }
  if (groups_.several()) {
    for (const auto& [group, ranges] : groups_.split({{1, job_count_}})) {
      std::vector<std::string> resources;
      for (const auto& [key, value] : groups_.groups[group].resources) resources.push_back(key + "=" + value);
      fmt::print(out_, "  resources of {} (jobs {}, batches of their own): {}\n",
                 group == 0 ? std::string("the other grids") : groups_.groups[group].grid,
                 format_task_ranges(ranges), resources.empty() ? std::string("none") : join(resources));
    }
  }
}

BatchRequest NewSweepDriver::prototype() const {
  return batch_prototype(spec_, spec_.get("name"), ResultsLayout(results_dir_, job_count_), layout_.workdir,
                         !request_.no_array);
}

/// The batch-1 request of a whole sweep, for the dry run, --manual and the probe render.
BatchRequest whole_sweep(BatchRequest batch) {
  batch.batch_name = "batch-1";
  batch.script_path = batch.results().batch_script(batch.batch_name);
  batch.tasks = {{1, batch.job_count}};
  return batch;
}

std::vector<BatchRequest> NewSweepDriver::whole_sweep_batches() const {
  if (!groups_.several()) return {whole_sweep(prototype())};
  std::vector<BatchRequest> out;
  for (const auto& [group, ranges] : groups_.split({{1, job_count_}})) {
    BatchRequest batch = prototype();
    batch.batch_name = fmt::format("batch-{}", out.size() + 1);
    batch.script_path = batch.results().batch_script(batch.batch_name);
    batch.tasks = ranges;
    batch.resources = groups_.groups[group].resources;
    out.push_back(std::move(batch));
  }
  return out;
}

void NewSweepDriver::dry_run() {
  Params params;
  Argv args;
  fmt::print(out_, "dry run: nothing is written or submitted; results would go to {}\n\n",
             results_dir_.string());
  uint64_t skipped = 0;
  for (uint64_t job = 1; job <= job_count_; ++job) {
    if (interrupt_requested())
      throw Error(ExitCode::interrupted, fmt::format("dry run interrupted at job {}", job));
    plan_->job(job, params, args);
    const std::string command = plan_->command_line(args);
    std::string note;
    if (!completed_.empty()) {
      if (auto it = completed_.find(plan_->hash(params, args)); it != completed_.end()) {
        note = fmt::format("  # skipped: completed in {} (job {})", it->second.sweep_dir, it->second.job);
        ++skipped;
      }
    }
    fmt::print(out_, "job {}: {}{}\n", job, command, note);
  }
  if (skipped > 0) {
    fmt::print(
        out_,
        "\n{} of {} jobs would be skipped: they completed in earlier sweeps (--rerun-completed runs them)\n",
        skipped, job_count_);
  }
  ProgressView view(out_, spec_.get("scheduler"), results_dir_, job_count_);
  bool warned = false;
  for (const BatchRequest& batch : whole_sweep_batches()) {
    RenderedBatch rendered;
    check_status(pipeline_.scheduler->render(batch, rendered), pipeline_.stage("scheduler"));
    if (!warned)
      for (const std::string& w : rendered.warnings) view.scheduler_note(w);
    warned = true;
    fmt::print(out_, "\n--- {} ---\n{}--- submitted with:\n{}", batch.script_path.string(), rendered.script,
               submit_commands(rendered));
  }
}

void NewSweepDriver::write_sweep_json() const {
  ordered_json j;
  j["jobsub_version"] = JOBSUB_VERSION;
  const std::time_t t = std::chrono::system_clock::to_time_t(started_);
  char when[64];
  std::tm local{};
  localtime_r(&t, &local);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", &local);
  j["created"] = when;
  j["host"] = host_name();
  const passwd* account = ::getpwuid(::getuid());
  j["user"] = account != nullptr ? std::string(account->pw_name) : std::to_string(::getuid());
  j["command_line"] = request_.command_line;
  j["cwd"] = fs::current_path().string();
  j["spec_file"] = !spec_.file.empty()         ? ordered_json(spec_.file.string())
                   : !spec_.stdin_text.empty() ? ordered_json("-")
                                               : ordered_json(nullptr);
  j["experiment_dir"] = spec_.experiment_dir.string();
  j["project_dir"] = layout_.project_dir.string();
  const GitState git = read_git_state(layout_.project_dir);
  j["git"] = git.is_repo ? ordered_json{{"commit", git.commit}, {"dirty", git.dirty}} : ordered_json(nullptr);
  ordered_json settings = ordered_json::object();
  for (const auto& [key, setting] : spec_.settings)
    settings[key] = {
        {"value", setting.value}, {"origin", setting.origin}, {"source", to_string(setting.source)}};
  j["settings"] = settings;
  j["init"] = spec_.init_lines;
  j["hypers"] = ordered_json::parse(hypers_json(spec_));
  j["zip"] = spec_.zip;
  ordered_json plugins = ordered_json::object();
  for (const auto& [kind, entry] : pipeline_.entries) {
    plugins[kind] = {{"name", entry->info->name},
                     {"version", entry->plugin->plugin_version ? entry->plugin->plugin_version : ""},
                     {"file", fs::absolute(entry->file).lexically_normal().string()},
                     {"sha256", file_sha256(entry->file)}};
  }
  j["plugins"] = plugins;
  j["command_template"] = plan_->command_template();
  j["program"] = layout_.program.string();
  j["program_sha256"] = plan_->program_sha256();
  j["workdir"] = layout_.workdir.string();
  j["array"] = !request_.no_array;
  j["job_count"] = job_count_;
  if (request_.retry.enabled()) j["retry"] = ordered_json::parse(retry_policy_json(request_.retry));
  {  // what collect and status judge its results by (results.h recorded_results_spec)
    const ResultsSpec& r = spec_.results;
    ordered_json metrics = ordered_json::array();
    for (const auto& [name, pattern] : r.metrics) metrics.push_back({name, pattern});
    j["results"] = {{"metrics", metrics},
                    {"metric_lines", r.metric_lines},
                    {"objective", r.objective},
                    {"seeds", r.seeds},
                    {"seeds_given", r.seeds_given}};
  }
  if (groups_.several()) {  // the jobs whose grid has resources of its own, for resume and resubmit
    ordered_json groups = ordered_json::array();
    for (const auto& [group, ranges] : groups_.split({{1, job_count_}})) {
      if (group == 0) continue;
      groups.push_back({{"grid", groups_.groups[group].grid},
                        {"resources", groups_.groups[group].resources},
                        {"jobs", format_task_ranges(ranges)}});
    }
    j["resource_groups"] = groups;
  }
  const ResultsLayout results(results_dir_, job_count_);
  write_file_atomically(results.sweep_record(),
                        j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (!spec_.file.empty()) {
    fs::copy_file(spec_.file, results.spec_copy());
  } else if (!spec_.stdin_text.empty()) {
    write_file_atomically(results.spec_copy(), spec_.stdin_text);
  }
}

void NewSweepDriver::write_jobs(JobBook& book) {
  hashes_.reserve(job_count_);
  const ResultsLayout results(results_dir_, job_count_);
  plan_->write(results, [&](uint64_t job, uint64_t hash) {
    hashes_.push_back(hash);
    if (!completed_.empty() && completed_.count(hash)) {
      skipped_.push_back(job);
      book.set_state(job, JobState::skipped);
      return;
    }
    if (!to_submit_.empty() && to_submit_.back().last + 1 == job) {
      to_submit_.back().last = job;
    } else {
      to_submit_.push_back({job, job});
    }
  });
  fs::create_directory(results.jobs());
  if (!skipped_.empty()) {
    fmt::print(out_,
               "jobsub: {} of {} jobs skipped: the same params and command completed in an earlier sweep of "
               "this experiment (`jobsub status --all` says where; --rerun-completed runs them again)\n",
               skipped_.size(), job_count_);
  }
}

/// The sweep and its skipped jobs in the experiment's state store, once: at
/// the first submission (or --manual), when the results directory is kept.
int64_t NewSweepDriver::record_sweep() {
  if (!store_) store_ = std::make_unique<Store>(Store::path_for(spec_.experiment_dir), true);
  const int64_t id = store_->add_sweep({spec_.get("name"), results_dir_, utc_timestamp(started_),
                                        spec_.get("scheduler"), job_count_, plan_->command_template()},
                                       hashes_);
  sweep_id_ = id;
  store_->record_skipped(id, skipped_, [&](uint64_t job) {
    const CompletedJob& where = completed_.at(hashes_[job - 1]);
    return skipped_reason(where);
  });
  return id;
}

SubmitOutcome NewSweepDriver::manual(JobBook& book, ResultsDirGuard& guard) {
  ProgressView view(out_, spec_.get("scheduler"), results_dir_, job_count_);
  std::vector<std::string> scripts;
  std::string commands;
  for (const BatchRequest& batch : whole_sweep_batches()) {
    RenderedBatch rendered;
    check_status(pipeline_.scheduler->render(batch, rendered), pipeline_.stage("scheduler"));
    if (scripts.empty())
      for (const std::string& w : rendered.warnings) view.scheduler_note(w);
    write_file_atomically(batch.script_path, rendered.script);
    fs::permissions(batch.script_path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
    scripts.push_back(batch.script_path.string());
    commands += submit_commands(rendered);
  }
  record_sweep();
  write_jobs_table(results_dir_, job_count_, [&](uint64_t job) { return book.row(job); });
  guard.keep();
  fmt::print(
      out_,
      "manual mode: nothing submitted. Script{}: {}\nsubmit {} yourself with:\n{}jobsub: results in {}\n",
      scripts.size() == 1 ? "" : "s", join(scripts), scripts.size() == 1 ? "it" : "them", commands,
      results_dir_.string());
  SubmitOutcome outcome;
  outcome.results_dir = results_dir_;
  outcome.jobs = job_count_;
  return outcome;
}

SubmitOutcome NewSweepDriver::run(Prompter* prompter) {
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
  for (const BatchRequest& batch : whole_sweep_batches()) {
    RenderedBatch probe;
    check_status(pipeline_.scheduler->render(batch, probe), pipeline_.stage("scheduler"));
  }
  if (request_.canary_detach && !pipeline_.scheduler->holds_batches()) {
    throw usage_error(fmt::format(
        "--canary --detach submits the rest held, for the canary's script to release, and scheduler '{}' "
        "cannot hold jobs so{}: drop --detach (jobsub then follows the canary and submits the rest itself)",
        spec_.get("scheduler"),
        spec_.get("scheduler") == "local" ? " (the local scheduler runs its jobs inside jobsub)" : ""));
  }

  std::vector<fs::path> new_parents;
  for (const fs::path& parent : {layout_.results_root / spec_.get("name"), layout_.results_root}) {
    if (!fs::exists(parent)) new_parents.push_back(parent);
  }
  results_dir_ = create_results_dir(layout_.results_root, spec_.get("name"), started_);
  ResultsDirGuard guard(results_dir_, new_parents);
  JobBook book(job_count_);
  write_sweep_json();
  write_jobs(book);
  if (interrupt_requested()) throw Error(ExitCode::interrupted, "interrupted before anything was submitted");
  if (request_.manual) return manual(book, guard);
  if (to_submit_.empty()) {
    fmt::print(out_, "jobsub: nothing to submit: every job completed before; removed {}\n",
               results_dir_.string());
    SubmitOutcome outcome = outcome_of(fs::path(), book);
    outcome.exit_code = 0;
    return outcome;  // the guard removes the directory
  }

  ProgressView view(out_, spec_.get("scheduler"), results_dir_, job_count_);
  if (!store_) store_ = std::make_unique<Store>(Store::path_for(spec_.experiment_dir), true);
  Submitter submitter({*pipeline_.scheduler,
                       spec_.get("scheduler"),
                       prototype(),
                       *store_,
                       0,
                       book,
                       view,
                       [&](uint64_t job) {
                         Params params;
                         Argv args;
                         plan_->job(job, params, args);
                         return shell_join(args);
                       },
                       {},
                       groups_,
                       plan_->program_sha256(),
                       request_.retry.enabled() ? std::function<std::vector<uint64_t>()>([&] {
                         SweepSummary sweep;
                         sweep.id = sweep_id_;
                         sweep.sweep.dir = results_dir_;
                         sweep.sweep.job_count = job_count_;
                         return perform_due_retries(registry_, spec_.experiment_dir, sweep, out_);
                       })
                                                : std::function<std::vector<uint64_t>()>(),
                       request_.poll_seconds});
  bool recorded = false;
  auto first_batch = [&] {
    guard.keep();  // from here on, the directory records a submission
    recorded = true;
    return record_sweep();
  };
  if (request_.canary_seconds && request_.canary_detach) {
    submitter.submit_canary_detached(to_submit_, *request_.canary_seconds, first_batch);
  } else if (request_.canary_seconds) {
    submitter.submit_with_canary(to_submit_, *request_.canary_seconds, prompter, first_batch);
  } else {
    submitter.submit(to_submit_, prompter, first_batch);
  }
  if (!recorded) {  // every job answered n, or exit at once
    fmt::print(out_, "jobsub: nothing submitted; removed {}\n", results_dir_.string());
    SubmitOutcome outcome;
    outcome.jobs = job_count_;
    outcome.interrupted = interrupt_requested();
    outcome.exit_code = outcome.interrupted ? static_cast<int>(ExitCode::interrupted) : 0;
    return outcome;  // the guard removes the directory
  }
  return submitter.finish(request_.wait, request_.poll_seconds);
}

}  // namespace

/// The outcome a run reports, from the book.
SubmitOutcome outcome_of(const fs::path& results_dir, const JobBook& book) {
  SubmitOutcome outcome;
  outcome.results_dir = results_dir;
  outcome.jobs = book.size();
  outcome.submitted = book.submitted();
  outcome.completed = book.count(JobState::completed);
  outcome.failed = book.failed();
  outcome.cancelled = book.count(JobState::cancelled);
  outcome.lost = book.count(JobState::lost);
  outcome.skipped = book.count(JobState::skipped);
  outcome.interrupted = interrupt_requested();
  outcome.exit_code = outcome.interrupted                      ? static_cast<int>(ExitCode::interrupted)
                      : outcome.failed + outcome.cancelled > 0 ? static_cast<int>(ExitCode::job_failed)
                                                               : 0;
  return outcome;
}

/// The closing lines: how many jobs went and how they ended.
void print_outcome(ProgressView& view, const SubmitOutcome& o, uint64_t sent) {
  std::string counts;
  if (o.completed + o.failed + o.cancelled > 0) {
    counts =
        fmt::format("; {} completed, {}, {} cancelled{}", o.completed,
                    styled(view.color() && o.failed > 0, styles::failure, fmt::format("{} failed", o.failed)),
                    o.cancelled,
                    o.lost > 0 ? fmt::format(" ({} lost: gone from the queue without an exit code)", o.lost)
                               : std::string());
  }
  fmt::print(view.out(), "jobsub: {} of {} jobs submitted{}{}\njobsub: results in {}\n", sent, o.jobs, counts,
             o.retried > 0 ? fmt::format("; {} {} sent", o.retried, o.retried == 1 ? "retry" : "retries")
                           : std::string(),
             o.results_dir.string());
  if (o.interrupted && sent + o.skipped < o.jobs)
    fmt::print(view.out(), "jobsub: `jobsub submit --resume {}` submits what did not run\n",
               o.results_dir.string());
}

SubmitOutcome run_submit(const PluginRegistry& registry, const SubmitRequest& request, Prompter* prompter,
                         std::ostream& out) {
  NewSweepDriver submission(registry, request, out);
  return submission.run(prompter);
}

}  // namespace jobsub
