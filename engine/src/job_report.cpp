#include "jobsub/job_report.h"

#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
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

/// `exit 137: killed by SIGKILL`: a shell reports a child killed by signal N as
/// 128+N. The signals a job dies of, numbered as on Linux (signal(7)).
std::string exit_text(int code) {
  static const std::map<int, const char*> kSignals = {
      {SIGHUP, "HUP"},   {SIGINT, "INT"},   {SIGQUIT, "QUIT"}, {SIGILL, "ILL"},   {SIGTRAP, "TRAP"},
      {SIGABRT, "ABRT"}, {SIGBUS, "BUS"},   {SIGFPE, "FPE"},   {SIGKILL, "KILL"}, {SIGUSR1, "USR1"},
      {SIGSEGV, "SEGV"}, {SIGUSR2, "USR2"}, {SIGPIPE, "PIPE"}, {SIGALRM, "ALRM"}, {SIGTERM, "TERM"},
      {SIGXCPU, "XCPU"}, {SIGXFSZ, "XFSZ"}};
  if (const auto it = kSignals.find(code - 128); code > 128 && it != kSignals.end())
    return fmt::format("exit {}: killed by SIG{}", code, it->second);
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
    // A progress bar rewrites its line with \r: the last of those is the line shown.
    const std::size_t start = tail.find_last_of("\n\r", end - 1);
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
  // An id is text, a task number (its last run of digits), text: Slurm
  // `4720_5`, PBS `1234[7].server`, Grid Engine `4711.3`. Consecutive numbers
  // between the same texts fold.
  struct Run {
    std::string before, after;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
  };
  std::vector<Run> runs;
  std::vector<std::string> parts;
  auto flush = [&] {
    for (const Run& run : runs) {
      std::vector<std::string> words;
      for (const auto& [first, last] : run.ranges)
        words.push_back(first == last ? std::to_string(first) : fmt::format("{}-{}", first, last));
      const bool one = run.ranges.size() == 1 && run.ranges.front().first == run.ranges.front().second;
      const std::string numbers = join(words, ",");
      if (one || (run.before.empty() && run.after.empty())) {
        parts.push_back(run.before + numbers + run.after);
      } else if (!run.before.empty() && run.before.back() == '[' && run.after.rfind(']', 0) == 0) {
        parts.push_back(run.before + numbers + run.after);  // PBS, LSF: 1234[5-7].server
      } else {
        parts.push_back(fmt::format("{}[{}]{}", run.before, numbers, run.after));
      }
    }
    runs.clear();
  };
  for (const std::string& id : ids) {
    const std::size_t end = id.find_last_of("0123456789");
    std::size_t begin = end;
    while (begin != std::string::npos && begin > 0 && std::isdigit(static_cast<unsigned char>(id[begin - 1])))
      --begin;
    if (end == std::string::npos || end - begin >= 18) {
      flush();
      parts.push_back(id);
      continue;
    }
    const std::string before = id.substr(0, begin), after = id.substr(end + 1);
    const uint64_t n = std::stoull(id.substr(begin, end - begin + 1));
    if (runs.empty() || runs.back().before != before || runs.back().after != after) {
      if (!runs.empty()) flush();
      runs.push_back({before, after, {}});
    }
    auto& ranges = runs.back().ranges;
    if (!ranges.empty() && ranges.back().second + 1 == n) {
      ranges.back().second = n;
    } else {
      ranges.emplace_back(n, n);
    }
  }
  flush();
  // A screen line: the first few, and how many more.
  constexpr std::size_t kShown = 6;
  if (parts.size() > kShown) {
    const std::size_t more = parts.size() - kShown;
    parts.resize(kShown);
    parts.push_back(fmt::format("... ({} more)", more));
  }
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
