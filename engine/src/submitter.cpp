#include "jobsub/submitter.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "jobsub/errors.h"
#include "jobsub/pipeline.h"
#include "jobsub/records.h"
#include "jobsub/script.h"
#include "jobsub/shell.h"
#include "jobsub/submit.h"
#include "jobsub/terminal.h"
#include "jobsub/text.h"
#include "jobsub/tracker.h"

namespace jobsub {

std::string new_batch_token() {
  std::random_device random;
  const uint64_t bits = (static_cast<uint64_t>(random()) << 32) ^ random();
  return fmt::format("jobsub-{:016x}", bits);
}

namespace {

void write_script(const fs::path& path, const std::string& text) {
  write_file_atomically(path, text);
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
}

void append_submission(const fs::path& results_dir, const nlohmann::ordered_json& line) {
  std::ofstream out(ResultsLayout(results_dir, 1).submissions(), std::ios::app | std::ios::binary);
  out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out.flush();
}

uint64_t count_jobs(const std::vector<TaskRange>& ranges) {
  uint64_t n = 0;
  for (const TaskRange& r : ranges) n += r.size();
  return n;
}

/// Reads one line from standard input, giving up when the user presses
/// Ctrl-C. A blocking read would race with the signal (it could arrive after
/// the flag was checked and before read() began, and then block forever), so
/// the wait is a poll() in short slices with the flag checked between them.
/// Bytes are read directly, so no library buffer gets out of step with poll().
bool read_answer(std::string& line) {
  line.clear();
  while (!interrupt_requested()) {
    pollfd input{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&input, 1, 100);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    char c = 0;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return !line.empty();  // end of input
    if (c == '\n') return true;
    line += c;
  }
  return false;
}

}  // namespace

Answer TerminalPrompter::ask(uint64_t job, uint64_t job_count, const std::string& args) {
  while (true) {
    write_stdout(fmt::format("Submit ({}/{}): {}? (y/n/all/exit) ", job, job_count, args));
    std::string line;
    if (!read_answer(line)) {
      write_stdout("\n");
      return Answer::exit;  // end of input, or Ctrl-C
    }
    line = trim(line);
    std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return std::tolower(c); });
    if (line == "y" || line == "yes") return Answer::yes;
    if (line == "n" || line == "no") return Answer::no;
    if (line == "all" || line == "a") return Answer::all;
    if (line == "exit" || line == "e" || line == "q") return Answer::exit;
    write_stdout("please answer y (this job), n (skip it), all (this and every later job) or exit\n");
  }
}

bool TerminalPrompter::confirm(const std::string& question) {
  while (true) {
    write_stdout(question + " ");
    std::string line;
    if (!read_answer(line)) {
      write_stdout("\n");
      return false;  // end of input, or Ctrl-C
    }
    line = trim(line);
    std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return std::tolower(c); });
    if (line == "y" || line == "yes") return true;
    if (line == "n" || line == "no") return false;
    write_stdout("please answer y or n\n");
  }
}

Submitter::Submitter(Parts parts) : parts_(std::move(parts)) {
  flusher_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::seconds(1));
      flush_store_locked();
    }
  });
}

Submitter::~Submitter() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  flusher_.join();
  flush_store();
}

SubmitOutcome Submitter::finish(bool wait_for_jobs, double poll_seconds) {
  if (!interrupt_requested()) send_due_retries();  // jobs the local scheduler ended as it ran them
  if (wait_for_jobs && !interrupt_requested()) wait(poll_seconds);
  save();
  SubmitOutcome outcome = outcome_of(parts_.prototype.results_dir, parts_.book);
  outcome.retried = retries_sent_;
  print_outcome(parts_.view, outcome, parts_.book.submitted());
  return outcome;
}

