// `jobsub report [SWEEP...] -o report.html`: one self-contained HTML file that
// works offline: every script (d3, embedded at build time from Debian's
// node-d3, and the report's own code), its style and its data are inside, and
// its Content-Security-Policy forbids any request. It shows collect's table
// (sortable, filterable), parallel coordinates (brushing an axis filters the
// table) and each parameter against the objective with its spread over seeds.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/pipeline.h>
#include <jobsub/plugin.h>
#include <jobsub/results.h>
#include <jobsub/script.h>
#include <jobsub/store.h>
#include <jobsub/task_files.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>
#include <jobsub/tracker.h>
#include <jobsub/version.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

namespace jobsub_report {
extern const char* const kD3;
extern const char* const kScript;
extern const char* const kStyle;
extern const char* const kPage;
}  // namespace jobsub_report

namespace {

namespace fs = jobsub::fs;
using nlohmann::ordered_json;

std::unique_ptr<jobsub::CommandLine> command_line() {
  auto cl = std::make_unique<jobsub::CommandLine>(
      "report", "[SWEEP...] [OPTIONS]",
      "Writes one HTML file that shows the results of the sweeps named (default the latest; --all:\n"
      "every sweep of the experiment) and works offline, copied anywhere: everything it shows and\n"
      "runs is inside it. It has collect's table (sortable, filterable), parallel coordinates (an axis\n"
      "per varying param and per metric, a line per job or per group, coloured by a metric;\n"
      "dragging along an axis filters the table), and each param against the objective with the\n"
      "spread over seeds. The jobs' states are settled first, as `collect` does.",
      "0; 2 usage (also: the -o file cannot be written); 3 no such sweep or no sweeps recorded.");
  cl->options()("output,o", jobsub::po::value<std::string>()->default_value("report.html"),
                "the file to write (replaced whole, never half-written)")("all",
                                                                          "every sweep of the experiment")(
      "where", jobsub::po::value<std::vector<std::string>>()->composing(),
      "keep rows where: key=value, key!=value, key<number, key>number, state=completed,failed")(
      "objective", jobsub::po::value<std::string>(), "the metric that ranks: val_acc, or -val_loss")(
      "attempt", jobsub::po::value<std::string>()->default_value("latest"), "latest, or all");
  cl->takes(jobsub::Global::spec);
  return cl;
}

/// A cell as the report's data holds it: JSON has no NaN or infinity, so
/// those are {"n": "NaN"}; a list or dict param is its JSON text.
ordered_json cell_json(const jobsub::Cell& c) {
  switch (c.type) {
    case jobsub::Cell::Type::missing:
    case jobsub::Cell::Type::null:
      return nullptr;
    case jobsub::Cell::Type::number:
    case jobsub::Cell::Type::integer:
      if (!std::isfinite(c.number)) return {{"n", c.text}};
      if (c.type == jobsub::Cell::Type::integer && std::abs(c.number) < 9e15)
        return static_cast<int64_t>(c.number);
      return c.number;
    case jobsub::Cell::Type::boolean:
      return c.number != 0;
    default:
      return c.text;
  }
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// The page's data: columns with their roles, values column by column.
std::string data_json(const jobsub::ResultTable& table) {
  ordered_json data;
  ordered_json columns = ordered_json::array();
  ordered_json values = ordered_json::array();
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    columns.push_back({{"name", table.columns[i]}, {"role", table.roles.at(i)}});
    ordered_json column = ordered_json::array();
    for (const auto& row : table.rows) column.push_back(cell_json(row[i]));
    values.push_back(std::move(column));
  }
  data["columns"] = std::move(columns);
  data["values"] = std::move(values);
  ordered_json constants = ordered_json::array();
  for (const auto& [key, cell] : table.constants) constants.push_back({key, jobsub::display_cell(cell)});
  data["constants"] = std::move(constants);
  ordered_json constant_metrics = ordered_json::array();
  for (const auto& [name, cell] : table.constant_metrics)
    constant_metrics.push_back({name, jobsub::display_cell(cell)});
  data["constantMetrics"] = std::move(constant_metrics);
  data["objective"] = table.objective ? ordered_json{{"metric", table.objective->metric},
                                                     {"lower", table.objective->lower_is_better},
                                                     {"why", table.objective->why}}
                                      : ordered_json();
  data["seeds"] = table.seeds;
  data["groupKeys"] = table.group_keys;
  data["header"] = table.header;
  data["footer"] = table.footer;
  std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Inside <script>, `</script` or `<!--<script` in a value would end or swallow the element: JSON
  // spells <, > and & (which only strings hold) as \u escapes, and the HTML parser sees none of them.
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

class ReportCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& args) noexcept override {
    try {
      const std::unique_ptr<jobsub::CommandLine> cl = command_line();
      if (!cl->parse(args)) return 0;
      const fs::path experiment = cl->experiment();
      const std::string attempt = cl->value("attempt");
      if (attempt != "latest" && attempt != "all")
        throw jobsub::usage_error(fmt::format("--attempt '{}': expected latest or all", attempt));
      const fs::path output = fs::absolute(cl->value("output"));
      if (fs::is_directory(output)) {
        throw jobsub::usage_error(fmt::format("-o {}: a directory; name the file (-o {})", output.string(),
                                              (output / "report.html").string()));
      }
      jobsub::ResultQuery query;
      if (cl->given("where")) query.where = cl->values()["where"].as<std::vector<std::string>>();
      query.objective = cl->value("objective");
      query.rows_only = true;

      const std::unique_ptr<jobsub::Store> store = jobsub::open_records(experiment);
      jobsub::ReadOptions options;
      options.all_attempts = attempt == "all";
      options.now =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      const jobsub::SweepsRead read = jobsub::read_named_sweeps(*store, *context.registry, cl->words(),
                                                                cl->given("all"), experiment, options);
      const jobsub::ResultTable table = jobsub::build_result_table(read.rows, read.names, read.rules, query);

      jobsub::TemplateValues values;
      std::vector<std::string> titles;
      for (const std::string& n : read.sweep_names)
        if (std::find(titles.begin(), titles.end(), n) == titles.end()) titles.push_back(n);
      values.scalars["title"] = html_escape(fmt::format("jobsub report: {}", jobsub::join(titles)));
      values.scalars["subtitle"] = html_escape(fmt::format(
          "{} {} of {}; written {} by jobsub {}", table.rows.size(), table.rows.size() == 1 ? "job" : "jobs",
          jobsub::join(read.names), jobsub::utc_timestamp(), JOBSUB_VERSION));
      values.scalars["data"] = data_json(table);
      values.scalars["d3"] = jobsub_report::kD3;
      values.scalars["script"] = jobsub_report::kScript;
      values.scalars["css"] = jobsub_report::kStyle;
      const std::string page = jobsub::render_template(jobsub_report::kPage, values, "the report page");
      try {
        jobsub::write_file_atomically(output, page);
      } catch (const std::exception& e) {
        throw jobsub::usage_error(fmt::format("-o {}: cannot write it: {}", output.string(), e.what()));
      }
      fmt::print("jobsub: wrote {} ({} jobs, {:.1f} MB): open it in a browser; it needs no network\n",
                 output.string(), table.rows.size(), static_cast<double>(page.size()) / 1e6);
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }
};

const jobsub_component_info kComponents[] = {jobsub::component<ReportCommand>(
    "report", "one self-contained HTML file of a sweep's results: table, parallel coordinates, params")};

}  // namespace

JOBSUB_PLUGIN("report", "1.0.0", kComponents)
