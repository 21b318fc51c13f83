#include "jobsub/spec.h"

#include <fmt/core.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "jobsub/errors.h"
#include "jobsub/text.h"

namespace jobsub {

const std::vector<std::string>& scalar_setting_keys() {
  static const std::vector<std::string> keys = {"name",    "layout",  "sweeper",  "formatter",  "scheduler",
                                                "program", "command", "template", "max_running"};
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

namespace {

/// Appends the values of `range(<inner>)`; `what` names it in errors.
void expand_range(const std::string& inner, const std::string& what, ValueList& out);

class SpecReader {
 public:
  explicit SpecReader(fs::path file) : file_(std::move(file)), name_(file_.string()) {}

  SweepSpec read() {
    std::error_code ec;
    if (fs::is_directory(file_, ec)) {
      const bool inside = fs::exists(file_ / "jobsub.yaml", ec);
      throw spec_error(fmt::format("{} is a directory, not a spec file{}", name_,
                                   inside
                                       ? fmt::format(": did you mean {}?", (file_ / "jobsub.yaml").string())
                                       : std::string(": name the YAML file, e.g. --spec jobsub.yaml")));
    }
    std::ifstream in(file_, std::ios::binary);
    if (!in) throw spec_error(fmt::format("cannot read spec file {}", name_));
    std::string text(std::istreambuf_iterator<char>(in), {});
    if (const std::size_t nul = text.find('\0'); nul != std::string::npos) {
      throw spec_error(fmt::format(
          "{}:{}: a NUL byte: a spec is text, and no program argument can hold NUL; remove it", name_,
          std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n') + 1));
    }
    split_lines(text);
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      throw spec_error(fmt::format("{}:{}: {}{}", name_, e.mark.line + 1, e.msg, tab_hint(e.mark.line)));
    }
    check_unique_keys(root);
    SweepSpec spec;
    spec.file = fs::absolute(file_).lexically_normal();
    spec.experiment_dir = spec.file.parent_path();
    if (root.IsNull()) return spec;
    if (!root.IsMap()) fail(root, "", "the spec must be a mapping of settings (name: value)");

    static const std::vector<std::string> known = [] {
      std::vector<std::string> k = scalar_setting_keys();
      k.insert(k.end(), {"resources", "options", "init", "hypers", "zip"});
      return k;
    }();
    for (const auto& item : root) {
      const std::string key = item.first.as<std::string>();
      const YAML::Node& value = item.second;
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        fail(item.first, key,
             fmt::format("unknown key{}; known keys: {}", did_you_mean(key, known), join(known)));
      }
      if (key == "resources" || key == "options") {
        read_section(spec, key, value);
      } else if (key == "init") {
        read_init(spec, value);
      } else if (key == "hypers") {
        read_hypers(spec, value);
      } else if (key == "zip") {
        read_zip(spec, value);
      } else {
        set_setting(spec, key, scalar(value, key), where(value), SettingSource::spec_file);
      }
    }
    return spec;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& what) const {
    throw spec_error(fmt::format(
        "{}{}: {}{}", name_, node.Mark().line >= 0 ? fmt::format(":{}", node.Mark().line + 1) : std::string(),
        key.empty() ? std::string() : fmt::format("key '{}': ", key), what));
  }

  void split_lines(const std::string& text) {
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      lines_.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }

  /// yaml-cpp's message for a tab in the indentation is "illegal map value"
  /// or the like: say what it means.
  std::string tab_hint(int line) const {
    for (int l : {line, line - 1, line + 1}) {
      if (l < 0 || l >= static_cast<int>(lines_.size())) continue;
      const std::string& text = lines_[static_cast<std::size_t>(l)];
      const std::size_t first = text.find_first_not_of(" \t");
      if (text.find('\t') < first) {
        return fmt::format(" (line {} is indented with a tab; YAML indents with spaces only)", l + 1);
      }
    }
    return "";
  }

  /// A key written twice in one mapping is an error naming both lines (yaml-cpp
  /// keeps both, and the reader would take one silently).
  void check_unique_keys(const YAML::Node& node) const {
    if (node.IsSequence()) {
      for (const auto& element : node) check_unique_keys(element);
    } else if (node.IsMap()) {
      std::map<std::string, int> seen;
      for (const auto& item : node) {
        const std::string key = item.first.Scalar();
        const auto [at, fresh] = seen.emplace(key, item.first.Mark().line + 1);
        if (!fresh) {
          throw spec_error(fmt::format("{}:{}: key '{}' is written twice (lines {} and {}); keep one", name_,
                                       item.first.Mark().line + 1, key, at->second,
                                       item.first.Mark().line + 1));
        }
        check_unique_keys(item.second);
      }
    }
  }

  /// True when `node` is a null written as nothing (`lr:`), not as `null` or `~`.
  bool is_empty_value(const YAML::Node& key_node) const {
    const int line = key_node.Mark().line;
    if (line < 0 || line >= static_cast<int>(lines_.size())) return false;
    const std::string& text = lines_[static_cast<std::size_t>(line)];
    std::size_t colon = text.find(':', static_cast<std::size_t>(std::max(0, key_node.Mark().column)));
    if (colon == std::string::npos) return false;
    std::string rest = text.substr(colon + 1);
    if (const std::size_t hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
    return trim(rest).empty();
  }

  std::string where(const YAML::Node& node) const {
    return fmt::format("{}:{}", file_.filename().string(), node.Mark().line + 1);
  }

  std::string scalar(const YAML::Node& node, const std::string& key) const {
    if (node.IsNull()) return "";
    if (!node.IsScalar()) fail(node, key, fmt::format("expected a single value, not a {}", shape(node)));
    refuse_nul(node, key, node.Scalar());
    return node.Scalar();
  }

  void refuse_nul(const YAML::Node& node, const std::string& key, const std::string& text) const {
    if (text.find('\0') != std::string::npos) {
      fail(node, key,
           "holds a NUL character (\\0), which no program argument or script can carry; remove it");
    }
  }

  static std::string shape(const YAML::Node& node) {
    return node.IsMap() ? "mapping" : node.IsSequence() ? "list" : "value";
  }

  static Value to_value(const YAML::Node& node) {
    if (node.IsNull()) return {"null", ValueKind::Null};
    if (node.Tag() == "!") return string_value(node.Scalar());  // quoted in the file
    return plain_value(node.Scalar());
  }

  /// A value, or the values of an unquoted `range(start,stop[,step])`, as an
  /// override writes it (quoted, `'range(0,5)'` stays a string).
  void append_values(const YAML::Node& node, const std::string& key, ValueList& out) const {
    const Value value = to_value(node);
    refuse_nul(node, key, value.text);
    const std::string& text = value.text;
    if (value.kind != ValueKind::String || node.Tag() == "!" || text.rfind("range(", 0) != 0) {
      out.push_back(value);
      return;
    }
    if (text.back() != ')') {
      fail(node, key,
           fmt::format("'{}' is a range() cut at a comma: inside {{ }} or [ ], YAML splits at commas; write "
                       "the hyper on its own line (seed: range(0,5))",
                       text));
    }
    try {
      expand_range(text.substr(6, text.size() - 7), text, out);
    } catch (const Error& e) {
      fail(node, key, e.what());
    }
  }

  void read_section(SweepSpec& spec, const std::string& section, const YAML::Node& node) const {
    if (node.IsNull()) return;
    if (!node.IsMap())
      fail(node, section, fmt::format("expected a mapping (name: value), not a {}", shape(node)));
    for (const auto& item : node) {
      const std::string key = fmt::format("{}.{}", section, item.first.as<std::string>());
      // `options: {random: {seed: 3}}`: a plugin's options under its name.
      if (section == "options" && item.second.IsMap()) {
        for (const auto& option : item.second) {
          const std::string full = fmt::format("{}.{}", key, option.first.as<std::string>());
          set_setting(spec, full, scalar(option.second, full), where(option.second),
                      SettingSource::spec_file);
        }
        continue;
      }
      set_setting(spec, key, scalar(item.second, key), where(item.second), SettingSource::spec_file);
    }
  }

  void read_init(SweepSpec& spec, const YAML::Node& node) const {
    spec.init_origin = where(node);
    spec.init_lines.clear();
    if (node.IsNull()) return;
    if (node.IsSequence()) {
      for (const auto& line : node) spec.init_lines.push_back(scalar(line, "init"));
      return;
    }
    std::string text = scalar(node, "init");
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      spec.init_lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }

  GridDecl read_grid(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap())
      fail(node, path, fmt::format("expected a mapping of name: values, not a {}", shape(node)));
    GridDecl grid;
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      const std::string full = fmt::format("{}.{}", path, key);
      HyperDecl decl{key, {}, where(item.first)};
      if (item.second.IsSequence()) {
        for (const auto& element : item.second) {
          if (!element.IsScalar() && !element.IsNull()) {
            fail(element, full, fmt::format("a value must be a single value, not a {}", shape(element)));
          }
          append_values(element, full, decl.values);
        }
        if (decl.values.empty())
          fail(item.second, full, "an empty list gives no jobs: give at least one value");
      } else if (item.second.IsMap()) {
        fail(item.second, full, "expected a value or a list of values, not a mapping");
      } else {
        if (item.second.IsNull() && is_empty_value(item.first)) {
          fail(item.first, full,
               "has no value: give values (lr: [0.1, 0.01]), or write `null` if the program should get null");
        }
        append_values(item.second, full, decl.values);
      }
      grid.hypers.push_back(std::move(decl));
    }
    return grid;
  }

  void read_hypers(SweepSpec& spec, const YAML::Node& node) const {
    if (node.IsNull()) return;
    if (node.IsMap()) {
      spec.grids.push_back(read_grid(node, "hypers"));
    } else if (node.IsSequence()) {
      std::size_t i = 0;
      for (const auto& grid : node) spec.grids.push_back(read_grid(grid, fmt::format("hypers[{}]", i++)));
    } else {
      fail(node, "hypers", "expected a mapping of name: values, or a list of such mappings");
    }
  }

  void read_zip(SweepSpec& spec, const YAML::Node& node) const {
    if (node.IsNull()) return;
    if (!node.IsSequence()) fail(node, "zip", "expected a list of groups, e.g. [[lr, seed]]");
    for (const auto& group : node) {
      if (!group.IsSequence() || group.size() < 2) {
        fail(group, "zip", "each group is a list of two or more hyper names, e.g. [lr, seed]");
      }
      std::vector<std::string> keys;
      for (const auto& key : group) keys.push_back(scalar(key, "zip"));
      spec.zip.push_back(std::move(keys));
    }
  }

  fs::path file_;
  std::string name_;
  std::vector<std::string> lines_;  ///< the file's text, for messages
};

long long parse_int(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(trim(text), &used);
    if (used == trim(text).size()) return v;
  } catch (const std::exception&) {
  }
  throw usage_error(fmt::format("{}: range() takes whole numbers, got '{}'", what, trim(text)));
}

void expand_range(const std::string& inner, const std::string& what, ValueList& out) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = inner.find(',', start);
    parts.push_back(inner.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts.empty() || parts.size() > 3) {
    throw usage_error(fmt::format("{}: use range(stop), range(start,stop) or range(start,stop,step)", what));
  }
  long long begin = 0, end = 0, step = 1;
  if (parts.size() == 1) {
    end = parse_int(parts[0], what);
  } else {
    begin = parse_int(parts[0], what);
    end = parse_int(parts[1], what);
    if (parts.size() == 3) step = parse_int(parts[2], what);
  }
  if (step == 0) throw usage_error(fmt::format("{}: range() step must not be 0", what));
  const IntRange range = make_range(begin, end, step);  // never expanded
  if (range.count == 0)
    throw usage_error(fmt::format("{}: range() is empty, so the sweep would have no jobs", what));
  out.append(range);
}

}  // namespace

