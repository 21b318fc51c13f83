#include "jobsub/errors.h"

#include <ostream>

namespace jobsub {

int report_current_exception(std::ostream& err) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    err << "jobsub: error: " << e.what() << '\n';
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    err << "jobsub: internal error: " << e.what() << '\n';
    return static_cast<int>(ExitCode::job_failed);
  } catch (...) {
    err << "jobsub: internal error: unknown exception\n";
    return static_cast<int>(ExitCode::job_failed);
  }
}

}  // namespace jobsub
