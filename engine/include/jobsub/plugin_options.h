#pragma once
/// How plugin options are named on the command line and in jobsub.yaml.
///
/// Every option of an installed plugin has a qualified name, `<plugin>.<option>`
/// (`--random.seed`, `options: {random: {seed: 3}}`). The short name (`--seed`)
/// works too when exactly one installed plugin declares it and no core option
/// has it; otherwise it is an error that lists the qualified names. An option
/// declared without a value name is a flag: it takes no value. A short name
/// that only plugins of one kind declare (`--client-timeout`, which every
/// batch scheduler has) resolves against the plugin of that kind the sweep
/// uses.
#include <map>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/registry.h"
#include "jobsub/spec.h"

namespace jobsub {

struct PluginOption {
  const ComponentEntry* entry = nullptr;
  const jobsub_option_info* info = nullptr;
  std::string qualified;   ///< `random.seed`
  std::string short_name;  ///< `seed`
  /// Other installed plugins' options with the same short name (qualified).
  std::vector<std::string> shared_with;
  bool core_clash = false;  ///< a core option has the short name (`--name`)
  /// Every plugin that shares the short name is of this one's kind: the
  /// short name means the option of the plugin of that kind the sweep uses.
  bool kind_shared = false;
  bool short_usable() const { return (shared_with.empty() || kind_shared) && !core_clash; }
  bool flag() const { return info->value_name == nullptr; }
};

/// The long options of `jobsub submit` itself, which no plugin option can shadow.
JOBSUB_API const std::vector<std::string>& core_option_names();

/// Every option of every installed pipeline plugin (commands' own options are
/// their business), with the naming rules applied, in registry order.
JOBSUB_API std::vector<PluginOption> plugin_options(const PluginRegistry& registry);

/// The qualified name (`random.seed`) that `name` (`seed` or `random.seed`)
/// stands for, or an Error (exit 2 on the command line, 3 in the spec) that
/// says why not: unknown, or ambiguous with the qualified names to use.
/// `origin` names where it was written (`command line`, `jobsub.yaml:7`);
/// an error is a usage error (exit 2) for a `source` on the command line, a
/// spec error (exit 3) otherwise. `chosen` (kind -> plugin name) decides a
/// short name shared by one kind.
JOBSUB_API std::string resolve_plugin_option(const std::vector<PluginOption>& options,
                                             const std::string& name, const std::string& origin,
                                             SettingSource source,
                                             const std::map<std::string, std::string>& chosen = {});

}  // namespace jobsub
