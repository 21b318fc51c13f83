#include "jobsub/batch_scheduler.h"

#include <fmt/core.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <stdexcept>

#include "jobsub/plugin.h"
#include "jobsub/resources.h"
#include "jobsub/text.h"

namespace jobsub {

namespace batch {

std::vector<Chunk> plan_chunks(const std::vector<TaskRange>& jobs, bool array, ArrayIds ids, uint64_t limit,
                               bool single_runs_as_jobs) {
  std::vector<Chunk> chunks;
  if (!array) {
    for (const TaskRange& r : jobs) {
      for (uint64_t job = r.first; job <= r.last; ++job) chunks.push_back({job, {{1, 1}}, false});
    }
    return chunks;
  }
  limit = std::max<uint64_t>(limit, 1);
  if (ids == ArrayIds::ranges) {
    // As few arrays as fit: a chunk takes every job within `limit` of its
    // first (`--array=2,4` for a resubmit of jobs 2 and 4) and at most
    // kRangesPerChunk ranges, keeping the command line short.
    constexpr std::size_t kRangesPerChunk = 1000;
    for (const TaskRange& range : jobs) {
      for (uint64_t first = range.first; first <= range.last;) {
        if (chunks.empty() || first > chunks.back().offset + limit ||
            chunks.back().ids.size() >= kRangesPerChunk)
          chunks.push_back({first - 1, {}, true});
        Chunk& chunk = chunks.back();
        const uint64_t last = std::min(range.last, chunk.offset + limit);
        chunk.ids.push_back({first - chunk.offset, last - chunk.offset});
        first = last + 1;
      }
    }
    return chunks;
  }
  for (const TaskRange& r : jobs) {
    for (uint64_t first = r.first; first <= r.last; first += limit) {
      const uint64_t tasks = std::min(limit, r.last - first + 1);
      if (tasks == 1 && single_runs_as_jobs) {
        chunks.push_back({first, {{1, 1}}, false});
      } else {
        chunks.push_back({first - 1, {{1, tasks}}, true});
      }
    }
  }
  return chunks;
}

void throttle_chunks(std::vector<Chunk>& chunks, uint64_t max_running) {
  if (max_running == 0 || chunks.empty()) return;
  const std::size_t lanes = static_cast<std::size_t>(std::min<uint64_t>(max_running, chunks.size()));
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const std::size_t lane = i % lanes;
    chunks[i].max_running = max_running / lanes + (lane < max_running % lanes ? 1 : 0);
    if (i >= lanes) {
      chunks[i].after = i - lanes;
      chunks[i].after_array = chunks[i - lanes].array;
    }
  }
}

std::optional<uint64_t> offset_in_tag(const std::string& tag, const std::string& token) {
  if (token.empty()) return std::nullopt;
  const std::string marker = token + ":";
  const std::size_t at = tag.find(marker);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t digits = at + marker.size();
  std::size_t end = digits;
  while (end < tag.size() && tag[end] >= '0' && tag[end] <= '9') ++end;
  if (end == digits) return std::nullopt;
  return std::stoull(tag.substr(digits, end - digits));
}

}  // namespace batch

BatchScheduler::BatchScheduler(std::span<const jobsub_option_info> options, std::string display_name,
                               std::string prefix)
    : options_(options),
      display_name_(std::move(display_name)),
      prefix_(std::move(prefix)),
      runner_(&system_process_runner()) {}

Status BatchScheduler::configure(const PluginOptions& options) noexcept {
  return guarded([&] {
    notes_.clear();
    const OptionReader reader(options_, options, prefix_);
    auto declares = [&](const jobsub_option_info& option) {
      return std::any_of(options_.begin(), options_.end(), [&](const jobsub_option_info& o) {
        return std::string_view(o.name) == option.name;
      });
    };
    if (declares(batch::kClientTimeoutOption))
      client_timeout_ =
          std::chrono::milliseconds(static_cast<int64_t>(reader.seconds("client-timeout") * 1000));
    // The old names, where given, over the new ones' defaults.
    if (declares(batch::kSubmitRetriesOption) && !reader.text(batch::kSubmitRetriesOption.name).empty()) {
      submit_retries_ = static_cast<unsigned>(reader.count(batch::kSubmitRetriesOption.name));
    } else if (declares(batch::kSubmitAttemptsOption)) {
      submit_retries_ = static_cast<unsigned>(reader.count(batch::kSubmitAttemptsOption.name, 1) - 1);
    }
    if (declares(batch::kRetryDelayOption) && !reader.text(batch::kRetryDelayOption.name).empty()) {
      retry_delay_ = reader.seconds(batch::kRetryDelayOption.name);
    } else if (declares(batch::kSubmitRetryDelayOption)) {
      retry_delay_ = reader.seconds(batch::kSubmitRetryDelayOption.name);
    }
    submitted_after_ = 0;
    if (auto since = options.find(kSubmittedAfterOption); since != options.end() && !since->second.empty())
      submitted_after_ = std::stoll(since->second);
    configure_dialect(reader);
  });
}

