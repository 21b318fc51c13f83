// argparse-style options: `--lr=0.1`. The `=` form keeps values that begin
// with `-` from being read as options. Booleans follow --bool-style:
//   flag    (default) true -> `--k`, false -> omitted   (action='store_true')
//   negate  true -> `--k`, false -> `--no-k`            (BooleanOptionalAction)
//   value   `--k=true` / `--k=false`, as written
// Numbers are spelled as Python's int()/float() read them (`0x10` -> 16,
// `.inf` -> inf, `.nan` -> nan). A null leaves the option out, so the
// program's own default applies. Lists and dicts follow --lists:
//   nargs   (default) `--layers 64 64`, one word per element, for
//           add_argument(nargs='*' or '+', type=...); an empty list is the
//           bare `--layers`. Only flat lists of numbers and strings, and no
//           word that argparse would read as an option (`-x`, `-1e-3`):
//           anything else is refused, naming the key.
//   json    `--layers=[64, 64]`, `--opt={"lr": 0.1}`: one JSON text, for
//           add_argument(type=json.loads); any structure. Python's json reads
//           Infinity and NaN too.
#include <fmt/core.h>
#include <jobsub/plugin.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <regex>

namespace {

/// What Python's int() or float() reads as the value the spec means.
std::string python_spelling(const jobsub::Value& value) {
  return value.kind == jobsub::ValueKind::Number ? jobsub::python_number_text(jobsub::number_of(value))
                                                 : value.text;
}

/// A number as JSON (and Python's json.loads) reads it, keeping its type: a
/// float always has a point or an exponent (`1.` -> 1.0, `.5` -> 0.5).
std::string json_number(const jobsub::Value& value) {
  const jobsub::Number n = jobsub::number_of(value);
  switch (n.kind) {
    case jobsub::Number::Kind::integer:
      return n.text;
    case jobsub::Number::Kind::infinity:
      return n.negative ? "-Infinity" : "Infinity";
    case jobsub::Number::Kind::nan:
      return "NaN";
    case jobsub::Number::Kind::real:
      break;
  }
  const double real = std::strtod(n.text.c_str(), nullptr);
  if (std::isinf(real)) return real < 0 ? "-Infinity" : "Infinity";  // 1e999: past a double's range
  std::string out = fmt::format("{}", real);                         // shortest exact
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
  return out;
}

std::string json_text(const jobsub::Value& v) {
  switch (v.kind) {
    case jobsub::ValueKind::Bool:
      return v.is_true() ? "true" : "false";
    case jobsub::ValueKind::Null:
      return "null";
    case jobsub::ValueKind::Number:
      return json_number(v);
    case jobsub::ValueKind::String:
      return nlohmann::json(v.text).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    case jobsub::ValueKind::List:
    case jobsub::ValueKind::Dict:
      break;
  }
  const bool dict = v.kind == jobsub::ValueKind::Dict;
  std::string out = dict ? "{" : "[";
  for (std::size_t i = 0; i < v.items.size(); ++i) {
    if (i > 0) out += ", ";
    if (dict) out += json_text(jobsub::string_value(v.keys.at(i))) + ": ";
    out += json_text(v.items[i]);
  }
  return out + (dict ? "}" : "]");
}

class ArgparseFormatter final : public jobsub::Formatter {
 public:
  jobsub::Status configure(const jobsub::PluginOptions& options) noexcept override {
    return jobsub::guarded([&]() -> jobsub::Status {
      if (auto it = options.find("bool-style"); it != options.end()) bool_style_ = it->second;
      if (bool_style_ != "flag" && bool_style_ != "negate" && bool_style_ != "value") {
        return jobsub::Status::failure(
            fmt::format("--argparse.bool-style must be flag, negate or value, not '{}'", bool_style_));
      }
      if (auto it = options.find("prefix"); it != options.end()) prefix_ = it->second;
      if (auto it = options.find("lists"); it != options.end()) lists_ = it->second;
      if (lists_ != "nargs" && lists_ != "json")
        return jobsub::Status::failure(
            fmt::format("--argparse.lists must be nargs or json, not '{}'", lists_));
      return jobsub::Status::success();
    });
  }
  std::string default_command() const noexcept override { return "python {script} {args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    return jobsub::guarded([&]() -> jobsub::Status {
      for (const jobsub::Param& p : params) {
        if (p.value.is_container()) {
          if (lists_ == "json") {
            out.push_back(fmt::format("{}{}={}", prefix_, p.key, json_text(p.value)));
            continue;
          }
          if (jobsub::Status refused = as_nargs(p, out); !refused.ok) return refused;
          continue;
        }
        if (p.value.kind == jobsub::ValueKind::Bool && bool_style_ != "value") {
          if (p.value.is_true()) {
            out.push_back(prefix_ + p.key);
          } else if (bool_style_ == "negate") {
            out.push_back(fmt::format("{}no-{}", prefix_, p.key));
          }
          continue;
        }
        if (p.value.kind == jobsub::ValueKind::Null) continue;  // the program's default applies
        out.push_back(fmt::format("{}{}={}", prefix_, p.key, python_spelling(p.value)));
      }
      return jobsub::Status::success();
    });
  }

 private:
  /// `--layers 64 64`: the option, then one word per element.
  jobsub::Status as_nargs(const jobsub::Param& p, jobsub::Argv& out) const {
    auto refuse = [&](const std::string& why) {
      return jobsub::Status::failure(
          fmt::format("key '{}': argparse's nargs cannot receive {} as separate words ({}): pass it as one "
                      "JSON argument with --argparse.lists json (and type=json.loads in the program)",
                      p.key, jobsub::display_value(p.value), why));
    };
    if (p.value.kind == jobsub::ValueKind::Dict) return refuse("a dict has keys");
    jobsub::Argv words = {prefix_ + p.key};
    for (const jobsub::Value& e : p.value.items) {
      if (e.is_container()) return refuse("a list inside a list");
      if (e.kind == jobsub::ValueKind::Null) return refuse("null has no word");
      if (e.kind == jobsub::ValueKind::Bool) return refuse("argparse's bool() reads any word as True");
      const std::string word = python_spelling(e);
      // argparse takes a word that starts with `-` for an option unless it
      // looks like a negative number by its own pattern (^-\d+$|^-\d*\.\d+$).
      static const std::regex kNegative("-[0-9]+|-[0-9]*\\.[0-9]+");
      if (!word.empty() && word.front() == '-' && !std::regex_match(word, kNegative))
        return refuse(fmt::format("'{}' would be read as an option", word));
      words.push_back(word);
    }
    out.insert(out.end(), words.begin(), words.end());
    return jobsub::Status::success();
  }

  std::string bool_style_ = "flag";
  std::string prefix_ = "--";
  std::string lists_ = "nargs";
};

const jobsub_option_info kOptions[] = {
    {"bool-style", "STYLE", "flag",
     "booleans: flag (--k / omitted), negate (--k / --no-k), value (--k=true)"},
    {"prefix", "P", "--", "option prefix"},
    {"lists", "STYLE", "nargs",
     "lists and dicts: nargs (--k 1 2, flat lists only) or json (--k=[1, 2], for type=json.loads)"},
};

const jobsub_component_info kComponents[] = {
    jobsub::component<ArgparseFormatter>("argparse", "argparse: python {script} --k=v ...", kOptions),
};

}  // namespace

JOBSUB_PLUGIN("argparse", "1.0.0", kComponents)
