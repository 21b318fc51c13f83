#pragma once
/// What jobsub knows of each job of a sweep while it submits and follows it:
/// state, exit code and native id, in 11 bytes a job, with counts by state.
#include <array>
#include <cstdint>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/records.h"
#include "jobsub/store.h"
#include "jobsub/tracker.h"

namespace jobsub {

class JOBSUB_API JobBook {
 public:
  explicit JobBook(uint64_t jobs = 0);
  /// The book of a recorded sweep, from its store rows.
  static JobBook from_records(const std::vector<JobRecord>& jobs);

  uint64_t size() const { return states_.size(); }
  JobState state(uint64_t job) const { return static_cast<JobState>(states_[job - 1]); }
  /// Takes a job's new state (and exit code and native id, when given);
  /// returns the state it had.
  JobState apply(const TaskOutcome& outcome);
  JobState set_state(uint64_t job, JobState state) { return apply({job, state, -1, "", ""}); }

  /// Jobs with the scheduler: pending, queued, held or running.
  std::vector<OpenJob> open() const;
  JobsTableRow row(uint64_t job) const;

  uint64_t count(JobState s) const { return counts_[static_cast<std::size_t>(s)]; }
  /// Jobs handed to a scheduler (every state but not_submitted, skipped and declined).
  uint64_t submitted() const {
    return size() - count(JobState::not_submitted) - count(JobState::skipped) - count(JobState::declined);
  }
  /// Jobs that ended in any other way than completed or cancelled.
  uint64_t failed() const;
  uint64_t ended() const { return count(JobState::completed) + count(JobState::cancelled) + failed(); }

 private:
  static constexpr std::size_t kStates = static_cast<std::size_t>(kLastJobState) + 1;
  std::vector<uint8_t> states_;
  std::vector<int16_t> exit_codes_;
  NativeIdTable native_ids_;
  std::array<uint64_t, kStates> counts_{};
};

}  // namespace jobsub
