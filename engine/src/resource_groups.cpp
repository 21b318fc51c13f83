#include "jobsub/resource_groups.h"

#include <fmt/core.h>

#include "jobsub/errors.h"

namespace jobsub {

std::vector<std::pair<std::size_t, std::vector<TaskRange>>> ResourceGroups::split(
    const std::vector<TaskRange>& tasks) const {
  std::vector<std::pair<std::size_t, std::vector<TaskRange>>> out;
  if (!several()) {
    if (!tasks.empty()) out.emplace_back(0, tasks);
    return out;
  }
  std::map<std::size_t, std::size_t> slot;  // group -> its entry in `out`
  for (const TaskRange& r : tasks) {
    for (uint64_t job = r.first; job <= r.last; ++job) {
      const std::size_t g = of(job);
      auto [it, fresh] = slot.emplace(g, out.size());
      if (fresh) out.emplace_back(g, std::vector<TaskRange>{});
      std::vector<TaskRange>& ranges = out[it->second].second;
      if (!ranges.empty() && ranges.back().last + 1 == job) {
        ranges.back().last = job;
      } else {
        ranges.push_back({job, job});
      }
    }
  }
  return out;
}

ResourceGroups resource_groups(const SweepSpec& spec, const HyperSpace& space, const Sweeper& sweeper,
                               uint64_t job_count) {
  ResourceGroups out;
  const std::map<std::string, std::string> base = spec.section("resources");
  out.groups.push_back({"", base});
  std::vector<uint16_t> group_of_grid(spec.grids.size(), 0);
  for (std::size_t g = 0; g < spec.grids.size(); ++g) {
    if (spec.grids[g].resources.empty()) continue;
    if (out.groups.size() >= UINT16_MAX)
      throw spec_error("more than 65,534 grids with resources of their own");
    std::map<std::string, std::string> resources = base;
    for (const auto& [key, setting] : spec.grids[g].resources) {
      const auto given = spec.settings.find("resources." + key);
      const bool command_line =
          given != spec.settings.end() && given->second.source == SettingSource::command_line;
      if (!command_line) resources[key] = setting.value;  // --resource on the command line wins
    }
    group_of_grid[g] = static_cast<uint16_t>(out.groups.size());
    out.groups.push_back({fmt::format("hypers[{}]", g), std::move(resources)});
  }
  if (!out.several()) return out;
  out.group_of_job.resize(job_count);
  for (uint64_t job = 0; job < job_count; ++job)
    out.group_of_job[job] = group_of_grid.at(space.grid_of(sweeper.space_index(job)));
  return out;
}

ResourceGroups recorded_resource_groups(
    const std::map<std::string, std::string>& base,
    const std::vector<std::pair<ResourceGroups::Group, std::vector<TaskRange>>>& recorded,
    uint64_t job_count) {
  ResourceGroups out;
  out.groups.push_back({"", base});
  if (recorded.empty()) return out;
  out.group_of_job.assign(job_count, 0);
  for (const auto& [group, jobs] : recorded) {
    const auto index = static_cast<uint16_t>(out.groups.size());
    out.groups.push_back(group);
    for (const TaskRange& r : jobs) {
      for (uint64_t job = r.first; job <= r.last && job <= job_count; ++job)
        out.group_of_job[job - 1] = index;
    }
  }
  return out;
}

}  // namespace jobsub
