// `jobsub collect [SWEEP...]`: which settings won. One row per combination
// (its latest attempt) with the params that vary, its state, runtime and
// metrics; grouped over the seed keys with mean, std, min and max; filtered,
// sorted, as a table, markdown, CSV or JSON. The jobs' states are settled
// first (one query per scheduler), as `jobsub list` does.
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

#include <chrono>
#include <iostream>
#include <map>

namespace {

namespace fs = jobsub::fs;

std::unique_ptr<jobsub::CommandLine> command_line() {
  auto cl = std::make_unique<jobsub::CommandLine>(
      "collect", "[SWEEP...] [OPTIONS]",
      "Which settings won: a row per job of the sweeps named (default the latest; --all: every\n"
      "sweep of the experiment) with the params that vary, its state, attempt, runtime and the\n"
      "metrics it wrote to $JOBSUB_METRICS or printed (see `metrics:` in the user guide).\n"
      "When the jobs have seed keys (`seeds:` in the spec; default `seed`), rows are grouped over\n"
      "them: count, mean, sample std, min and max per metric. Best first by the objective\n"
      "(`objective:` in the spec, or --objective; else the first metric, higher is better).\n"
      "Params with one value in every row are printed once above the table.",
      "0; 2 usage (a --where, --sort or --group-by naming nothing there is); 3 no such sweep or no\n"
      "sweeps recorded.");
  cl->options()("all", "every sweep of the experiment")(
      "where", jobsub::po::value<std::vector<std::string>>()->composing(),
      "keep rows where: key=value, key!=value, key<number, key>number, state=completed,failed\n"
      "(repeatable; every condition must hold)")("sort", jobsub::po::value<std::string>(),
                                                 "sort by a column, -COLUMN for descending (default: the "
                                                 "objective, best first)")(
      "top", jobsub::po::value<std::string>(), "only the first N rows (after grouping and sorting)")(
      "group-by", jobsub::po::value<std::string>(),
      "none, or params separated by commas (default: every varying param but the seed keys, when there "
      "are seed keys)")("objective", jobsub::po::value<std::string>(),
                        "the metric that ranks: val_acc (higher is better) or -val_loss (lower)")(
      "attempt", jobsub::po::value<std::string>()->default_value("latest"),
      "latest, or all: every attempt of a resubmitted job, a row each")(
      "format", jobsub::po::value<std::string>()->default_value("table"), "table, markdown, csv or json");
  cl->takes(jobsub::Global::spec);
  return cl;
}

class CollectCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& args) noexcept override {
    try {
      const std::unique_ptr<jobsub::CommandLine> cl = command_line();
      if (!cl->parse(args)) return 0;
      const fs::path experiment = cl->experiment();
      const std::optional<jobsub::ResultFormat> format =
          jobsub::result_format_from_string(cl->value("format"));
      if (!format) {
        throw jobsub::usage_error(
            fmt::format("--format '{}': expected table, markdown, csv or json", cl->value("format")));
      }
      const std::string attempt = cl->value("attempt");
      if (attempt != "latest" && attempt != "all")
        throw jobsub::usage_error(fmt::format("--attempt '{}': expected latest or all", attempt));
      jobsub::ResultQuery query;
      if (cl->given("where")) query.where = cl->values()["where"].as<std::vector<std::string>>();
      query.sort = cl->value("sort");
      query.objective = cl->value("objective");
      if (cl->given("top")) {
        const std::string top = cl->value("top");
        if (top.empty() || top.size() > 18 || top.find_first_not_of("0123456789") != std::string::npos ||
            std::stoull(top) == 0)
          throw jobsub::usage_error(fmt::format("--top {}: expected a number of rows, 1 or more", top));
        query.top = std::stoull(top);
      }
      if (cl->given("group-by")) {
        const std::string by = jobsub::trim(cl->value("group-by"));
        query.group_by = std::vector<std::string>();
        if (by != "none") {
          for (std::size_t start = 0; start <= by.size();) {
            std::size_t comma = by.find(',', start);
            if (comma == std::string::npos) comma = by.size();
            const std::string key = jobsub::trim(by.substr(start, comma - start));
            if (!key.empty()) query.group_by->push_back(key);
            start = comma + 1;
          }
          if (query.group_by->empty())
            throw jobsub::usage_error(
                "--group-by: expected none or params separated by commas (--group-by lr,wd)");
        }
      }
      const std::unique_ptr<jobsub::Store> store = jobsub::open_records(experiment);
      jobsub::ReadOptions options;
      options.all_attempts = attempt == "all";
      options.now =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      const jobsub::SweepsRead read = jobsub::read_named_sweeps(*store, *context.registry, cl->words(),
                                                                cl->given("all"), experiment, options);
      const jobsub::ResultTable table = jobsub::build_result_table(read.rows, read.names, read.rules, query);
      const std::string text = jobsub::render_result_table(table, *format);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }
};

const jobsub_component_info kComponents[] = {jobsub::component<CollectCommand>(
    "collect", "which settings won: params, state and metrics of every job, grouped over seeds")};

}  // namespace

JOBSUB_PLUGIN("collect", "1.0.0", kComponents)
