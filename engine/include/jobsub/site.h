#pragma once
/// Site profiles: `sites.yaml` maps a host (name patterns) or an environment
/// (variables) to a scheduler and its defaults, so one spec runs unchanged on
/// a laptop and on each cluster. A profile's settings sit between jobsub's
/// defaults and the spec: the spec, JOBSUB_* and the command line override
/// them.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/process.h"
#include "jobsub/registry.h"
#include "jobsub/spec.h"

namespace jobsub {

namespace fs = std::filesystem;

struct SiteProfile {
  std::string name;
  std::string origin;                       ///< `sites.yaml:12`
  std::vector<std::string> hosts;           ///< fnmatch patterns on the host name (full or short)
  std::map<std::string, std::string> env;   ///< variable -> fnmatch pattern of its value
  std::map<std::string, Setting> settings;  ///< flat keys as in a spec: scheduler, resources.x, options.p.o
  std::vector<std::string> init;
};

/// The files read, in order: $JOBSUB_SITES (colon-separated) when set, else
/// $XDG_CONFIG_HOME/jobsub/sites.yaml (~/.config/...), then /etc/jobsub/sites.yaml.
JOBSUB_API std::vector<fs::path> site_files();

/// Every profile of the existing files among `files`; a name given twice is
/// the first file's. Throws Error (exit 3) naming the file and line of a mistake.
JOBSUB_API std::vector<SiteProfile> load_sites(const std::vector<fs::path>& files);

/// Why a profile matches here, or empty when it does not.
JOBSUB_API std::string site_matches(const SiteProfile& site, const std::string& host);

struct SiteChoice {
  const SiteProfile* profile = nullptr;  ///< none applies
  std::string why;                       ///< `--site`, `JOBSUB_SITE`, `host vm matches login*`
};

/// `--site NAME` (`requested`, with `requested_origin`) > JOBSUB_SITE > the
/// first profile that matches this host. An unknown name is an error listing the profiles.
JOBSUB_API SiteChoice choose_site(const std::vector<SiteProfile>& sites, const std::string& requested,
                                  const std::string& requested_origin, const std::string& host);

/// Sets the profile's settings the spec does not set, and puts its init lines
/// before the spec's; records the choice as the setting `site`.
JOBSUB_API void apply_site(SweepSpec& spec, const SiteChoice& choice);

/// With no scheduler chosen anywhere (spec, site, JOBSUB_SCHEDULER, command
/// line): the installed scheduler whose Detection finds its client on PATH
/// (`sbatch`: slurm; `qsub`: sge or pbs, as `qstat --version` tells; `bsub`:
/// lsf), `local` when none does; `why` says what was found. A host with more
/// than one, or a client whose probe names none, is an error asking to
/// choose: never a guess.
JOBSUB_API std::string probe_scheduler(const PluginRegistry& registry, std::string& why);

}  // namespace jobsub
