#pragma once
/// What a person sees while a sweep is submitted and followed: a line for
/// each job that ends other than completed (every job off a terminal), a
/// progress line on a terminal, and notes. Reads the JobBook; changes nothing.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "jobsub/export.h"
#include "jobsub/interfaces.h"
#include "jobsub/job_book.h"

namespace jobsub {

namespace fs = std::filesystem;

class JOBSUB_API ProgressView {
 public:
  /// On a terminal (`out` is std::cout and stdout a tty) the progress line is
  /// drawn, with colour unless NO_COLOR.
  ProgressView(std::ostream& out, std::string scheduler, fs::path results_dir, uint64_t job_count);

  bool color() const { return color_; }
  std::ostream& out() { return out_; }
  /// Writes `text` as is (on standard output through write_stdout()).
  void emit(const std::string& text) noexcept;
  /// A line of text, after clearing the progress line.
  void line(const std::string& text) noexcept;
  /// `jobsub: note: <scheduler>: <text>`.
  void scheduler_note(const std::string& text) noexcept;
  /// A job changed from `before` to `outcome.state`. `test_job`: it was
  /// submitted alone (the y answer), so it gets its own line, with its output.
  void job_changed(const TaskOutcome& outcome, JobState before, const JobBook& book, bool test_job) noexcept;
  void draw(const JobBook& book) noexcept;
  void clear() noexcept;

 private:
  std::ostream& out_;
  std::string scheduler_;
  fs::path results_dir_;
  uint64_t job_count_;
  bool terminal_;
  bool color_;
  bool shown_ = false;
};

/// True when `out` is standard output on a terminal that takes colour
/// (not NO_COLOR): what the view, the summary and notes go by.
JOBSUB_API bool shows_color(const std::ostream& out);

/// The last `count` lines of a file, each indented, after a newline; empty
/// when there is no such file or it is empty. Reads at most the last 4 KiB.
JOBSUB_API std::string last_lines(const fs::path& path, std::size_t count);

}  // namespace jobsub