std::string BatchScheduler::default_template() const noexcept { return script_template_; }

std::string BatchScheduler::read_value(const batch::DirectiveRule& rule, const std::string& value) const {
  switch (rule.unit) {
    case batch::Unit::duration_hms:
      return format_duration_hms(parse_duration(value, rule.resource));
    case batch::Unit::duration_hm: {
      const uint64_t minutes = (parse_duration(value, rule.resource) + 59) / 60;
      return fmt::format("{}:{:02}", minutes / 60, minutes % 60);
    }
    case batch::Unit::memory_mib:
      return std::to_string(parse_memory_mib(value, rule.resource));
    case batch::Unit::text:
      break;
  }
  return value;
}

std::vector<std::string> BatchScheduler::directives(const BatchRequest& request) const {
  std::vector<std::string> out = leading_directives(request);
  std::vector<std::string> extras;
  const std::string extra_prefix = prefix_ + ".";
  for (const auto& [key, value] : request.resources) {
    if (consumes(key)) continue;
    if (key == "directives") {
      for (std::string& line : nonempty_lines(value)) extras.push_back(std::move(line));
      continue;
    }
    if (key.rfind(extra_prefix, 0) == 0) {
      extras.push_back(extra_directive(key.substr(extra_prefix.size()), value));
      continue;
    }
    const std::string& resource = key;  // (clang 14 cannot capture a structured binding)
    auto rule = std::find_if(directives_.begin(), directives_.end(),
                             [&](const batch::DirectiveRule& r) { return r.resource == resource; });
    if (rule != directives_.end()) {
      std::string line = rule->custom ? rule->custom(value, request) : spell(*rule, read_value(*rule, value));
      if (!line.empty()) out.push_back(std::move(line));
      continue;
    }
    if (key.find('.') != std::string::npos) continue;  // `pbs.x` on Slurm: another scheduler's extras
    std::vector<std::string> known;
    for (const batch::DirectiveRule& r : directives_) {
      if (std::find(known.begin(), known.end(), r.resource) == known.end()) known.push_back(r.resource);
    }
    known.insert(known.end(), {"job_name", "directives"});
    throw std::invalid_argument(fmt::format(
        "{} cannot express resource '{}': known are {}; for anything else write {}", display_name_, key,
        join(known), extra_resources_.empty() ? prefix_ + ".<option>" : extra_resources_));
  }
  for (std::string& line : trailing_directives(request)) out.push_back(std::move(line));
  out.insert(out.end(), extras.begin(), extras.end());
  return out;
}

std::vector<batch::Chunk> BatchScheduler::plan(const BatchRequest& request) const {
  std::vector<batch::Chunk> chunks =
      batch::plan_chunks(request.tasks, request.array, array_ids_, array_limit_, single_runs_as_jobs_);
  batch::throttle_chunks(chunks, request.max_running);
  for (batch::Chunk& chunk : chunks) {
    if (chunk.after) chunk.after_id = fmt::format("<id of call {}>", *chunk.after + 1);
  }
  return chunks;
}

Status BatchScheduler::render(const BatchRequest& request, RenderedBatch& out) noexcept {
  return guarded([&] {
    if (request.tasks.empty()) throw std::invalid_argument("a batch without jobs");
    TemplateValues values = batch_template_values(request);
    values.lists["directives"] = directives(request);
    add_template_values(request, values);
    out.script = render_batch_script(request, values, script_template_, prefix_);
    const std::vector<batch::Chunk> chunks = plan(request);
    if (request.hold && hold_flags_.empty())
      throw std::invalid_argument(fmt::format("{} cannot submit jobs held", display_name_));
    for (const batch::Chunk& chunk : chunks) out.all_submit_argvs.push_back(chunk_argv(request, chunk));
    out.submit_argv = out.all_submit_argvs.front();
    if (out.all_submit_argvs.size() == 1) out.all_submit_argvs.clear();
    out.submit_stdin = submit_stdin(request);
    plan_notes(request, chunks, out.warnings);
    out.warnings.insert(out.warnings.end(), notes_.begin(), notes_.end());
  });
}

