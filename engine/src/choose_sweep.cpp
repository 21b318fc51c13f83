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
  std::string word = which;
  while (word.size() > 1 && word.back() == '/') word.pop_back();  // a shell's completion adds one
  std::vector<const SweepSummary*> matches, exact;
  std::vector<std::string> names;
  for (const SweepSummary& s : sweeps) {
    const std::string relative = fs::relative(s.sweep.dir, experiment).string();
    const std::string time = s.sweep.dir.filename().string();
    names.push_back(relative);
    if (fs::absolute(word).lexically_normal() == s.sweep.dir) return s;
    // results/<name>/<time>, with or without `results/`, or its time as `ls` shows it: the
    // whole of one (`..._10-00-00` is not also `..._10-00-00_2`), else a prefix
    if (relative == word || relative == "results/" + word || time == word) exact.push_back(&s);
    if (relative.rfind(word, 0) == 0 || relative.rfind("results/" + word, 0) == 0 || time.rfind(word, 0) == 0)
      matches.push_back(&s);
  }
  if (exact.size() == 1) return *exact.front();
  if (!exact.empty()) matches = exact;
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) {
    throw spec_error(fmt::format("no sweep '{}' in {}{}; `jobsub list` shows them", which,
                                 experiment.string(), did_you_mean(word, names)));
  }
  std::vector<std::string> candidates;
  for (const SweepSummary* m : matches) candidates.push_back(fs::relative(m->sweep.dir, experiment).string());
  throw spec_error(
      fmt::format("'{}' names {} sweeps ({}): give more of it", which, matches.size(), join(candidates)));
}

}  // namespace jobsub
