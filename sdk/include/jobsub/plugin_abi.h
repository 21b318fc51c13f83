#pragma once
/// The plugin ABI: the one thing a plugin file exports.
///
/// A plugin file `jobsub-<kind>-<name>.so` exports one `extern "C"` function,
/// `jobsub_plugin_entry`, returning a pointer to static plain-C data. Everything
/// jobsub needs to list a plugin (names, kinds, options) is static data, so
/// `jobsub plugins` and `--help` never construct an object.
///
/// `create` returns a pointer to an object implementing the C++ interface for
/// the component's kind (see interfaces.h); `destroy` deletes it. Passing C++
/// objects across the boundary is safe only when plugin and host were built by
/// the same toolchain, which `toolchain` records and the loader checks.
#include <stddef.h>
#include <stdint.h>

#define JOBSUB_PLUGIN_ABI_VERSION 4u
#define JOBSUB_PLUGIN_ENTRY_NAME "jobsub_plugin_entry"

#define JOBSUB_STRINGIFY_(x) #x
#define JOBSUB_STRINGIFY(x) JOBSUB_STRINGIFY_(x)

/// Identifies the C++ ABI the plugin was built with. A plugin and the host
/// exchange std::string/std::vector, so these must agree.
#if defined(__clang__)
#define JOBSUB_COMPILER_TAG "clang"
#elif defined(__GNUC__)
#define JOBSUB_COMPILER_TAG "gcc"
#else
#define JOBSUB_COMPILER_TAG "unknown"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define JOBSUB_STDLIB_TAG "libstdc++cxx11"
#elif defined(_LIBCPP_VERSION)
#define JOBSUB_STDLIB_TAG "libc++"
#else
#define JOBSUB_STDLIB_TAG "libstdc++old"
#endif
#define JOBSUB_TOOLCHAIN_TAG JOBSUB_COMPILER_TAG "/" JOBSUB_STDLIB_TAG "/c++20"

#ifdef __cplusplus
extern "C" {
#endif

/// One option a component accepts (`--sample N`, `bool-style`, ...).
typedef struct jobsub_option_info {
  const char* name;           ///< long option name, without dashes
  const char* value_name;     ///< e.g. "N"; NULL for a flag without value
  const char* default_value;  ///< text, or NULL
  const char* help;
} jobsub_option_info;

/// One component: an implementation of one pipeline stage.
typedef struct jobsub_component_info {
  const char* kind;     ///< "layout", "sweeper", "formatter", "scheduler", "command"
  const char* name;     ///< e.g. "sacred"
  const char* summary;  ///< one line for `jobsub plugins`
  const jobsub_option_info* options;
  size_t option_count;
  /// A new object of the kind's interface, or NULL with the reason (the
  /// constructor's exception text) written to `error` (NUL-terminated).
  void* (*create)(char* error, size_t error_size);
  void (*destroy)(void* obj);  ///< deletes what create returned
  /// The C++ interface `create` returns, with its version, e.g.
  /// "jobsub::Formatter/2": the loader refuses a component whose interface
  /// is not the one its kind needs (jobsub::component<>() fills it in).
  const char* interface_id;
} jobsub_component_info;

typedef struct jobsub_plugin_descriptor {
  uint32_t abi_version;   ///< JOBSUB_PLUGIN_ABI_VERSION at build time
  uint32_t struct_size;   ///< sizeof(jobsub_plugin_descriptor) at build time
  const char* toolchain;  ///< JOBSUB_TOOLCHAIN_TAG at build time
  const char* plugin_name;
  const char* plugin_version;
  const jobsub_component_info* components;
  size_t component_count;
} jobsub_plugin_descriptor;

typedef const jobsub_plugin_descriptor* (*jobsub_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
