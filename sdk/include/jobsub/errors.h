#pragma once
/// Errors and exit codes. Every error carries the exit code it ends jobsub
/// with. jobsub turns one into a message and that code in one place; a
/// plugin's method reports it through Status (jobsub::guarded, plugin.h), a
/// command returns the code (Error::code()).
#include <exception>
#include <stdexcept>
#include <string>

#include "jobsub/export.h"

namespace jobsub {

/// Documented in docs/user-guide.md ("Exit codes").
enum class ExitCode : int {
  ok = 0,
  job_failed = 1,     ///< a job or a scheduler call failed
  usage = 2,          ///< bad command line
  bad_spec = 3,       ///< bad spec, bad value, or a layout check failed
  plugin = 4,         ///< a plugin is missing, broken or failed
  internal = 70,      ///< a bug in jobsub or out of memory (EX_SOFTWARE)
  interrupted = 130,  ///< Ctrl-C / SIGTERM
};

/// The one exception type the core throws across its library boundary;
/// exported with default visibility so command plugins can catch it.
class JOBSUB_API Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

inline Error usage_error(const std::string& m) { return Error(ExitCode::usage, m); }
inline Error spec_error(const std::string& m) { return Error(ExitCode::bad_spec, m); }
inline Error plugin_error(const std::string& m) { return Error(ExitCode::plugin, m); }
inline Error job_error(const std::string& m) { return Error(ExitCode::job_failed, m); }

}  // namespace jobsub
