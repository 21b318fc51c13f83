#include "jobsub/interrupt.h"

#include <signal.h>

#include <atomic>

namespace jobsub {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};  ///< the signal that set the flag; 0: request_interrupt()
static_assert(std::atomic<bool>::is_always_lock_free);  // safe to set from a signal handler
static_assert(std::atomic<int>::is_always_lock_free);

void on_interrupt(int signal) {
  if (!g_interrupted.load()) g_signal.store(signal);
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
  if (!g_interrupted.load()) g_signal.store(0);
  g_interrupted.store(true);
}

bool take_keyboard_interrupt() noexcept {
  if (!g_interrupted.load() || g_signal.load() != SIGINT) return false;
  g_interrupted.store(false);
  g_signal.store(0);
  return true;
}

}  // namespace jobsub
