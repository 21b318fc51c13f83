// A formatter built several ways to exercise the plugin loader:
//   TEST_NAME        the component name (default "upper")
//   TEST_ABI         the ABI version it claims (default: the real one)
//   TEST_TOOLCHAIN   the toolchain tag it claims (default: the real one)
//   TEST_NO_ENTRY    export no entry point at all
//   TEST_WRONG_KIND  declare kind "sweeper" for the formatter class (by hand:
//                    jobsub::component<>() cannot be made to do it)
//   TEST_THROWS      a constructor that throws
//   TEST_OPTIONS     declare options that collide (seed, like the random
//                    sweeper's; name, like the core's) and a flag (verbose);
//                    format() then appends `option:<name>=<value>` for each
#include <jobsub/plugin.h>

#include <cctype>
#include <stdexcept>

#ifndef TEST_NAME
#define TEST_NAME "upper"
#endif
#ifndef TEST_ABI
#define TEST_ABI JOBSUB_PLUGIN_ABI_VERSION
#endif
#ifndef TEST_TOOLCHAIN
#define TEST_TOOLCHAIN JOBSUB_TOOLCHAIN_TAG
#endif

namespace {

class UpperFormatter final : public jobsub::Formatter {
 public:
#ifdef TEST_THROWS
  UpperFormatter() { throw std::runtime_error("cannot read the licence file /opt/upper/licence"); }
#endif
  jobsub::Status configure(const jobsub::PluginOptions& options) noexcept override {
    options_ = options;
    return jobsub::Status::success();
  }
  std::string default_command() const noexcept override { return "{args}"; }
  jobsub::Status format(const jobsub::Params& params, jobsub::Argv& out) const noexcept override {
    for (const auto& p : params) {
      std::string key = p.key;
      for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.push_back(key + "=" + p.value.text);
    }
#ifdef TEST_OPTIONS
    for (const auto& [name, value] : options_) out.push_back("option:" + name + "=" + value);
#endif
    return jobsub::Status::success();
  }

 private:
  jobsub::PluginOptions options_;
};

#ifdef TEST_OPTIONS
const jobsub_option_info kOptions[] = {
    {"seed", "S", nullptr, "a seed, like the random sweeper's"},
    {"name", "NAME", nullptr, "a name, like the core's --name"},
    {"verbose", nullptr, nullptr, "a flag: takes no value"},
    {"level", "N", "1", "a level"},
};
#endif

#if defined(TEST_OPTIONS)
const jobsub_component_info kComponents[] = {
    jobsub::component<UpperFormatter>(TEST_NAME, "test formatter with colliding options", kOptions),
};
#elif !defined(TEST_WRONG_KIND)
const jobsub_component_info kComponents[] = {
    jobsub::component<UpperFormatter>(TEST_NAME, "test formatter"),
};
#else
const jobsub_component_info kComponents[] = {
    {"sweeper", TEST_NAME, "a formatter that says it is a sweeper", nullptr, 0,
     &jobsub::detail::create_component<UpperFormatter, jobsub::Formatter>,
     &jobsub::detail::destroy_component<jobsub::Formatter>, jobsub::interface_traits<jobsub::Formatter>::id}};
#endif

}  // namespace

#ifndef TEST_NO_ENTRY
extern "C" __attribute__((visibility("default"))) const jobsub_plugin_descriptor* jobsub_plugin_entry(void) {
  static const jobsub_plugin_descriptor descriptor = {
      TEST_ABI, sizeof(jobsub_plugin_descriptor), TEST_TOOLCHAIN, "test", "0.0.1", kComponents, 1};
  return &descriptor;
}
#else
extern "C" __attribute__((visibility("default"))) int some_other_symbol(void) {
  return kComponents[0].name[0];
}
#endif
