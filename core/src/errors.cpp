#include "jobsub/errors.h"

#include <fmt/ostream.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <new>

#include "jobsub/terminal.h"

namespace jobsub {

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
