#include "jobsub/registry.h"

#include <fmt/core.h>

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>
#include <elf.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>

#include "jobsub/text.h"
#include "jobsub/version.h"

namespace jobsub {

class LoadedLibrary {
 public:
  explicit LoadedLibrary(boost::dll::shared_library library) : library_(std::move(library)) {}
  const boost::dll::shared_library& get() const { return library_; }

 private:
  boost::dll::shared_library library_;
};

const std::vector<std::string>& plugin_kinds() {
  static const std::vector<std::string> kinds = {"layout", "sweeper", "formatter", "scheduler", "command"};
  return kinds;
}

std::vector<fs::path> plugin_search_path(const std::vector<fs::path>& cli_dirs, const fs::path& executable) {
  std::vector<fs::path> path = cli_dirs;
  if (const char* env = std::getenv("JOBSUB_PLUGIN_PATH"); env != nullptr) {
    std::string list = env;
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t end = std::min(list.find(':', start), list.size());
      if (end > start) path.emplace_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    path.push_back(fs::path(home) / ".local/lib/jobsub/plugins");
  }
  if (!executable.empty()) {
    path.push_back((executable.parent_path() / ".." / "lib" / "jobsub" / "plugins").lexically_normal());
  }
  return path;
}

bool parse_plugin_file_name(const std::string& file_name, std::string& kind, std::string& name) {
  static const std::regex kPattern("jobsub-([a-z]+)-([A-Za-z0-9_.+-]+)\\.so");
  std::smatch match;
  if (!std::regex_match(file_name, match, kPattern)) return false;
  kind = match[1];
  name = match[2];
  return true;
}

namespace {

std::string abi_advice(uint32_t found) {
  return fmt::format("built for plugin ABI {}; this jobsub {} supports ABI {}: {}", found, JOBSUB_VERSION,
                     JOBSUB_PLUGIN_ABI_VERSION,
                     found < JOBSUB_PLUGIN_ABI_VERSION
                         ? fmt::format("rebuild the plugin against jobsub >= {}", JOBSUB_VERSION)
                         : std::string("upgrade jobsub, or rebuild the plugin against this version"));
}

bool is_known_kind(const char* kind) {
  if (kind == nullptr) return false;
  const auto& kinds = plugin_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

/// The DT_NEEDED entries of a 64-bit ELF shared library, read from its
/// dynamic section without loading it. Boost.DLL's library_info lists only
/// defined symbols and sections, not the libraries a file needs; empty when
/// the file cannot be read this way (the loader then says why).
std::vector<std::string> needed_libraries(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  Elf64_Ehdr header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_shentsize != sizeof(Elf64_Shdr)) {
    return {};
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  in.seekg(static_cast<std::streamoff>(header.e_shoff));
  if (!in.read(reinterpret_cast<char*>(sections.data()),
               static_cast<std::streamsize>(sections.size() * sizeof(Elf64_Shdr)))) {
    return {};
  }
  std::vector<std::string> needed;
  for (const Elf64_Shdr& dynamic : sections) {
    if (dynamic.sh_type != SHT_DYNAMIC || dynamic.sh_link >= sections.size()) continue;
    const Elf64_Shdr& strings = sections[dynamic.sh_link];
    std::string text(strings.sh_size, '\0');
    in.seekg(static_cast<std::streamoff>(strings.sh_offset));
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    std::vector<Elf64_Dyn> entries(dynamic.sh_size / sizeof(Elf64_Dyn));
    in.seekg(static_cast<std::streamoff>(dynamic.sh_offset));
    in.read(reinterpret_cast<char*>(entries.data()),
            static_cast<std::streamsize>(entries.size() * sizeof(Elf64_Dyn)));
    if (!in) return {};
    for (const Elf64_Dyn& entry : entries) {
      if (entry.d_tag == DT_NULL) break;
      if (entry.d_tag == DT_NEEDED && entry.d_un.d_val < text.size())
        needed.emplace_back(text.c_str() + entry.d_un.d_val);
    }
  }
  return needed;
}

/// Why a plugin built with a sanitizer cannot be loaded into this process,
/// or empty. ASan's and TSan's runtimes must be the first library loaded: a
/// dlopen of an instrumented plugin into a plain jobsub aborts the process
/// ("ASan runtime does not come first"), taking every other plugin with it.
std::string sanitizer_problem(const fs::path& file) {
  static const struct {
    const char* library;
    const char* sanitizer;
    const char* probe;  // a symbol the runtime defines when it is loaded
  } kRuntimes[] = {{"libasan.so", "AddressSanitizer", "__asan_init"},
                   {"libtsan.so", "ThreadSanitizer", "__tsan_init"}};
  for (const std::string& needed : needed_libraries(file)) {
    for (const auto& runtime : kRuntimes) {
      if (needed.rfind(runtime.library, 0) != 0) continue;
      if (::dlsym(RTLD_DEFAULT, runtime.probe) != nullptr) return "";  // this jobsub has it too
      return fmt::format(
          "built with {} (needs {}), whose runtime must be loaded before anything else: skipped. To use it, "
          "run jobsub with the runtime preloaded: LD_PRELOAD=$(g++ -print-file-name={}) jobsub ... "
          "(see the plugin guide, 'Debugging a plugin')",
          runtime.sanitizer, needed, needed);
    }
  }
  return "";
}

}  // namespace

PluginCheck check_plugin_file(const fs::path& file) {
  PluginCheck check;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    check.message = "not a regular file";
    return check;
  }
  // Look for the entry point before dlopen runs any of the file's code.
  try {
    boost::dll::library_info info(boost::dll::fs::path(file.string()), false);
    const std::vector<std::string> symbols = info.symbols();
    if (std::find(symbols.begin(), symbols.end(), JOBSUB_PLUGIN_ENTRY_NAME) == symbols.end()) {
      check.message = "no entry point '" JOBSUB_PLUGIN_ENTRY_NAME
                      "': not a jobsub plugin, or built without JOBSUB_PLUGIN(...)";
      return check;
    }
  } catch (const std::exception&) {
    // Boost.DLL says only "iostream error" for a file that is not ELF.
    check.message = "not a shared library (not an ELF file, or truncated)";
    return check;
  }

