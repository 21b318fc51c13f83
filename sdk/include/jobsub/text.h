#pragma once
/// Small text helpers shared by the core and its plugins.
#include <string>
#include <string_view>
#include <vector>

#include "jobsub/export.h"

namespace jobsub {

/// Levenshtein distance.
JOBSUB_API std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `word`, or "" when none is close enough to be a
/// plausible typo (an edit distance of at most max(2, size/3)) and `word`
/// (3 characters or more) is not the start of exactly one candidate.
JOBSUB_API std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

/// `did you mean 'x'?` or "" (with a leading space when non-empty).
JOBSUB_API std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// `text` without leading and trailing spaces, tabs, carriage returns and newlines.
JOBSUB_API std::string trim(std::string_view text);

/// A C0 control character or DEL: what must never reach a line of a script raw.
inline bool is_control_character(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
/// True when `text` holds a control character (`except_tab`: other than a tab).
JOBSUB_API bool has_control_character(std::string_view text, bool except_tab = false);

/// The lines of `text` as they are, without their newlines (a last line
/// without one too): for parsers that read columns.
JOBSUB_API std::vector<std::string> lines_of(std::string_view text);

/// `a, b, c`
JOBSUB_API std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

}  // namespace jobsub
