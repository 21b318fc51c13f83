#pragma once
/// jobsub::Host (the SDK's host.h) as the engine implements it for the
/// commands it runs: the registry's plugins, the experiment's state store.
#include "jobsub/export.h"
#include "jobsub/host.h"
#include "jobsub/registry.h"

namespace jobsub {

class JOBSUB_API EngineHost final : public Host {
 public:
  explicit EngineHost(const PluginRegistry& registry) : registry_(registry) {}
  Status plugins(std::vector<InstalledPlugin>& out) const noexcept override;
  Status sweeps(const fs::path& experiment_dir, std::vector<SweepInfo>& out) const noexcept override;
  Status jobs(const fs::path& experiment_dir, const std::string& which, bool settle,
              std::vector<JobInfo>& out) noexcept override;

 private:
  const PluginRegistry& registry_;
};

}  // namespace jobsub
