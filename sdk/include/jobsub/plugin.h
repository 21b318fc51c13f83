#pragma once
/// Helpers for plugin authors: declare components and the entry point.
///
///   class MyFormatter final : public jobsub::Formatter { ... };
///   static const jobsub_option_info kOptions[] = {{"style", "S", "x", "..."}};
///   static const jobsub_component_info kComponents[] = {
///       jobsub::component<MyFormatter>("mine", "one line", kOptions),
///   };
///   JOBSUB_PLUGIN("mine", "1.0.0", kComponents)
///
/// The kind comes from the interface the class implements, so a component
/// cannot declare one kind and implement another.
#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <type_traits>

#include "jobsub/interfaces.h"
#include "jobsub/plugin_abi.h"

namespace jobsub::detail {

/// The one pipeline interface `Impl` implements.
template <class Impl>
struct interface_of {
  static constexpr int count = std::is_base_of_v<Layout, Impl> + std::is_base_of_v<Sweeper, Impl> +
                               std::is_base_of_v<Formatter, Impl> + std::is_base_of_v<Scheduler, Impl> +
                               std::is_base_of_v<Command, Impl>;
  static_assert(count == 1,
                "a component implements exactly one of jobsub::Layout, jobsub::Sweeper, jobsub::Formatter, "
                "jobsub::Scheduler, jobsub::Command");
  using type = std::conditional_t<
      std::is_base_of_v<Layout, Impl>, Layout,
      std::conditional_t<
          std::is_base_of_v<Sweeper, Impl>, Sweeper,
          std::conditional_t<std::is_base_of_v<Formatter, Impl>, Formatter,
                             std::conditional_t<std::is_base_of_v<Scheduler, Impl>, Scheduler, Command>>>>;
};

inline void copy_error(const char* what, char* error, std::size_t size) noexcept {
  if (error == nullptr || size == 0) return;
  std::strncpy(error, what, size - 1);
  error[size - 1] = '\0';
}

template <class Impl, class Interface>
void* create_component(char* error, std::size_t error_size) noexcept {
  try {
    return static_cast<void*>(static_cast<Interface*>(new Impl()));
  } catch (const std::exception& e) {
    copy_error(e.what(), error, error_size);
  } catch (...) {
    copy_error("unknown exception", error, error_size);
  }
  return nullptr;
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

/// A component of class `Impl`, whose kind is that of the interface it implements.
template <class Impl, std::size_t N>
constexpr jobsub_component_info component(const char* name, const char* summary,
                                          const jobsub_option_info (&options)[N]) {
  using Interface = typename detail::interface_of<Impl>::type;
  return {interface_traits<Interface>::kind,
          name,
          summary,
          options,
          N,
          &detail::create_component<Impl, Interface>,
          &detail::destroy_component<Interface>,
          interface_traits<Interface>::id};
}

template <class Impl>
constexpr jobsub_component_info component(const char* name, const char* summary) {
  using Interface = typename detail::interface_of<Impl>::type;
  return {interface_traits<Interface>::kind,
          name,
          summary,
          nullptr,
          0,
          &detail::create_component<Impl, Interface>,
          &detail::destroy_component<Interface>,
          interface_traits<Interface>::id};
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
