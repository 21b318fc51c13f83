// `submit --resume` and `resubmit`: more jobs of a sweep the store recorded,
// with the settings its sweep.json kept and the job files already written.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "jobsub/errors.h"
#include "jobsub/job_book.h"
#include "jobsub/pipeline.h"
#include "jobsub/process.h"
#include "jobsub/progress_view.h"
#include "jobsub/records.h"
#include "jobsub/retry.h"
#include "jobsub/script.h"
#include "jobsub/shell.h"
#include "jobsub/site.h"
#include "jobsub/spec.h"
#include "jobsub/store.h"
#include "jobsub/submit.h"
#include "jobsub/submitter.h"
#include "jobsub/text.h"
#include "jobsub/tracker.h"

namespace jobsub {

const std::vector<JobState>& resubmittable_states() {
  static const std::vector<JobState> states = {
      JobState::failed,    JobState::cancelled, JobState::timeout, JobState::out_of_memory,
      JobState::node_fail, JobState::preempted, JobState::lost};
  return states;
}

namespace {

/// A recorded sweep's settings, as its sweep.json kept them.
SweepSpec spec_of(const ResultsLayout& results, nlohmann::json& sweep_json) {
  const fs::path record = results.sweep_record();
  std::ifstream in(record);
  if (!in) throw spec_error(fmt::format("cannot read {}: the sweep's record is incomplete", record.string()));
  try {
    sweep_json = nlohmann::json::parse(in);
    SweepSpec spec;
    spec.experiment_dir = sweep_json.at("experiment_dir").get<std::string>();
    for (const auto& [key, setting] : sweep_json.at("settings").items()) {
      Setting& s = spec.settings[key];
      s.value = setting.at("value").get<std::string>();
      s.origin = setting.at("origin").get<std::string>();
      const std::optional<SettingSource> source =
          setting.contains("source") ? setting_source_from_string(setting.at("source").get<std::string>())
                                     : std::nullopt;
      // Records from before sources were written: the origin text is all
      // there is, read once here (a site's settings say `(site NAME)`).
      s.source = source                                         ? *source
                 : s.origin.find("(site ") != std::string::npos ? SettingSource::site
                 : s.origin == "command line"                   ? SettingSource::command_line
                 : s.origin == "default"                        ? SettingSource::default_value
                 : s.origin.rfind("env ", 0) == 0               ? SettingSource::environment
                                                                : SettingSource::spec_file;
    }
    spec.init_lines = sweep_json.at("init").get<std::vector<std::string>>();
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw spec_error(fmt::format("{} is not a sweep record jobsub can read: {}", record.string(), e.what()));
  }
}

/// The settings a follow-up may change: how jobs run, not which jobs there are.
bool follow_up_may_change(const std::string& key) {
  return key.rfind("resources.", 0) == 0 || key.rfind("options.", 0) == 0 || key == "template" ||
         key == "max_running" || key == "init_check";
}

/// The spec a follow-up submits with. The hyperparameter space, the job
/// numbering, the command and the plugins stay the record's; resources,
/// plugin options, init lines, the template, max_running and init_check are
/// merged as a new submit would merge them now: the spec file as it is now
/// (with the site profile and JOBSUB_* variables), then what the first submit
/// took from its command line, then this command's --resource flags.
/// `changes` gets a phrase for each that differs from the record, and for a
/// program file that changed. A spec file whose hypers, zip, command or
/// program changed since the sweep was submitted is refused: that is a new sweep.
SweepSpec follow_up_spec(const SweepSpec& recorded, const nlohmann::json& sweep_json,
                         const ResultsLayout& results, const FollowUpRequest& request,
                         std::vector<std::string>& changes) {
  const nlohmann::json& file_entry =
      sweep_json.contains("spec_file") ? sweep_json.at("spec_file") : nlohmann::json();
  const fs::path spec_file = file_entry.is_string() && file_entry.get<std::string>() != "-"
                                 ? fs::path(file_entry.get<std::string>())
                                 : fs::path();
  std::error_code ec;
  SweepSpec now;
  const bool have_copy = fs::exists(results.spec_copy(), ec);
  if (!spec_file.empty() && fs::exists(spec_file, ec)) {
    now = load_spec_file(spec_file);
    if (fs::exists(results.spec_copy(), ec)) {
      const SweepSpec then = load_spec_file(results.spec_copy());
      std::vector<std::string> moved;
      if (hypers_json(then) != hypers_json(now) || then.zip != now.zip) moved.emplace_back("hypers");
      for (const char* key : {"command", "program", "layout", "sweeper", "formatter"}) {
        if (then.get(key) != now.get(key)) moved.emplace_back(key);
      }
      if (!moved.empty()) {
        throw spec_error(fmt::format(
            "{} changed its {} since this sweep was submitted: its jobs stay as they were ({} is the spec "
            "they came from), so run the changed spec as a new sweep (`jobsub`), or undo the change to "
            "finish this one",
            spec_file.string(), join(moved, " and "), results.spec_copy().string()));
      }
    }
  } else if (have_copy) {
    // The spec came on stdin, or its file is gone: the copy the sweep kept is the spec.
    now = load_spec_file(results.spec_copy());
    now.experiment_dir = recorded.experiment_dir;
    if (!spec_file.empty())
      changes.push_back(fmt::format("{} is gone: the sweep's copy of it is used", spec_file.string()));
  } else {
    now = empty_spec(recorded.experiment_dir);
  }
  try {
    apply_site(
        now, choose_site(load_sites(site_files()), recorded.get("site"), "the sweep's record", host_name()));
  } catch (const Error& e) {
    // A site profile removed since: its settings as the sweep recorded them.
    for (const auto& [key, setting] : recorded.settings) {
      if (setting.source == SettingSource::site && !now.has(key)) now.settings[key] = setting;
    }
    changes.push_back(
        fmt::format("the sweep's site profile cannot be used ({}): its recorded settings are", e.what()));
  }
  apply_defaults_and_environment(now);
  for (const auto& [key, setting] : recorded.settings) {
    if (setting.source == SettingSource::command_line && follow_up_may_change(key))
      set_setting(now, key, setting.value, setting.origin, SettingSource::command_line);
  }
  for (const auto& [key, value] : request.resources)
    set_setting(now, "resources." + key, value, "command line", SettingSource::command_line);

  SweepSpec spec = recorded;
  for (auto it = spec.settings.begin(); it != spec.settings.end();) {
    it = follow_up_may_change(it->first) ? spec.settings.erase(it) : std::next(it);
  }
  for (const auto& [key, setting] : now.settings) {
    if (follow_up_may_change(key)) spec.settings[key] = setting;
  }
  spec.init_lines = now.init_lines;
  spec.init_origin = now.init_origin;
  // The grids' own resources, where the space is known to be the record's.
  if (have_copy) spec.grids = now.grids;

  std::set<std::string> keys;
  for (const SweepSpec* s : {&recorded, static_cast<const SweepSpec*>(&spec)}) {
    for (const auto& [key, setting] : s->settings) {
      if (follow_up_may_change(key)) keys.insert(key);
    }
  }
  for (const std::string& key : keys) {
    const auto was = recorded.settings.find(key);
    const auto is = std::as_const(spec.settings).find(key);
    if (was != recorded.settings.end() && is != spec.settings.end() && was->second.value == is->second.value)
      continue;
    changes.push_back(fmt::format(
        "{} {} -> {}", key, was == recorded.settings.end() ? "(unset)" : was->second.value,
        is == spec.settings.end() ? "(unset)" : fmt::format("{} ({})", is->second.value, is->second.origin)));
  }
  if (spec.init_lines != recorded.init_lines)
    changes.push_back(
        fmt::format("init lines ({})", spec.init_lines.empty() ? "none now" : spec.init_origin));
  const fs::path program = sweep_json.value("program", std::string());
  const std::string hash = sweep_json.value("program_sha256", std::string());
  if (!program.empty() && !hash.empty() && fs::is_regular_file(program, ec)) {
    const std::string now_hash = file_sha256(program);
    if (now_hash != hash)
      changes.push_back(fmt::format("program {} (sha256 {} -> {})", program.filename().string(),
                                    hash.substr(0, 12), now_hash.substr(0, 12)));
  }
  return spec;
}

class FollowUpDriver {
 public:
  FollowUpDriver(const PluginRegistry& registry, const FollowUpRequest& request, std::ostream& out)
      : registry_(registry),
        request_(request),
        store_(open_records(request.experiment)),
        sweep_(choose_sweep(store_->sweeps(), request.sweep, request.experiment)),
        results_(sweep_.sweep.dir, sweep_.sweep.job_count),
        // A retry runs as the sweep recorded it (scaled); the others, with the spec as it is now.
        spec_(request.kind == FollowUpRequest::Kind::retry
                  ? spec_of(results_, sweep_json_)
                  : follow_up_spec(spec_of(results_, sweep_json_), sweep_json_, results_, request, changes_)),
        pipeline_(load_pipeline(registry, spec_, epoch_of_timestamp(sweep_.sweep.created))),
        book_(JobBook::from_records(store_->jobs(sweep_.id))),
        view_(out, sweep_.sweep.scheduler, sweep_.sweep.dir, sweep_.sweep.job_count),
        out_(out) {
    const fs::path program = sweep_json_.value("program", std::string());
    std::error_code ec;
    if (!program.empty() && fs::is_regular_file(program, ec)) program_sha256_ = file_sha256(program);
  }