  if (std::string why = sanitizer_problem(file); !why.empty()) {
    check.message = std::move(why);
    return check;
  }

  std::shared_ptr<LoadedLibrary> library;
  try {
    library = std::make_shared<LoadedLibrary>(
        boost::dll::shared_library(boost::dll::fs::path(file.string()),
                                   boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local));
  } catch (const std::exception& e) {
    // Keep the dynamic loader's own words; drop Boost's wrapping of them.
    std::string why = e.what();
    const std::string marker = "dlerror system message: ";
    if (const auto at = why.find(marker); at != std::string::npos) {
      why = why.substr(at + marker.size());
      if (const auto end = why.rfind("): "); end != std::string::npos) why = why.substr(0, end);
    }
    check.message = fmt::format("cannot be loaded: {}", why);
    return check;
  }

  const jobsub_plugin_descriptor* descriptor = nullptr;
  try {
    auto& entry = library->get().get<const jobsub_plugin_descriptor*()>(JOBSUB_PLUGIN_ENTRY_NAME);
    descriptor = entry();
  } catch (const std::exception& e) {
    check.message = fmt::format("entry point '{}' unusable: {}", JOBSUB_PLUGIN_ENTRY_NAME, e.what());
    return check;
  }
  if (descriptor == nullptr) {
    check.message = "entry point '" JOBSUB_PLUGIN_ENTRY_NAME "' returned no descriptor";
    return check;
  }
  if (descriptor->abi_version != JOBSUB_PLUGIN_ABI_VERSION) {
    check.message = abi_advice(descriptor->abi_version);
    return check;
  }
  if (descriptor->struct_size < sizeof(jobsub_plugin_descriptor)) {
    check.message =
        fmt::format("descriptor is {} bytes, expected {}: rebuild the plugin against this jobsub's headers",
                    descriptor->struct_size, sizeof(jobsub_plugin_descriptor));
    return check;
  }
  const char* toolchain = descriptor->toolchain != nullptr ? descriptor->toolchain : "(none)";
  if (std::strcmp(toolchain, JOBSUB_TOOLCHAIN_TAG) != 0) {
    check.message = fmt::format(
        "built with toolchain '{}'; this jobsub was built with '{}': rebuild the plugin with the same "
        "compiler and "
        "standard library",
        toolchain, JOBSUB_TOOLCHAIN_TAG);
    return check;
  }
  if (descriptor->component_count == 0 || descriptor->components == nullptr) {
    check.message = "declares no components";
    return check;
  }
  if (descriptor->component_count > 1) {
    check.message = fmt::format(
        "declares {} components; a plugin file provides one, the one its name says: build one "
        "jobsub-<kind>-<name>.so per component",
        descriptor->component_count);
    return check;
  }
  const jobsub_component_info& info = descriptor->components[0];
  if (!is_known_kind(info.kind) || info.name == nullptr || *info.name == '\0' || info.create == nullptr ||
      info.destroy == nullptr) {
    check.message = fmt::format(
        "its component is malformed (kind '{}'; kinds are {}; name, create and destroy are required)",
        info.kind ? info.kind : "(null)", join(plugin_kinds()));
    return check;
  }
  // The kind is only a label; the interface the object really implements is
  // what the core will call. A mismatch would be a crash at the first call.
  const std::string expected = interface_id_of_kind(info.kind);
  const std::string reported = info.interface_id != nullptr ? info.interface_id : "(none)";
  if (reported != expected) {
    check.message = fmt::format(
        "{} '{}' reports interface {}, but a {} must implement {}: declare it with "
        "jobsub::component<Class>(), "
        "which takes the kind from the class",
        info.kind, info.name, reported, info.kind, expected);
    return check;
  }
  const std::string expected_file = fmt::format("jobsub-{}-{}.so", info.kind, info.name);
  if (std::string kind, name; parse_plugin_file_name(file.filename().string(), kind, name) &&
                              (kind != info.kind || name != info.name)) {
    check.message = fmt::format("provides {} '{}', not {} '{}' as its file name says: name the file {}",
                                info.kind, info.name, kind, name, expected_file);
    return check;
  }
  check.components.push_back({&info, descriptor, file, library});
  check.ok = true;
  check.message =
      fmt::format("plugin '{}' version {}, ABI {}", descriptor->plugin_name ? descriptor->plugin_name : "",
                  descriptor->plugin_version ? descriptor->plugin_version : "?", descriptor->abi_version);
  return check;
}

PluginRegistry::PluginRegistry(std::vector<fs::path> search_path) : search_path_(std::move(search_path)) {
  std::set<fs::path> seen_dirs;
  for (const fs::path& dir : search_path_) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(dir, ec);
    if (!fs::is_directory(dir, ec) || !seen_dirs.insert(canonical).second) continue;
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(dir, ec)) files.push_back(item.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::string kind, name;
      if (!parse_plugin_file_name(file.filename().string(), kind, name)) continue;
      PluginCheck check = check_plugin_file(file);
      if (!check.ok) {
        problems_.push_back({file, kind, name, check.message});
        continue;
      }
      for (ComponentEntry& entry : check.components) {
        // One directory cannot hold two files of one name, so an earlier
        // provider is always in an earlier directory of the search path.
        if (const ComponentEntry* earlier = find(entry.info->kind, entry.info->name)) {
          shadowed_.emplace_back(earlier->file, file);
          continue;
        }
        components_.push_back(std::move(entry));
      }
    }
  }
}

