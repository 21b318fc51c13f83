#include "jobsub/tracker.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "jobsub/errors.h"
#include "jobsub/pipeline.h"

#include "jobsub/records.h"
#include "jobsub/script.h"

namespace jobsub {

void NativeIdTable::set(uint64_t job, const std::string& id) {
  const std::size_t i = job - 1;
  whole_.erase(job);
  std::size_t digits = id.size();
  while (digits > 0 && id[digits - 1] >= '0' && id[digits - 1] <= '9') --digits;
  const std::size_t length = id.size() - digits;
  // Only a number that prints back the same way (no leading zero, < 2^32).
  if (length == 0 || length > 9 || (length > 1 && id[digits] == '0')) {
    prefix_[i] = id.empty() ? 0 : kWhole;
    if (!id.empty()) whole_[job] = id;
    return;
  }
  const std::string prefix = id.substr(0, digits);
  auto [it, added] = prefix_index_.emplace(prefix, static_cast<uint32_t>(prefixes_.size()));
  if (added) prefixes_.push_back(prefix);
  prefix_[i] = it->second + 1;
  number_[i] = static_cast<uint32_t>(std::stoul(id.substr(digits)));
}

std::string NativeIdTable::get(uint64_t job) const {
  const uint32_t p = prefix_[job - 1];
  if (p == 0) return "";
  if (p == kWhole) return whole_.at(job);
  return prefixes_[p - 1] + std::to_string(number_[job - 1]);
}

int Tracker::exit_code(uint64_t job) const {
  std::ifstream in(ResultsLayout(results_dir_, job_count_).job_file(job, job_files::kExitCode));
  int code = -1;
  if (in >> code) return code;
  return -1;
}

bool Tracker::settle(const OpenJob& job, const TaskOutcome* said, TaskOutcome& out) {
  const int code = exit_code(job.job);
  const JobState by_code = code == 0 ? JobState::completed : JobState::failed;
  // 1. The scheduler, from its queue or its accounting: where it says more
  //    than completed or failed (timeout, out of memory, ...), that is the
  //    verdict, whatever the program's exit code; else the exit code decides.
  if (said != nullptr && said->state != JobState::lost) {
    const bool says_more = said->state != JobState::completed && said->state != JobState::failed;
    if (says_more) {
      out = {job.job, said->state, code, job.native_id, said->native_state, said->evidence, said->source};
      if (out.evidence == Evidence::none) out.evidence = Evidence::scheduler;
      return true;
    }
    if (code >= 0) {
      const bool agree = said->state == by_code && said->evidence != Evidence::none;
      out = {job.job,
             by_code,
             code,
             job.native_id,
             said->native_state,
             agree ? said->evidence : Evidence::exit_code_file,
             agree ? said->source : std::string(kExitCodeFileSource)};
      return true;
    }
    if (said->state == JobState::failed) {
      out = {job.job,     JobState::failed, -1, job.native_id, said->native_state, Evidence::scheduler,
             said->source};
      return true;
    }
  }
  // 2. The scheduler's own message in the job's log (no accounting had it).
  TaskOutcome logged;
  if (scheduler_.log_verdict(ResultsLayout(results_dir_, job_count_).logs(), job.native_id, logged)) {
    out = {job.job,      logged.state, code, job.native_id, logged.native_state, Evidence::scheduler_log,
           logged.source};
    return true;
  }
  // 3. The exit code the task body wrote.
  if (code >= 0) {
    out = {job.job,
           by_code,
           code,
           job.native_id,
           said != nullptr ? said->native_state : std::string("ended"),
           Evidence::exit_code_file,
           kExitCodeFileSource};
    return true;
  }
  // 4. Held behind a canary whose script cancelled it (before it ran: no file of its own).
  if (const std::optional<uint64_t> canary = cancelled_by_canary(job.job)) {
    out = {job.job,
           JobState::cancelled,
           -1,
           job.native_id,
           fmt::format("cancelled by the canary's script (job {})", *canary),
           Evidence::exit_code_file,
           kCanaryDecisionSource};
    return true;
  }
  // 5. Nothing: lost, once the file has had time to show on a shared file system.
  // Counted per scheduler id: a job sent again (a retry) starts afresh.
  auto& [counted_id, polls] = unexplained_polls_[job.job];
  if (counted_id != job.native_id) {
    counted_id = job.native_id;
    polls = 0;
  }
  if (++polls >= lost_after_) {
    const std::string native = said != nullptr && !said->native_state.empty() ? said->native_state : "gone";
    out = {job.job, JobState::lost, -1, job.native_id, native, Evidence::none, ""};
    return true;
  }
  return false;
}

std::vector<CanaryHold> canary_holds(const fs::path& results_dir) {
  std::vector<CanaryHold> out;
  std::ifstream in(ResultsLayout(results_dir, 1).submissions());
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("\"held_jobs\"") == std::string::npos) continue;  // most lines: not parsed
    try {
      const nlohmann::json batch = nlohmann::json::parse(line);
      if (batch.value("state", "") != "submitting" || !batch.contains("held_jobs")) continue;
      CanaryHold hold;
      hold.canary = parse_task_ranges(batch.at("jobs").get<std::string>()).at(0).first;
      hold.held = parse_task_ranges(batch.at("held_jobs").get<std::string>());
      hold.release = batch.value("release", std::string());
      out.push_back(std::move(hold));
    } catch (const std::exception&) {
      continue;  // a line torn by a crash
    }
  }
  return out;
}

