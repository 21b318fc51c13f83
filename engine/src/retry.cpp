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
    out[key] = factor;
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
  j["max_total"] = policy.max_total;
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
    policy.max_total = retry->value("max_total", uint64_t{0});
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

bool retry_due(const JobRecord& job, const RetryPolicy& policy) {
  return policy.enabled() && job.attempt >= 1 && static_cast<unsigned>(job.attempt) <= policy.retries &&
         std::find(policy.on.begin(), policy.on.end(), job.state) != policy.on.end();
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
    changes.push_back(fmt::format("{} {} -> {}{}", key, old_text, text, capped));
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
    {
      const std::unique_ptr<Store> store = open_records(experiment);
      const std::vector<JobRecord> jobs = store->jobs(sweep.id);
      std::vector<JobRecord> due;
      for (const JobRecord& j : jobs) {
        if (retry_due(j, policy)) due.push_back(j);
      }
      // Claims a jobsub on this host made and stopped before sending.
      std::vector<RetryClaim> stale;
      for (const RetryClaim& c : store->retry_claims(sweep.id)) {
        if (c.job == 0 || c.job > jobs.size() || c.host != host || c.pid == pid) continue;
        const JobRecord& j = jobs[c.job - 1];
        if (j.state == JobState::not_submitted && j.attempt == c.attempt && !is_running_jobsub(c.pid))
          stale.push_back(c);
      }
      if (due.empty() && stale.empty()) break;
      claimed = store->claim_retries(sweep.id, due, policy.max_total, host, pid);
      if (policy.max_total > 0 && claimed.size() < due.size() &&
          store->retry_claims(sweep.id).size() >= policy.max_total) {
        const std::size_t left = due.size() - claimed.size();
        fmt::print(out, "jobsub: the sweep's {} retries (--max-retries) are used up: {} {} not retried\n",
                   policy.max_total, left, left == 1 ? "job is" : "jobs are");
      }
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
    try {
      run_follow_up(registry, request, nullptr, out);
    } catch (const Error& e) {
      fmt::print(out,
                 "jobsub: the retry of {} {} was not sent: {}\njobsub: {} claimed: the next `jobsub status` "
                 "sends {}\n",
                 claimed.size() == 1 ? "job" : "jobs", format_task_ranges(ranges_of(claimed)), e.what(),
                 claimed.size() == 1 ? "it stays" : "they stay", claimed.size() == 1 ? "it" : "them");
      break;
    }
    sent.insert(sent.end(), claimed.begin(), claimed.end());
  }
  std::sort(sent.begin(), sent.end());
  return sent;
}

}  // namespace jobsub
