#pragma once
/// The space of hyperparameter combinations a sweep spec declares.
#include <cstdint>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/value.h"

namespace jobsub {

/// One dimension of a grid: a single key, or a zip group of keys whose value
/// lists advance together (all of equal length).
struct HyperAxis {
  std::vector<std::string> keys;
  std::vector<ValueList> values;  ///< values[k] is the list for keys[k]
  uint64_t size() const { return values.empty() ? 0 : values.front().size(); }
};

/// A cartesian product of axes. Keys keep their declared order in each job's
/// Params; the last-declared axis varies fastest (like itertools.product).
struct HyperGrid {
  std::vector<std::string> key_order;
  std::vector<HyperAxis> axes;  ///< ordered by the position of their first key

  JOBSUB_API uint64_t size() const;
  /// The combination at `index` (0-based, < size()).
  JOBSUB_API Params at(uint64_t index) const;
};

/// A list of grids, concatenated: the union of their combinations, in order.
/// Random access by index, so a huge space is never held in memory.
struct HyperSpace {
  std::vector<HyperGrid> grids;

  JOBSUB_API uint64_t size() const;
  JOBSUB_API Params at(uint64_t index) const;
  /// The grid (0-based, in `grids`) that combination `index` (< size()) is of.
  JOBSUB_API std::size_t grid_of(uint64_t index) const;
};

}  // namespace jobsub
