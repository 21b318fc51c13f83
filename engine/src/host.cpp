#include "jobsub/engine_host.h"

#include <algorithm>
#include <memory>

#include "jobsub/pipeline.h"
#include "jobsub/plugin.h"
#include "jobsub/store.h"
#include "jobsub/tracker.h"

namespace jobsub {

Status EngineHost::plugins(std::vector<InstalledPlugin>& out) const noexcept {
  return guarded([&] {
    out.clear();
    for (const ComponentEntry& c : registry_.components())
      // The C descriptor may leave the summary and the version NULL.
      out.push_back({c.info->kind, c.info->name, c.info->summary ? c.info->summary : "",
                     c.plugin->plugin_version ? c.plugin->plugin_version : "?", c.file});
    std::sort(out.begin(), out.end(), [](const InstalledPlugin& a, const InstalledPlugin& b) {
      return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
    });
  });
}

Status EngineHost::sweeps(const fs::path& experiment_dir, std::vector<SweepInfo>& out) const noexcept {
  return guarded([&] {
    out.clear();
    if (!fs::exists(Store::path_for(experiment_dir))) return;
    for (const SweepSummary& s : open_records(experiment_dir)->sweeps())
      out.push_back(
          {s.sweep.name, s.sweep.dir, s.sweep.created, s.sweep.scheduler, s.sweep.job_count, s.states});
  });
}

Status EngineHost::jobs(const fs::path& experiment_dir, const std::string& which, bool settle,
                        std::vector<JobInfo>& out) noexcept {
  return guarded([&] {
    out.clear();
    const std::unique_ptr<Store> store = open_records(experiment_dir);
    const SweepSummary sweep = choose_sweep(store->sweeps(), which, experiment_dir);
    std::vector<JobRecord> jobs;
    if (settle) {
      PluginHandle<Scheduler> scheduler;
      std::unique_ptr<Tracker> tracker;
      jobs = settle_sweep(*store, sweep, [&]() -> Tracker& {
        scheduler =
            configured_scheduler(registry_, sweep.sweep.scheduler, epoch_of_timestamp(sweep.sweep.created));
        tracker = std::make_unique<Tracker>(*scheduler, sweep.sweep.dir, sweep.sweep.job_count, 1);
        return *tracker;
      });
    } else {
      jobs = store->jobs(sweep.id);
    }
    for (const JobRecord& j : jobs)
      out.push_back({j.job, j.state, j.native_state, j.native_id, j.exit_code, j.attempt});
  });
}

}  // namespace jobsub
