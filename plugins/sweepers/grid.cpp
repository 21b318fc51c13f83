// Every combination: the cartesian product of each grid, grids concatenated,
// zip groups advancing together.
#include <jobsub/plugin.h>

namespace {

class GridSweeper final : public jobsub::Sweeper {
 public:
  jobsub::Status configure(const jobsub::HyperSpace& space, const jobsub::PluginOptions&) noexcept override {
    return jobsub::guarded([&] {
      space_ = &space;
      size_ = space.size();
    });
  }
  uint64_t size() const noexcept override { return size_; }
  jobsub::Status at(uint64_t index, jobsub::Params& out) const noexcept override {
    return jobsub::guarded([&] { out = space_->at(index); });
  }

 private:
  const jobsub::HyperSpace* space_ = nullptr;
  uint64_t size_ = 0;
};

const jobsub_component_info kComponents[] = {
    jobsub::component<GridSweeper>("grid", "every combination (product; list of grids; zip groups)"),
};

}  // namespace

JOBSUB_PLUGIN("grid", "1.0.0", kComponents)
