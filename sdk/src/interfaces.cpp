#include "jobsub/interfaces.h"

#include <fmt/core.h>

#include <utility>

namespace jobsub {

const char* to_string(JobState state) {
  switch (state) {
    case JobState::pending:
      return "pending";
    case JobState::queued:
      return "queued";
    case JobState::held:
      return "held";
    case JobState::running:
      return "running";
    case JobState::completed:
      return "completed";
    case JobState::failed:
      return "failed";
    case JobState::cancelled:
      return "cancelled";
    case JobState::timeout:
      return "timeout";
    case JobState::out_of_memory:
      return "out_of_memory";
    case JobState::node_fail:
      return "node_fail";
    case JobState::preempted:
      return "preempted";
    case JobState::lost:
      return "lost";
    case JobState::not_submitted:
      return "not_submitted";
    case JobState::skipped:
      return "skipped";
    case JobState::declined:
      return "declined";
  }
  return "unknown";
}

}  // namespace jobsub

namespace jobsub {

JobState job_state_from_string(const std::string& text) {
  for (int s = 0; s <= static_cast<int>(kLastJobState); ++s) {
    if (text == to_string(static_cast<JobState>(s))) return static_cast<JobState>(s);
  }
  return JobState::pending;
}

bool is_final(JobState s) {
  return s != JobState::pending && s != JobState::queued && s != JobState::held && s != JobState::running &&
         s != JobState::not_submitted && s != JobState::declined;
}

std::string program_problem(const fs::path& program) {
  std::error_code ec;
  if (fs::is_regular_file(program, ec)) return "";
  if (fs::is_directory(program, ec)) {
    return fmt::format(
        "program {} is a directory, not a program: name the file to run (e.g. program: main.py)",
        program.string());
  }
  return fmt::format("missing program: {}", program.string());
}

}  // namespace jobsub

namespace jobsub {

namespace {

template <class Interface>
constexpr std::pair<const char*, const char*> kind_and_id() {
  return {interface_traits<Interface>::kind, interface_traits<Interface>::id};
}

}  // namespace

std::string interface_id_of_kind(const std::string& kind) {
  static constexpr std::pair<const char*, const char*> kIds[] = {
      kind_and_id<Layout>(), kind_and_id<Sweeper>(), kind_and_id<Formatter>(), kind_and_id<Scheduler>(),
      kind_and_id<Command>()};
  for (const auto& [k, id] : kIds) {
    if (kind == k) return id;
  }
  return "";
}

}  // namespace jobsub
