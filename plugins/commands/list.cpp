// `jobsub list`: the experiment's sweeps, oldest first, with their jobs
// counted by state: the jobs not yet final settled first, one scheduler query
// per scheduler across the sweeps.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/pipeline.h>
#include <jobsub/plugin.h>
#include <jobsub/results.h>
#include <jobsub/store.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>
#include <jobsub/tracker.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

namespace {

/// A sweep's best completed job by its objective.
struct Best {
  std::string metric;  ///< empty: none
  bool lower = false;
  double value = 0;
  std::string text;
  uint64_t job = 0;
};

Best best_so_far(jobsub::Store& store, const jobsub::SweepSummary& sweep) {
  const jobsub::ResultsSpec rules = jobsub::recorded_results_spec(sweep.sweep.dir);
  jobsub::ReadOptions options;
  options.params = false;
  const std::vector<jobsub::ResultRow> rows =
      jobsub::read_results(store, sweep, store.jobs(sweep.id), rules, options);
  Best out;
  const std::optional<jobsub::Objective> objective = jobsub::choose_objective("", {rules}, rows);
  if (!objective) return out;
  const jobsub::ResultRow* row = jobsub::best_row(rows, *objective);
  if (row == nullptr) return out;
  const jobsub::MetricValue* v = row->metrics.find(objective->metric);
  out.metric = objective->metric;
  out.lower = objective->lower_is_better;
  out.value = v->number;
  jobsub::Cell cell;
  cell.type = jobsub::Cell::Type::number;
  cell.number = v->number;
  cell.text = v->text;
  out.text = jobsub::display_cell(cell);
  out.job = row->job;
  return out;
}

class ListCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& given) noexcept override {
    try {
      jobsub::CommandLine cl(
          "list", "[OPTIONS]",
          "The experiment's sweeps (the directory of --spec FILE, default the current one),\n"
          "oldest first, with their jobs counted by state as the schedulers say now: jobs not yet\n"
          "final are settled first (one query per scheduler) and recorded in\n"
          "<experiment>/.jobsub/state.db. BEST SO FAR: each sweep's best completed job by its\n"
          "objective (see `jobsub collect`), when its jobs have metrics.",
          "0; 2 usage.");
      cl.options()("json", "the same as JSON");
      cl.takes(jobsub::Global::spec);
      if (!cl.parse(given, 0)) return 0;
      const jobsub::fs::path experiment = cl.experiment();
      const bool json = cl.given("json");
      std::vector<jobsub::SweepSummary> sweeps;
      std::vector<Best> best;
      std::vector<std::string> problems;
      if (jobsub::fs::exists(jobsub::Store::path_for(experiment))) {
        const std::unique_ptr<jobsub::Store> store = jobsub::open_records(experiment);
        // What the schedulers say now: one query per scheduler across the sweeps.
        jobsub::settle_sweeps(*store, store->sweeps(), *context.registry, problems);
        sweeps = store->sweeps();
        for (const auto& s : sweeps) best.push_back(best_so_far(*store, s));
      }
      for (const std::string& problem : problems)
        fmt::print(stderr,
                   "jobsub: could not settle the jobs of scheduler {}; their states are as last recorded\n",
                   problem);
      if (json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& s : sweeps) {
          nlohmann::ordered_json states = nlohmann::ordered_json::object();
          for (const auto& [state, n] : s.states) states[jobsub::to_string(state)] = n;
          out.push_back(
              {{"name", s.sweep.name},
               {"dir", s.sweep.dir.string()},
               {"created", s.sweep.created},
               {"scheduler", s.sweep.scheduler},
               {"jobs", s.sweep.job_count},
               {"states", states},
               {"best", best[&s - sweeps.data()].metric.empty()
                            ? nlohmann::ordered_json()
                            : nlohmann::ordered_json{
                                  {"metric", best[&s - sweeps.data()].metric},
                                  {"lower_is_better", best[&s - sweeps.data()].lower},
                                  {"value", std::isfinite(best[&s - sweeps.data()].value)
                                                ? nlohmann::ordered_json(best[&s - sweeps.data()].value)
                                                : nlohmann::ordered_json(best[&s - sweeps.data()].text)},
                                  {"job", best[&s - sweeps.data()].job}}}});
        }
        fmt::print("{}\n", out.dump(2));
        return 0;
      }
      if (sweeps.empty()) {
        fmt::print("no sweeps recorded in {} yet\n", experiment.string());
        return 0;
      }
      std::vector<std::string> dirs;
      std::size_t width = 5;
      for (const auto& s : sweeps) {
        dirs.push_back(jobsub::fs::relative(s.sweep.dir, experiment).string());
        width = std::max(width, dirs.back().size());
      }
      std::vector<std::string> state_texts;
      std::size_t states_width = 6;
      for (const auto& s : sweeps) {
        std::vector<std::string> states;
        for (const auto& [state, n] : s.states)
          states.push_back(fmt::format("{} {}", n, jobsub::to_string(state)));
        state_texts.push_back(jobsub::join(states));
        states_width = std::max(states_width, state_texts.back().size());
      }
      const bool any_best =
          std::any_of(best.begin(), best.end(), [](const Best& b) { return !b.metric.empty(); });
      std::string head = fmt::format("{:<{}}  {:<10} {:>7}  {:<{}}", "SWEEP", width, "SCHEDULER", "JOBS",
                                     "STATES", any_best ? states_width : 0);
      if (any_best) head += "  BEST SO FAR";
      fmt::print("{}\n", jobsub::trim(head));
      for (std::size_t i = 0; i < sweeps.size(); ++i) {
        std::string line =
            fmt::format("{:<{}}  {:<10} {:>7}  {:<{}}", dirs[i], width, sweeps[i].sweep.scheduler,
                        sweeps[i].sweep.job_count, state_texts[i], any_best ? states_width : 0);
        if (!best[i].metric.empty())
          line += fmt::format("  {} {} ({}, job {})", best[i].metric, best[i].text,
                              best[i].lower ? "lowest" : "highest", best[i].job);
        fmt::print("{}\n", line);
      }
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<ListCommand>("list", "the experiment's sweeps, with their jobs counted by state")};

}  // namespace

JOBSUB_PLUGIN("list", "1.0.0", kComponents)