ProcessResult BatchScheduler::call(const Argv& argv, const fs::path& stdin_file) const {
  ProcessResult r;
  try {
    r = runner_->run(argv, {.cwd = {}, .stdin_file = stdin_file, .timeout = client_timeout_});
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what());
  }
  if (r.timed_out) {
    throw std::runtime_error(
        fmt::format("`{}` did not answer within {} s (stopped)", join(argv, " "),
                    std::chrono::duration_cast<std::chrono::seconds>(client_timeout_).count()));
  }
  return r;
}

namespace {

void pause_seconds(double seconds) {
  timespec pause{static_cast<time_t>(seconds), static_cast<long>((seconds - std::floor(seconds)) * 1e9)};
  nanosleep(&pause, nullptr);  // returns early on Ctrl-C
}

}  // namespace

bool BatchScheduler::is_transient(const std::string& message) const {
  auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
  };
  const std::string said = lower(message);
  return std::any_of(transient_messages_.begin(), transient_messages_.end(), [&](const std::string& pattern) {
    return said.find(lower(pattern)) != std::string::npos;
  });
}

std::optional<std::string> BatchScheduler::taken(const std::string& token, uint64_t offset) {
  if (token.empty()) return std::nullopt;
  for (const batch::JobRow& row : tagged_jobs()) {
    if (batch::offset_in_tag(row.tag, token) == offset) return submitted_id(row);
  }
  return std::nullopt;
}

Status BatchScheduler::submit_chunk(const BatchRequest& request, const batch::Chunk& chunk,
                                    SubmitContext& context, std::string& id) {
  const Argv argv = chunk_argv(request, chunk);
  const std::string& client = argv.front();
  double delay = retry_delay_;
  for (unsigned attempt = 0;; ++attempt) {
    ProcessResult r;
    std::string message;
    bool transient = false;
    try {
      r = runner_->run(argv, {.cwd = {}, .stdin_file = submit_stdin(request), .timeout = client_timeout_});
    } catch (const std::exception& e) {  // it could not be started: nothing was sent
      return Status::failure(e.what());
    }
    const std::string out = trim(r.out), err = trim(r.err);
    if (r.timed_out) {
      message = fmt::format("{} did not answer within {} s (stopped)", client,
                            std::chrono::duration_cast<std::chrono::seconds>(client_timeout_).count());
      transient = true;
    } else if (r.ok()) {
      if (std::optional<std::string> printed = job_id(out)) {
        id = *printed;
        return Status::success();
      }
      message = fmt::format("{} printed no job id: '{}'", client, out);
    } else {
      message = err.empty() ? out : err;
      if (message.rfind(client, 0) != 0)  // `sbatch: error: ...` names itself
        message = fmt::format("{} (exit {}): {}", client, r.exit_code, message);
      transient = is_transient(message);
    }
    // The call may have been taken all the same: look before trying again,
    // and before giving up (after a pause when the controller was struggling).
    const bool retry = transient && attempt < submit_retries_ && !context.interrupted();
    const double wait = retry_delay_ <= 0 ? 0 : std::max(transient ? delay : 0.0, lookup_delay_);
    if (transient || wait > 0) {
      context.progress(fmt::format("{} failed ({}); looking in {}'s queue in {:.3g} s before {}", client,
                                   message, display_name_, wait,
                                   retry ? fmt::format("trying again ({}/{})", attempt + 1, submit_retries_)
                                         : std::string("giving up")));
      pause_seconds(wait);
      if (transient) delay *= 2;
    }
    try {
      if (std::optional<std::string> found = taken(request.token, chunk.offset)) {
        context.progress(
            fmt::format("{} reported a failure ({}), but {} holds the jobs as {}: taken once, not sent again",
                        client, message, display_name_, *found));
        id = *found;
        return Status::success();
      }
    } catch (const std::exception& e) {
      return Status::failure(
          fmt::format("{}; {} could not be asked whether it took the jobs all the same ({}): `jobsub submit "
                      "--resume` looks again and sends only what it does not hold",
                      message, display_name_, e.what()));
    }
    if (!retry) {
      return Status::failure(fmt::format(
          "{}{}", attempt > 0 ? fmt::format("after {} attempts, ", attempt + 1) : std::string(), message));
    }
  }
}

