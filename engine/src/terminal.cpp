#include "jobsub/terminal.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <new>

#include <fmt/ostream.h>

#include "jobsub/errors.h"

namespace jobsub {

void write_stdout(std::string_view text) noexcept {
  std::cout.clear();
  std::cout.flush();
  std::fflush(stdout);
  std::clearerr(stdout);
  while (!text.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n > 0) {
      text.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd out{STDOUT_FILENO, POLLOUT, 0};
      ::poll(&out, 1, 100);
    } else {
      return;  // closed: nothing to show it to
    }
  }
}

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
  } catch (const std::bad_alloc&) {
    return report("error:", "out of memory", ExitCode::internal);
  } catch (const std::filesystem::filesystem_error& e) {
    // A file jobsub writes or reads failed (disk full, permissions): the
    // environment, not jobsub, so an error rather than an internal one.
    return report("error:", e.what(), ExitCode::job_failed);
  } catch (const std::exception& e) {
    return report("internal error:", fmt::format("{} (a bug in jobsub: please report it)", e.what()),
                  ExitCode::internal);
  } catch (...) {
    return report("internal error:", "unknown exception (a bug in jobsub: please report it)",
                  ExitCode::internal);
  }
}

}  // namespace jobsub
