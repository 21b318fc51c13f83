// N distinct combinations of the grid, drawn with a seeded generator whose
// output is fixed by the C++ standard (mt19937_64), so the same seed gives
// the same jobs on every machine. Jobs keep the grid's order.
#include <fmt/core.h>
#include <jobsub/plugin.h>

#include <algorithm>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

uint64_t parse_count(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text[0] == '-') {
    throw std::invalid_argument(fmt::format("--{} takes a whole number >= 0, got '{}'", option, text));
  }
  return value;
}

/// A uniform integer in [0, bound) without modulo bias, independent of the
/// standard library's distribution implementation.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x = 0;
  do {
    x = rng();
  } while (x >= limit);
  return x % bound;
}

class RandomSweeper final : public jobsub::Sweeper {
 public:
  jobsub::Status configure(const jobsub::HyperSpace& space,
                           const jobsub::PluginOptions& options) noexcept override {
    return jobsub::guarded([&]() -> jobsub::Status {
      space_ = &space;
      auto sample = options.find("sample");
      if (sample == options.end() || sample->second.empty()) {
        return jobsub::Status::failure(
            "give the number of jobs to draw with --sample N (or options: {sample: N})");
      }
      const uint64_t count = parse_count(sample->second, "sample");
      const uint64_t seed = parse_count(options.count("seed") ? options.at("seed") : "0", "seed");
      const uint64_t total = space.size();
      if (auto limit = options.find(jobsub::kMaxJobsOption);
          limit != options.end() && count > parse_count(limit->second, "max-jobs")) {
        return jobsub::Status::failure(fmt::format(
            "--sample {} is more than --max-jobs {}: draw fewer, or raise --max-jobs if you mean it", count,
            limit->second));
      }
      if (count > total) {
        return jobsub::Status::failure(
            fmt::format("--sample {} asks for more jobs than the grid's {} combinations", count, total));
      }
      // Floyd's algorithm: `count` distinct indices in O(count) memory.
      std::mt19937_64 rng(seed);
      std::unordered_set<uint64_t> chosen;
      for (uint64_t j = total - count; j < total; ++j) {
        const uint64_t t = uniform_below(rng, j + 1);
        chosen.insert(chosen.count(t) ? j : t);
      }
      indices_.assign(chosen.begin(), chosen.end());
      std::sort(indices_.begin(), indices_.end());
      return jobsub::Status::success();
    });
  }
  uint64_t size() const noexcept override { return indices_.size(); }
  uint64_t space_index(uint64_t index) const noexcept override { return indices_[index]; }
  jobsub::Status at(uint64_t index, jobsub::Params& out) const noexcept override {
    return jobsub::guarded([&] { out = space_->at(indices_.at(index)); });
  }

 private:
  const jobsub::HyperSpace* space_ = nullptr;
  std::vector<uint64_t> indices_;
};

const jobsub_option_info kOptions[] = {
    {"sample", "N", nullptr, "number of distinct combinations to draw"},
    {"seed", "S", "0", "seed of the draw; the same seed draws the same jobs"},
};

const jobsub_component_info kComponents[] = {
    jobsub::component<RandomSweeper>("random", "N distinct combinations of the grid (--sample N --seed S)",
                                     kOptions),
};

}  // namespace

JOBSUB_PLUGIN("random", "1.0.0", kComponents)
