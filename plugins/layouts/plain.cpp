// Any directory: jobs start in the experiment directory, results go to
// <experiment>/results, and the program (if any) must exist.
#include <fmt/core.h>
#include <jobsub/plugin.h>

#include <system_error>

namespace {

class PlainLayout final : public jobsub::Layout {
 public:
  jobsub::Status verify(const jobsub::LayoutRequest& request,
                        jobsub::LayoutResult& result) noexcept override {
    return jobsub::guarded([&]() -> jobsub::Status {
      const jobsub::fs::path experiment = request.experiment_dir;
      std::error_code ec;
      if (!jobsub::fs::is_directory(experiment, ec)) {
        return jobsub::Status::failure(
            fmt::format("experiment directory {} does not exist", experiment.string()));
      }
      if (!request.program.empty()) {
        jobsub::fs::path program = request.program;
        if (program.is_relative()) program = experiment / program;
        if (const std::string problem = jobsub::program_problem(program); !problem.empty()) {
          return jobsub::Status::failure(problem);
        }
        result.program = program.lexically_normal();
      }
      result.project_dir = experiment;
      result.workdir = experiment;
      result.results_root = experiment / "results";
      return jobsub::Status::success();
    });
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<PlainLayout>("plain", "any directory; jobs start in the experiment directory"),
};

}  // namespace

JOBSUB_PLUGIN("plain", "1.0.0", kComponents)
