#pragma once
/// Per-grid resources. In a list of grids, an entry `{hypers: {...},
/// resources: {...}}` gives its grid resources of its own: its jobs go to the
/// scheduler in batches of their own, with the spec's resources and the
/// grid's over them (a `--resource` on the command line over both).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/hyperspace.h"
#include "jobsub/interfaces.h"
#include "jobsub/spec.h"

namespace jobsub {

struct ResourceGroups {
  struct Group {
    std::string grid;                              ///< `hypers[1]`; empty for group 0
    std::map<std::string, std::string> resources;  ///< what its batches ask for
  };
  /// Group 0 is every job of a grid without resources of its own (the
  /// spec's resources); one more per grid that has some. Empty: one group,
  /// whatever the prototype batch asks for.
  std::vector<Group> groups;
  /// Job i+1's group; empty when every job is in group 0. At most 65,535 groups.
  std::vector<uint16_t> group_of_job;

  bool several() const { return groups.size() > 1; }
  /// Job `job`'s (1-based) group.
  std::size_t of(uint64_t job) const { return group_of_job.empty() ? 0 : group_of_job.at(job - 1); }
  /// `tasks` (ascending ranges of jobs) as one list of ranges per group, the
  /// groups in the order of their first job.
  JOBSUB_API std::vector<std::pair<std::size_t, std::vector<TaskRange>>> split(
      const std::vector<TaskRange>& tasks) const;
};

/// The groups of a new sweep: each job's grid from the sweeper's space_index()
/// and space.grid_of(). `job_count` is the sweeper's size().
JOBSUB_API ResourceGroups resource_groups(const SweepSpec& spec, const HyperSpace& space,
                                          const Sweeper& sweeper, uint64_t job_count);

/// The groups as a sweep recorded them (sweep.json's `resource_groups`:
/// each group after the first with its grid, resources and jobs), the rest in
/// group 0 with `base` resources.
JOBSUB_API ResourceGroups recorded_resource_groups(
    const std::map<std::string, std::string>& base,
    const std::vector<std::pair<ResourceGroups::Group, std::vector<TaskRange>>>& recorded,
    uint64_t job_count);

}  // namespace jobsub
