#pragma once
/// What a terminal is shown: colour only on a terminal, and never with NO_COLOR.
#include <fmt/color.h>

#include <iosfwd>
#include <string>
#include <string_view>

#include "jobsub/export.h"

namespace jobsub {

/// True when `fd` is a terminal and the NO_COLOR convention (no-color.org)
/// does not ask for plain text.
JOBSUB_API bool use_color(int fd) noexcept;

/// Writes `text` to standard output whole, after what stdio and std::cout
/// hold: a write that a signal interrupts (asio's SIGCHLD handler has no
/// SA_RESTART, and a busy terminal can block a write) is resumed, not lost,
/// and std::cout is left usable. What jobsub prints while child processes
/// run (progress, prompts) goes through here.
JOBSUB_API void write_stdout(std::string_view text) noexcept;

/// `text` in `style` when `color`, else `text` as is.
inline std::string styled(bool color, fmt::text_style style, std::string_view text) {
  return color ? fmt::format(style, "{}", text) : std::string(text);
}

namespace styles {
inline const fmt::text_style error = fmt::fg(fmt::terminal_color::bright_red) | fmt::emphasis::bold;
inline const fmt::text_style failure = fmt::fg(fmt::terminal_color::red);
inline const fmt::text_style success = fmt::fg(fmt::terminal_color::green);
inline const fmt::text_style note = fmt::fg(fmt::terminal_color::yellow);
inline const fmt::text_style progress = fmt::emphasis::bold;
}  // namespace styles

/// Prints `jobsub: error: <message>` to `err` and returns the exit code for
/// the exception in flight. Call it from a catch block.
JOBSUB_API int report_current_exception(std::ostream& err) noexcept;

}  // namespace jobsub
