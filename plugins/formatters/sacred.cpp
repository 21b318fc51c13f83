// Sacred's command line: `python main.py with 'lr=0.001' 'seed=1'`. The argv
// after `with` is one `key=value` word per hyperparameter. Sacred reads each
// value as a Python literal, so values are written to mean what the spec says:
// booleans as True/False, null as None, and a quoted string that Python would
// read as something else (`'1.0'`, `'True'`, `'[1]'`) as a Python string literal.
#include <jobsub/plugin.h>

#include <regex>

namespace {

bool python_reads_as_non_string(const std::string& text) {
  static const std::regex kPythonNumber(
      "[-+]?([0-9](_?[0-9])*|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+)|"
      "[-+]?(([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)[jJ]?");
  if (text == "True" || text == "False" || text == "None") return true;
  if (!text.empty() && (text.front() == '[' || text.front() == '{' || text.front() == '(' ||
                        text.front() == '\'' || text.front() == '"')) {
    return true;
  }
  return std::regex_match(text, kPythonNumber);
}

std::string python_string_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "'";
}

class SacredFormatter final : public jobsub::Formatter {
 public:
  jobsub::Status configure(const jobsub::PluginOptions&) noexcept override {
    return jobsub::Status::success();
  }
  std::string default_command() const noexcept override { return "python {script} with {args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    return jobsub::guarded([&] {
      for (const jobsub::Param& p : params) {
        const jobsub::Value& v = p.value;
        std::string text = v.text;
        if (v.kind == jobsub::ValueKind::Bool) {
          text = v.is_true() ? "True" : "False";
        } else if (v.kind == jobsub::ValueKind::Null) {
          text = "None";
        } else if (v.kind == jobsub::ValueKind::String && python_reads_as_non_string(text)) {
          text = python_string_literal(text);
        }
        out.push_back(p.key + "=" + text);
      }
    });
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<SacredFormatter, jobsub::Formatter>("formatter", "sacred",
                                                          "sacred: python {script} with 'k=v' ..."),
};

}  // namespace

JOBSUB_PLUGIN("sacred", "1.0.0", kComponents)
