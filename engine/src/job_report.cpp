#include "jobsub/job_report.h"

#include <fmt/core.h>
#include <string.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "jobsub/text.h"
#include "jobsub/tracker.h"

namespace jobsub {

bool ended_badly(JobState state) {
  return is_final(state) && state != JobState::completed && state != JobState::skipped;
}

namespace {

/// `exit 137: killed by SIGKILL`: a shell reports a child killed by signal N as 128+N.
std::string exit_text(int code) {
  if (code > 128 && code <= 128 + 64) {
    if (const char* name = sigabbrev_np(code - 128); name != nullptr)
      return fmt::format("exit {}: killed by SIG{}", code, name);
  }
  return fmt::format("exit {}", code);
}

/// The task body's init_failed file: its status, then the command.
std::string init_failure(const ResultsLayout& results, uint64_t job) {
  std::ifstream in(results.job_file(job, job_files::kInitFailed));
  std::string status, command;
  if (!std::getline(in, status)) return "";
  std::getline(in, command);
  return fmt::format("init failed (exit {}): {}", trim(status), command);
}

}  // namespace

std::string failure_reason(const JobRecord& job, const ResultsLayout& results) {
  if (!ended_badly(job.state)) return "";
  const std::string source = job.source.empty() || job.source == kExitCodeFileSource
                                 ? std::string()
                                 : fmt::format(" ({})", job.source);
  switch (job.state) {
    case JobState::timeout:
      return "time limit" + source;
    case JobState::out_of_memory:
      return "out of memory" + source;
    case JobState::node_fail:
      return "node failure" + source;
    case JobState::preempted:
      return "preempted" + source;
    case JobState::lost:
      return "no exit code: gone from the queue";
    case JobState::cancelled:
      // (The state says cancelled: what is left to say is who did.)
      return job.native_state == kInterruptedNativeState ? std::string("interrupted (Ctrl-C)") : trim(source);
    default:
      break;
  }
  if (std::string init = init_failure(results, job.job); !init.empty()) return init;
  if (job.exit_code >= 0) return exit_text(job.exit_code) + source;
  return "no exit code" + source;
}

std::string last_stderr_line(const ResultsLayout& results, uint64_t job, std::size_t width) {
  std::ifstream in(results.job_file(job, job_files::kStderr), std::ios::binary);
  if (!in) return "";
  constexpr std::streamoff kTail = 64 * 1024;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - kTail));
  const std::string tail(std::istreambuf_iterator<char>(in), {});
  std::size_t end = tail.size();
  while (end > 0) {
    const std::size_t start = tail.rfind('\n', end - 1);
    const std::size_t from = start == std::string::npos ? 0 : start + 1;
    const std::string line = trim(std::string_view(tail).substr(from, end - from));
    end = start == std::string::npos ? 0 : start;
    if (line.empty() || line.rfind("jobsub: ", 0) == 0) continue;
    if (line.size() <= width) return line;
    std::size_t cut = width > 3 ? width - 3 : 0;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80)
      --cut;  // whole UTF-8 characters
    return line.substr(0, cut) + "...";
  }
  return "";
}

std::string fold_native_ids(const std::vector<std::string>& ids) {
  std::vector<std::string> parts;
  std::string array;                                // the array whose tasks are being gathered
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // its task ranges
  auto flush = [&] {
    if (array.empty()) return;
    std::vector<std::string> words;
    for (const auto& [first, last] : runs)
      words.push_back(first == last ? std::to_string(first) : fmt::format("{}-{}", first, last));
    const bool one = runs.size() == 1 && runs.front().first == runs.front().second;
    parts.push_back(one ? fmt::format("{}_{}", array, words.front())
                        : fmt::format("{}_[{}]", array, join(words, ",")));
    array.clear();
    runs.clear();
  };
  for (const std::string& id : ids) {
    const std::size_t underscore = id.rfind('_');
    const std::string digits = underscore == std::string::npos ? std::string() : id.substr(underscore + 1);
    const bool task = !digits.empty() && digits.size() < 19 &&
                      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!task) {
      flush();
      parts.push_back(id);
      continue;
    }
    const std::string prefix = id.substr(0, underscore);
    const uint64_t n = std::stoull(digits);
    if (prefix != array) {
      flush();
      array = prefix;
    }
    if (!runs.empty() && runs.back().second + 1 == n) {
      runs.back().second = n;
    } else {
      runs.emplace_back(n, n);
    }
  }
  flush();
  return join(parts, ",");
}

std::map<uint64_t, std::string> varying_params(const ResultsLayout& results,
                                               const std::vector<uint64_t>& wanted) {
  std::map<uint64_t, std::string> out;
  if (wanted.empty()) return out;
  std::ifstream in(results.params());
  std::string line;
  nlohmann::ordered_json first;
  std::set<std::string> varying;
  std::map<uint64_t, nlohmann::ordered_json> kept;
  std::string first_line;
  auto next_wanted = wanted.begin();
  for (uint64_t job = 1; std::getline(in, line); ++job) {
    if (job == 1) first_line = line;
    const bool keep = next_wanted != wanted.end() && *next_wanted == job;
    if (keep) ++next_wanted;
    if (job > 1 && line == first_line && !keep) continue;  // nothing new
    nlohmann::ordered_json params = nlohmann::ordered_json::parse(line, nullptr, false);
    if (!params.is_object()) continue;
    if (job == 1) {
      first = params;
    } else {
      for (const auto& [key, value] : params.items()) {
        if (!first.contains(key) || first.at(key) != value) varying.insert(key);
      }
      for (const auto& [key, value] : first.items()) {
        if (!params.contains(key)) varying.insert(key);
      }
    }
    if (keep) kept[job] = std::move(params);
  }
  for (const auto& [job, params] : kept) {
    std::vector<std::string> words;
    for (const auto& [key, value] : params.items()) {
      if (!varying.count(key)) continue;
      const bool bare = value.is_string() && !value.get<std::string>().empty() &&
                        value.get<std::string>().find_first_of(" \t\n\"") == std::string::npos;
      words.push_back(fmt::format("{}={}", key, bare ? value.get<std::string>() : value.dump()));
    }
    out[job] = join(words, " ");
  }
  return out;
}

}  // namespace jobsub
