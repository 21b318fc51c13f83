#include "jobsub/sweep_plan.h"

#include <fmt/core.h>

#include <fstream>

#include "jobsub/errors.h"
#include "jobsub/pipeline.h"
#include "jobsub/records.h"
#include "jobsub/script.h"
#include "jobsub/submit.h"

namespace jobsub {

SweepPlan::SweepPlan(const Sweeper& sweeper, const Formatter& formatter, std::string sweeper_stage,
                     std::string formatter_stage, std::string command_template, fs::path program)
    : sweeper_(sweeper),
      formatter_(formatter),
      sweeper_stage_(std::move(sweeper_stage)),
      formatter_stage_(std::move(formatter_stage)),
      command_template_(std::move(command_template)),
      program_(std::move(program)),
      program_sha256_(program_.empty() ? std::string() : file_sha256(program_)),
      size_(sweeper.size()) {}

uint64_t SweepPlan::hash(const Params& params, const Argv& args) const {
  return job_hash(params_to_json(params), command_line(args), program_sha256_);
}

void SweepPlan::job(uint64_t job, Params& params, Argv& args) const {
  params.clear();
  args.clear();
  check_status(sweeper_.at(job - 1, params), fmt::format("{}, job {}", sweeper_stage_, job));
  check_status(formatter_.format(params, args), fmt::format("{}, job {}", formatter_stage_, job));
}

std::string SweepPlan::command_line(const Argv& args) const {
  return expand_command_template(command_template_, program_, args);
}

void SweepPlan::write(const ResultsLayout& results,
                      const std::function<void(uint64_t, uint64_t)>& each) const {
  std::ofstream commands(results.commands(), std::ios::binary);
  std::ofstream params_out(results.params(), std::ios::binary);
  std::ofstream argv_out(results.argv(), std::ios::binary);
  std::ofstream index(results.task_index(), std::ios::binary);
  uint64_t offsets[3] = {0, 0, 0};
  auto write_line = [&](std::ofstream& file, uint64_t& offset, const std::string& line) {
    file << line << '\n';
    offset += line.size() + 1;
  };
  Params params;
  Argv args;
  for (uint64_t i = 1; i <= size_; ++i) {
    if ((i & 0xfff) == 0 && interrupt_requested())
      throw Error(ExitCode::interrupted, "interrupted before anything was submitted");
    job(i, params, args);
    index << task_index_record(offsets[0], offsets[1], offsets[2]);
    const std::string command = command_line(args);
    const std::string params_json = params_to_json(params);
    each(i, job_hash(params_json, command, program_sha256_));
    write_line(commands, offsets[0], command);
    write_line(params_out, offsets[1], params_json);
    write_line(argv_out, offsets[2], argv_to_json(args));
  }
  index << task_index_record(offsets[0], offsets[1], offsets[2]);
  for (std::ofstream* file : {&commands, &params_out, &argv_out, &index}) file->flush();
  if (!commands || !params_out || !argv_out || !index)
    throw job_error(fmt::format("cannot write the job files in {}", results.dir().string()));
}

}  // namespace jobsub
