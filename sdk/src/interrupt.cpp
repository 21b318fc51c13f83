#include "jobsub/interrupt.h"

#include <signal.h>

#include <atomic>

namespace jobsub {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<bool> g_terminate{false};  ///< SIGTERM or request_interrupt() came: never taken back
static_assert(std::atomic<bool>::is_always_lock_free);  // safe to set from a signal handler

void on_interrupt(int signal) {
  if (signal != SIGINT) g_terminate.store(true);
  g_interrupted.store(true);
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_interrupted.load(); }

void request_interrupt() noexcept {
  g_terminate.store(true);
  g_interrupted.store(true);
}

bool take_keyboard_interrupt() noexcept {
  if (!g_interrupted.load() || g_terminate.load()) return false;
  g_interrupted.store(false);
  if (g_terminate.load()) {  // a SIGTERM came meanwhile: it stands
    g_interrupted.store(true);
    return false;
  }
  return true;
}

}  // namespace jobsub
