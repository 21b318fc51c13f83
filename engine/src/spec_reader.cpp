// jobsub.yaml: the YAML reader. Errors name the file, the line and the key.
#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <boost/regex.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "jobsub/errors.h"
#include "jobsub/overrides.h"
#include "jobsub/spec.h"
#include "jobsub/text.h"

namespace jobsub {
namespace {

class SpecReader {
 public:
  explicit SpecReader(fs::path file)
      : file_(std::move(file)), name_(file_ == "-" ? std::string("<stdin>") : file_.string()) {}

  SweepSpec read() {
    std::error_code ec;
    if (fs::is_directory(file_, ec)) {
      const bool inside = fs::exists(file_ / "jobsub.yaml", ec);
      throw spec_error(fmt::format("{} is a directory, not a spec file{}", name_,
                                   inside
                                       ? fmt::format(": did you mean {}?", (file_ / "jobsub.yaml").string())
                                       : std::string(": name the YAML file, e.g. --spec jobsub.yaml")));
    }
    const bool from_stdin = file_ == "-";
    std::string text;
    if (from_stdin) {
      text.assign(std::istreambuf_iterator<char>(std::cin), {});
      if (trim(text).empty())
        throw spec_error(
            "--spec -: standard input is empty: pipe the spec in (jobsub --spec - --yes < jobsub.yaml)");
    } else {
      std::ifstream in(file_, std::ios::binary);
      if (!in) throw spec_error(fmt::format("cannot read spec file {}", name_));
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
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
    if (from_stdin) {
      spec.experiment_dir = fs::current_path();
      spec.stdin_text = text;
    } else {
      spec.file = fs::absolute(file_).lexically_normal();
      spec.experiment_dir = spec.file.parent_path();
    }
    if (root.IsNull()) return spec;
    if (!root.IsMap()) fail(root, "", "the spec must be a mapping of settings (name: value)");

    static const std::vector<std::string> known = [] {
      std::vector<std::string> k = scalar_setting_keys();
      k.insert(k.end(), {"resources", "options", "init", "hypers", "zip", "allow_duplicates", "metrics",
                         "metric_lines", "objective", "seeds"});
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
      } else if (key == "metrics") {
        read_metrics(spec.results, value);
      } else if (key == "metric_lines") {
        const Value flag = to_value(value);
        if (flag.kind != ValueKind::Bool) fail(value, key, "expected true or false");
        spec.results.metric_lines = flag.is_true();
      } else if (key == "objective") {
        spec.results.objective = scalar(value, key);
        const std::string name =
            spec.results.objective.substr(spec.results.objective.rfind('-', 0) == 0 ? 1 : 0);
        if (trim(name).empty() || name != trim(name))
          fail(value, key, "expected a metric's name, `-name` when lower is better (objective: -val_loss)");
      } else if (key == "seeds") {
        spec.results.seeds_given = true;
        if (value.IsSequence()) {
          for (const auto& seed : value) spec.results.seeds.push_back(scalar(seed, key));
        } else if (!value.IsNull()) {
          spec.results.seeds.push_back(scalar(value, key));
        }
      } else if (key == "allow_duplicates") {
        const Value flag = to_value(value);
        if (flag.kind != ValueKind::Bool) fail(value, key, "expected true or false");
        spec.allow_duplicates = flag.is_true();
      } else {
        set_setting(spec, key, scalar(value, key), where(value), SettingSource::spec_file);
      }
    }
    spec.notes = notes_;
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
    return fmt::format("{}:{}", file_ == "-" ? name_ : file_.filename().string(), node.Mark().line + 1);
  }

