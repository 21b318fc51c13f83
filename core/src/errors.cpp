#include "jobsub/errors.h"

#include <fmt/ostream.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "jobsub/terminal.h"

namespace jobsub {

bool use_color(int fd) noexcept {
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(fd) == 1 && (no_color == nullptr || *no_color == '\0');
}

int report_current_exception(std::ostream& err) noexcept {
  const bool color = &err == &std::cerr && use_color(STDERR_FILENO);
  auto report = [&](std::string_view label, std::string_view message, ExitCode code) {
    fmt::print(err, "jobsub: {} {}\n", styled(color, styles::error, label), message);
    return static_cast<int>(code);
  };
  try {
    throw;
  } catch (const Error& e) {
    return report("error:", e.what(), e.code());
  } catch (const std::exception& e) {
    return report("internal error:", e.what(), ExitCode::job_failed);
  } catch (...) {
    return report("internal error:", "unknown exception", ExitCode::job_failed);
  }
}

}  // namespace jobsub