std::string canary_decision(const fs::path& results_dir, uint64_t job_count, uint64_t canary) {
  std::string decision;
  std::ifstream(ResultsLayout(results_dir, job_count).job_file(canary, job_files::kCanaryDecision)) >>
      decision;
  return decision;
}

std::optional<uint64_t> Tracker::cancelled_by_canary(uint64_t job) {
  if (!canary_holds_) canary_holds_ = canary_holds(results_dir_);
  for (const CanaryHold& hold : *canary_holds_) {
    const bool held = std::any_of(hold.held.begin(), hold.held.end(),
                                  [&](const TaskRange& r) { return r.first <= job && job <= r.last; });
    if (!held) continue;
    std::string& decision = canary_decisions_[hold.canary];
    if (decision.empty()) decision = canary_decision(results_dir_, job_count_, hold.canary);
    if (decision == "cancelled") return hold.canary;
  }
  return std::nullopt;
}

Status Tracker::poll(const std::vector<OpenJob>& open, std::vector<TaskOutcome>& out) {
  std::vector<std::string> ids;
  for (const OpenJob& job : open) ids.push_back(job.native_id);
  std::vector<TaskOutcome> live;
  const Status status = scheduler_.query(ids, live);
  if (!status.ok) return status;
  settle_answers(open, live, out);
  return Status::success();
}

void Tracker::settle_answers(const std::vector<OpenJob>& open, const std::vector<TaskOutcome>& live,
                             std::vector<TaskOutcome>& out) {
  std::map<std::string, const TaskOutcome*> by_id;
  for (const TaskOutcome& o : live) by_id[o.native_id] = &o;
  for (const OpenJob& job : open) {
    TaskOutcome outcome;
    auto it = by_id.find(job.native_id);
    // A final verdict asked about again is revised only by stronger evidence.
    const bool revisit = is_final(job.state) && job.state != JobState::lost;
    if (revisit) {
      const TaskOutcome* said = it != by_id.end() && is_final(it->second->state) ? it->second : nullptr;
      if (settle(job, said, outcome) && outcome.evidence > job.evidence) out.push_back(outcome);
    } else if (it == by_id.end()) {
      if (settle(job, nullptr, outcome)) out.push_back(outcome);
    } else if (is_final(it->second->state)) {
      if (settle(job, it->second, outcome)) out.push_back(outcome);
    } else if (it->second->state == JobState::pending) {
      // The scheduler has it and says no more (local: a live jobsub runs it).
      out.push_back({job.job, job.state, -1, job.native_id, it->second->native_state});
    } else {
      out.push_back({job.job, it->second->state, -1, job.native_id, it->second->native_state});
    }
  }
}

bool is_open(const JobRecord& job) { return !job.native_id.empty() && !is_final(job.state); }

