#include "jobsub/spec.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "jobsub/errors.h"
#include "jobsub/text.h"

namespace jobsub {

const std::vector<std::string>& scalar_setting_keys() {
  static const std::vector<std::string> keys = {"name",        "layout",    "sweeper", "formatter",
                                                "scheduler",   "program",   "command", "template",
                                                "max_running", "init_check"};
  return keys;
}

std::string SweepSpec::get(const std::string& key, const std::string& fallback) const {
  auto it = settings.find(key);
  return it == settings.end() ? fallback : it->second.value;
}

bool SweepSpec::has(const std::string& key) const { return settings.count(key) != 0; }

std::map<std::string, std::string> SweepSpec::section(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  const std::string start = fmt::format("{}.", prefix);
  for (const auto& [key, setting] : settings) {
    if (key.rfind(start, 0) == 0) out[key.substr(start.size())] = setting.value;
  }
  return out;
}

void set_setting(SweepSpec& spec, const std::string& key, const std::string& value, const std::string& origin,
                 SettingSource source) {
  spec.settings[key] = {value, origin, source};
}

namespace {
constexpr std::pair<SettingSource, const char*> kSourceNames[] = {
    {SettingSource::default_value, "default"},
    {SettingSource::site, "site"},
    {SettingSource::spec_file, "spec"},
    {SettingSource::environment, "environment"},
    {SettingSource::command_line, "command line"},
    {SettingSource::detected, "detected"}};
}  // namespace

const char* to_string(SettingSource source) {
  for (const auto& [s, name] : kSourceNames)
    if (s == source) return name;
  return "spec";
}

std::optional<SettingSource> setting_source_from_string(const std::string& text) {
  for (const auto& [s, name] : kSourceNames)
    if (text == name) return s;
  return std::nullopt;
}

void check_duplicate_values(const SweepSpec& spec) {
  if (spec.allow_duplicates) return;
  auto refuse = [&](const std::string& origin, const std::string& what, const std::string& hint = "") {
    const std::string message = fmt::format(
        "{}: {}, which makes identical jobs: remove one, or set `allow_duplicates: true` in "
        "jobsub.yaml to run replicas (a seed key is the usual way){}",
        origin, what, hint);
    if (origin == "command line") throw usage_error(message);
    throw spec_error(message);
  };
  auto listed = [](const ValueList& values) {
    std::vector<const Value*> out;
    for (const ValueList::Segment& segment : values.segments()) {
      if (segment.is_range()) return std::vector<const Value*>{};  // ranges are not compared
      for (const Value& v : segment.values) out.push_back(&v);
    }
    return out;
  };
  for (std::size_t g = 0; g < spec.grids.size(); ++g) {
    const GridDecl& grid = spec.grids[g];
    const std::string path = spec.grids.size() > 1 ? fmt::format("hypers[{}].", g) : std::string("hypers.");
    auto decl = [&](const std::string& key) -> const HyperDecl* {
      for (const HyperDecl& h : grid.hypers)
        if (h.key == key) return &h;
      return nullptr;
    };
    std::set<std::string> zipped;
    // A zip group's jobs are its tuples: a value may repeat in one of its keys.
    for (const std::vector<std::string>& group : spec.zip) {
      std::vector<std::vector<const Value*>> columns;
      std::string origin;
      for (const std::string& key : group) {
        const HyperDecl* h = decl(key);
        if (h == nullptr) continue;
        zipped.insert(key);
        columns.push_back(listed(h->values));
        if (origin.empty() || h->origin == "command line") origin = h->origin;
      }
      if (columns.empty() || std::any_of(columns.begin(), columns.end(), [&](const auto& c) {
            return c.empty() || c.size() != columns.front().size();
          }))
        continue;
      for (std::size_t i = 1; i < columns.front().size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          const bool same =
              std::all_of(columns.begin(), columns.end(), [&](const auto& c) { return *c[i] == *c[j]; });
          if (!same) continue;
          std::vector<std::string> tuple;
          for (const auto& c : columns) tuple.push_back(display_value(*c[i]));
          refuse(origin, fmt::format("the zip group [{}] lists ({}) twice", join(group), join(tuple)));
        }
      }
    }
    for (const HyperDecl& h : grid.hypers) {
      if (zipped.count(h.key)) continue;
      const std::vector<const Value*> values = listed(h.values);
      for (std::size_t i = 1; i < values.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (*values[i] != *values[j]) continue;
          const bool scalars =
              std::none_of(values.begin(), values.end(), [](const Value* v) { return v->is_container(); });
          refuse(
              h.origin, fmt::format("{}{} lists the value {} twice", path, h.key, display_value(*values[i])),
              scalars ? fmt::format("; to pass the list as one value, write it inside another list: {}: [{}]",
                                    h.key, display_list(h.values))
                      : std::string());
        }
      }
    }
  }
}

std::string string_meant_as_other_type(const Value& value, const std::string& where) {
  if (value.kind != ValueKind::String) return "";
  static const std::set<std::string> kYaml11Bools = {"yes", "Yes", "YES", "no",  "No",  "NO",
                                                     "on",  "On",  "ON",  "off", "Off", "OFF"};
  if (value.text == "None") {
    return fmt::format(
        "{}: None is the string 'None' here (YAML 1.2 and jobsub write null as null or ~): "
        "write null for a null, or quote it ('None') to keep the string",
        where);
  }
  if (kYaml11Bools.count(value.text)) {
    return fmt::format(
        "{}: {} is the string '{}' here (YAML 1.2; YAML 1.1 read it as a boolean): write true "
        "or false for a boolean, or quote it ('{}') to keep the string",
        where, value.text, value.text, value.text);
  }
  return "";
}

