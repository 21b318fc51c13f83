// `jobsub template show|init SCHEDULER`: the batch script template a
// scheduler uses when the experiment has none, printed or copied into the
// experiment's templates/ (where jobsub then finds it).
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/pipeline.h>
#include <jobsub/plugin.h>
#include <jobsub/records.h>
#include <jobsub/registry.h>
#include <jobsub/store.h>
#include <jobsub/terminal.h>
#include <jobsub/tracker.h>

#include <iostream>

namespace {

namespace fs = jobsub::fs;

class TemplateCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& given) noexcept override {
    try {
      jobsub::CommandLine cl(
          "template", "show|init SCHEDULER [OPTIONS]",
          "show prints the batch script template (Mustache) that SCHEDULER renders when the experiment\n"
          "has none of its own. init copies it to templates/<SCHEDULER>.sh.mustache in the experiment\n"
          "(the directory of --spec FILE, else the current one), where every later submit to that\n"
          "scheduler uses it: edit it there. init does not overwrite an existing file unless --force.\n"
          "The user guide's 'Batch script templates' lists the values a template may use.",
          "0; 2 usage; 3 the file exists; 4 no such scheduler.");
      cl.options()("force", "with init: replace an existing file");
      cl.takes(jobsub::Global::spec);
      if (!cl.parse(given)) return 0;
      const fs::path experiment = cl.experiment();
      const bool force = cl.given("force");
      const std::vector<std::string>& words = cl.words();
      if (words.size() != 2 || (words[0] != "show" && words[0] != "init"))
        throw jobsub::usage_error("usage: jobsub template show|init SCHEDULER (see jobsub help template)");
      const std::string& scheduler = words[1];
      std::string text = jobsub::configured_scheduler(*context.registry, scheduler)->default_template();
      if (!text.empty() && text.back() != '\n') text += '\n';
      if (words[0] == "show") {
        fmt::print("{}", text);
        return 0;
      }
      const fs::path file = experiment / "templates" / fmt::format("{}.sh.mustache", scheduler);
      if (fs::exists(file) && !force) {
        throw jobsub::spec_error(
            fmt::format("{} exists: edit it, or pass --force to replace it with the default", file.string()));
      }
      fs::create_directories(file.parent_path());
      jobsub::write_file_atomically(file, text);
      fmt::print("wrote {}: submits to {} from {} use it now\n", file.string(), scheduler,
                 experiment.string());
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }
};

const jobsub_component_info kComponents[] = {jobsub::component<TemplateCommand>(
    "template", "print a scheduler's batch script template, or copy it into the experiment to edit")};

}  // namespace

JOBSUB_PLUGIN("template", "1.0.0", kComponents)
