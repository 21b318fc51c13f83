#include "jobsub/interfaces.h"

#include <fmt/core.h>

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
  }
  return "unknown";
}

}  // namespace jobsub

namespace jobsub {

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

std::string interface_id_of_kind(const std::string& kind) {
  if (kind == interface_traits<Layout>::kind) return interface_traits<Layout>::id;
  if (kind == interface_traits<Sweeper>::kind) return interface_traits<Sweeper>::id;
  if (kind == interface_traits<Formatter>::kind) return interface_traits<Formatter>::id;
  if (kind == interface_traits<Scheduler>::kind) return interface_traits<Scheduler>::id;
  if (kind == interface_traits<Command>::kind) return interface_traits<Command>::id;
  return "";
}

}  // namespace jobsub
