#include "jobsub/progress_view.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "jobsub/script.h"
#include "jobsub/terminal.h"

namespace jobsub {

ProgressView::ProgressView(std::ostream& out, std::string scheduler, fs::path results_dir, uint64_t job_count)
    : out_(out),
      scheduler_(std::move(scheduler)),
      results_dir_(std::move(results_dir)),
      job_count_(job_count),
      terminal_(&out == &std::cout && ::isatty(STDOUT_FILENO)),
      color_(shows_color(out)) {}

bool shows_color(const std::ostream& out) {
  return &out == &std::cout && ::isatty(STDOUT_FILENO) && use_color(STDOUT_FILENO);
}

void ProgressView::emit(const std::string& text) noexcept {
  if (&out_ == &std::cout) {
    write_stdout(text);
    return;
  }
  try {
    out_ << text;
    out_.flush();
  } catch (...) {  // a stream set to throw: the text is lost, the run goes on
  }
}

void ProgressView::line(const std::string& text) noexcept {
  clear();
  emit(text + "\n");
}

void ProgressView::scheduler_note(const std::string& text) noexcept {
  line(fmt::format("jobsub: {} {}: {}", styled(color_, styles::note, "note:"), scheduler_, text));
}

void ProgressView::clear() noexcept {
  if (terminal_ && shown_) {
    emit("\r\033[K");
    shown_ = false;
  }
}

void ProgressView::draw(const JobBook& book) noexcept {
  if (!terminal_) return;
  const uint64_t failed = book.failed();
  emit(fmt::format("\r\033[K{} {} completed, {}, {} running",
                   styled(color_, styles::progress,
                          fmt::format("[{}] {}/{} done:", scheduler_, book.ended(), book.submitted())),
                   book.count(JobState::completed),
                   styled(color_ && failed > 0, styles::failure, fmt::format("{} failed", failed)),
                   book.count(JobState::running)));
  shown_ = true;
}

void ProgressView::job_changed(const TaskOutcome& outcome, JobState before, const JobBook& book,
                               bool test_job) noexcept {
  // On a terminal the progress line shows completions; a test job always
  // gets its own line, with where its output is.
  if (is_final(outcome.state) && !is_final(before) && outcome.state != JobState::skipped &&
      (!terminal_ || outcome.state != JobState::completed || test_job)) {
    clear();
    const ResultsLayout results(results_dir_, job_count_);
    const fs::path job_dir = results.job_dir(outcome.job);
    const fs::path stderr_file = results.job_file(outcome.job, job_files::kStderr);
    std::string detail;
    if (outcome.state == JobState::lost) {
      detail = ": gone from the queue without an exit code";
    } else if (outcome.state != JobState::completed && outcome.state != JobState::cancelled) {
      std::error_code ec;
      detail = fs::exists(stderr_file, ec)
                   ? fmt::format(": see {}", stderr_file.string())
                   : fmt::format(": it left no output of its own; see the scheduler's log in {}",
                                 results.logs().string());
      if (test_job) detail += last_lines(stderr_file, 5);
    } else if (test_job && outcome.state == JobState::completed) {
      detail = fmt::format(": output in {}", job_dir.string());
    }
    const fmt::text_style style = outcome.state == JobState::completed ? styles::success : styles::failure;
    emit(fmt::format(
        "job {}/{} {}{}{}\n", outcome.job, job_count_, styled(color_, style, to_string(outcome.state)),
        outcome.exit_code >= 0 ? fmt::format(" (exit {})", outcome.exit_code) : std::string(), detail));
  }
  draw(book);
}

std::string last_lines(const fs::path& path, std::size_t count) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - 4096);
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::vector<std::string> lines;
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  if (start > 0 && !lines.empty()) lines.erase(lines.begin());  // a partial first line
  std::string out;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
    out += fmt::format("\n    | {}", lines[i]);
  return out;
}

}  // namespace jobsub