void Submitter::send_due_retries() {
  if (!parts_.send_retries || parts_.sweep_id == 0) return;
  save();
  parts_.view.clear();
  try {
    retries_sent_ += parts_.send_retries().size();
  } catch (const std::exception& e) {  // the jobs sent stay sent; the next look tries again
    parts_.view.line(fmt::format("jobsub: automatic retries: {}", e.what()));
  }
  // The store is the record: a retry (this jobsub's or another's) moved jobs
  // to later attempts, and the book follows them there.
  std::vector<JobRecord> now;
  try {
    const std::lock_guard lock(mutex_);
    now = parts_.store.jobs(parts_.sweep_id);
  } catch (const std::exception& e) {
    parts_.view.line(fmt::format("jobsub: could not read the state store: {}", e.what()));
    return;
  }
  for (const JobRecord& j : now) {
    if (j.job == 0 || j.job > parts_.book.size()) continue;
    const JobsTableRow row = parts_.book.row(j.job);
    if (row.state != j.state || (!j.native_id.empty() && row.native_id != j.native_id))
      parts_.book.apply({j.job, j.state, j.exit_code, j.native_id, j.native_state});
  }
  save();
}

bool Submitter::interrupted() const noexcept { return interrupt_requested(); }

std::vector<uint64_t> Submitter::cancel_requests() noexcept {
  const std::lock_guard lock(mutex_);
  if (parts_.sweep_id == 0) return {};
  try {
    return parts_.store.take_cancel_requests(parts_.sweep_id);
  } catch (const std::exception&) {
    return {};  // a busy store: asked again at the next look
  }
}

BatchRequest Submitter::batch(const std::string& name, const std::vector<TaskRange>& tasks) const {
  BatchRequest batch = parts_.prototype;
  if (parts_.groups.several() && !tasks.empty())
    batch.resources = parts_.groups.groups.at(parts_.groups.of(tasks.front().first)).resources;
  batch.batch_name = name;
  batch.script_path = batch.results().batch_script(name);
  batch.tasks = tasks;
  return batch;
}

void Submitter::submit(const std::vector<TaskRange>& jobs, Prompter* prompter,
                       const std::function<int64_t()>& first_batch) {
  auto send = [&](const std::vector<TaskRange>& tasks) {
    record_sweep_once(first_batch);
    if (interrupted()) return;
    // A batch per resource group, sent in one call: the local scheduler runs them at once.
    std::vector<BatchPlan> plans;
    for (const auto& [group, ranges] : parts_.groups.split(tasks)) plans.push_back({ranges, BatchExtras()});
    submit_batches(plans);
  };
  if (prompter == nullptr) {
    if (!jobs.empty() && !interrupted()) send(jobs);
    return;
  }
  const uint64_t job_count = parts_.prototype.job_count;
  for (std::size_t r = 0; r < jobs.size(); ++r) {
    for (uint64_t job = jobs[r].first; job <= jobs[r].last; ++job) {
      if (interrupted()) return;
      const Answer answer = prompter->ask(job, job_count, parts_.describe(job));
      if (answer == Answer::exit || interrupted()) return;
      if (answer ==
          Answer::no) {  // recorded, so that --resume leaves it out (a resubmit's job keeps its state)
        if (parts_.book.state(job) == JobState::not_submitted)
          job_event({job, JobState::declined, -1, "", ""});
        continue;
      }
      if (answer == Answer::yes) {
        send({{job, job}});
        wait_for_test_job(job);
        continue;
      }
      std::vector<TaskRange> rest = {{job, jobs[r].last}};
      rest.insert(rest.end(), jobs.begin() + static_cast<std::ptrdiff_t>(r) + 1, jobs.end());
      send(rest);
      return;
    }
  }
}