  SubmitOutcome run(Prompter* prompter);

 private:
  SubmitOutcome run_retry();
  /// Each retried job's resources: those of the batch that last sent it
  /// (submissions.jsonl), scaled by the policy and capped by the scheduler's
  /// limits; a group per distinct result, with its changes in `changes`.
  ResourceGroups retry_groups(const std::vector<uint64_t>& jobs, const RetryPolicy& policy,
                              std::map<std::size_t, std::vector<std::string>>& changes);
  Submitter::Parts submitter_parts(ResourceGroups groups);
  BatchRequest prototype() const;
  ResourceGroups recorded_groups() const;
  void settle_interrupted_batches(Submitter& submitter);
  void settle_jobs();
  std::vector<uint64_t> choose_jobs() const;
  void start_new_attempts(const std::vector<TaskRange>& tasks);
  void rehash_for_program(const std::vector<TaskRange>& tasks);

  const PluginRegistry& registry_;
  const FollowUpRequest& request_;
  std::unique_ptr<Store> store_;
  SweepSummary sweep_;
  nlohmann::json sweep_json_;
  std::vector<std::string> changes_;  ///< what follow_up_spec() changed (before spec_: it fills them)
  ResultsLayout results_;
  SweepSpec spec_;
  Pipeline pipeline_;
  JobBook book_;
  ProgressView view_;
  std::ostream& out_;
  std::vector<JobRecord> records_;
  std::unique_ptr<TaskReader> reader_;
  std::string program_sha256_;  ///< the program file's as it is now (empty: none)
};

/// The jobs whose grid had resources of its own, as the sweep recorded them.
ResourceGroups FollowUpDriver::recorded_groups() const {
  std::vector<std::pair<ResourceGroups::Group, std::vector<TaskRange>>> recorded;
  const std::map<std::string, std::string> base = spec_.section("resources");
  try {
    for (const nlohmann::json& g : sweep_json_.value("resource_groups", nlohmann::json::array())) {
      // Merged anew: the base as it is now, the grid's own from the spec now,
      // --resource above both; where the spec does not say, the record's with
      // this command's --resource on top.
      const std::string grid = g.at("grid").get<std::string>();
      auto resources = g.at("resources").get<std::map<std::string, std::string>>();
      std::size_t index = 0;
      if (std::sscanf(grid.c_str(), "hypers[%zu]", &index) == 1 && index < spec_.grids.size()) {
        resources = base;
        for (const auto& [key, setting] : spec_.grids[index].resources) {
          const auto given = spec_.settings.find("resources." + key);
          if (given == spec_.settings.end() || given->second.source != SettingSource::command_line)
            resources[key] = setting.value;
        }
      } else {
        for (const auto& [key, value] : request_.resources) resources[key] = value;
      }
      recorded.push_back({{grid, resources}, parse_task_ranges(g.at("jobs").get<std::string>())});
    }
  } catch (const nlohmann::json::exception& e) {
    throw spec_error(fmt::format("{}: its resource_groups cannot be read: {}",
                                 results_.sweep_record().string(), e.what()));
  }
  return recorded_resource_groups(spec_.section("resources"), recorded, sweep_.sweep.job_count);
}

BatchRequest FollowUpDriver::prototype() const {
  return batch_prototype(spec_, sweep_.sweep.name, results_, sweep_json_.value("workdir", ""),
                         sweep_json_.value("array", true));
}

/// Batches whose answer was never recorded, or only in part: `submitting`
/// (their jobsub died between recording them and recording the scheduler's
/// answer) and `failed` ones with jobs recorded not submitted (a submit call
/// that failed may have been taken all the same, and the scheduler could not
/// be asked then). What the scheduler holds of them (found by the batch's
/// token) is adopted; a job it does not hold but that started (its directory
/// exists) is settled by its exit-code file, else `lost`; the rest were not
/// submitted.
void FollowUpDriver::settle_interrupted_batches(Submitter& submitter) {
  const std::vector<BatchRecord> batches = store_->batches(sweep_.id);
  // A job is the business of the last batch that sent it: an earlier batch
  // that failed with it was looked at (and found not to hold it) before the
  // later one was made, so what the job left since is the later batch's.
  std::map<uint64_t, int64_t> last_batch;
  for (const BatchRecord& b : batches) {
    for (const TaskRange& r : b.jobs) {
      for (uint64_t job = r.first; job <= r.last && job <= records_.size(); ++job) {
        last_batch[job] = std::max(last_batch[job], b.id);
      }
    }
  }
  for (const BatchRecord& b : batches) {
    const bool interrupted = b.state == BatchState::submitting;
    std::vector<uint64_t> unknown;  // the batch's jobs whose fate is not recorded
    for (const TaskRange& r : b.jobs) {
      for (uint64_t job = r.first; job <= r.last && job <= records_.size(); ++job) {
        if (last_batch[job] != b.id) continue;
        if (interrupted || records_[job - 1].state == JobState::not_submitted) unknown.push_back(job);
      }
    }
    if (unknown.empty() || b.state == BatchState::submitted) continue;
    if (interrupted && b.host != host_name() && !request_.force) {
      throw job_error(fmt::format(
          "{} of this sweep was being submitted from host {} (pid {}), and jobsub cannot tell from here "
          "whether that jobsub is still at it: run the resume there, or pass --force if it has ended",
          b.name, b.host, b.pid));
    }
    if (interrupted && b.host == host_name() && is_running_jobsub(static_cast<long>(b.pid))) {
      throw job_error(fmt::format(
          "{} of this sweep is being submitted by jobsub (pid {}) right now: let it finish, or stop it, "
          "then resume",
          b.name, b.pid));
    }
    BatchRequest request = submitter.batch(b.name, b.jobs);
    request.token = b.token;
    std::vector<TaskOutcome> found;
    check_status(pipeline_.scheduler->find(request, found),
                 fmt::format("scheduler '{}', finding {}", sweep_.sweep.scheduler, b.name),
                 ExitCode::job_failed);
    std::map<uint64_t, TaskOutcome> by_job;
    for (const TaskOutcome& o : found) by_job[o.job] = o;
    Tracker tracker(*pipeline_.scheduler, sweep_.sweep.dir, sweep_.sweep.job_count);
    std::vector<TaskOutcome> outcomes;
    uint64_t adopted = 0, ended = 0, lost = 0;
    std::string native_id = interrupted ? std::string() : b.native_id;
    for (const uint64_t job : unknown) {
      if (auto it = by_job.find(job); it != by_job.end()) {
        outcomes.push_back(it->second);
        ++adopted;
        const std::string& id = it->second.native_id;
        const std::string array = id.substr(0, id.find_first_of("_.["));  // the array's id
        if (("," + native_id + ",").find("," + array + ",") == std::string::npos)
          native_id += (native_id.empty() ? "" : ",") + array;
        continue;
      }
      // A job started when its output file was opened (the task body's
      // redirection); its directory alone may be made before it starts.
      std::error_code ec;
      if (!fs::exists(results_.job_file(job, job_files::kStdout), ec)) continue;
      const int code = tracker.exit_code(job);
      const JobState state = code < 0 ? JobState::lost : code == 0 ? JobState::completed : JobState::failed;
      outcomes.push_back({job, state, code, "", code < 0 ? "started; no exit code" : "ended"});
      ++(code < 0 ? lost : ended);
    }
    if (!interrupted && adopted + ended + lost == 0) continue;  // a refusal: nothing was taken
    store_->end_batch(
        sweep_.id, b.id,
        adopted + ended + lost > 0 || !interrupted ? BatchState::submitted : BatchState::failed, native_id,
        fmt::format("settled by --resume: {} held by the scheduler, {} ended, {} lost", adopted, ended, lost),
        outcomes);
    for (const TaskOutcome& o : outcomes) book_.apply(o);
    for (const uint64_t job : unknown) {
      if (book_.state(job) == JobState::pending) book_.set_state(job, JobState::not_submitted);
    }
    const uint64_t total = unknown.size();
    view_.line(
        fmt::format("jobsub: {} {}. Of its {} jobs{}: {} with the scheduler{}, {} ended, {} started and left "
                    "no exit code "
                    "(lost: `jobsub resubmit` runs them), {} not submitted",
                    b.name,
                    interrupted ? fmt::format("was being submitted when its jobsub (pid {}) stopped", b.pid)
                                : std::string("failed, and the scheduler had taken some of it all the same"),
                    total, interrupted ? "" : " recorded as not submitted", adopted,
                    native_id.empty() ? "" : fmt::format(" ({})", native_id), ended, lost,
                    total - adopted - ended - lost));
  }
  records_ = store_->jobs(sweep_.id);
}

/// The jobs not yet final, as the scheduler says now (one query): a job that
/// ended since the last look is resubmitted by its true state. This pass
/// never concludes `lost` on its own (a job's exit-code file may show late on
/// a shared file system, and resubmit would run it again): only a job that
/// `status` or `--wait` found lost is resubmitted as lost. A dry run records nothing.
void FollowUpDriver::settle_jobs() {
  std::unique_ptr<Tracker> tracker;
  constexpr int kNeverLostInOnePass = 2;
  records_ = settle_sweep(
      *store_, sweep_,
      [&]() -> Tracker& {
        tracker = std::make_unique<Tracker>(*pipeline_.scheduler, sweep_.sweep.dir, sweep_.sweep.job_count,
                                            kNeverLostInOnePass);
        return *tracker;
      },
      !request_.dry_run);
  for (const JobRecord& j : records_) {
    if (j.state != book_.state(j.job))
      book_.apply({j.job, j.state, j.exit_code, j.native_id, j.native_state});
  }
}

std::vector<uint64_t> FollowUpDriver::choose_jobs() const {
  std::vector<uint64_t> jobs;
  for (const JobRecord& j : records_) {
    const JobState state = j.state;
    const bool take =
        request_.kind == FollowUpRequest::Kind::resume
            ? state == JobState::not_submitted ||
                  (state == JobState::declined && request_.include_declined) ||
                  (state == JobState::cancelled && j.native_state == kInterruptedNativeState)
            : std::find(request_.states.begin(), request_.states.end(), state) != request_.states.end();
    if (take) jobs.push_back(j.job);
  }
  return jobs;
}

/// Jobs that ran before start a new attempt: their directory is kept as
/// `jobs/<N>.attempt-<K>`, the store keeps the old attempt in its history.
void FollowUpDriver::start_new_attempts(const std::vector<TaskRange>& tasks) {
  std::vector<JobRecord> again;
  for (const TaskRange& r : tasks) {
    for (uint64_t job = r.first; job <= r.last; ++job) {
      const JobRecord& record = records_[job - 1];
      if (record.state == JobState::not_submitted || record.state == JobState::declined)
        continue;  // never ran
      again.push_back(record);
    }
  }
  // First the store, which refuses if another jobsub sent one of them again
  // meanwhile (an automatic retry while this one waited at its prompt).
  store_->new_attempt(sweep_.id, again);
  for (const JobRecord& record : again) {
    const fs::path dir = results_.job_dir(record.job);
    std::error_code ec;
    if (fs::exists(dir, ec)) fs::rename(dir, results_.attempt_dir(record.job, record.attempt));
    book_.set_state(record.job, JobState::not_submitted);
  }
  rehash_for_program(tasks);
}

/// A job is skipped by a later sweep only when it completed under the same
/// program: under a changed one, the jobs sent now get hashes of their own.
void FollowUpDriver::rehash_for_program(const std::vector<TaskRange>& tasks) {
  if (program_sha256_.empty() || program_sha256_ == sweep_json_.value("program_sha256", std::string()))
    return;
  if (!reader_) reader_ = std::make_unique<TaskReader>(results_);
  std::vector<std::pair<uint64_t, uint64_t>> hashes;
  for (const TaskRange& r : tasks) {
    for (uint64_t job = r.first; job <= r.last; ++job) {
      const TaskLines lines = reader_->at(job);
      hashes.emplace_back(job, job_hash(lines.params, lines.command, program_sha256_));
    }
  }
  store_->set_hashes(sweep_.id, hashes);
}

Submitter::Parts FollowUpDriver::submitter_parts(ResourceGroups groups) {
  const bool retry = request_.kind == FollowUpRequest::Kind::retry;
  return {*pipeline_.scheduler, sweep_.sweep.scheduler, prototype(), *store_, sweep_.id, book_, view_,
          [this](uint64_t job) {
            if (!reader_) reader_ = std::make_unique<TaskReader>(results_);
            const nlohmann::json argv = nlohmann::json::parse(reader_->at(job).argv);
            return shell_join(argv.get<std::vector<std::string>>());
          },
          retry ? std::function<void(const std::vector<TaskRange>&)>()  // the claim started the attempts
                : [this](const std::vector<TaskRange>& tasks) { start_new_attempts(tasks); },
          std::move(groups), program_sha256_,
          // A retry's own run sends no more: perform_due_retries() goes round again.
          // A resume or resubmit sends retries only while it waits (with
          // --wait): without, it leaves them to the next `jobsub status`.
          !retry && request_.wait && recorded_retry_policy(sweep_.sweep.dir).enabled()
              ? std::function<std::vector<uint64_t>()>(
                    [this] { return perform_due_retries(registry_, request_.experiment, sweep_, out_); })
              : std::function<std::vector<uint64_t>()>(),
          request_.poll_seconds};
}

ResourceGroups FollowUpDriver::retry_groups(const std::vector<uint64_t>& jobs, const RetryPolicy& policy,
                                            std::map<std::size_t, std::vector<std::string>>& changes) {
  // Each job's resources in the last batch the scheduler took it in (a batch
  // it refused ran nothing: its resources are not the attempt's).
  std::map<uint64_t, std::map<std::string, std::string>> previous;
  {
    struct Sent {
      std::vector<TaskRange> jobs;
      std::map<std::string, std::string> resources;
      bool taken = false;
    };
    std::vector<Sent> sent;
    std::map<std::string, std::size_t> by_name;
    std::ifstream in(results_.submissions());
    std::string line;
    while (std::getline(in, line)) {
      try {
        const nlohmann::json batch = nlohmann::json::parse(line);
        const std::string state = batch.value("state", std::string());
        const std::string name = batch.value("batch", std::string());
        if (state == "submitting" && batch.contains("resources")) {
          by_name[name] = sent.size();
          sent.push_back({parse_task_ranges(batch.at("jobs").get<std::string>()),
                          batch.at("resources").get<std::map<std::string, std::string>>()});
        } else if (state == "submitted" && by_name.count(name)) {
          sent[by_name[name]].taken = true;
        }
      } catch (const std::exception&) {
        continue;  // a line torn by a crash, or of an older jobsub: the recorded groups say instead
      }
    }
    for (const Sent& batch : sent) {
      if (!batch.taken) continue;
      for (const uint64_t job : jobs) {
        if (std::any_of(batch.jobs.begin(), batch.jobs.end(),
                        [&](const TaskRange& r) { return r.first <= job && job <= r.last; }))
          previous[job] = batch.resources;
      }
    }
  }
  const ResourceGroups recorded = recorded_groups();
  const BatchRequest base = prototype();
  ResourceGroups out;
  out.groups.push_back({"", base.resources});
  out.group_of_job.assign(sweep_.sweep.job_count, 0);
  std::map<std::map<std::string, std::string>, std::size_t> group_of;
  std::map<std::map<std::string, std::string>, ResourceLimits> limits_of;
  for (const uint64_t job : jobs) {
    const auto known = previous.find(job);
    const std::map<std::string, std::string>& was = known != previous.end() ? known->second
                                                    : recorded.groups.empty()
                                                        ? base.resources
                                                        : recorded.groups.at(recorded.of(job)).resources;
    auto limits = limits_of.find(was);
    if (limits == limits_of.end()) {
      BatchRequest where = base;
      where.resources = was;
      ResourceLimits found;
      const Status asked =
          policy.scale.empty() ? Status{} : pipeline_.scheduler->resource_limits(where, found);
      if (!asked.ok) {
        view_.line(
            fmt::format("jobsub: could not ask {} for its limits ({}): resources are scaled without a cap",
                        sweep_.sweep.scheduler, asked.message));
      }
      limits = limits_of.emplace(was, found).first;
    }
    std::vector<std::string> changed;
    const std::map<std::string, std::string> next =
        scaled_resources(was, policy.scale, limits->second, changed);
    auto group = group_of.find(next);
    if (group == group_of.end()) {
      group = group_of.emplace(next, out.groups.size()).first;
      out.groups.push_back({"retry", next});
      changes[group->second] = changed;
    }
    out.group_of_job[job - 1] = static_cast<uint16_t>(group->second);
  }
  return out;
}

SubmitOutcome FollowUpDriver::run_retry() {
  records_ = store_->jobs(sweep_.id);
  SubmitOutcome outcome;
  outcome.results_dir = sweep_.sweep.dir;
  outcome.jobs = sweep_.sweep.job_count;
  std::vector<uint64_t> jobs;  // the claimed jobs that are still to send
  for (const uint64_t job : request_.jobs) {
    if (job >= 1 && job <= records_.size() && records_[job - 1].state == JobState::not_submitted)
      jobs.push_back(job);
  }
  if (jobs.empty()) return outcome;
  // The attempt that ended keeps its directory, as a resubmit's does.
  for (const uint64_t job : jobs) {
    const int ended = records_[job - 1].attempt - 1;
    const fs::path dir = results_.job_dir(job);
    std::error_code ec;
    if (ended >= 1 && fs::exists(dir, ec) && !fs::exists(results_.attempt_dir(job, ended), ec))
      fs::rename(dir, results_.attempt_dir(job, ended));
  }
  const RetryPolicy policy = recorded_retry_policy(sweep_.sweep.dir);
  std::map<std::size_t, std::vector<std::string>> changes;
  ResourceGroups groups = retry_groups(jobs, policy, changes);
  // What each job is retried after, as its claim says, and how many attempts it may reach.
  const std::vector<RetryClaim> claims = store_->retry_claims(sweep_.id);
  const RetryTally tally = tally_retries(claims);
  std::map<uint64_t, JobState> after;
  for (const RetryClaim& c : claims) {
    if (c.job <= records_.size() && c.attempt == records_[c.job - 1].attempt) after[c.job] = c.after;
  }
  std::map<std::pair<std::string, std::string>, std::vector<uint64_t>> why;  // (ended, attempt) -> jobs
  for (const uint64_t job : jobs) {
    const JobRecord& j = records_[job - 1];
    const auto a = after.find(job);
    why[{a == after.end() ? std::string("in a retried state") : to_string(a->second),
         fmt::format("{} of {}", j.attempt,
                     j.attempt + static_cast<int>(retries_left(j, policy, tally, false)))}]
        .push_back(job);
  }
  const std::string where = fs::relative(sweep_.sweep.dir, request_.experiment).string();
  for (const auto& [reason, retried] : why) {
    fmt::print(out_, "jobsub: sweep {}: {} {} ended {}: retrying as attempt {}\n", where,
               retried.size() == 1 ? "job" : "jobs", format_task_ranges(ranges_of(retried)), reason.first,
               reason.second);
  }
  for (const auto& [group, changed] : changes) {
    if (changed.empty()) continue;
    std::vector<uint64_t> in_group;
    for (const uint64_t job : jobs) {
      if (groups.of(job) == group) in_group.push_back(job);
    }
    fmt::print(out_, "jobsub: {} {}: {}\n", in_group.size() == 1 ? "job" : "jobs",
               format_task_ranges(ranges_of(in_group)), join(changed, ", "));
  }
  rehash_for_program(ranges_of(jobs));
  Submitter submitter(submitter_parts(std::move(groups)));
  submitter.submit(ranges_of(jobs), nullptr, [&] { return sweep_.id; });
  submitter.save();  // no closing lines: the jobsub that settled the sweep says how it stands
  return outcome_of(sweep_.sweep.dir, book_);
}

SubmitOutcome FollowUpDriver::run(Prompter* prompter) {
  if (request_.kind == FollowUpRequest::Kind::retry) return run_retry();
  const bool resume = request_.kind == FollowUpRequest::Kind::resume;
  records_ = store_->jobs(sweep_.id);
  const std::string where = fs::relative(sweep_.sweep.dir, request_.experiment).string();
  Submitter submitter(submitter_parts(recorded_groups()));
  if (resume && !request_.dry_run) settle_interrupted_batches(submitter);
  settle_jobs();
  const std::vector<TaskRange> jobs = ranges_of(choose_jobs());
  if (resume && !request_.include_declined) {
    std::vector<uint64_t> declined;
    for (const JobRecord& j : records_) {
      if (j.state == JobState::declined) declined.push_back(j.job);
    }
    if (!declined.empty()) {
      fmt::print(out_, "jobsub: {} {} declined at the prompt {} left out ({}): --include-declined sends {}\n",
                 declined.size(), declined.size() == 1 ? "job" : "jobs", declined.size() == 1 ? "is" : "are",
                 format_task_ranges(ranges_of(declined)), declined.size() == 1 ? "it" : "them");
    }
  }
  uint64_t count = 0;
  for (const TaskRange& r : jobs) count += r.size();
  SubmitOutcome outcome;
  outcome.results_dir = sweep_.sweep.dir;
  outcome.jobs = sweep_.sweep.job_count;
  if (count > 0 && !changes_.empty()) {
    fmt::print(out_, "jobsub: changed since the sweep was submitted: {}\n", join(changes_, "; "));
  }
  if (count == 0) {
    fmt::print(out_, "jobsub: sweep {}: nothing to {}{}\n", where, resume ? "resume" : "resubmit",
               resume ? ": every job was submitted" : " in those states");
    if (!request_.wait) return outcome;  // with --wait: follow what the interrupted submit sent
  } else {
    fmt::print(out_, "jobsub: sweep {} ({}): {} {} of {} to {}: {}\n", where, sweep_.sweep.scheduler, count,
               count == 1 ? "job" : "jobs", sweep_.sweep.job_count, resume ? "submit" : "resubmit",
               format_task_ranges(jobs));
    if (request_.dry_run) return outcome;
    submitter.submit(jobs, prompter, [&] { return sweep_.id; });
  }
  return submitter.finish(request_.wait, request_.poll_seconds);
}

}  // namespace

SubmitOutcome run_follow_up(const PluginRegistry& registry, const FollowUpRequest& request,
                            Prompter* prompter, std::ostream& out) {
  FollowUpDriver follow_up(registry, request, out);
  return follow_up.run(prompter);
}

}  // namespace jobsub
