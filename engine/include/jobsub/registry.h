#pragma once
/// Finding, loading and instantiating plugins.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jobsub/errors.h"
#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/plugin_abi.h"

namespace jobsub {

namespace fs = std::filesystem;

/// The pipeline's plugin kinds, in pipeline order.
JOBSUB_API const std::vector<std::string>& plugin_kinds();

/// A loaded shared library, kept open for as long as anything refers to it.
class LoadedLibrary;

/// One component of a loaded plugin file.
struct ComponentEntry {
  const jobsub_component_info* info = nullptr;
  const jobsub_plugin_descriptor* plugin = nullptr;
  fs::path file;
  std::shared_ptr<LoadedLibrary> library;
};

/// A file that matched the naming rule but could not be used, and why.
struct PluginProblem {
  fs::path file;
  std::string kind;  ///< from the file name, so a request for it can say why
  std::string name;
  std::string message;
};

/// A component object, destroyed by the plugin's own `destroy`; holds its
/// library open so nothing is unloaded while the object lives.
template <class Interface>
class PluginHandle {
 public:
  PluginHandle() = default;
  PluginHandle(Interface* object, void (*destroy)(void*), std::shared_ptr<LoadedLibrary> library)
      : object_(object), destroy_(destroy), library_(std::move(library)) {}
  PluginHandle(PluginHandle&& other) noexcept { *this = std::move(other); }
  PluginHandle& operator=(PluginHandle&& other) noexcept {
    reset();
    object_ = std::exchange(other.object_, nullptr);
    destroy_ = other.destroy_;
    library_ = std::move(other.library_);
    return *this;
  }
  PluginHandle(const PluginHandle&) = delete;
  PluginHandle& operator=(const PluginHandle&) = delete;
  ~PluginHandle() { reset(); }

  Interface* operator->() const { return object_; }
  Interface& operator*() const { return *object_; }
  explicit operator bool() const { return object_ != nullptr; }

 private:
  void reset() {
    if (object_ != nullptr) destroy_(static_cast<void*>(object_));
    object_ = nullptr;
  }
  Interface* object_ = nullptr;
  void (*destroy_)(void*) = nullptr;
  std::shared_ptr<LoadedLibrary> library_;  // declared last: released after destroy_
};

/// The outcome of checking one file (`jobsub plugins check FILE`).
struct PluginCheck {
  bool ok = false;
  std::string message;  ///< why not, or a summary of what it provides
  std::vector<ComponentEntry> components;
};

/// Where plugins are searched, first match wins:
/// --plugin-dir (each, in order), $JOBSUB_PLUGIN_PATH (colon-separated),
/// ~/.local/lib/jobsub/plugins, <dir of the binary>/../lib/jobsub/plugins.
JOBSUB_API std::vector<fs::path> plugin_search_path(const std::vector<fs::path>& cli_dirs,
                                                    const fs::path& executable);

/// `jobsub-<kind>-<name>.so` -> {kind, name}; false for any other file name.
JOBSUB_API bool parse_plugin_file_name(const std::string& file_name, std::string& kind, std::string& name);

/// Loads and validates one file; never throws.
JOBSUB_API PluginCheck check_plugin_file(const fs::path& file);

/// All plugins found on a search path. Lives for the whole process.
class JOBSUB_API PluginRegistry {
 public:
  explicit PluginRegistry(std::vector<fs::path> search_path);

  const std::vector<fs::path>& search_path() const { return search_path_; }
  const std::vector<ComponentEntry>& components() const { return components_; }
  const std::vector<PluginProblem>& problems() const { return problems_; }

  /// The component, or nullptr.
  const ComponentEntry* find(const std::string& kind, const std::string& name) const;
  /// Names of the loaded components of a kind, sorted.
  std::vector<std::string> names(const std::string& kind) const;

  /// Finds a component or throws an Error that says why: listing what is
  /// installed with a suggestion, or the problem with the file of that name.
  const ComponentEntry& require(const std::string& kind, const std::string& name) const;

  /// A new object of the component; the interface must be its kind's (the
  /// loader checked the identity the component reports).
  template <class Interface>
  PluginHandle<Interface> create(const std::string& name) const {
    const std::string kind = interface_traits<Interface>::kind;
    const ComponentEntry& entry = require(kind, name);
    char error[512] = "";
    void* object = entry.info->create ? entry.info->create(error, sizeof error) : nullptr;
    if (object == nullptr) {
      throw plugin_error("plugin " + entry.file.string() + " could not create its " + kind + " '" + name +
                         "'" + (error[0] != '\0' ? std::string(": ") + error : std::string()));
    }
    return PluginHandle<Interface>(static_cast<Interface*>(object), entry.info->destroy, entry.library);
  }

  /// Files that provide a component also found earlier on the search path:
  /// (the file used, the file it shadows).
  const std::vector<std::pair<fs::path, fs::path>>& shadowed() const { return shadowed_; }
  /// The file `entry` shadows, or empty.
  fs::path shadowed_by(const ComponentEntry& entry) const;

 private:
  std::vector<fs::path> search_path_;
  std::vector<ComponentEntry> components_;
  std::vector<PluginProblem> problems_;
  std::vector<std::pair<fs::path, fs::path>> shadowed_;
};

}  // namespace jobsub
