// `jobsub sites`: the site profiles found, and which one applies here, and why.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/plugin.h>
#include <jobsub/site.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>

#include <iostream>

namespace {

class SitesCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext&, const std::vector<std::string>& args) noexcept override {
    try {
      jobsub::CommandLine cl(
          "sites", "[--site NAME]",
          "Lists the site profiles of sites.yaml ($JOBSUB_SITES, colon-separated, when set; else\n"
          "~/.config/jobsub/sites.yaml, then /etc/jobsub/sites.yaml), what each matches and sets, and\n"
          "which one a submit here would use, and why: --site NAME, else JOBSUB_SITE, else the first\n"
          "profile whose host patterns or environment match. See docs/user-guide.md, 'Site profiles'.",
          "0; 2 usage; 3 a sites.yaml mistake or an unknown --site.");
      cl.takes(jobsub::Global::site);
      if (!cl.parse(args, 0)) return 0;
      const std::string requested = cl.value("site");
      const std::vector<jobsub::fs::path> files = jobsub::site_files();
      fmt::print("Files (the first profile of a name wins):\n");
      for (const jobsub::fs::path& file : files) {
        std::error_code ec;
        fmt::print("  {}{}\n", file.string(), jobsub::fs::exists(file, ec) ? "" : "  (absent)");
      }
      const std::vector<jobsub::SiteProfile> sites = jobsub::load_sites(files);
      const std::string host = jobsub::host_name();
      fmt::print("\nProfiles:\n");
      if (sites.empty()) fmt::print("  none\n");
      for (const jobsub::SiteProfile& site : sites) {
        std::vector<std::string> rules;
        if (!site.hosts.empty()) rules.push_back(fmt::format("hosts {}", jobsub::join(site.hosts, " ")));
        for (const auto& [variable, pattern] : site.env)
          rules.push_back(fmt::format("{}={}", variable, pattern));
        std::vector<std::string> sets;
        for (const auto& [key, setting] : site.settings)
          sets.push_back(fmt::format("{}={}", key, setting.value));
        if (!site.init.empty()) sets.push_back(fmt::format("init: {} line(s)", site.init.size()));
        fmt::print("  {:<12} {}  ({})\n               sets {}\n", site.name,
                   rules.empty() ? std::string("by name only") : "matches " + jobsub::join(rules, ", "),
                   site.origin, sets.empty() ? std::string("nothing") : jobsub::join(sets));
      }
      const jobsub::SiteChoice choice = jobsub::choose_site(sites, requested, "--site", host);
      if (choice.profile != nullptr) {
        fmt::print("\nHere ({}): site {} ({})\n", host, choice.profile->name, choice.why);
      } else {
        fmt::print("\nHere ({}): no site profile applies; jobsub's defaults and the spec decide\n", host);
      }
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }
};

const jobsub_component_info kComponents[] = {jobsub::component<SitesCommand>(
    "sites", "the site profiles (sites.yaml) and which one applies here, and why")};

}  // namespace

JOBSUB_PLUGIN("sites", "1.0.0", kComponents)
