// Which recorded sweep a command means: the latest, a results directory, or
// a unique prefix of one.
#include <fmt/core.h>

#include "jobsub/errors.h"
#include "jobsub/store.h"
#include "jobsub/text.h"

namespace jobsub {

const SweepSummary& choose_sweep(const std::vector<SweepSummary>& sweeps, const std::string& which,
                                 const fs::path& experiment) {
  if (sweeps.empty()) throw spec_error(fmt::format("no sweeps recorded in {} yet", experiment.string()));
  if (which.empty()) return sweeps.back();
  std::vector<const SweepSummary*> matches;
  std::vector<std::string> names;
  for (const SweepSummary& s : sweeps) {
    const std::string relative = fs::relative(s.sweep.dir, experiment).string();
    names.push_back(relative);
    if (fs::absolute(which).lexically_normal() == s.sweep.dir) return s;
    if (relative.rfind(which, 0) == 0 || relative.rfind("results/" + which, 0) == 0) matches.push_back(&s);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) {
    throw spec_error(fmt::format("no sweep '{}' in {}{}; `jobsub list` shows them", which,
                                 experiment.string(), did_you_mean(which, names)));
  }
  std::vector<std::string> candidates;
  for (const SweepSummary* m : matches) candidates.push_back(fs::relative(m->sweep.dir, experiment).string());
  throw spec_error(
      fmt::format("'{}' names {} sweeps ({}): give more of it", which, matches.size(), join(candidates)));
}

}  // namespace jobsub
