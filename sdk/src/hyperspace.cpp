#include "jobsub/hyperspace.h"

#include <fmt/core.h>

#include <stdexcept>

#include "jobsub/errors.h"

namespace jobsub {

uint64_t HyperGrid::size() const {
  uint64_t total = 1;
  for (const HyperAxis& axis : axes) {
    const uint64_t n = axis.size();
    if (n == 0) return 0;
    if (total > UINT64_MAX / n)
      throw spec_error("the grid has more than 2^64 combinations: it cannot be a sweep");
    total *= n;
  }
  return total;
}

Params HyperGrid::at(uint64_t index) const {
  // Mixed-radix decomposition, last axis fastest.
  std::vector<uint64_t> digit(axes.size());
  for (std::size_t a = axes.size(); a-- > 0;) {
    const uint64_t n = axes[a].size();
    digit[a] = index % n;
    index /= n;
  }
  Params params;
  params.reserve(key_order.size());
  for (const std::string& key : key_order) {
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const HyperAxis& axis = axes[a];
      for (std::size_t k = 0; k < axis.keys.size(); ++k) {
        if (axis.keys[k] == key) params.push_back({key, axis.values[k][digit[a]]});
      }
    }
  }
  return params;
}

uint64_t HyperSpace::size() const {
  uint64_t total = 0;
  for (const HyperGrid& grid : grids) {
    const uint64_t n = grid.size();
    if (total > UINT64_MAX - n)
      throw spec_error("the sweep has more than 2^64 combinations: it cannot be a sweep");
    total += n;
  }
  return total;
}

Params HyperSpace::at(uint64_t index) const {
  for (const HyperGrid& grid : grids) {
    const uint64_t n = grid.size();
    if (index < n) return grid.at(index);
    index -= n;
  }
  throw std::out_of_range("combination index past the end of the sweep");
}

std::size_t HyperSpace::grid_of(uint64_t index) const {
  for (std::size_t g = 0; g < grids.size(); ++g) {
    const uint64_t n = grids[g].size();
    if (index < n) return g;
    index -= n;
  }
  throw std::out_of_range("combination index past the end of the sweep");
}

}  // namespace jobsub
