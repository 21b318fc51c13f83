#pragma once
/// Helpers for plugin authors: declare components and the entry point.
///
///   class MyFormatter final : public jobsub::Formatter { ... };
///   static const jobsub_option_info kOptions[] = {{"style", "S", "x", "..."}};
///   static const jobsub_component_info kComponents[] = {
///       jobsub::component<MyFormatter, jobsub::Formatter>("formatter", "mine",
///                                                         "one line", kOptions),
///   };
///   JOBSUB_PLUGIN("mine", "1.0.0", kComponents)
#include <cstddef>
#include <exception>
#include <new>
#include <type_traits>

#include "jobsub/interfaces.h"
#include "jobsub/plugin_abi.h"

namespace jobsub::detail {

template <class Impl, class Interface>
void* create_component() noexcept {
  try {
    return static_cast<void*>(static_cast<Interface*>(new Impl()));
  } catch (...) {
    return nullptr;
  }
}

template <class Interface>
void destroy_component(void* object) noexcept {
  delete static_cast<Interface*>(object);
}

}  // namespace jobsub::detail

namespace jobsub {

/// Runs `body` (returning Status, or nothing for success) and turns anything it
/// throws into a failed Status, so no exception crosses the plugin boundary:
///
///   Status format(const Params& p, Argv& out) const noexcept override {
///     return jobsub::guarded([&] { out.push_back(...); });
///   }
template <class Body>
Status guarded(Body&& body) noexcept {
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<Body>>) {
      body();
      return Status::success();
    } else {
      return body();
    }
  } catch (const std::exception& e) {
    return Status::failure(e.what());
  } catch (...) {
    return Status::failure("unknown error");
  }
}

template <class Impl, class Interface, std::size_t N>
constexpr jobsub_component_info component(const char* kind, const char* name, const char* summary,
                                          const jobsub_option_info (&options)[N]) {
  return {kind,
          name,
          summary,
          options,
          N,
          &detail::create_component<Impl, Interface>,
          &detail::destroy_component<Interface>};
}

template <class Impl, class Interface>
constexpr jobsub_component_info component(const char* kind, const char* name, const char* summary) {
  return {kind,
          name,
          summary,
          nullptr,
          0,
          &detail::create_component<Impl, Interface>,
          &detail::destroy_component<Interface>};
}

}  // namespace jobsub

/// Defines the plugin's one exported symbol.
#define JOBSUB_PLUGIN(plugin_name, plugin_version, components_array)                                     \
  extern "C" __attribute__((visibility("default"))) const jobsub_plugin_descriptor* jobsub_plugin_entry( \
      void) {                                                                                            \
    static const jobsub_plugin_descriptor descriptor = {                                                 \
        JOBSUB_PLUGIN_ABI_VERSION,                                                                       \
        sizeof(jobsub_plugin_descriptor),                                                                \
        JOBSUB_TOOLCHAIN_TAG,                                                                            \
        plugin_name,                                                                                     \
        plugin_version,                                                                                  \
        components_array,                                                                                \
        sizeof(components_array) / sizeof(components_array[0])};                                         \
    return &descriptor;                                                                                  \
  }
