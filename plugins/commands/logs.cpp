// `jobsub logs [SWEEP] JOB [-f]`: a job's stdout and stderr; -f follows them
// while the job runs.
#include <fmt/core.h>
#include <jobsub/command_line.h>
#include <jobsub/errors.h>
#include <jobsub/pipeline.h>
#include <jobsub/plugin.h>
#include <jobsub/script.h>
#include <jobsub/store.h>
#include <jobsub/submit.h>
#include <jobsub/terminal.h>
#include <jobsub/tracker.h>
#include <time.h>

#include <cstdio>
#include <fstream>
#include <iostream>

namespace {

namespace fs = jobsub::fs;

/// Copies what `file` holds from `offset` on to stdout; returns the new offset.
std::streamoff copy_from(const fs::path& file, std::streamoff offset) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return offset;
  in.seekg(offset);
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    std::fwrite(buffer, 1, static_cast<std::size_t>(in.gcount()), stdout);
    offset += in.gcount();
  }
  std::fflush(stdout);
  return offset;
}

class LogsCommand final : public jobsub::Command {
 public:
  int run(jobsub::CommandContext& context, const std::vector<std::string>& given) noexcept override {
    try {
      jobsub::CommandLine cl(
          "logs", "[SWEEP] JOB [OPTIONS]",
          "Prints job JOB's stdout, then its stderr (each under a header), from its directory in the\n"
          "sweep's results (SWEEP: the latest sweep unless named; see jobsub help status), then the\n"
          "scheduler's own log of the job where it keeps one (Slurm's slurm-<id>.out, where it writes\n"
          "`CANCELLED ... DUE TO TIME LIMIT`). -f keeps printing what the job writes until its\n"
          "exit-code file appears (Ctrl-C stops).",
          "0; 2 usage; 3 no such sweep or job.");
      cl.options()("follow,f", "keep printing what the job writes until it has ended")(
          "stdout", "only its stdout")("stderr", "only its stderr")(
          "attempt", jobsub::po::value<std::string>()->value_name("K"),
          "an earlier attempt's (a resubmit's or retry's: jobs/NNNN.attempt-K; default: the latest)");
      cl.takes(jobsub::Global::spec);
      if (!cl.parse(given)) return 0;
      const fs::path experiment = cl.experiment();
      const std::vector<std::string>& words = cl.words();
      const bool follow = cl.given("follow"), out = !cl.given("stderr"), err = !cl.given("stdout");
      if (words.empty() || words.size() > 2)
        throw jobsub::usage_error("usage: jobsub logs [SWEEP] JOB [-f] (see jobsub help logs)");
      if (!out && !err) throw jobsub::usage_error("--stdout and --stderr together: give neither to see both");
      uint64_t job = 0;
      try {
        std::size_t used = 0;
        job = std::stoull(words.back(), &used);
        if (used != words.back().size() || job == 0) job = 0;
      } catch (const std::exception&) {
      }
      if (job == 0) throw jobsub::usage_error(fmt::format("'{}' is not a job number", words.back()));
      const std::unique_ptr<jobsub::Store> store = jobsub::open_records(experiment);
      const jobsub::SweepSummary sweep =
          jobsub::choose_sweep(store->sweeps(), words.size() == 2 ? words[0] : "", experiment);
      if (job > sweep.sweep.job_count) {
        throw jobsub::spec_error(fmt::format("sweep {} has {} jobs; there is no job {}",
                                             fs::relative(sweep.sweep.dir, experiment).string(),
                                             sweep.sweep.job_count, job));
      }
      const jobsub::ResultsLayout results(sweep.sweep.dir, sweep.sweep.job_count);
      const int latest = store->jobs(sweep.id).at(job - 1).attempt;
      int attempt = latest;
      if (cl.given("attempt")) {
        const std::string k = cl.value("attempt");
        attempt = k.find_first_not_of("0123456789") == std::string::npos && !k.empty() && k.size() < 6
                      ? std::stoi(k)
                      : 0;
        if (attempt < 1 || attempt > latest) {
          throw jobsub::usage_error(fmt::format(
              "--attempt {}: job {} has {}", k, job,
              latest == 1 ? std::string("one attempt, 1") : fmt::format("attempts 1 to {}", latest)));
        }
        if (attempt < latest && follow)
          throw jobsub::usage_error(fmt::format("-f follows a running job; attempt {} has ended", attempt));
      }
      const fs::path dir = attempt == latest ? results.job_dir(job) : results.attempt_dir(job, attempt);
      namespace files = jobsub::job_files;
      if (!fs::exists(dir) && !follow) {
        fmt::print(stderr, "jobsub: job {} has not started: {} does not exist yet\n", job, dir.string());
        return 0;
      }
      if (!follow) {
        for (const auto& [name, wanted] : {std::pair{files::kStdout, out}, std::pair{files::kStderr, err}}) {
          if (!wanted) continue;
          fmt::print("==> {} <==\n", (dir / name).string());
          std::fflush(stdout);
          copy_from(dir / name, 0);
        }
        if (out && err) print_scheduler_log(context, *store, sweep, job, attempt);
        if (attempt == latest && latest > 1) {
          fmt::print(stderr, "jobsub: this is attempt {} of job {}; --attempt {} shows {}\n", latest, job,
                     latest == 2 ? "1" : fmt::format("1 to {}", latest - 1),
                     latest == 2 ? "the one before" : "an earlier one");
        }
        return 0;
      }
      // Follow one stream (stdout unless --stderr) until the job has ended.
      jobsub::install_interrupt_handler();
      const fs::path stream = results.job_file(job, out ? files::kStdout : files::kStderr);
      std::streamoff offset = 0;
      while (!jobsub::interrupt_requested()) {
        offset = copy_from(stream, offset);
        if (fs::exists(results.job_file(job, files::kExitCode))) {
          copy_from(stream, offset);
          return 0;
        }
        timespec pause{0, 200'000'000};
        nanosleep(&pause, nullptr);
      }
      return static_cast<int>(jobsub::ExitCode::interrupted);
    } catch (...) {
      return jobsub::report_current_exception(std::cerr);
    }
  }

