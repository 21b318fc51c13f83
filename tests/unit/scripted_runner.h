#pragma once
// A ProcessRunner that answers from a script instead of starting processes,
// so a scheduler's submit, query, find and cancel can be driven without a
// cluster. Answers are captured output of the real clients
// (tests/data/schedulers/, see its README files).
#include <jobsub/interfaces.h>
#include <jobsub/process.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace jobsub::testing {

/// The text of a file under tests/data/schedulers/ (`slurm/squeue-mixed.out`).
inline std::string captured(const std::string& name) {
  std::ifstream in(std::filesystem::path(JOBSUB_TEST_DATA_DIR) / "schedulers" / name, std::ios::binary);
  if (!in) throw std::runtime_error("missing test data file " + name);
  return {std::istreambuf_iterator<char>(in), {}};
}

class ScriptedRunner final : public ProcessRunner {
 public:
  /// The next call of `program` answers this; a program's last answer repeats.
  void answer(const std::string& program, ProcessResult result) {
    answers_[program].push_back(std::move(result));
  }
  void answer(const std::string& program, int exit_code, std::string out, std::string err = {}) {
    ProcessResult r;
    r.exit_code = exit_code;
    r.out = std::move(out);
    r.err = std::move(err);
    answer(program, std::move(r));
  }
  void time_out(const std::string& program) {
    ProcessResult r;
    r.timed_out = true;
    answer(program, std::move(r));
  }

  ProcessResult run(const Argv& argv, const RunOptions& options) override {
    calls.push_back(argv);
    stdin_files.push_back(options.stdin_file);
    auto it = answers_.find(argv.at(0));
    if (it == answers_.end() || it->second.empty())
      throw std::runtime_error("cannot run '" + argv[0] + "': not scripted");
    ProcessResult r = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    return r;
  }

  /// The calls of `program`, in order.
  std::vector<Argv> calls_of(const std::string& program) const {
    std::vector<Argv> out;
    for (const Argv& a : calls) {
      if (a.at(0) == program) out.push_back(a);
    }
    return out;
  }

  std::vector<Argv> calls;
  std::vector<std::filesystem::path> stdin_files;

 private:
  std::map<std::string, std::deque<ProcessResult>> answers_;
};

/// A SubmitContext that records what the scheduler reports.
class RecordingContext final : public SubmitContext {
 public:
  bool interrupted() const noexcept override { return interrupt; }
  void job_event(const TaskOutcome& outcome) noexcept override { events.push_back(outcome); }
  void progress(const std::string& line) noexcept override { lines.push_back(line); }
  bool interrupt = false;
  std::vector<TaskOutcome> events;
  std::vector<std::string> lines;
};

/// A small request as the core makes one: jobs `tasks` of a `job_count` sweep.
inline BatchRequest request_for(const std::vector<TaskRange>& tasks, uint64_t job_count) {
  BatchRequest request;
  request.sweep_name = "sweep";
  request.batch_name = "batch-1";
  request.token = "jobsub-0123456789abcdef";
  request.results_dir = std::filesystem::temp_directory_path() / "jobsub-scripted-results";
  request.script_path = request.results_dir / "batch-1.sh";
  request.workdir = request.results_dir;
  request.tasks = tasks;
  request.job_count = job_count;
  return request;
}

}  // namespace jobsub::testing