SweepSpec load_spec_file(const fs::path& file) { return SpecReader(file).read(); }

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

bool is_override(const std::string& arg) {
  const auto eq = arg.find('=');
  return eq != std::string::npos && eq > 0 && arg[0] != '-';
}

Override parse_override(const std::string& arg) {
  const auto eq = arg.find('=');
  if (!is_override(arg)) throw usage_error(fmt::format("'{}' is not an override: write key=value", arg));
  Override result;
  result.key = arg.substr(0, eq);
  if (result.key.find_first_of(" \t'\"") != std::string::npos) {
    throw usage_error(fmt::format("override '{}': the key must not contain spaces or quotes", arg));
  }
  const std::string text = arg.substr(eq + 1);
  if (text.empty()) {
    result.values.push_back(string_value(""));
    return result;
  }
  // Split on commas outside quotes and parentheses.
  std::string element;
  bool quoted = false;  // the element so far was a quoted string
  char quote = 0;
  int depth = 0;
  auto finish = [&](std::size_t at) {
    if (quote != 0) throw usage_error(fmt::format("override '{}': unterminated quote", arg));
    const std::string raw = trim(element);
    if (quoted) {
      result.values.push_back(string_value(element));
    } else if (raw.rfind("range(", 0) == 0 && raw.back() == ')') {
      expand_range(raw.substr(6, raw.size() - 7), fmt::format("override '{}'", arg), result.values);
    } else {
      if (raw.empty() && (at != std::string::npos || !result.values.empty())) {
        throw usage_error(
            fmt::format("override '{}': empty element in the list (quote it: '' for an empty string)", arg));
      }
      result.values.push_back(plain_value(raw));
    }
    element.clear();
    quoted = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\' && i + 1 < text.size() && (text[i + 1] == quote || text[i + 1] == '\\')) {
        element += text[++i];
      } else if (c == quote) {
        quote = 0;
      } else {
        element += c;
      }
    } else if ((c == '\'' || c == '"') && trim(element).empty() && !quoted) {
      element.clear();
      quote = c;
      quoted = true;
    } else if (quoted && c != ',' && c != ' ') {
      throw usage_error(fmt::format("override '{}': text after a closing quote; quote the whole value", arg));
    } else if (c == '(') {
      ++depth;
      element += c;
    } else if (c == ')') {
      --depth;
      element += c;
    } else if (c == ',' && depth == 0) {
      finish(i);
    } else if (!(quoted && c == ' ')) {
      element += c;
    }
  }
  finish(std::string::npos);
  return result;
}

void apply_override(SweepSpec& spec, const Override& override_) {
  if (spec.grids.empty()) spec.grids.emplace_back();
  for (GridDecl& grid : spec.grids) {
    auto it = std::find_if(grid.hypers.begin(), grid.hypers.end(),
                           [&](const HyperDecl& h) { return h.key == override_.key; });
    if (it != grid.hypers.end()) {
      it->values = override_.values;
      it->origin = "command line";
    } else {
      grid.hypers.push_back({override_.key, override_.values, "command line"});
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

}  // namespace jobsub
