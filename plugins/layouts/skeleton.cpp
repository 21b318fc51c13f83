// The reference scripts' strict project layout:
//   <project>/experiments/<name>/   the experiment (holds jobsub.yaml)
//   <project>/<program>             the program, main.py unless the spec says otherwise
//   <project>/data/                 the data directory
// Jobs start in <project>; results go to <project>/experiments/<name>/results.
#include <fmt/core.h>
#include <jobsub/plugin.h>

#include <system_error>

namespace {

class SkeletonLayout final : public jobsub::Layout {
 public:
  jobsub::Status verify(const jobsub::LayoutRequest& request,
                        jobsub::LayoutResult& result) noexcept override {
    return jobsub::guarded([&]() -> jobsub::Status {
      const jobsub::fs::path experiment = request.experiment_dir;
      const jobsub::fs::path experiments = experiment.parent_path();
      if (experiments.filename() != "experiments") {
        return jobsub::Status::failure(fmt::format(
            "the experiment directory {} is not inside an experiments/ directory; the skeleton layout "
            "expects <project>/experiments/<name>/ (use `layout: plain` for any other directory)",
            experiment.string()));
      }
      const jobsub::fs::path project = experiments.parent_path();
      const std::string program = request.program.empty() ? "main.py" : request.program;
      jobsub::fs::path program_path = program;
      if (program_path.is_relative()) program_path = project / program_path;
      std::string missing;
      std::error_code ec;
      if (const std::string problem = jobsub::program_problem(program_path); !problem.empty())
        missing += fmt::format("\n  {}", problem);
      if (!jobsub::fs::is_directory(project / "data", ec)) {
        missing += fmt::format("\n  missing directory: {}", (project / "data").string());
      }
      if (!missing.empty()) {
        return jobsub::Status::failure(
            fmt::format("project {} does not have the skeleton layout:{}", project.string(), missing));
      }
      result.project_dir = project;
      result.workdir = project;
      result.program = program_path.lexically_normal();
      result.results_root = experiment / "results";
      return jobsub::Status::success();
    });
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<SkeletonLayout>(
        "skeleton",
        "strict project layout: <project>/experiments/<name>/, <project>/main.py, <project>/data/"),
};

}  // namespace

JOBSUB_PLUGIN("skeleton", "1.0.0", kComponents)
