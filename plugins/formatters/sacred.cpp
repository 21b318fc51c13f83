// Sacred's command line: `python main.py with 'lr=0.001' 'seed=1'`. The argv
// after `with` is one `key=value` word per hyperparameter. Sacred reads each
// word by its own rule (arg_parser.get_config_updates): partition on `=`,
// strip() the value, then ast.literal_eval, falling back to the text. So
// values are written to mean what the spec says: booleans as True/False, null
// as None, integers in decimal (0x10 -> 16), infinities as 1e999, and any
// string that rule would not give back verbatim (one that Python could read
// as a literal, or with whitespace at either end) as a Python string literal.
// NaN has no literal: it is refused, with what to do instead. A list or dict
// is one Python literal, `layers=[64, 64]`, `opt={'lr': 0.1, 'name': 'a,b'}`,
// its strings always quoted, so literal_eval returns the same structure.
#include <fmt/core.h>
#include <jobsub/plugin.h>

#include <array>
#include <stdexcept>
#include <string_view>

namespace {

/// The code point at the start (or end) of UTF-8 `s`; 0xFFFD when malformed.
char32_t first_code_point(std::string_view s) {
  const auto b = static_cast<unsigned char>(s.front());
  if (b < 0x80) return b;
  const int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
  if (length == 1 || s.size() < static_cast<std::size_t>(length)) return 0xFFFD;
  char32_t c = b & (0x7F >> length);
  for (int i = 1; i < length; ++i) c = (c << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  return c;
}

char32_t last_code_point(std::string_view s) {
  std::size_t start = s.size() - 1;
  while (start > 0 && s.size() - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return first_code_point(s.substr(start));
}

/// Python's str.isspace(), which str.strip() removes.
bool python_space(char32_t c) {
  static constexpr std::array<char32_t, 12> kOthers = {0x85,   0xA0,   0x1680, 0x2028, 0x2029, 0x202F,
                                                       0x205F, 0x3000, 0x1C,   0x1D,   0x1E,   0x1F};
  if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x2000 && c <= 0x200A)) return true;
  for (char32_t other : kOthers)
    if (c == other) return true;
  return false;
}

/// True when ast.literal_eval might read `text` as something other than the
/// string itself: a number, a container, a string literal, True/False/None,
/// `...`. Errs towards yes, which costs only a pair of quotes.
bool python_might_read_as_literal(std::string_view text) {
  if (text == "True" || text == "False" || text == "None") return true;
  if (text.find_first_of("0123456789+-.([{'\"") == 0) return true;
  // String prefixes: r'..', b"..", rb'..', u'..', f'..' and their mixes.
  const std::size_t quote = text.find_first_of("'\"");
  return quote != std::string_view::npos && quote <= 2 &&
         text.substr(0, quote).find_first_not_of("rRbBuUfF") == std::string_view::npos;
}

std::string python_string_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02x}", u);  // a raw CR or LF would end the literal's line
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool sacred_reads_back_verbatim(std::string_view text) {
  if (text.empty()) return true;
  if (python_space(first_code_point(text)) || python_space(last_code_point(text))) return false;
  return !python_might_read_as_literal(text);
}

/// `v` as the Python literal literal_eval reads back as the value the spec
/// means; `top`: a whole value, whose string may go bare when sacred's rule
/// gives it back verbatim. Throws std::invalid_argument for NaN.
std::string python_literal(const std::string& key, const jobsub::Value& v, bool top) {
  switch (v.kind) {
    case jobsub::ValueKind::Bool:
      return v.is_true() ? "True" : "False";
    case jobsub::ValueKind::Null:
      return "None";
    case jobsub::ValueKind::Number: {
      const jobsub::Number n = jobsub::number_of(v);
      if (n.kind == jobsub::Number::Kind::nan) {
        throw std::invalid_argument(fmt::format(
            "key '{}': sacred cannot receive NaN ({}) as a number: literal_eval, which sacred reads values "
            "with, has no NaN. Write it as a string in the spec ('nan') and convert it in the program "
            "(float(value))",
            key, v.text));
      }
      // literal_eval reads 1e999 as infinity; it has no name for it.
      return n.kind == jobsub::Number::Kind::infinity ? (n.negative ? "-1e999" : "1e999") : n.text;
    }
    case jobsub::ValueKind::List:
    case jobsub::ValueKind::Dict: {
      const bool dict = v.kind == jobsub::ValueKind::Dict;
      std::string out = dict ? "{" : "[";
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out += ", ";
        // sacred passes the value through jsonpickle, which reads these keys as its own tags.
        if (dict && (v.keys.at(i).rfind("py/", 0) == 0 || v.keys.at(i).rfind("json://", 0) == 0)) {
          throw std::invalid_argument(
              fmt::format("key '{}': sacred cannot receive the dict key '{}': sacred decodes values with "
                          "jsonpickle, which "
                          "reads keys starting with py/ or json:// as its own tags; rename the key",
                          key, v.keys[i]));
        }
        if (dict) out += python_string_literal(v.keys.at(i)) + ": ";
        out += python_literal(key, v.items[i], false);
      }
      return out + (dict ? "}" : "]");
    }
    case jobsub::ValueKind::String:
      break;
  }
  return top && sacred_reads_back_verbatim(v.text) ? v.text : python_string_literal(v.text);
}

class SacredFormatter final : public jobsub::Formatter {
 public:
  jobsub::Status configure(const jobsub::PluginOptions&) noexcept override {
    return jobsub::Status::success();
  }
  std::string default_command() const noexcept override { return "python {script} with {args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    return jobsub::guarded([&]() -> jobsub::Status {
      for (const jobsub::Param& p : params) {
        try {
          out.push_back(fmt::format("{}={}", p.key, python_literal(p.key, p.value, true)));
        } catch (const std::invalid_argument& e) {
          return jobsub::Status::failure(e.what());
        }
      }
      return jobsub::Status::success();
    });
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<SacredFormatter>("sacred", "sacred: python {script} with 'k=v' ..."),
};

}  // namespace

JOBSUB_PLUGIN("sacred", "1.0.0", kComponents)
