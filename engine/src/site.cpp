#include "jobsub/site.h"

#include <fmt/core.h>
#include <fnmatch.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "jobsub/errors.h"
#include "jobsub/process.h"
#include "jobsub/script.h"
#include "jobsub/text.h"

namespace jobsub {

std::vector<fs::path> site_files() {
  std::vector<fs::path> files;
  if (const char* list = std::getenv("JOBSUB_SITES"); list != nullptr) {
    std::string text = list;
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find(':', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) files.emplace_back(text.substr(start, end - start));
      start = end + 1;
    }
    return files;
  }
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (xdg != nullptr && *xdg != '\0') {
    files.push_back(fs::path(xdg) / "jobsub" / "sites.yaml");
  } else if (home != nullptr && *home != '\0') {
    files.push_back(fs::path(home) / ".config" / "jobsub" / "sites.yaml");
  }
  files.emplace_back("/etc/jobsub/sites.yaml");
  return files;
}

namespace {

const std::set<std::string> kSiteKeys = {"match",   "scheduler",   "resources", "init",
                                         "options", "template",    "layout",    "formatter",
                                         "sweeper", "max_running", "init_check"};

[[noreturn]] void fail(const fs::path& file, const YAML::Node& node, const std::string& what) {
  throw spec_error(fmt::format("{}:{}: {}", file.string(), node.Mark().line + 1, what));
}

std::string scalar(const fs::path& file, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) fail(file, node, fmt::format("'{}' must be a single value", key));
  return node.Scalar();
}

SiteProfile read_profile(const fs::path& file, const std::string& name, const YAML::Node& node) {
  SiteProfile site;
  site.name = name;
  site.origin = fmt::format("{}:{}", file.string(), node.Mark().line + 1);
  if (!node.IsMap()) fail(file, node, fmt::format("site '{}' must be a mapping of settings", name));
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    const YAML::Node& value = item.second;
    const std::string origin = fmt::format("{}:{} (site {})", file.string(), value.Mark().line + 1, name);
    if (!kSiteKeys.count(key)) {
      fail(file, item.first,
           fmt::format("unknown key '{}' in site '{}'{}: a site has {}", key, name,
                       did_you_mean(key, std::vector<std::string>(kSiteKeys.begin(), kSiteKeys.end())),
                       join(std::vector<std::string>(kSiteKeys.begin(), kSiteKeys.end()))));
    }
    if (key == "match") {
      if (!value.IsMap())
        fail(file, value, "'match' takes hosts: [patterns] and/or env: {VARIABLE: pattern}");
      for (const auto& m : value) {
        const std::string what = m.first.Scalar();
        if (what == "hosts") {
          if (m.second.IsScalar()) {
            site.hosts.push_back(m.second.Scalar());
          } else if (m.second.IsSequence()) {
            for (const auto& h : m.second) site.hosts.push_back(scalar(file, h, "hosts"));
          } else {
            fail(file, m.second, "'hosts' takes a pattern or a list of them, e.g. [login*.cluster.org]");
          }
        } else if (what == "env") {
          if (!m.second.IsMap())
            fail(file, m.second, "'env' takes {VARIABLE: pattern}, e.g. {CLUSTER: alpha}");
          for (const auto& e : m.second)
            site.env[e.first.Scalar()] = scalar(file, e.second, e.first.Scalar());
        } else {
          fail(file, m.first, fmt::format("'match' takes hosts and env, not '{}'", what));
        }
      }
    } else if (key == "resources") {
      if (!value.IsMap()) fail(file, value, "'resources' must be a mapping, e.g. {account: my-lab}");
      for (const auto& r : value)
        site.settings["resources." + r.first.Scalar()] = {scalar(file, r.second, r.first.Scalar()), origin,
                                                          SettingSource::site};
    } else if (key == "options") {
      if (!value.IsMap()) fail(file, value, "'options' takes {plugin: {option: value}}");
      for (const auto& p : value) {
        if (!p.second.IsMap()) fail(file, p.second, "'options' takes {plugin: {option: value}}");
        for (const auto& o : p.second) {
          site.settings[fmt::format("options.{}.{}", p.first.Scalar(), o.first.Scalar())] = {
              scalar(file, o.second, o.first.Scalar()), origin, SettingSource::site};
        }
      }
    } else if (key == "init") {
      if (value.IsScalar()) {
        site.init = nonempty_lines(value.Scalar());
      } else if (value.IsSequence()) {
        for (const auto& line : value) site.init.push_back(scalar(file, line, "init"));
      } else {
        fail(file, value, "'init' takes lines of shell (a list, or a block)");
      }
    } else {
      site.settings[key] = {scalar(file, value, key), origin, SettingSource::site};
    }
  }
  return site;  // without `match`, chosen only by name (--site, JOBSUB_SITE)
}

}  // namespace

