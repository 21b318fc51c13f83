#pragma once
/// Resource values shared by every scheduler: durations and memory sizes.
#include <cstdint>
#include <string>

#include "jobsub/export.h"

namespace jobsub {

/// Seconds in a duration. Accepts `2h`, `30m`, `45s`, `1d`, `1h30m`,
/// `HH:MM:SS`, `MM:SS`, `D-HH[:MM[:SS]]`, and a plain number of minutes (as
/// Slurm reads `--time=90`). Throws Error (bad spec) naming `what` otherwise.
JOBSUB_API uint64_t parse_duration(const std::string& text, const std::string& what);

/// `HH:MM:SS`, or `D-HH:MM:SS` from a day on.
JOBSUB_API std::string format_duration_hms(uint64_t seconds);

/// Mebibytes in a memory size: `12400M`, `12G`, `1.5G`, `512K`, `2T` (powers of
/// 1024, an optional trailing `B`), or a plain number of MiB. Throws Error
/// (bad spec) naming `what` otherwise.
JOBSUB_API uint64_t parse_memory_mib(const std::string& text, const std::string& what);

}  // namespace jobsub