SubmittedArray BatchScheduler::array_of(const std::string& id, const batch::Chunk& chunk) const {
  return {id, chunk.offset, chunk.ids, submitted_state_, task_separator_, task_suffix_};
}

Status BatchScheduler::submit(const BatchRequest& request, const RenderedBatch&, SubmitContext& context,
                              SubmitResult& result) noexcept {
  return guarded([&]() -> Status {
    fs::create_directories(request.results().logs());
    result.native_id.clear();
    std::vector<std::string> ids;  // each chunk's, for the chunks that start after it
    for (batch::Chunk& chunk : plan(request)) {
      if (context.interrupted()) return Status::failure("interrupted");
      if (chunk.after) chunk.after_id = ids.at(*chunk.after);
      std::string id;
      const Status status = submit_chunk(request, chunk, context, id);
      if (!status.ok) return status;
      ids.push_back(id);
      result.native_id += (result.native_id.empty() ? "" : ",") + id;
      if (chunk.array) {
        result.arrays.push_back(array_of(id, chunk));
      } else {
        result.outcomes.push_back({chunk.offset, JobState::queued, -1, id, submitted_state_});
      }
    }
    return Status::success();
  });
}

std::string BatchScheduler::job_name_of(const BatchRequest& request, bool& given) {
  const auto named = request.resources.find("job_name");
  given = named != request.resources.end();
  return given ? named->second : request.sweep_name;
}

std::string BatchScheduler::user_name() {
  const passwd* account = ::getpwuid(::getuid());
  return account != nullptr ? account->pw_name : std::to_string(::getuid());
}

std::string BatchScheduler::job_of(const std::string& native_id) const {
  return native_id.substr(0, native_id.find(task_separator_));
}

Status BatchScheduler::query(const std::vector<std::string>& native_ids,
                             std::vector<TaskOutcome>& out) noexcept {
  return guarded([&]() -> Status {
    std::set<std::string> jobs;
    for (const std::string& id : native_ids) jobs.insert(job_of(id));
    if (jobs.empty()) return Status::success();
    const Argv status_command = status_argv(jobs);
    const ProcessResult answer = call(status_command);
    const std::set<std::string> wanted(native_ids.begin(), native_ids.end());
    std::set<std::string> seen;
    const std::string& status_client = status_command.front();
    for (const batch::JobRow& row : parse_status(answer)) {
      if (!wanted.count(row.id) || !seen.insert(row.id).second) continue;
      out.push_back({0, row.state, row.exit_code, row.id, row.native_state, Evidence::scheduler,
                     row.source.empty() ? status_client : row.source});
    }
    std::set<std::string> gone;
    for (const std::string& id : native_ids) {
      if (!seen.count(id)) gone.insert(job_of(id));
    }
    if (gone.empty()) return Status::success();
    std::vector<batch::JobRow> accounted;
    try {
      accounted = accounting(gone);
    } catch (const std::exception&) {  // accounting that cannot be asked says nothing: the logs decide
    }
    auto add = [&](const std::string& id, const batch::JobRow& row) {
      out.push_back({0, row.state, row.exit_code, id, row.native_state, Evidence::scheduler,
                     row.source.empty() ? std::string("accounting") : row.source});
    };
    std::map<std::string, const batch::JobRow*> whole_jobs;  // a row under the array's own id
    for (const batch::JobRow& row : accounted) {
      if (wanted.count(row.id)) {
        if (seen.insert(row.id).second) add(row.id, row);
      } else if (gone.count(row.id)) {
        whole_jobs.emplace(row.id, &row);
      }
    }
    // Slurm lists an array cancelled before any task started under the array's
    // id alone: that row stands for each of its tasks that has none of its own.
    for (const std::string& id : native_ids) {
      if (seen.count(id)) continue;
      auto whole = whole_jobs.find(job_of(id));
      if (whole != whole_jobs.end() && seen.insert(id).second) add(id, *whole->second);
    }
    return Status::success();
  });
}

Status BatchScheduler::find(const BatchRequest& request, std::vector<TaskOutcome>& out) noexcept {
  return guarded([&]() -> Status {
    if (request.token.empty()) return Status::success();
    for (const batch::JobRow& row : tagged_jobs()) {
      const std::optional<uint64_t> offset = batch::offset_in_tag(row.tag, request.token);
      if (!offset) continue;
      out.push_back({*offset + row.task, row.state, row.exit_code, row.id, row.native_state});
    }
    return Status::success();
  });
}