std::vector<SiteProfile> load_sites(const std::vector<fs::path>& files) {
  std::vector<SiteProfile> sites;
  std::set<std::string> names;
  for (const fs::path& file : files) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) continue;
    YAML::Node root;
    try {
      root = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& e) {
      throw spec_error(fmt::format("{}:{}: not valid YAML: {}", file.string(), e.mark.line + 1, e.msg));
    }
    if (!root || root.IsNull()) continue;
    if (!root.IsMap() || !root["sites"] || !root["sites"].IsMap())
      fail(file, root, "a sites file holds `sites:`, a mapping of site names to their settings");
    for (const auto& item : root["sites"]) {
      const std::string name = item.first.Scalar();
      if (!names.insert(name).second) continue;  // an earlier file's profile of that name wins
      sites.push_back(read_profile(file, name, item.second));
    }
  }
  return sites;
}

std::string site_matches(const SiteProfile& site, const std::string& host) {
  if (site.hosts.empty() && site.env.empty()) return "";
  std::string why;
  if (!site.hosts.empty()) {
    const std::string short_host = host.substr(0, host.find('.'));
    for (const std::string& pattern : site.hosts) {
      if (::fnmatch(pattern.c_str(), host.c_str(), 0) == 0 ||
          ::fnmatch(pattern.c_str(), short_host.c_str(), 0) == 0) {
        why = fmt::format("host {} matches {}", host, pattern);
        break;
      }
    }
    if (why.empty()) return "";
  }
  for (const auto& [variable, pattern] : site.env) {
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || ::fnmatch(pattern.c_str(), value, 0) != 0) return "";
    why += fmt::format("{}{}={} matches {}", why.empty() ? "" : ", ", variable, value, pattern);
  }
  return why;
}

SiteChoice choose_site(const std::vector<SiteProfile>& sites, const std::string& requested,
                       const std::string& requested_origin, const std::string& host) {
  std::string name = requested;
  std::string origin = requested_origin;
  if (name.empty()) {
    if (const char* env = std::getenv("JOBSUB_SITE"); env != nullptr && *env != '\0') {
      name = env;
      origin = "env JOBSUB_SITE";
    }
  }
  if (!name.empty()) {
    std::vector<std::string> names;
    for (const SiteProfile& s : sites) {
      if (s.name == name) return {&s, origin};
      names.push_back(s.name);
    }
    throw spec_error(fmt::format(
        "no site profile '{}' ({}){}; `jobsub sites` lists them{}", name, origin, did_you_mean(name, names),
        names.empty() ? " (no sites.yaml was found)" : fmt::format(": {}", join(names))));
  }
  for (const SiteProfile& s : sites) {
    if (std::string why = site_matches(s, host); !why.empty()) return {&s, why};
  }
  return {};
}

