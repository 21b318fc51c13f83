#pragma once
#include <string>
#include <utility>

namespace jobsub {

/// The result of a plugin call. Plugin interface methods are noexcept: they
/// report failure through a Status instead of throwing across the boundary.
struct Status {
  bool ok = true;
  std::string message;

  static Status success() { return {}; }
  static Status failure(std::string message) { return {false, std::move(message)}; }
  explicit operator bool() const { return ok; }
};

}  // namespace jobsub
