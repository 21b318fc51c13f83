#include "jobsub/plugin_options.h"

#include <fmt/core.h>

#include <algorithm>

#include "jobsub/errors.h"
#include "jobsub/text.h"

namespace jobsub {

const std::vector<std::string>& core_option_names() {
  static const std::vector<std::string> names = {
      "help",        "spec",       "max-running",   "resource",
      "yes",         "dry-run",    "manual",        "no-array",
      "wait",        "poll",       "allow-no-args", "max-jobs",
      "show-config", "plugin-dir", "version",       "name",
      "layout",      "sweeper",    "formatter",     "scheduler",
      "program",     "command",    "template",      "rerun-completed",
      "resume",      "force",      "site",          "include-declined",
      "retries",     "retry-on",   "retry-scale",   "max-retries",
      "canary",      "detach"};
  return names;
}

std::vector<PluginOption> plugin_options(const PluginRegistry& registry) {
  std::vector<PluginOption> out;
  for (const ComponentEntry& entry : registry.components()) {
    if (std::string(entry.info->kind) == "command") continue;
    for (std::size_t i = 0; i < entry.info->option_count; ++i) {
      PluginOption option;
      option.entry = &entry;
      option.info = &entry.info->options[i];
      option.short_name = option.info->name;
      option.qualified = fmt::format("{}.{}", entry.info->name, option.info->name);
      const auto& core = core_option_names();
      option.core_clash = std::find(core.begin(), core.end(), option.short_name) != core.end();
      out.push_back(std::move(option));
    }
  }
  for (PluginOption& option : out) {
    option.kind_shared = true;
    for (const PluginOption& other : out) {
      if (&other == &option || other.short_name != option.short_name) continue;
      option.shared_with.push_back(other.qualified);
      option.kind_shared =
          option.kind_shared && std::string(other.entry->info->kind) == option.entry->info->kind;
    }
    option.kind_shared = option.kind_shared && !option.shared_with.empty();
  }
  return out;
}

std::string resolve_plugin_option(const std::vector<PluginOption>& options, const std::string& name,
                                  const std::string& origin, SettingSource source,
                                  const std::map<std::string, std::string>& chosen) {
  const ExitCode code = source == SettingSource::command_line ? ExitCode::usage : ExitCode::bad_spec;
  std::vector<std::string> all;
  for (const PluginOption& option : options) {
    if (option.qualified == name) return option.qualified;
    all.push_back(option.qualified);
  }
  std::vector<std::string> matches;
  bool core_clash = false, kind_shared = true;
  std::string kind;
  for (const PluginOption& option : options) {
    if (option.short_name != name) continue;
    matches.push_back(option.qualified);
    core_clash = core_clash || option.core_clash;
    kind_shared = kind_shared && (kind.empty() || kind == option.entry->info->kind);
    kind = option.entry->info->kind;
  }
  if (matches.size() == 1 && !core_clash) return matches.front();
  if (matches.size() > 1 && kind_shared && !core_clash) {
    auto it = chosen.find(kind);
    if (it != chosen.end()) {
      const std::string qualified = fmt::format("{}.{}", it->second, name);
      if (std::find(matches.begin(), matches.end(), qualified) != matches.end()) return qualified;
      std::vector<std::string> owners;
      for (const std::string& q : matches) owners.push_back(q.substr(0, q.find('.')));
      throw Error(code, fmt::format("{}: option '{}' belongs to the {}s {}, and this sweep uses {} '{}'",
                                    origin, name, kind, join(owners), kind, it->second));
    }
  }
  if (!matches.empty()) {
    std::vector<std::string> spelled;
    for (const std::string& q : matches) {
      const std::size_t dot = q.find('.');
      spelled.push_back(code == ExitCode::usage ? fmt::format("--{}", q)
                                                : fmt::format("options: {{{}: {{{}: ...}}}}",
                                                              q.substr(0, dot), q.substr(dot + 1)));
    }
    throw Error(code,
                fmt::format("{}: option '{}' {}: write {}", origin, name,
                            core_clash ? "is also jobsub's own option" : "is declared by several plugins",
                            join(spelled, " or ")));
  }
  std::vector<std::string> spellings = all;
  for (const PluginOption& option : options) {
    if (option.short_usable()) spellings.push_back(option.short_name);
  }
  throw Error(code, fmt::format("{}: '{}' is not an option of any installed plugin{}{}", origin, name,
                                did_you_mean(name, spellings),
                                all.empty() ? std::string() : fmt::format("; they take: {}", join(all))));
}

}  // namespace jobsub
