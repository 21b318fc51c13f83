#include "jobsub/job_book.h"

namespace jobsub {

JobBook::JobBook(uint64_t jobs)
    : states_(jobs, static_cast<uint8_t>(JobState::not_submitted)), exit_codes_(jobs, -1), native_ids_(jobs) {
  counts_[static_cast<std::size_t>(JobState::not_submitted)] = jobs;
}

JobBook JobBook::from_records(const std::vector<JobRecord>& jobs) {
  JobBook book(jobs.size());
  for (const JobRecord& j : jobs) book.apply({j.job, j.state, j.exit_code, j.native_id, j.native_state});
  return book;
}

JobState JobBook::apply(const TaskOutcome& outcome) {
  const std::size_t i = outcome.job - 1;
  const auto before = static_cast<JobState>(states_[i]);
  --counts_[static_cast<std::size_t>(before)];
  ++counts_[static_cast<std::size_t>(outcome.state)];
  states_[i] = static_cast<uint8_t>(outcome.state);
  if (outcome.exit_code >= 0) exit_codes_[i] = static_cast<int16_t>(outcome.exit_code);
  if (!is_final(outcome.state)) exit_codes_[i] = -1;  // a job not ended (again: a retry) has none yet
  if (!outcome.native_id.empty()) native_ids_.set(outcome.job, outcome.native_id);
  return before;
}

std::vector<OpenJob> JobBook::open() const {
  std::vector<OpenJob> jobs;
  for (uint64_t job = 1; job <= size(); ++job) {
    const JobState s = state(job);
    if (s == JobState::pending || s == JobState::queued || s == JobState::held || s == JobState::running)
      jobs.push_back({job, s, native_ids_.get(job)});
  }
  return jobs;
}

JobsTableRow JobBook::row(uint64_t job) const {
  return {state(job), exit_codes_[job - 1], native_ids_.get(job)};
}

uint64_t JobBook::failed() const {
  uint64_t n = 0;
  for (std::size_t s = 0; s < kStates; ++s) {
    const auto state = static_cast<JobState>(s);
    if (is_final(state) && state != JobState::completed && state != JobState::cancelled &&
        state != JobState::skipped)
      n += counts_[s];
  }
  return n;
}

}  // namespace jobsub