namespace {

/// `2m10s`, `45s`, `1h02m`: how long a canary took, for its line.
std::string short_duration(double seconds) {
  const auto s = static_cast<uint64_t>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

/// `jobs` without the job numbers in `leave_out`, as ranges.
std::vector<TaskRange> without(const std::vector<TaskRange>& jobs, const std::set<uint64_t>& leave_out) {
  std::vector<TaskRange> out;
  for (const TaskRange& r : jobs) {
    uint64_t from = r.first;
    for (auto it = leave_out.lower_bound(r.first); it != leave_out.end() && *it <= r.last; ++it) {
      if (*it > from) out.push_back({from, *it - 1});
      from = *it + 1;
    }
    if (from <= r.last) out.push_back({from, r.last});
  }
  return out;
}

}  // namespace

void Submitter::submit_with_canary(const std::vector<TaskRange>& jobs, uint64_t run_seconds,
                                   Prompter* prompter, const std::function<int64_t()>& first_batch) {
  const std::set<uint64_t> canaries = canaries_of(jobs);
  std::vector<TaskRange> canary_ranges;
  for (const uint64_t job : canaries) canary_ranges.push_back({job, job});
  const std::string named = format_task_ranges(canary_ranges);
  const std::string what =
      canaries.size() == 1 ? fmt::format("job {}", named) : fmt::format("jobs {}", named);
  const bool runs_inside = parts_.scheduler_name == "local";  // its submit() returns when the job has ended
  if (runs_inside) run_seconds = 0;
  parts_.view.line(fmt::format("jobsub: canary: {} first{}; the rest once {} {}", what,
                               canaries.size() > 1 ? " (one per resource group)" : "",
                               canaries.size() == 1 ? "it" : "each",
                               run_seconds > 0 ? fmt::format("completed or ran {} without failing",
                                                             short_duration(static_cast<double>(run_seconds)))
                                               : std::string("completed")));
  const auto began = std::chrono::steady_clock::now();
  submit(canary_ranges, nullptr, first_batch);
  if (interrupted()) return;

  // Follow them: each ends, or runs run_seconds (by jobsub's clock, from when it is first seen running).
  std::map<uint64_t, std::chrono::steady_clock::time_point> running_since;
  Tracker tracker(parts_.scheduler, parts_.prototype.results_dir, parts_.prototype.job_count);
  int failed_queries = 0;
  auto settled = [&] {
    const auto now = std::chrono::steady_clock::now();
    const bool one_failed = std::any_of(canaries.begin(), canaries.end(), [&](uint64_t job) {
      return is_final(parts_.book.state(job)) && parts_.book.state(job) != JobState::completed;
    });
    return one_failed || std::all_of(canaries.begin(), canaries.end(), [&](uint64_t job) {
             if (is_final(parts_.book.state(job))) return true;
             const auto it = running_since.find(job);
             return run_seconds > 0 && it != running_since.end() &&
                    now - it->second >= std::chrono::seconds(run_seconds);
           });
  };
  auto note_running = [&] {
    for (const uint64_t job : canaries)
      if (parts_.book.state(job) == JobState::running)
        running_since.emplace(job, std::chrono::steady_clock::now());
  };
  note_running();
  while (!settled()) {
    const double poll = parts_.test_job_poll_seconds;
    timespec pause{static_cast<time_t>(poll), static_cast<long>((poll - static_cast<time_t>(poll)) * 1e9)};
    if (!interrupted()) nanosleep(&pause, nullptr);  // returns early on Ctrl-C
    if (interrupted()) {
      parts_.view.clear();
      parts_.view.line(
          fmt::format("jobsub: stopped waiting for the canary; it goes on, and nothing else was submitted "
                      "(`jobsub submit "
                      "--resume` sends the rest)"));
      return;
    }
    std::vector<OpenJob> open = parts_.book.open();
    open.erase(
        std::remove_if(open.begin(), open.end(), [&](const OpenJob& o) { return !canaries.count(o.job); }),
        open.end());
    if (open.empty()) break;
    std::vector<TaskOutcome> outcomes;
    const Status status = tracker.poll(open, outcomes);
    if (interrupted()) continue;  // a query Ctrl-C cut short: the top of the loop says so
    if (!status.ok) {
      if (++failed_queries >= 5) throw job_error(fmt::format("cannot follow the canary: {}", status.message));
      progress(fmt::format("query failed ({}); trying again", status.message));
      continue;
    }
    failed_queries = 0;
    for (const TaskOutcome& outcome : outcomes) job_event(outcome);
    save();
    note_running();
  }
  parts_.view.clear();
  save();
  const std::vector<TaskRange> rest = without(jobs, canaries);
  const uint64_t others = count_jobs(rest);
  if (others == 0) return;  // the canary was the whole sweep: finish() reports it
  for (const uint64_t job : canaries) {
    const JobState state = parts_.book.state(job);
    if (is_final(state) && state != JobState::completed) {
      throw Error(
          ExitCode::job_failed,
          fmt::format("the canary, job {}, ended {}: the other {} {} not submitted. Once the cause is "
                      "fixed, `jobsub submit --resume` sends them and `jobsub resubmit` the canary",
                      job, to_string(state), others, others == 1 ? "job was" : "jobs were"));
    }
  }
  const std::string elapsed =
      short_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  if (prompter != nullptr &&
      !prompter->confirm(fmt::format("canary ok after {}: submit the other {}? (y/n)", elapsed, others))) {
    parts_.view.line(fmt::format("jobsub: the other {} {} not submitted; `jobsub submit --resume` sends them",
                                 others, others == 1 ? "job was" : "jobs were"));
    return;
  }
  if (prompter == nullptr)
    parts_.view.line(fmt::format("jobsub: canary ok after {}: submitting the other {}", elapsed, others));
  submit(rest, nullptr, first_batch);
}

void Submitter::record_sweep_once(const std::function<int64_t()>& first_batch) {
  if (next_batch_ != 0) return;
  const std::lock_guard lock(mutex_);
  parts_.sweep_id = first_batch();
  next_batch_ = static_cast<int>(parts_.store.batches(parts_.sweep_id).size()) + 1;
}

std::set<uint64_t> Submitter::canaries_of(const std::vector<TaskRange>& jobs) const {
  std::set<uint64_t> canaries;
  for (const auto& [group, ranges] : parts_.groups.split(jobs))
    if (!ranges.empty()) canaries.insert(ranges.front().first);
  return canaries;
}

std::string Submitter::cancel_held(const std::vector<TaskRange>& tasks, const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  const Status status = parts_.scheduler.cancel(ids);
  const std::string jobs = format_task_ranges(tasks);
  if (!status.ok) {
    return fmt::format(
        "\njobs {} stay held as {} (no canary will release them), and cancelling them failed: "
        "{}. `jobsub cancel` ends them",
        jobs, join(ids, ","), status.message);
  }
  for (const TaskRange& r : tasks) {
    for (uint64_t job = r.first; job <= r.last; ++job) {
      if (!is_final(parts_.book.state(job)) && parts_.book.state(job) != JobState::not_submitted)
        job_event({job, JobState::cancelled, -1, parts_.book.row(job).native_id, "no canary to release it"});
    }
  }
  save();
  return fmt::format(
      "\n--canary --detach: jobs {}, held as {} for a canary, were cancelled instead, as no canary will "
      "release them. `jobsub submit --resume` sends the jobs not submitted, and `jobsub resubmit` these (as "
      "ordinary jobs)",
      jobs, join(ids, ","));
}

void Submitter::submit_canary_detached(const std::vector<TaskRange>& jobs, uint64_t run_seconds,
                                       const std::function<int64_t()>& first_batch) {
  record_sweep_once(first_batch);
  const std::string until = run_seconds > 0 ? fmt::format("completed or ran {} without failing",
                                                          short_duration(static_cast<double>(run_seconds)))
                                            : std::string("completed");
  for (const auto& [group, ranges] : parts_.groups.split(jobs)) {
    if (interrupted() || ranges.empty()) return;
    const uint64_t canary = ranges.front().first;
    const std::vector<TaskRange> rest = without(ranges, {canary});
    if (rest.empty()) {
      submit_batch({{canary, canary}});
      continue;
    }
    parts_.view.line(fmt::format(
        "jobsub: canary: job {} first; jobs {} held until it {} (its own script releases them, or cancels "
        "them if it fails first); `jobsub status` follows them",
        canary, format_task_ranges(rest), until));
    std::vector<std::string> held;
    // What stops the canary from going leaves the held jobs with no one to release them.
    auto code_of = [](const std::exception& e) {
      const auto* error = dynamic_cast<const Error*>(&e);
      return error != nullptr ? error->code() : ExitCode::job_failed;
    };
    try {
      held = submit_batch(rest, {.hold = true});
    } catch (const std::exception& e) {
      throw Error(code_of(e), e.what() + cancel_held(rest, last_batch_ids_));
    }
    if (interrupted()) {  // Ctrl-C before the canary went: no one would release them
      throw Error(ExitCode::interrupted,
                  fmt::format("interrupted before the canary, job {}, was submitted", canary) +
                      cancel_held(rest, held));
    }
    HeldBatchCommands commands;
    const Status status = parts_.scheduler.held_batch_commands(held, commands);
    if (!status.ok) {
      throw job_error(fmt::format("scheduler '{}' cannot release jobs {} for a canary: {}",
                                  parts_.scheduler_name, format_task_ranges(rest), status.message) +
                      cancel_held(rest, held));
    }
    CanaryHooks hooks;
    hooks.release = commands.release;
    hooks.cancel = commands.cancel;
    hooks.release_after_seconds = run_seconds;
    hooks.held = fmt::format("jobs {} ({})", format_task_ranges(rest), join(held, ","));
    try {
      submit_batch({{canary, canary}}, {.canary = hooks, .held_jobs = rest});
    } catch (const std::exception& e) {
      if (!last_batch_ids_.empty()) throw;  // the canary was taken: it decides for them
      throw Error(code_of(e), e.what() + cancel_held(rest, held));
    }
  }
}

void Submitter::wait_for_test_job(uint64_t job) {
  if (interrupted() || is_final(parts_.book.state(job))) return;  // local: it ran inside submit
  parts_.view.line(
      fmt::format("jobsub: waiting for job {} to end before the next question (Ctrl-C stops waiting; "
                  "the job goes on)",
                  job));
  Tracker tracker(parts_.scheduler, parts_.prototype.results_dir, parts_.prototype.job_count);
  int failed_queries = 0;
  while (!is_final(parts_.book.state(job))) {
    std::vector<OpenJob> open = parts_.book.open();
    open.erase(std::remove_if(open.begin(), open.end(), [&](const OpenJob& o) { return o.job != job; }),
               open.end());
    if (open.empty()) break;
    std::vector<TaskOutcome> outcomes;
    const Status status = tracker.poll(open, outcomes);
    if (interrupted()) {
      // A query Ctrl-C cut short: handled below, without waiting a poll first.
    } else if (!status.ok) {
      if (++failed_queries >= 5) {
        parts_.view.line(fmt::format("jobsub: cannot follow job {} ({}); asking on", job, status.message));
        return;
      }
    } else {
      failed_queries = 0;
      for (const TaskOutcome& outcome : outcomes) job_event(outcome);
      save();
      if (is_final(parts_.book.state(job))) break;
    }
    const double poll = parts_.test_job_poll_seconds;
    timespec pause{static_cast<time_t>(poll), static_cast<long>((poll - static_cast<time_t>(poll)) * 1e9)};
    if (!interrupted()) nanosleep(&pause, nullptr);  // returns early on Ctrl-C
    if (interrupted()) {
      if (!take_keyboard_interrupt()) return;  // SIGTERM: jobsub stops
      parts_.view.clear();
      parts_.view.line(
          fmt::format("jobsub: stopped waiting for job {}; it goes on ({}). `jobsub status` follows it", job,
                      to_string(parts_.book.state(job))));
      return;
    }
  }
  parts_.view.clear();
}

std::vector<std::string> Submitter::submit_batch(const std::vector<TaskRange>& tasks) {
  return submit_batches({{tasks, BatchExtras()}});
}

std::vector<std::string> Submitter::submit_batch(const std::vector<TaskRange>& tasks,
                                                 const BatchExtras& extras) {
  return submit_batches({{tasks, extras}});
}

std::vector<std::string> Submitter::submit_batches(const std::vector<BatchPlan>& plans) {
  last_batch_ids_.clear();
  if (plans.empty()) return {};
  // Every script is rendered and written before any batch is recorded: a
  // request the scheduler refuses to render stops them all, with none sent.
  std::vector<PendingBatch> pending;
  pending.reserve(plans.size());
  batch_size_ = 0;
  for (const BatchPlan& plan : plans) {
    pending.push_back(render_batch(plan));
    batch_size_ += count_jobs(plan.tasks);
  }
  for (PendingBatch& batch : pending) record_submitting(batch);
  std::vector<BatchSubmission> submissions;
  submissions.reserve(pending.size());
  for (const PendingBatch& batch : pending) submissions.push_back({&batch.request, &batch.rendered});
  parts_.scheduler.submit_batches(submissions, *this);
  // Each batch is recorded as it went; the first failure is the one reported.
  std::exception_ptr first_error;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    try {
      record_submitted(pending[i], submissions[i].status, submissions[i].result);
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return last_batch_ids_;
}

Submitter::PendingBatch Submitter::render_batch(const BatchPlan& plan) {
  {  // Another jobsub (an automatic retry sent by `status` while this one asked) may have made batches since.
    const std::lock_guard lock(mutex_);
    next_batch_ = std::max(next_batch_, static_cast<int>(parts_.store.batches(parts_.sweep_id).size()) + 1);
  }
  PendingBatch batch{plan, fmt::format("batch-{}", next_batch_++)};
  BatchRequest& request = batch.request;
  request = this->batch(batch.name, plan.tasks);
  request.token = new_batch_token();
  request.hold = plan.extras.hold;
  if (plan.extras.canary) request.task_body = with_canary_hooks(request.task_body, *plan.extras.canary);
  check_status(parts_.scheduler.render(request, batch.rendered),
               fmt::format("scheduler '{}'", parts_.scheduler_name));
  if (!warned_) {
    for (const std::string& w : batch.rendered.warnings) parts_.view.scheduler_note(w);
    warned_ = true;
  }
  write_script(request.script_path, batch.rendered.script);
  return batch;
}

void Submitter::record_submitting(PendingBatch& batch) {
  const BatchRequest& request = batch.request;
  const BatchExtras& extras = batch.plan.extras;
  nlohmann::ordered_json submitting = {{"batch", batch.name},
                                       {"jobs", format_task_ranges(batch.plan.tasks)},
                                       {"state", "submitting"},
                                       {"token", request.token},
                                       {"resources", request.resources},
                                       {"init", request.init_lines},
                                       {"program_sha256", parts_.program_sha256},
                                       {"script", request.script_path.string()},
                                       {"submit", batch.rendered.submit_argv}};
  if (extras.hold) submitting["held"] = true;  // until a canary's script releases them
  if (extras.canary) {  // `jobsub status` reads these when the canary ended without deciding
    submitting["canary_of"] = extras.canary->held;
    submitting["held_jobs"] = format_task_ranges(extras.held_jobs);
    submitting["release"] = shell_join(extras.canary->release);
  }
  append_submission(request.results_dir, submitting);
  {
    const std::lock_guard lock(mutex_);
    flush_store_locked();
    if (parts_.before_batch) parts_.before_batch(batch.plan.tasks);
    batch.batch_id = parts_.store.begin_batch(parts_.sweep_id, batch.name, request.token, batch.plan.tasks);
  }
  for (const TaskRange& r : batch.plan.tasks) {
    for (uint64_t job = r.first; job <= r.last; ++job) parts_.book.set_state(job, JobState::pending);
  }
}

void Submitter::record_submitted(const PendingBatch& batch, const Status& status,
                                 const SubmitResult& result) {
  const std::vector<TaskRange>& tasks = batch.plan.tasks;
  const std::string& name = batch.name;
  const fs::path& results = batch.request.results_dir;
  const std::string jobs = format_task_ranges(tasks);
  const uint64_t batch_jobs = count_jobs(tasks);
  for (const TaskOutcome& outcome : result.outcomes) job_event(outcome);
  // Jobs the scheduler holds now (not those a local run ended, or kept from starting).
  bool queued = std::any_of(result.outcomes.begin(), result.outcomes.end(), [](const TaskOutcome& o) {
    return !is_final(o.state) && o.state != JobState::not_submitted;
  });
  for (const TaskOutcome& outcome : result.outcomes) {
    if (!is_final(outcome.state) && !outcome.native_id.empty() &&
        std::find(last_batch_ids_.begin(), last_batch_ids_.end(), outcome.native_id) == last_batch_ids_.end())
      last_batch_ids_.push_back(outcome.native_id);
  }
  for (const SubmittedArray& array : result.arrays) {
    last_batch_ids_.push_back(array.native_id);
    for (const TaskRange& r : array.tasks) {
      for (uint64_t t = r.first; t <= r.last; ++t) {
        parts_.book.apply({array.offset + t, JobState::queued, -1, array.task_id(t), array.native_state});
        queued = true;
      }
    }
  }
  parts_.view.clear();
  // Jobs the scheduler did not take (still pending) are recorded as such.
  uint64_t untaken = 0;
  std::vector<TaskRange> not_taken, taken;
  auto add = [](std::vector<TaskRange>& ranges, uint64_t job) {
    if (!ranges.empty() && ranges.back().last + 1 == job) {
      ranges.back().last = job;
    } else {
      ranges.push_back({job, job});
    }
  };
  for (const TaskRange& r : tasks) {
    for (uint64_t job = r.first; job <= r.last; ++job) {
      if (parts_.book.state(job) == JobState::pending) {
        parts_.book.set_state(job, JobState::not_submitted);
        add(not_taken, job);
        ++untaken;
      } else {
        add(taken, job);
      }
    }
  }
  if (status.ok) ++batches_submitted_;
  // Jobs still in the scheduler's hands: say where to find them.
  const uint64_t job_count = parts_.prototype.job_count;
  if (status.ok && queued && !result.native_id.empty()) {
    const bool one = batch_jobs == 1;
    parts_.view.line(
        fmt::format("jobsub: {} {} submitted{} as {}{}", one ? "job" : "jobs", jobs,
                    batch.plan.extras.hold ? " held" : "", result.native_id,
                    one ? fmt::format("; output will be in {}",
                                      ResultsLayout(results, job_count).job_dir(tasks.front().first).string())
                        : std::string()));
  }
  append_submission(results, {{"batch", name},
                              {"jobs", jobs},
                              {"state", status.ok ? "submitted" : "failed"},
                              {"native_id", result.native_id},
                              {"message", status.message}});
  {
    const std::lock_guard lock(mutex_);
    flush_store_locked();
    parts_.store.end_batch(parts_.sweep_id, batch.batch_id,
                           status.ok ? BatchState::submitted : BatchState::failed, result.native_id,
                           status.message, result.outcomes, result.arrays);
  }
  save();
  if (!status.ok && interrupted()) {
    throw Error(
        ExitCode::interrupted,
        fmt::format("interrupted while submitting {}: {} of its {} jobs were submitted; record of which: {}",
                    name, batch_jobs - untaken, batch_jobs,
                    parts_.prototype.results().jobs_table().string()));
  }
  if (!status.ok) {
    // Say what the scheduler holds and what it does not, and how to send the rest.
    std::string sweep_dir = fs::relative(results, fs::current_path()).string();
    if (sweep_dir.empty() || sweep_dir.rfind("..", 0) == 0) sweep_dir = results.string();
    auto jobs_word = [](const std::vector<TaskRange>& ranges) {
      return count_jobs(ranges) == 1 ? "job" : "jobs";
    };
    const std::string what =
        taken.empty() ? fmt::format("{} (jobs {})", name, jobs)
                      : fmt::format("{} {} of {}", jobs_word(not_taken), format_task_ranges(not_taken), name);
    const std::string held =
        taken.empty() ? std::string()
                      : fmt::format("\n{} {} {} submitted{} and go on", jobs_word(taken),
                                    format_task_ranges(taken), count_jobs(taken) == 1 ? "was" : "were",
                                    result.native_id.empty() ? std::string() : " as " + result.native_id);
    throw job_error(fmt::format(
        "scheduler '{}' could not submit {}: {}{}\n`jobsub submit --resume {}` sends the jobs not "
        "submitted once the cause is fixed; record of what was and was not submitted: {}",
        parts_.scheduler_name, what, status.message, held, sweep_dir,
        parts_.prototype.results().jobs_table().string()));
  }
}

void Submitter::job_event(const TaskOutcome& outcome) noexcept {
  if (outcome.job == 0 || outcome.job > parts_.book.size()) return;
  const JobState before = parts_.book.apply(outcome);
  bool full = false;
  {
    const std::lock_guard lock(mutex_);
    changed_.push_back(outcome);
    full = changed_.size() >= 4096;  // bounded memory on a long local run
  }
  if (full) wake_.notify_one();
  parts_.view.job_changed(outcome, before, parts_.book, batch_size_ == 1);
}

void Submitter::flush_store() noexcept {
  const std::lock_guard lock(mutex_);
  flush_store_locked();
}

void Submitter::flush_store_locked() noexcept {
  if (changed_.empty() || parts_.sweep_id == 0) return;
  try {
    parts_.store.update_jobs(parts_.sweep_id, changed_);
  } catch (const std::exception& e) {
    // The files stay the record; the store catches up at the next flush.
    progress(fmt::format("jobsub: could not update the state store: {}", e.what()));
    return;
  }
  changed_.clear();
}

void Submitter::save() noexcept {
  flush_store();
  try {
    write_jobs_table(parts_.prototype.results_dir, parts_.book.size(),
                     [&](uint64_t job) { return parts_.book.row(job); });
  } catch (const std::exception& e) {
    progress(fmt::format("jobsub: could not write jobs.tsv: {}", e.what()));
  }
}

void Submitter::wait(double poll_seconds) {
  Tracker tracker(parts_.scheduler, parts_.prototype.results_dir, parts_.prototype.job_count);
  int failed_queries = 0;
  for (std::vector<OpenJob> jobs = parts_.book.open(); !jobs.empty(); jobs = parts_.book.open()) {
    if (interrupted()) {
      parts_.view.line(fmt::format("jobsub: stopped waiting; the jobs go on ({} not finished)", jobs.size()));
      return;
    }
    std::vector<TaskOutcome> outcomes;
    const Status status = tracker.poll(jobs, outcomes);
    if (!status.ok) {
      if (++failed_queries >= 5) throw job_error(fmt::format("cannot follow the jobs: {}", status.message));
      progress(fmt::format("query failed ({}); trying again", status.message));
    } else {
      failed_queries = 0;
      for (const TaskOutcome& outcome : outcomes) job_event(outcome);
      save();
      send_due_retries();
      if (parts_.book.open().empty()) break;
    }
    timespec pause{static_cast<time_t>(poll_seconds),
                   static_cast<long>((poll_seconds - static_cast<time_t>(poll_seconds)) * 1e9)};
    nanosleep(&pause, nullptr);  // returns early on Ctrl-C
  }
  parts_.view.clear();
}

}  // namespace jobsub
