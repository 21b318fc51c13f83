#pragma once
/// Ctrl-C and SIGTERM as one flag that jobsub and its plugins share: the
/// handler only sets it, and long work (a submit loop, a wait) looks at it.
#include "jobsub/export.h"

namespace jobsub {

/// Installs SIGINT/SIGTERM handlers that only set the flag (no SA_RESTART,
/// so blocking calls return EINTR). Idempotent; call it again to take the
/// signals back from code that handled them itself (asio::signal_set).
JOBSUB_API void install_interrupt_handler();
/// True once SIGINT or SIGTERM arrived (or request_interrupt() was called).
JOBSUB_API bool interrupt_requested();
/// Sets the flag, as the handler does: for code that caught the signal itself.
JOBSUB_API void request_interrupt() noexcept;
/// Clears the flag when Ctrl-C (SIGINT) set it, and says so; leaves it set
/// after SIGTERM or request_interrupt(), which still end jobsub. For a wait
/// that Ctrl-C ends without ending jobsub (the test job's, at the prompt).
JOBSUB_API bool take_keyboard_interrupt() noexcept;

}  // namespace jobsub