 private:
  /// The scheduler's own log of the job's attempt `attempt`, under a
  /// header that says whose it is; nothing when the scheduler keeps none.
  static void print_scheduler_log(jobsub::CommandContext& context, const jobsub::Store& store,
                                  const jobsub::SweepSummary& sweep, uint64_t job, int attempt) {
    std::string native_id;
    for (const jobsub::JobRecord& j : store.jobs(sweep.id)) {
      if (j.job == job && j.attempt == attempt) native_id = j.native_id;
    }
    for (const jobsub::JobRecord& j : store.earlier_attempts(sweep.id)) {
      if (j.job == job && j.attempt == attempt) native_id = j.native_id;
    }
    if (native_id.empty()) return;
    jobsub::PluginHandle<jobsub::Scheduler> scheduler;
    try {
      scheduler = jobsub::configured_scheduler(*context.registry, sweep.sweep.scheduler);
    } catch (const jobsub::Error&) {
      return;  // its plugin is gone or will not configure: the job's own output is what there is
    }
    const jobsub::ResultsLayout results(sweep.sweep.dir, sweep.sweep.job_count);
    const fs::path log = scheduler->log_file(results.logs(), native_id);
    std::error_code ec;
    if (log.empty() || !fs::exists(log, ec)) return;
    fmt::print("==> {} ({}'s log of {}) <==\n", log.string(), sweep.sweep.scheduler, native_id);
    std::fflush(stdout);
    copy_from(log, 0);
  }
};

const jobsub_component_info kComponents[] = {
    jobsub::component<LogsCommand>("logs", "a job's stdout and stderr; -f follows a running job")};

}  // namespace

JOBSUB_PLUGIN("logs", "1.0.0", kComponents)