void apply_site(SweepSpec& spec, const SiteChoice& choice) {
  if (choice.profile == nullptr) return;
  for (const auto& [key, setting] : choice.profile->settings) {
    if (!spec.has(key)) spec.settings[key] = setting;
  }
  if (!choice.profile->init.empty()) {
    std::vector<std::string> lines = choice.profile->init;
    lines.insert(lines.end(), spec.init_lines.begin(), spec.init_lines.end());
    spec.init_origin = spec.init_lines.empty()
                           ? choice.profile->origin
                           : fmt::format("{}, then {}", choice.profile->origin, spec.init_origin);
    spec.init_lines = std::move(lines);
  }
  set_setting(spec, "site", choice.profile->name, fmt::format("{}; {}", choice.why, choice.profile->origin),
              SettingSource::site);
}

namespace {

/// The program's path on PATH, or empty.
fs::path on_path(const std::string& program) {
  try {
    return find_program(program);
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

std::string probe_scheduler(const PluginRegistry& registry, std::string& why) {
  std::vector<std::string> found, names, looked;
  std::map<std::string, std::vector<std::string>> unconfirmed;  // a program on PATH -> who it could be
  std::map<Argv, std::string> answers;                          // each probe runs once
  for (const ComponentEntry& entry : registry.components()) {
    if (std::string_view(entry.info->kind) != "scheduler") continue;
    Detection detection;
    try {
      detection = registry.create<Scheduler>(entry.info->name)->detection();
    } catch (const Error&) {
      continue;  // a scheduler that cannot be made is not this host's
    }
    if (detection.program.empty()) continue;
    if (std::find(looked.begin(), looked.end(), detection.program) == looked.end())
      looked.push_back(detection.program);
    if (on_path(detection.program).empty()) continue;
    bool confirmed = detection.probe.empty();
    if (!confirmed) {
      auto [it, fresh] = answers.emplace(detection.probe, std::string());
      if (fresh) {
        try {
          const ProcessResult r = run_process(detection.probe, {{}, {}, std::chrono::seconds(30)});
          it->second = r.out + r.err;
        } catch (const std::exception& e) {
          it->second = e.what();
        }
      }
      for (const std::string& answer : detection.answers)
        confirmed = confirmed || it->second.find(answer) != std::string::npos;
    }
    if (confirmed) {
      found.push_back(entry.info->name);
      names.push_back(fmt::format("{} ({})", detection.program, detection.label));
    } else {
      unconfirmed[detection.program].push_back(entry.info->name);
    }
  }
  for (const auto& [program, schedulers] : unconfirmed) {
    // An error only when no scheduler that shares the program said it is its.
    const std::string prefix = program + " (";
    const bool told = std::any_of(names.begin(), names.end(),
                                  [&](const std::string& n) { return n.rfind(prefix, 0) == 0; });
    if (told) continue;
    throw spec_error(fmt::format(
        "no scheduler is chosen and {} is on PATH, but it does not say which scheduler it belongs to: choose "
        "one with --scheduler={}|local, `scheduler:` in jobsub.yaml, JOBSUB_SCHEDULER or a site profile "
        "(`jobsub sites`)",
        on_path(program).string(), join(schedulers, "|")));
  }
  if (found.size() > 1) {
    throw spec_error(fmt::format(
        "no scheduler is chosen and this host has {}: choose one with --scheduler={}|local, `scheduler:` in "
        "jobsub.yaml, JOBSUB_SCHEDULER or a site profile (`jobsub sites`); jobsub does not guess",
        join(names, " and "), join(found, "|")));
  }
  if (found.empty()) {
    const std::string last = looked.empty() ? "" : looked.back();
    if (!looked.empty()) looked.pop_back();
    why = last.empty()     ? "default: no batch scheduler is installed"
          : looked.empty() ? fmt::format("default: no {} on PATH", last)
                           : fmt::format("default: no {} or {} on PATH", join(looked), last);
    return "local";
  }
  why = fmt::format("found {} on PATH", names.front());
  return found.front();
}

}  // namespace jobsub
