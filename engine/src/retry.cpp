// Automatic retries: the policy (`--retries`, `--retry-on`, `--retry-scale`,
// `--max-retries`), kept in sweep.json, and the settling jobsub's pass that
// claims and sends the due ones.
#include "jobsub/retry.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "jobsub/errors.h"
#include "jobsub/process.h"
#include "jobsub/resources.h"
#include "jobsub/results_layout.h"
#include "jobsub/script.h"
#include "jobsub/submit.h"
#include "jobsub/text.h"

namespace jobsub {

namespace {

/// Seconds a retry whose send failed waits before a jobsub tries it again.
constexpr int64_t kReleasedRetryPause = 60;

/// `a,b,c` as its items (empty ones kept: the callers skip them).
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t comma = text.find(','); comma != std::string::npos; comma = text.find(',', start)) {
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  out.push_back(text.substr(start));
  return out;
}

}  // namespace

const std::vector<JobState>& default_retry_states() {
  static const std::vector<JobState> states = {JobState::timeout, JobState::preempted, JobState::node_fail};
  return states;
}

std::vector<JobState> parse_retry_states(const std::string& text) {
  static const std::vector<JobState> kRetriable = {JobState::timeout,       JobState::preempted,
                                                   JobState::node_fail,     JobState::failed,
                                                   JobState::out_of_memory, JobState::lost};
  std::vector<JobState> out;
  for (const std::string& raw : split_list(text)) {
    const std::string word = trim(raw);
    if (word.empty()) continue;
    if (word == "cancelled") {
      throw usage_error(
          "--retry-on cannot take cancelled: a cancelled job was stopped on purpose (`jobsub resubmit "
          "--state cancelled` sends such jobs again)");
    }
    const auto known =
        std::find_if(kRetriable.begin(), kRetriable.end(), [&](JobState s) { return word == to_string(s); });
    if (known == kRetriable.end()) {
      std::vector<std::string> names;
      for (const JobState s : kRetriable) names.emplace_back(to_string(s));
      throw usage_error(
          fmt::format("--retry-on: '{}' is not a state a job can be retried from; give some of: {}", word,
                      join(names, ", ")));
    }
    if (std::find(out.begin(), out.end(), *known) == out.end()) out.push_back(*known);
  }
  if (out.empty()) throw usage_error("--retry-on needs at least one state, e.g. --retry-on timeout,failed");
  return out;
}

