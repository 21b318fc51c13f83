// Hydra overrides: `lr=0.1`. Hydra parses each override's value with its own
// grammar, so a value it would misread is quoted: anything outside a plain set
// of characters (a `,` would make a sweep, `[`/`{` a list or dict, spaces are
// trimmed, `${` interpolates), and a string that would otherwise be read as a
// number, boolean or null. Inside the quotes, `'` and a backslash run before a
// quote or the end are escaped with `\`, and `${` becomes `\${`. Numbers,
// booleans and null are spelled in Hydra's grammar (`0x10` -> 16, `.inf` ->
// inf, `~` -> null). A list or dict is Hydra's listContainer or dictContainer
// (hydra/grammar/OverrideParser.g4): `layers=[64,64]`, `opt={lr:0.1,name:'a b'}`,
// its strings quoted by the same rule (and also when they hold `:`). A dict
// key is a bare word in Hydra's grammar (no quotes): a key Hydra would not
// read back as that string is refused, naming it.
#include <fmt/core.h>
#include <jobsub/plugin.h>

#include <cctype>
#include <regex>
#include <stdexcept>

namespace {

bool is_plain(const std::string& text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '+' || c == '.' || c == '/' || c == ':' || c == '@' || c == '%';
    if (!ok) return false;
  }
  return true;
}

/// True, false, null, inf and nan in any case, as Hydra's lexer matches them
/// ([Tt][Rr][Uu][Ee], ...), and anything numeric-looking.
bool hydra_reads_as_non_string(const std::string& text) {
  static const std::regex kLiteral(
      "(?:true|false|null)|"
      "[-+]?(?:[0-9](?:_?[0-9])*)?(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|"
      "[-+]?(?:inf|nan)",
      std::regex::icase);
  return std::regex_match(text, kLiteral) &&
         text.find_first_of("0123456789aefilnrstuAEFILNRSTU") != std::string::npos;
}

std::string quote(const std::string& text) {
  std::string out = "'";
  std::size_t backslashes = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    const bool escape_run = c == '\'';
    out.append(backslashes * (escape_run ? 2 : 1), '\\');
    backslashes = 0;
    if (c == '\'') {
      out += "\\'";
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      out += "\\$";
    } else {
      out += c;
    }
  }
  out.append(backslashes * 2, '\\');  // a run before the closing quote
  return out + "'";
}

/// A number, boolean or null as Hydra's grammar spells it: integers in
/// decimal, floats as written (YAML's float forms are Hydra's too), inf, nan,
/// true, false, null.
std::string hydra_spelling(const jobsub::Value& value) {
  if (value.kind == jobsub::ValueKind::Bool) return value.is_true() ? "true" : "false";
  if (value.kind == jobsub::ValueKind::Null) return "null";
  const jobsub::Number n = jobsub::number_of(value);
  std::string text = jobsub::python_number_text(n);
  if (n.kind == jobsub::Number::Kind::real) {
    // Hydra's INT_UNSIGNED has no leading zeros: `007.5` would lex as 0, 0,
    // 7.5 and read as a string. Drop them (keeping one before the point).
    const std::size_t start = text[0] == '-' || text[0] == '+' ? 1 : 0;
    std::size_t end = start;
    while (end + 1 < text.size() && text[end] == '0' &&
           std::isdigit(static_cast<unsigned char>(text[end + 1])))
      ++end;
    text.erase(start, end - start);
  }
  return text;
}

/// A string as Hydra reads it back: bare when plain, else quoted; inside a
/// list or dict a `:` also needs the quotes.
std::string hydra_string(const std::string& text, bool inside) {
  const bool keep =
      is_plain(text) && !hydra_reads_as_non_string(text) && !(inside && text.find(':') != std::string::npos);
  return keep ? text : quote(text);
}

/// A dict key Hydra reads back as this string: an ID ([a-zA-Z_][a-zA-Z0-9_-]*)
/// that is no boolean, null, inf or nan.
bool hydra_key(const std::string& key) {
  static const std::regex kId("[a-zA-Z_][a-zA-Z0-9_-]*");
  return std::regex_match(key, kId) && !hydra_reads_as_non_string(key);
}

std::string hydra_value(const std::string& name, const jobsub::Value& v, bool inside) {
  if (v.kind == jobsub::ValueKind::String) return hydra_string(v.text, inside);
  if (!v.is_container()) return hydra_spelling(v);
  const bool dict = v.kind == jobsub::ValueKind::Dict;
  std::string out = dict ? "{" : "[";
  for (std::size_t i = 0; i < v.items.size(); ++i) {
    if (i > 0) out += ',';
    if (dict) {
      if (!hydra_key(v.keys.at(i))) {
        throw std::invalid_argument(fmt::format(
            "key '{}': Hydra cannot receive the dict key '{}': its grammar reads a dict key bare (no "
            "quotes), so a key must be a name of letters, digits, _ and - (not true, false, null, inf "
            "or nan): rename the key, or pass the dict with another formatter",
            name, v.keys[i]));
      }
      out += v.keys[i] + ":";
    }
    out += hydra_value(name, v.items[i], true);
  }
  return out + (dict ? "}" : "]");
}

class HydraFormatter final : public jobsub::Formatter {
 public:
  jobsub::Status configure(const jobsub::PluginOptions&) noexcept override {
    return jobsub::Status::success();
  }
  std::string default_command() const noexcept override { return "python {script} {args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    return jobsub::guarded([&]() -> jobsub::Status {
      for (const jobsub::Param& p : params) {
        try {
          out.push_back(fmt::format("{}={}", p.key, hydra_value(p.key, p.value, false)));
        } catch (const std::invalid_argument& e) {
          return jobsub::Status::failure(e.what());
        }
      }
      return jobsub::Status::success();
    });
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<HydraFormatter>("hydra", "Hydra overrides: python {script} k=v ..."),
};

}  // namespace

JOBSUB_PLUGIN("hydra", "1.0.0", kComponents)