fs::path PluginRegistry::shadowed_by(const ComponentEntry& entry) const {
  for (const auto& [used, hidden] : shadowed_) {
    if (used == entry.file) return hidden;
  }
  return {};
}

const ComponentEntry* PluginRegistry::find(const std::string& kind, const std::string& name) const {
  for (const ComponentEntry& entry : components_) {
    if (kind == entry.info->kind && name == entry.info->name) return &entry;
  }
  return nullptr;
}

std::vector<std::string> PluginRegistry::names(const std::string& kind) const {
  std::vector<std::string> out;
  for (const ComponentEntry& entry : components_) {
    if (kind == entry.info->kind) out.emplace_back(entry.info->name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const ComponentEntry& PluginRegistry::require(const std::string& kind, const std::string& name) const {
  if (const ComponentEntry* entry = find(kind, name)) return *entry;
  for (const PluginProblem& problem : problems_) {
    if (problem.kind == kind && problem.name == name) {
      throw plugin_error(
          fmt::format("{} '{}' cannot be used: {}: {}", kind, name, problem.file.string(), problem.message));
    }
  }
  const std::vector<std::string> installed = names(kind);
  throw plugin_error(fmt::format("unknown {} '{}'{}; {} (see `jobsub plugins` for the search path)", kind,
                                 name, did_you_mean(name, installed),
                                 installed.empty() ? fmt::format("no {} plugins are installed", kind)
                                                   : fmt::format("installed: {}", join(installed))));
}

}  // namespace jobsub
