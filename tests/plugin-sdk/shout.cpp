// An out-of-tree formatter plugin, as a third party writes one: only the SDK
// headers, jobsub::component and JOBSUB_PLUGIN, and fmt, which the SDK's
// find_package(jobsub) brings along.
#include <fmt/core.h>
#include <jobsub/plugin.h>

#include <cctype>

#ifndef SHOUT_NAME
#define SHOUT_NAME "shout"
#endif

namespace {

class ShoutFormatter final : public jobsub::Formatter {
 public:
  jobsub::Status configure(const jobsub::PluginOptions& options) noexcept override {
    auto it = options.find("separator");
    if (it != options.end()) separator_ = it->second;
    return jobsub::Status::success();
  }
  std::string default_command() const noexcept override { return "{script} {args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    return jobsub::guarded([&] {
      for (const jobsub::Param& p : params) {
        std::string key = p.key;
        for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.push_back(fmt::format("{}{}{}", key, separator_, p.value.text));
      }
    });
  }

 private:
  std::string separator_ = ":";
};

const jobsub_option_info kOptions[] = {{"separator", "S", ":", "between key and value"}};
const jobsub_component_info kComponents[] = {
    jobsub::component<ShoutFormatter>(SHOUT_NAME, "KEY:value arguments", kOptions),
};

}  // namespace

#ifndef SHOUT_CLAIM_ABI
JOBSUB_PLUGIN("shout", "2.3.4", kComponents)
#else
extern "C" __attribute__((visibility("default"))) const jobsub_plugin_descriptor* jobsub_plugin_entry(void) {
  static const jobsub_plugin_descriptor descriptor = {SHOUT_CLAIM_ABI,
                                                      sizeof(jobsub_plugin_descriptor),
                                                      JOBSUB_TOOLCHAIN_TAG,
                                                      "future",
                                                      "9.0.0",
                                                      kComponents,
                                                      1};
  return &descriptor;
}
#endif
