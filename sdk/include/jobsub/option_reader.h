#pragma once
/// Reads a component's options by the names and defaults its descriptor
/// declares, so a default is written once (in the option table) and every
/// value is read typed, with an error that names the option.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/plugin_abi.h"

namespace jobsub {

class JOBSUB_API OptionReader {
 public:
  /// `component` names the plugin in messages (`--slurm.max-array-size`).
  OptionReader(std::span<const jobsub_option_info> declared, const PluginOptions& given,
               std::string component);

  /// The given value, else the declared default, else "". Throws
  /// std::invalid_argument for a name the table does not declare (a bug).
  std::string text(const char* name) const;
  /// A whole number >= `minimum` (empty or absent: `fallback`, when that is >= `minimum`). Throws
  /// std::invalid_argument naming the option otherwise.
  uint64_t count(const char* name, uint64_t minimum = 0, uint64_t fallback = 0) const;
  /// A non-negative number of seconds (fractions allowed).
  double seconds(const char* name) const;
  /// One of `allowed`; throws std::invalid_argument listing them otherwise.
  std::string choice(const char* name, std::initializer_list<const char*> allowed) const;

 private:
  const jobsub_option_info& declared(const char* name) const;
  std::span<const jobsub_option_info> declared_;
  const PluginOptions& given_;
  std::string component_;
};

}  // namespace jobsub
