// Hydra overrides: `lr=0.1`. Hydra parses each override's value with its own
// grammar, so a value it would misread is quoted: anything outside a plain set
// of characters (a `,` would make a sweep, `[`/`{` a list or dict, spaces are
// trimmed, `${` interpolates), and a string that would otherwise be read as a
// number, boolean or null. Inside the quotes, `'` and a backslash run before a
// quote or the end are escaped with `\`, and `${` becomes `\${`. Numbers,
// booleans and null are spelled in Hydra's grammar (`0x10` -> 16, `.inf` ->
// inf, `~` -> null).
#include <fmt/core.h>
#include <jobsub/plugin.h>

#include <regex>

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

bool hydra_reads_as_non_string(const std::string& text) {
  static const std::regex kLiteral(
      "(?:[Tt]rue|TRUE|[Ff]alse|FALSE|[Nn]ull|NULL)|"
      "[-+]?(?:[0-9](?:_?[0-9])*)?(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|"
      "[-+]?(?:inf|INF|Inf|nan|NaN|NAN)");
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
  return jobsub::python_number_text(jobsub::number_of(value));
}

class HydraFormatter final : public jobsub::Formatter {
 public:
  jobsub::Status configure(const jobsub::PluginOptions&) noexcept override {
    return jobsub::Status::success();
  }
  std::string default_command() const noexcept override { return "python {script} {args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    return jobsub::guarded([&] {
      for (const jobsub::Param& p : params) {
        const jobsub::Value& v = p.value;
        if (v.kind != jobsub::ValueKind::String) {
          out.push_back(fmt::format("{}={}", p.key, hydra_spelling(v)));
          continue;
        }
        const bool keep = is_plain(v.text) && !hydra_reads_as_non_string(v.text);
        out.push_back(fmt::format("{}={}", p.key, keep ? v.text : quote(v.text)));
      }
    });
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<HydraFormatter>("hydra", "Hydra overrides: python {script} k=v ..."),
};

}  // namespace

JOBSUB_PLUGIN("hydra", "1.0.0", kComponents)