std::map<std::string, double> parse_retry_scale(const std::string& text) {
  std::map<std::string, double> out;
  for (const std::string& raw : split_list(text)) {
    const std::string item = trim(raw);
    if (item.empty()) continue;
    const auto equals = item.find('=');
    const std::string key = trim(item.substr(0, equals));
    if (equals == std::string::npos || (key != "time" && key != "mem")) {
      throw usage_error(fmt::format(
          "--retry-scale: '{}' is not RESOURCE=FACTOR with time or mem (e.g. --retry-scale time=2,mem=1.5)",
          item));
    }
    const std::string number = trim(item.substr(equals + 1));
    double factor = 0;
    std::size_t used = 0;
    try {
      factor = std::stod(number, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != number.size() || !std::isfinite(factor) || factor < 1 || factor > 100) {
      throw usage_error(fmt::format(
          "--retry-scale: {}'s factor '{}' is not a number from 1 to 100 (e.g. {}=2)", key, number, key));
    }
    if (!out.emplace(key, factor).second)
      throw usage_error(fmt::format("--retry-scale: {} is given twice: give it once", key));
  }
  return out;
}

std::string retry_policy_json(const RetryPolicy& policy) {
  nlohmann::ordered_json j;
  j["retries"] = policy.retries;
  nlohmann::ordered_json on = nlohmann::ordered_json::array();
  for (const JobState s : policy.on) on.push_back(to_string(s));
  j["on"] = on;
  j["scale"] = policy.scale;
  j["max_total"] = policy.max_total > 0 ? nlohmann::ordered_json(policy.max_total) : nlohmann::ordered_json();
  return j.dump();
}

RetryPolicy recorded_retry_policy(const fs::path& results_dir) {
  RetryPolicy policy;
  std::ifstream in(ResultsLayout(results_dir, 1).sweep_record());
  if (!in) return policy;
  try {
    const nlohmann::json sweep = nlohmann::json::parse(in);
    const auto retry = sweep.find("retry");
    if (retry == sweep.end() || !retry->is_object()) return policy;
    policy.retries = retry->value("retries", 0U);
    for (const auto& s : retry->value("on", nlohmann::json::array())) {
      policy.on.push_back(job_state_from_string(s.get<std::string>()));
    }
    policy.scale = retry->value("scale", std::map<std::string, double>());
    if (const auto cap = retry->find("max_total"); cap != retry->end() && cap->is_number_unsigned())
      policy.max_total = cap->get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw job_error(fmt::format("{}: its retry policy cannot be read: {}",
                                ResultsLayout(results_dir, 1).sweep_record().string(), e.what()));
  }
  return policy;
}

std::string describe(const RetryPolicy& policy) {
  std::vector<std::string> states;
  for (const JobState s : policy.on) states.emplace_back(to_string(s));
  std::string text = fmt::format("up to {} {} a job on {}", policy.retries,
                                 policy.retries == 1 ? "retry" : "retries", join(states, ", "));
  std::vector<std::string> scales;
  for (const auto& [key, factor] : policy.scale) scales.push_back(fmt::format("{} x{}", key, factor));
  if (!scales.empty()) text += fmt::format("; {} per attempt", join(scales, ", "));
  if (policy.max_total > 0) text += fmt::format("; {} in all at most", policy.max_total);
  return text;
}

RetryTally tally_retries(const std::vector<RetryClaim>& claims) {
  RetryTally tally;
  for (const RetryClaim& c : claims) ++tally.per_job[c.job];
  tally.total = claims.size();
  return tally;
}

unsigned retries_left(const JobRecord& job, const RetryPolicy& policy, const RetryTally& tally,
                      bool with_sweep_cap) {
  const unsigned used = tally.of(job.job);
  unsigned left = used >= policy.retries ? 0 : policy.retries - used;
  if (with_sweep_cap && policy.max_total > 0)
    left = tally.total >= policy.max_total ? 0 : std::min<uint64_t>(left, policy.max_total - tally.total);
  return left;
}

bool retry_due(const JobRecord& job, const RetryPolicy& policy, const RetryTally& tally) {
  return policy.enabled() && std::find(policy.on.begin(), policy.on.end(), job.state) != policy.on.end() &&
         retries_left(job, policy, tally) > 0;
}

std::map<std::string, std::string> scaled_resources(const std::map<std::string, std::string>& previous,
                                                    const std::map<std::string, double>& scale,
                                                    const ResourceLimits& limits,
                                                    std::vector<std::string>& changes) {
  std::map<std::string, std::string> next = previous;
  for (const auto& [key, factor] : scale) {
    const auto given = previous.find(key);
    if (given == previous.end()) continue;
    const bool time = key == "time";
    const uint64_t was = time ? parse_duration(given->second, "resources.time")
                              : parse_memory_mib(given->second, "resources.mem");
    uint64_t now = static_cast<uint64_t>(std::ceil(static_cast<double>(was) * factor));
    const uint64_t limit = time ? limits.time_seconds : limits.mem_mib;
    std::string capped;
    if (limit > 0 && now > limit) {
      now = std::max(was, limit);
      capped = fmt::format(" (capped at {}'s {})", limits.where.empty() ? "the scheduler" : limits.where,
                           time ? "MaxTime" : "MaxMemPerNode");
    }
    const std::string text = time ? format_duration_hms(now) : fmt::format("{}M", now);
    const std::string old_text = time ? format_duration_hms(was) : fmt::format("{}M", was);
    next[key] = text;
    if (now == was && !capped.empty()) {  // nothing more to give
      changes.push_back(fmt::format("{} {} (not raised: {}'s {} is {})", key, text,
                                    limits.where.empty() ? "the scheduler" : limits.where,
                                    time ? "MaxTime" : "MaxMemPerNode",
                                    time ? format_duration_hms(limit) : fmt::format("{}M", limit)));
    } else {
      changes.push_back(fmt::format("{} {} -> {}{}", key, old_text, text, capped));
    }
  }
  return next;
}

std::vector<uint64_t> perform_due_retries(const PluginRegistry& registry, const fs::path& experiment,
                                          const SweepSummary& sweep, std::ostream& out) {
  const RetryPolicy policy = recorded_retry_policy(sweep.sweep.dir);
  if (!policy.enabled()) return {};
  const std::string host = host_name();
  const auto pid = static_cast<int64_t>(::getpid());
  std::vector<uint64_t> sent;
  // Each round starts a later attempt of each job it sends, so rounds are
  // bounded by the retries a job may have (and one for claims taken over).
  for (unsigned round = 0; round <= policy.retries + 1; ++round) {
    std::vector<uint64_t> claimed;
    std::vector<JobRecord> left_out;
    {
      const std::unique_ptr<Store> store = open_records(experiment);
      const std::vector<JobRecord> jobs = store->jobs(sweep.id);
      const std::vector<RetryClaim> claims = store->retry_claims(sweep.id);
      const RetryTally tally = tally_retries(claims);
      std::vector<JobRecord> due, capped;  // capped: due but for the sweep's --max-retries
      for (const JobRecord& j : jobs) {
        if (retry_due(j, policy, tally)) {
          due.push_back(j);
        } else if (policy.max_total > 0 &&
                   std::find(policy.on.begin(), policy.on.end(), j.state) != policy.on.end() &&
                   retries_left(j, policy, tally, false) > 0) {
          capped.push_back(j);
        }
      }
      // Claims not sent: released after a failed send (a while ago: the
      // cause may have passed), or made by a jobsub on this host that stopped.
      std::vector<RetryClaim> stale;
      const int64_t now = epoch_of_timestamp(utc_timestamp());
      for (const RetryClaim& c : claims) {
        if (c.job == 0 || c.job > jobs.size()) continue;
        const JobRecord& j = jobs[c.job - 1];
        if (j.state != JobState::not_submitted || j.attempt != c.attempt) continue;
        const bool released = c.pid == 0 && now - epoch_of_timestamp(c.claimed) >= kReleasedRetryPause;
        const bool orphaned = c.pid != 0 && c.host == host && c.pid != pid && !is_running_jobsub(c.pid);
        if (released || orphaned) stale.push_back(c);
      }
      if (due.empty() && stale.empty()) break;
      claimed = store->claim_retries(sweep.id, due, policy.max_total, host, pid);
      // Jobs the sweep's cap left out, said once: in the round that reached it.
      for (const JobRecord& j : due) {
        if (std::find(claimed.begin(), claimed.end(), j.job) == claimed.end()) capped.push_back(j);
      }
      if (!claimed.empty() && !capped.empty() && store->retry_claims(sweep.id).size() >= policy.max_total)
        left_out = capped;
      for (const uint64_t job : store->take_over_retries(sweep.id, stale, host, pid)) claimed.push_back(job);
    }
    if (claimed.empty()) break;
    std::sort(claimed.begin(), claimed.end());
    claimed.erase(std::unique(claimed.begin(), claimed.end()), claimed.end());
    FollowUpRequest request;
    request.kind = FollowUpRequest::Kind::retry;
    request.experiment = experiment;
    request.sweep = sweep.sweep.dir.string();
    request.jobs = claimed;
    std::string failure;
    try {
      run_follow_up(registry, request, nullptr, out);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    // What went: the claimed jobs no longer `not_submitted` (a refusal or
    // Ctrl-C leaves some or all of them so).
    std::vector<uint64_t> unsent;
    {
      const std::unique_ptr<Store> store = open_records(experiment);
      const std::vector<JobRecord> jobs = store->jobs(sweep.id);
      for (const uint64_t job : claimed) {
        if (jobs.at(job - 1).state == JobState::not_submitted) {
          unsent.push_back(job);
        } else {
          sent.push_back(job);
        }
      }
      store->release_retries(sweep.id, unsent);
    }
    if (!unsent.empty()) {
      fmt::print(
          out,
          "jobsub: the retry of {} {} was not sent{}{}; the next `jobsub status` from {} s on tries again\n",
          unsent.size() == 1 ? "job" : "jobs", format_task_ranges(ranges_of(unsent)),
          failure.empty() ? "" : ": ", failure, kReleasedRetryPause);
      break;
    }
    if (!left_out.empty()) {
      std::vector<uint64_t> jobs;
      for (const JobRecord& j : left_out) jobs.push_back(j.job);
      std::sort(jobs.begin(), jobs.end());
      fmt::print(out, "jobsub: {} {} not retried: the sweep's --max-retries {} is reached\n",
                 jobs.size() == 1 ? "job" : "jobs", format_task_ranges(ranges_of(jobs)), policy.max_total);
      break;
    }
  }
  std::sort(sent.begin(), sent.end());
  return sent;
}

}  // namespace jobsub