fs::path BatchScheduler::log_file(const fs::path& logs_dir, const std::string& native_id) const noexcept {
  try {
    const std::string name = log_name(native_id);
    return name.empty() ? fs::path() : logs_dir / name;
  } catch (...) {
    return {};
  }
}

bool BatchScheduler::log_verdict(const fs::path& logs_dir, const std::string& native_id,
                                 TaskOutcome& out) const noexcept {
  if (log_messages_.empty()) return false;
  try {
    const std::string name = log_name(native_id);
    if (name.empty()) return false;
    std::ifstream in(logs_dir / name, std::ios::binary);
    if (!in) return false;
    // The scheduler writes its message first or last: the log's head and tail are enough.
    constexpr std::streamoff kEnd = 64 * 1024;
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    auto read = [&](std::streamoff from, std::streamoff count) {
      std::string part(static_cast<std::size_t>(std::max<std::streamoff>(0, count)), '\0');
      in.seekg(from);
      in.read(part.data(), count);
      part.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
      return part;
    };
    std::string text = read(0, std::min(size, kEnd));
    if (size > kEnd) {
      in.clear();
      const std::streamoff from = std::max(kEnd, size - kEnd);
      text += read(from, size - from);
    }
    for (const auto& [message, state] : log_messages_) {
      if (text.find(message) == std::string::npos) continue;
      out.state = state;
      out.native_state = message;
      out.evidence = Evidence::scheduler_log;
      out.source = fmt::format("{} log", display_name_);
      return true;
    }
  } catch (const std::exception&) {  // an unreadable log says nothing
  }
  return false;
}

Argv BatchScheduler::cancel_argv(const std::vector<std::string>& native_ids) const {
  Argv argv = {cancel_client_};
  argv.insert(argv.end(), native_ids.begin(), native_ids.end());
  return argv;
}

Argv BatchScheduler::release_argv(const std::vector<std::string>& native_ids) const {
  Argv argv = release_client_;
  argv.insert(argv.end(), native_ids.begin(), native_ids.end());
  return argv;
}

Argv BatchScheduler::chunk_argv(const BatchRequest& request, const batch::Chunk& chunk) const {
  Argv argv = submit_argv(request, chunk);
  if (request.hold && !argv.empty()) argv.insert(argv.begin() + 1, hold_flags_.begin(), hold_flags_.end());
  return argv;
}

Status BatchScheduler::held_batch_commands(const std::vector<std::string>& native_ids,
                                           HeldBatchCommands& out) const noexcept {
  out = {};
  if (hold_flags_.empty() || release_client_.empty())
    return Status::failure(fmt::format("{} cannot hold jobs until a canary releases them", display_name_));
  if (native_ids.empty()) return Status::failure("no held jobs to release or cancel");
  return guarded([&] {
    out.release = release_argv(native_ids);
    out.cancel = cancel_argv(native_ids);
  });
}

Status BatchScheduler::cancel(const std::vector<std::string>& native_ids) noexcept {
  return guarded([&]() -> Status {
    if (native_ids.empty()) return Status::success();
    const Argv argv = cancel_argv(native_ids);
    const ProcessResult r = call(argv);
    if (!cancelled(r))
      return Status::failure(fmt::format("{} failed: {}", argv.front(), trim(r.err + r.out)));
    return Status::success();
  });
}

Status BatchScheduler::resource_limits(const BatchRequest& request, ResourceLimits& out) noexcept {
  out = {};
  return guarded([&] { out = limits(request); });
}

uint64_t BatchScheduler::probe_limit(const Argv& command, const std::string& pattern, uint64_t fallback,
                                     const std::string& setting, const std::string& option) {
  const std::regex line(pattern);
  std::string why;
  try {
    const ProcessResult r = call(command);
    std::smatch m;
    if (r.ok() && std::regex_search(r.out, m, line) && std::stoull(m[1]) >= 1) return std::stoull(m[1]);
    why = r.ok() ? fmt::format("it shows no {}", setting) : trim(r.err);
  } catch (const std::exception& e) {
    why = e.what();
  }
  notes_.push_back(
      fmt::format("could not read {} from `{}` ({}); planning with {}'s default {} (set --{} to your "
                  "site's)",
                  setting, join(command, " "), why, display_name_, fallback, option));
  return fallback;
}

}  // namespace jobsub
