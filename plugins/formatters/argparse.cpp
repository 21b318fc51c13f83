// argparse-style options: `--lr=0.1`. The `=` form keeps values that begin
// with `-` from being read as options. Booleans follow --bool-style:
//   flag    (default) true -> `--k`, false -> omitted   (action='store_true')
//   negate  true -> `--k`, false -> `--no-k`            (BooleanOptionalAction)
//   value   `--k=true` / `--k=false`, as written
// Numbers are spelled as Python's int()/float() read them (`0x10` -> 16,
// `.inf` -> inf, `.nan` -> nan). A null leaves the option out, so the
// program's own default applies.
#include <fmt/core.h>
#include <jobsub/plugin.h>

namespace {

/// What Python's int() or float() reads as the value the spec means.
std::string python_spelling(const jobsub::Value& value) {
  return value.kind == jobsub::ValueKind::Number ? jobsub::python_number_text(jobsub::number_of(value))
                                                 : value.text;
}

class ArgparseFormatter final : public jobsub::Formatter {
 public:
  jobsub::Status configure(const jobsub::PluginOptions& options) noexcept override {
    return jobsub::guarded([&]() -> jobsub::Status {
      if (auto it = options.find("bool-style"); it != options.end()) bool_style_ = it->second;
      if (bool_style_ != "flag" && bool_style_ != "negate" && bool_style_ != "value") {
        return jobsub::Status::failure(
            fmt::format("--bool-style must be flag, negate or value, not '{}'", bool_style_));
      }
      if (auto it = options.find("prefix"); it != options.end()) prefix_ = it->second;
      return jobsub::Status::success();
    });
  }
  std::string default_command() const noexcept override { return "python {script} {args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    return jobsub::guarded([&] {
      for (const jobsub::Param& p : params) {
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
    });
  }

 private:
  std::string bool_style_ = "flag";
  std::string prefix_ = "--";
};

const jobsub_option_info kOptions[] = {
    {"bool-style", "STYLE", "flag",
     "booleans: flag (--k / omitted), negate (--k / --no-k), value (--k=true)"},
    {"prefix", "P", "--", "option prefix"},
};

const jobsub_component_info kComponents[] = {
    jobsub::component<ArgparseFormatter>("argparse", "argparse: python {script} --k=v ...", kOptions),
};

}  // namespace

JOBSUB_PLUGIN("argparse", "1.0.0", kComponents)