SweepSpec empty_spec(const fs::path& experiment_dir) {
  SweepSpec spec;
  spec.experiment_dir = fs::absolute(experiment_dir).lexically_normal();
  return spec;
}

void apply_defaults_and_environment(SweepSpec& spec) {
  const std::map<std::string, std::string> defaults = {{"layout", "plain"},
                                                       {"sweeper", "grid"},
                                                       {"formatter", "argparse"},
                                                       {"scheduler", "local"},
                                                       {"name", spec.experiment_dir.filename().string()}};
  for (const auto& [key, value] : defaults) {
    if (!spec.has(key)) set_setting(spec, key, value, "default", SettingSource::default_value);
  }
  for (const std::string& key : scalar_setting_keys()) {
    std::string env = fmt::format("JOBSUB_{}", key);
    std::transform(env.begin(), env.end(), env.begin(), [](unsigned char c) { return std::toupper(c); });
    if (const char* value = std::getenv(env.c_str()); value != nullptr && *value != '\0') {
      set_setting(spec, key, value, fmt::format("env {}", env), SettingSource::environment);
    }
  }
}

HyperSpace build_hyperspace(const SweepSpec& spec) {
  std::set<std::string> zipped_anywhere;
  for (const auto& group : spec.zip) {
    std::set<std::string> unique(group.begin(), group.end());
    if (unique.size() != group.size())
      throw spec_error(fmt::format("zip group [{}] names a key twice", join(group)));
    for (const std::string& key : group) {
      if (!zipped_anywhere.insert(key).second) {
        throw spec_error(fmt::format("zip: key '{}' is in more than one group; merge the groups", key));
      }
    }
  }
  HyperSpace space;
  if (spec.grids.empty()) {
    if (!spec.zip.empty())
      throw spec_error(fmt::format("zip group [{}] names keys that are not hypers", join(spec.zip.front())));
    space.grids.emplace_back();  // no hypers: one job, no parameters
    return space;
  }
  for (std::size_t g = 0; g < spec.grids.size(); ++g) {
    const GridDecl& decl = spec.grids[g];
    HyperGrid grid;
    std::vector<std::string> keys;
    for (const HyperDecl& h : decl.hypers) keys.push_back(h.key);
    grid.key_order = keys;
    auto lookup = [&](const std::string& key) -> const HyperDecl* {
      for (const HyperDecl& h : decl.hypers)
        if (h.key == key) return &h;
      return nullptr;
    };
    std::set<std::string> placed;
    for (const HyperDecl& h : decl.hypers) {
      if (placed.count(h.key)) continue;
      const std::vector<std::string>* group = nullptr;
      for (const auto& z : spec.zip) {
        if (std::find(z.begin(), z.end(), h.key) != z.end()) group = &z;
      }
      HyperAxis axis;
      if (group == nullptr) {
        axis.keys = {h.key};
        axis.values = {h.values};
      } else {
        for (const std::string& key : *group) {
          const HyperDecl* member = lookup(key);
          if (member == nullptr) {
            throw spec_error(
                fmt::format("zip group [{}]: key '{}' is not a hyper{}{}", join(*group), key,
                            spec.grids.size() > 1 ? fmt::format(" of hypers[{}]", g) : std::string(),
                            did_you_mean(key, keys)));
          }
          if (member->values.size() != h.values.size()) {
            throw spec_error(fmt::format(
                "zip group [{}]: '{}' has {} values but '{}' has {} ({}); zipped lists must have equal "
                "length",
                join(*group), h.key, h.values.size(), key, member->values.size(), member->origin));
          }
          axis.keys.push_back(key);
          axis.values.push_back(member->values);
        }
      }
      for (const std::string& key : axis.keys) placed.insert(key);
      grid.axes.push_back(std::move(axis));
    }
    space.grids.push_back(std::move(grid));
  }
  for (const auto& group : spec.zip) {
    bool used = false;
    for (const HyperGrid& grid : space.grids) {
      if (std::find(grid.key_order.begin(), grid.key_order.end(), group.front()) != grid.key_order.end())
        used = true;
    }
    if (!used) throw spec_error(fmt::format("zip group [{}] names keys that are not hypers", join(group)));
  }
  return space;
}

std::string hypers_json(const SweepSpec& spec) {
  nlohmann::ordered_json grids = nlohmann::ordered_json::array();
  for (const GridDecl& grid : spec.grids) {
    nlohmann::ordered_json g = nlohmann::ordered_json::object();
    for (const HyperDecl& h : grid.hypers) {
      nlohmann::ordered_json values = nlohmann::ordered_json::array();
      for (const ValueList::Segment& segment : h.values.segments()) {
        if (segment.is_range()) {
          const IntRange& r = segment.range;
          values.push_back({{"range", {{"start", r.start}, {"stop", r.stop}, {"step", r.step}}}});
        }
        for (const Value& v : segment.values) values.push_back(v.text);
      }
      g[h.key] = values;
    }
    grids.push_back(g);
  }
  return grids.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace jobsub