namespace {
int64_t epoch_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::vector<OpenJob> jobs_to_settle(const std::vector<JobRecord>& jobs, int64_t now) {
  std::vector<OpenJob> open;
  for (const JobRecord& j : jobs) {
    if (j.native_id.empty()) continue;
    const bool weak = now > 0 && j.evidence == Evidence::exit_code_file &&
                      now - epoch_of_timestamp(j.updated) < kRevisitExitCodeVerdictsFor;
    if (!is_final(j.state) || j.state == JobState::lost || weak)
      open.push_back({j.job, j.state, j.native_id, j.evidence});
  }
  return open;
}

namespace {

/// Records what a settling pass learned, in the store and jobs.tsv; returns the sweep's jobs.
std::vector<JobRecord> record_settled(Store& store, const SweepSummary& sweep,
                                      const std::vector<TaskOutcome>& outcomes) {
  store.update_jobs(sweep.id, outcomes);
  std::vector<JobRecord> jobs = store.jobs(sweep.id);
  write_jobs_table(sweep.sweep.dir, jobs.size(), [&](uint64_t job) {
    const JobRecord& j = jobs[job - 1];
    return JobsTableRow{j.state, j.exit_code, j.native_id};
  });
  return jobs;
}

}  // namespace

std::vector<JobRecord> settle_sweep(Store& store, const SweepSummary& sweep,
                                    const std::function<Tracker&()>& tracker, bool record) {
  std::vector<JobRecord> jobs = store.jobs(sweep.id);
  const std::vector<OpenJob> open = jobs_to_settle(jobs, epoch_now());
  if (open.empty()) return jobs;
  std::vector<TaskOutcome> outcomes;
  const Status status = tracker().poll(open, outcomes);
  if (!status.ok) throw job_error(fmt::format("cannot ask {}: {}", sweep.sweep.scheduler, status.message));
  if (record) return record_settled(store, sweep, outcomes);
  for (const TaskOutcome& o : outcomes) {
    if (o.job == 0 || o.job > jobs.size()) continue;
    JobRecord& j = jobs[o.job - 1];
    j.state = o.state;
    j.exit_code = o.exit_code;
    j.native_state = o.native_state;
    j.evidence = o.evidence;
    j.source = o.source;
  }
  return jobs;
}

void settle_sweeps(
    Store& store, const std::vector<SweepSummary>& sweeps,
    const std::function<Scheduler&(const std::string& name, int64_t submitted_after)>& scheduler_of,
    std::vector<std::string>& problems) {
  std::map<std::string, std::vector<std::pair<const SweepSummary*, std::vector<OpenJob>>>> by_scheduler;
  for (const SweepSummary& sweep : sweeps) {
    // A sweep whose counts say every job is final and none lost needs no look
    // (a sweep has jobs: no counts means they were not read, Store::sweeps(false)).
    const bool settled = !sweep.states.empty() &&
                         std::all_of(sweep.states.begin(), sweep.states.end(), [](const auto& state_count) {
                           return is_final(state_count.first) && state_count.first != JobState::lost;
                         });
    if (settled) continue;
    // list counts states: it does not revisit verdicts that rest on the exit-code file (now 0).
    std::vector<OpenJob> open = jobs_to_settle(store.jobs(sweep.id), 0);
    if (!open.empty()) by_scheduler[sweep.sweep.scheduler].emplace_back(&sweep, std::move(open));
  }
  for (const auto& [name, group] : by_scheduler) {
    try {
      int64_t since = 0;
      for (const auto& entry : group) {
        const int64_t created = epoch_of_timestamp(entry.first->sweep.created);
        if (created > 0 && (since == 0 || created < since)) since = created;
      }
      Scheduler& scheduler = scheduler_of(name, since);
      std::vector<std::string> ids;
      for (const auto& entry : group) {
        for (const OpenJob& job : entry.second) ids.push_back(job.native_id);
      }
      std::vector<TaskOutcome> live;
      const Status status = scheduler.query(ids, live);
      if (!status.ok) throw std::runtime_error(status.message);
      for (const auto& [sweep, open] : group) {
        Tracker tracker(scheduler, sweep->sweep.dir, sweep->sweep.job_count, 1);
        std::vector<TaskOutcome> outcomes;
        tracker.settle_answers(open, live, outcomes);
        record_settled(store, *sweep, outcomes);
      }
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("{}: {}", name, e.what()));
    }
  }
}

void settle_sweeps(Store& store, const std::vector<SweepSummary>& sweeps, const PluginRegistry& registry,
                   std::vector<std::string>& problems) {
  std::map<std::string, PluginHandle<Scheduler>> schedulers;
  settle_sweeps(
      store, sweeps,
      [&](const std::string& name, int64_t submitted_after) -> Scheduler& {
        auto it = schedulers.find(name);
        if (it == schedulers.end())
          it = schedulers.emplace(name, configured_scheduler(registry, name, submitted_after)).first;
        return *it->second;
      },
      problems);
}

}  // namespace jobsub
