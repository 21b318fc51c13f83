#include "jobsub/results_layout.h"

#include <fmt/core.h>

#include <algorithm>

namespace jobsub {

int job_dir_width(uint64_t job_count) {
  return std::max<int>(4, static_cast<int>(std::to_string(job_count).size()));
}

std::string job_dir_name(uint64_t job, uint64_t job_count) {
  return fmt::format("{:0{}}", job, job_dir_width(job_count));
}

fs::path ResultsLayout::job_dir(uint64_t job) const { return jobs() / job_dir_name(job, job_count_); }

fs::path ResultsLayout::attempt_dir(uint64_t job, int attempt) const {
  return jobs() / fmt::format("{}.attempt-{}", job_dir_name(job, job_count_), attempt);
}

}  // namespace jobsub