  /// A scalar hyper value; notes an unquoted one the user may have meant as
  /// null or a boolean (`None`, `yes`).
  Value scalar_value(const YAML::Node& node, const std::string& key) const {
    const Value value = to_value(node);
    refuse_nul(node, key, value.text);
    if (node.Tag() != "!") {
      const std::string note = string_meant_as_other_type(value, fmt::format("{} {}", where(node), key));
      if (!note.empty()) notes_.push_back(note);
    }
    return value;
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

  /// A sequence or mapping as one list or dict value, whole and typed, its
  /// elements read as any value is (`range(...)` inside one is its text).
  Value structure(const YAML::Node& node, const std::string& key, int depth = 0) const {
    if (depth >= 64) fail(node, key, "lists and dicts nest more than 64 deep");
    if (node.IsSequence()) {
      std::vector<Value> items;
      for (const auto& element : node) items.push_back(structure(element, key, depth + 1));
      return list_value(std::move(items));
    }
    if (node.IsMap()) {
      std::vector<std::string> keys;
      std::vector<Value> items;
      for (const auto& item : node) {
        if (!item.first.IsScalar() && !item.first.IsNull())
          fail(item.first, key, "a dict key must be a single value");
        keys.push_back(item.first.IsNull() ? std::string("null") : item.first.Scalar());  // keys are strings
        refuse_nul(item.first, key, keys.back());
        items.push_back(structure(item.second, key, depth + 1));
      }
      return dict_value(std::move(keys), std::move(items));
    }
    return scalar_value(node, key);
  }

  /// A value, or the values of an unquoted `range(start,stop[,step])`, as an
  /// override writes it (quoted, `'range(0,5)'` stays a string).
  void append_values(const YAML::Node& node, const std::string& key, ValueList& out) const {
    const Value value = scalar_value(node, key);
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
      append_range(text.substr(6, text.size() - 7), text, out);
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

  /// `metrics:` as a mapping of name: regex (null: from $JOBSUB_METRICS), or a list of names.
  void read_metrics(ResultsSpec& results, const YAML::Node& node) const {
    if (node.IsNull()) return;
    auto add = [&](const YAML::Node& at, const std::string& name, const std::string& pattern) {
      if (name.empty() || name != trim(name))
        fail(at, "metrics", fmt::format("'{}' is not a metric's name", name));
      for (const auto& [known, unused] : results.metrics)
        if (known == name) fail(at, "metrics", fmt::format("'{}' is named twice", name));
      if (!pattern.empty()) {
        try {
          const boost::regex re(pattern, boost::regex::perl);
          if (re.mark_count() != 1) {
            fail(at, fmt::format("metrics.{}", name),
                 fmt::format("the pattern has {} capture groups; it needs exactly one, around the value, "
                             "as in val_acc=([0-9.eE+-]+); write other groups as (?:...)",
                             re.mark_count()));
          }
        } catch (const boost::regex_error& e) {
          fail(at, fmt::format("metrics.{}", name),
               fmt::format("not a Perl regular expression: {}", e.what()));
        }
      }
      results.metrics.emplace_back(name, pattern);
    };
    if (node.IsSequence()) {
      for (const auto& item : node) add(item, scalar(item, "metrics"), "");
      return;
    }
    if (!node.IsMap())
      fail(node, "metrics",
           fmt::format("expected a mapping of name: regex (or a list of names), not a {}", shape(node)));
    for (const auto& item : node) {
      const std::string name = item.first.as<std::string>();
      add(item.second, name,
          item.second.IsNull() ? std::string() : scalar(item.second, fmt::format("metrics.{}", name)));
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
        // The key's alternatives; one that is a sequence or mapping is one
        // list or dict value (`layers: [[64, 64], [128]]`: two jobs).
        for (const auto& element : item.second) {
          if (element.IsSequence() || element.IsMap()) {
            decl.values.push_back(structure(element, full));
          } else {
            append_values(element, full, decl.values);
          }
        }
        if (decl.values.empty())
          fail(item.second, full,
               "an empty list gives no jobs: give at least one value (an empty list as the value: [[]])");
      } else if (item.second.IsMap()) {
        decl.values.push_back(structure(item.second, full));  // `opt: {lr: 1}`: one dict value
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

  /// A list entry: a grid of hypers, or `{hypers: {...}, resources: {...}}`
  /// (a grid with settings of its own: its `hypers` is a mapping).
  GridDecl read_grid_entry(const YAML::Node& node, const std::string& path) const {
    const bool with_settings = node.IsMap() && node["hypers"] && node["hypers"].IsMap();
    if (!with_settings) return read_grid(node, path);
    GridDecl grid = read_grid(node["hypers"], path + ".hypers");
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      if (key == "hypers") continue;
      if (key != "resources") {
        fail(item.first, fmt::format("{}.{}", path, key),
             "a grid with settings of its own takes `hypers:` and `resources:` only");
      }
      if (item.second.IsNull()) continue;
      if (!item.second.IsMap())
        fail(item.second, path + ".resources",
             fmt::format("expected a mapping (name: value), not a {}", shape(item.second)));
      for (const auto& resource : item.second) {
        const std::string name = resource.first.as<std::string>();
        const std::string full = fmt::format("{}.resources.{}", path, name);
        grid.resources[name] = {scalar(resource.second, full), where(resource.second),
                                SettingSource::spec_file};
      }
    }
    return grid;
  }

  void read_hypers(SweepSpec& spec, const YAML::Node& node) const {
    if (node.IsNull()) return;
    if (node.IsMap()) {
      spec.grids.push_back(read_grid(node, "hypers"));
    } else if (node.IsSequence()) {
      std::size_t i = 0;
      for (const auto& grid : node)
        spec.grids.push_back(read_grid_entry(grid, fmt::format("hypers[{}]", i++)));
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
  std::vector<std::string> lines_;          ///< the file's text, for messages
  mutable std::vector<std::string> notes_;  ///< for SweepSpec::notes
};

}  // namespace

SweepSpec load_spec_file(const fs::path& file) { return SpecReader(file).read(); }

}  // namespace jobsub
