#include "jobsub/resources.h"

#include <fmt/core.h>

#include <cmath>
#include <regex>

#include "jobsub/errors.h"

namespace jobsub {
namespace {

[[noreturn]] void bad(const std::string& what, const std::string& text, const std::string& expected) {
  throw spec_error(fmt::format("resource '{}': cannot read '{}' ({})", what, text, expected));
}

uint64_t to_u64(const std::string& s) { return s.empty() ? 0 : std::stoull(s); }

}  // namespace

uint64_t parse_duration(const std::string& text, const std::string& what) {
  static const char* kExpected = "write e.g. 2h, 1h30m, 45m, 1d, 02:00:00 or 1-12:00:00";
  std::smatch m;
  static const std::regex kUnits("(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?");
  static const std::regex kMinutes("[0-9]+");
  static const std::regex kClock("(?:([0-9]+)-)?([0-9]+)(?::([0-9]+))?(?::([0-9]+))?");
  try {
    if (std::regex_match(text, m, kMinutes)) return to_u64(m[0]) * 60;
    if (!text.empty() && std::regex_match(text, m, kUnits)) {
      return to_u64(m[1]) * 86400 + to_u64(m[2]) * 3600 + to_u64(m[3]) * 60 + to_u64(m[4]);
    }
    if (std::regex_match(text, m, kClock)) {
      const bool days = m[1].matched;
      // Slurm's forms: D-HH, D-HH:MM, D-HH:MM:SS, HH:MM:SS, MM:SS.
      if (days) return to_u64(m[1]) * 86400 + to_u64(m[2]) * 3600 + to_u64(m[3]) * 60 + to_u64(m[4]);
      if (m[4].matched) return to_u64(m[2]) * 3600 + to_u64(m[3]) * 60 + to_u64(m[4]);
      if (m[3].matched) return to_u64(m[2]) * 60 + to_u64(m[3]);
    }
  } catch (const std::out_of_range&) {
    bad(what, text, "too large");
  }
  bad(what, text, kExpected);
}

std::string format_duration_hms(uint64_t seconds) {
  const uint64_t days = seconds / 86400;
  char buffer[64];
  std::snprintf(
      buffer, sizeof buffer, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(seconds % 86400 / 3600),
      static_cast<unsigned long long>(seconds % 3600 / 60), static_cast<unsigned long long>(seconds % 60));
  return days > 0 ? fmt::format("{}-{}", days, buffer) : std::string(buffer);
}

uint64_t parse_memory_mib(const std::string& text, const std::string& what) {
  static const std::regex kMemory("([0-9]+(?:\\.[0-9]+)?)\\s*([KkMmGgTt]?)[Bb]?");
  std::smatch m;
  if (!std::regex_match(text, m, kMemory)) bad(what, text, "write e.g. 12400M, 16G or 1.5G");
  const double number = std::stod(m[1]);
  const char unit =
      m[2].length() ? static_cast<char>(std::toupper(static_cast<unsigned char>(m[2].str()[0]))) : 'M';
  const double mib = unit == 'K'   ? number / 1024
                     : unit == 'M' ? number
                     : unit == 'G' ? number * 1024
                                   : number * 1048576;
  if (mib < 1) bad(what, text, "less than 1 MiB");
  return static_cast<uint64_t>(std::ceil(mib));
}

}  // namespace jobsub
