// `jobsub init [DIR]`: a first experiment that runs as it is on the local
// scheduler: a commented jobsub.yaml and a tiny program that reads its params
// in the chosen formatter's style and writes a metric where jobsub reads it.
// With --layout skeleton, the skeleton's project (main.py, data/,
// experiments/<name>/). It never overwrites: a file that exists is kept.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/plugin.h>
#include <jobsub/records.h>
#include <jobsub/registry.h>
#include <jobsub/terminal.h>
#include <jobsub/text.h>

#include <iostream>
#include <map>

namespace {

namespace fs = jobsub::fs;

/// How the program reads its params, per formatter: the command that calls
/// it and the Python that parses them (no package beyond Python's own, so
/// it runs on a fresh machine; your real program uses sacred's or Hydra's own).
struct Style {
  const char* command;
  const char* formatter_note;
  const char* parse;
};

const std::map<std::string, Style>& styles() {
  static const std::map<std::string, Style> kStyles = {
      {"argparse",
       {"python3 {script} {args}", "argparse: --lr=0.1 --seed=1",
        R"(import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--seed", type=int, default=0)
params = vars(parser.parse_args())
)"}},
      {"sacred",
       {"python3 {script} with {args}", "sacred: with lr=0.1 seed=1",
        R"(import ast
import sys

# sacred's command line, `with lr=0.1 seed=1`, read by hand: a sacred
# experiment (`@ex.automain`) takes it as it is.
params = {"lr": 0.1, "seed": 0}
for word in sys.argv[sys.argv.index("with") + 1:] if "with" in sys.argv else []:
    key, _, value = word.partition("=")
    params[key] = ast.literal_eval(value)
)"}},
      {"hydra",
       {"python3 {script} {args}", "Hydra overrides: lr=0.1 seed=1",
        R"(import ast
import sys

# Hydra's overrides, `lr=0.1 seed=1`, read by hand: a Hydra app
# (`@hydra.main`) takes them as they are.
params = {"lr": 0.1, "seed": 0}
for word in sys.argv[1:]:
    key, _, value = word.partition("=")
    params[key.lstrip("+")] = ast.literal_eval(value)
)"}},
  };
  return kStyles;
}

std::string program_text(const Style& style) {
  return fmt::format(R"(# A stand-in for your program, written by `jobsub init`: it reads its params
# and writes its metrics where jobsub reads them ($JOBSUB_METRICS, one JSON
# object a line). Replace it with yours, and the spec's hypers with its params.
{}
import json
import math
import os
import random

random.seed(params["seed"])
loss = abs(math.log10(params["lr"]) + 2) + random.random() * 0.05  # best near lr=0.01
print(f"lr={{params['lr']}} seed={{params['seed']}} loss={{loss:.4f}}")
with open(os.environ.get("JOBSUB_METRICS", os.devnull), "a") as out:
    out.write(json.dumps({{"loss": loss}}) + "\n")
)",
                     style.parse);
}

/// `key: value` with its comment in the spec's comment column.
std::string spec_line(const std::string& setting, const std::string& comment) {
  return comment.empty() ? setting + "\n" : fmt::format("{:<31} # {}\n", setting, comment);
}

std::string spec_text(const std::string& name, const std::string& layout, const std::string& formatter,
                      const std::string& scheduler, const std::string& program) {
  const Style& style = styles().at(formatter);
  std::string text =
      "# One sweep of this experiment, written by `jobsub init`. `jobsub --dry-run`\n"
      "# shows its jobs; `jobsub` submits them, asking about the first (y/n/all/exit);\n"
      "# `jobsub --yes` submits them all; `jobsub status`, `jobsub collect` follow.\n"
      "# Every key: docs/user-guide.md (\"The spec\"), or `jobsub help`.\n\n";
  text += spec_line("name: " + name, "results go to results/<name>/<time>/");
  if (layout == "skeleton")
    text += spec_line("layout: skeleton", "jobs start in the project, beside main.py");
  text += spec_line("program: " + program, "{script} in the command");
  text += spec_line("formatter: " + formatter,
                    fmt::format("how params become arguments ({})", style.formatter_note));
  text += spec_line(fmt::format("command: {}", style.command), "");
  text += scheduler.empty()
              ? spec_line("# scheduler: slurm", "local, slurm, sge, pbs, lsf (default: what this host has)")
              : spec_line("scheduler: " + scheduler, "");
  text += spec_line("# resources: {time: 1h, mem: 4G}", "also cpus, gpus, partition, ...");
  text += spec_line("# init:", "shell lines each job runs before the program");
  text += "#   - source .venv/bin/activate\n\n";
  text += spec_line("hypers:", "every combination is a job: 3 x 2 = 6 jobs");
  text += "  lr: [0.1, 0.01, 0.001]\n  seed: [1, 2]\n\n";
  text += spec_line("objective: -loss", "what `jobsub collect` ranks by (lower loss is better)");
  return text;
}

class InitCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& given) noexcept override {
    try {
      jobsub::CommandLine cl(
          "init", "[DIR] [OPTIONS]",
          "Writes a first experiment into DIR (default: the current directory) that runs as it is on\n"
          "the local scheduler: a commented jobsub.yaml and a tiny program (train.py) that reads its\n"
          "params in the formatter's style and writes its metrics where jobsub reads them. With\n"
          "--layout skeleton, DIR is the project: main.py, data/ and experiments/NAME/jobsub.yaml.\n"
          "It never overwrites: a program that exists is kept, and an existing jobsub.yaml stops it.",
          "0; 2 usage; 3 jobsub.yaml exists.");
      cl.options()("layout", jobsub::po::value<std::string>()->value_name("LAYOUT"),
                   "plain (default) or skeleton")("formatter",
                                                  jobsub::po::value<std::string>()->value_name("F"),
                                                  "argparse (default), sacred or hydra")(
          "scheduler", jobsub::po::value<std::string>()->value_name("S"),
          "write `scheduler: S` (default: none, so each host's own)")(
          "name", jobsub::po::value<std::string>()->value_name("NAME"), "the sweep's name (default: first)");
      if (!cl.parse(given)) return 0;
      if (cl.words().size() > 1)
        throw jobsub::usage_error("jobsub init takes one DIR at most (see jobsub help init)");
      const fs::path dir = fs::absolute(cl.words().empty() ? fs::current_path() : fs::path(cl.words()[0]));
      const std::string layout = cl.given("layout") ? cl.value("layout") : "plain";
      if (layout != "plain" && layout != "skeleton")
        throw jobsub::usage_error(fmt::format("--layout: '{}' is not plain or skeleton", layout));
      const std::string formatter = cl.given("formatter") ? cl.value("formatter") : "argparse";
      if (!styles().count(formatter)) {
        throw jobsub::usage_error(fmt::format(
            "--formatter: init writes programs for argparse, sacred and hydra, not '{}' (init with one of "
            "those, then set formatter: {} in jobsub.yaml)",
            formatter, formatter));
      }
      const std::string scheduler = cl.value("scheduler");
      if (!scheduler.empty() && context.registry->find("scheduler", scheduler) == nullptr)
        throw jobsub::usage_error(
            fmt::format("--scheduler: no scheduler plugin '{}' (`jobsub plugins` lists them)", scheduler));
      const std::string name = cl.given("name") ? cl.value("name") : "first";
      if (name.empty() || name.find_first_of("/\\") != std::string::npos || name == "." || name == "..")
        throw jobsub::usage_error(fmt::format("--name: '{}' is not a name a directory can have", name));

      const bool skeleton = layout == "skeleton";
      const fs::path experiment = skeleton ? dir / "experiments" / name : dir;
      const fs::path spec = experiment / "jobsub.yaml";
      const fs::path program = skeleton ? dir / "main.py" : dir / "train.py";
      if (fs::exists(spec)) {
        throw jobsub::spec_error(
            fmt::format("{} exists: jobsub init never overwrites (edit it, or init another "
                        "directory)",
                        spec.string()));
      }
      std::vector<std::string> wrote, kept;
      fs::create_directories(experiment);
      if (skeleton) {
        fs::create_directories(dir / "data");
        if (fs::is_empty(dir / "data")) {
          jobsub::write_file_atomically(dir / "data" / "README",
                                        "The project's data: jobs start in the project "
                                        "directory, so a program reads data/ here.\n");
          wrote.push_back((dir / "data" / "README").string());
        }
      }
      if (fs::exists(program)) {
        kept.push_back(program.string());
      } else {
        jobsub::write_file_atomically(program, program_text(styles().at(formatter)));
        wrote.push_back(program.string());
      }
      jobsub::write_file_atomically(spec, spec_text(name, layout, formatter, scheduler,
                                                    skeleton ? "main.py" : program.filename().string()));
      wrote.push_back(spec.string());
      fmt::print("wrote {}\n", jobsub::join(wrote, ", "));
      if (!kept.empty())
        fmt::print("kept {}, which exists: make the spec's hypers its params\n", jobsub::join(kept, ", "));
      const std::string cd =
          experiment == fs::current_path() ? "" : fmt::format("cd {} && ", experiment.string());
      fmt::print(
          "next: {}jobsub --dry-run    (the 6 jobs and their commands)\n"
          "      jobsub --yes         (run them{})\n"
          "      jobsub collect       (which lr won)\n",
          cd, scheduler.empty() ? "; on a laptop, on the local scheduler" : " on " + scheduler);
      return 0;
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<InitCommand>("init",
                                   "write a first experiment (jobsub.yaml and a tiny program) to start from"),
};

}  // namespace

JOBSUB_PLUGIN("init", "1.0.0", kComponents)
