#pragma once
/// The job files of a results directory as a task body and a scheduler read
/// them (`commands`, `params.jsonl`, `argv.jsonl` and their index
/// `tasks.idx`), and the atomic write every file jobsub leaves goes through.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <string>

#include "jobsub/export.h"
#include "jobsub/results_layout.h"

namespace jobsub {

namespace fs = std::filesystem;

/// Writes `text` to `path` through a temporary file and a rename, so a reader
/// never sees half a file.
JOBSUB_API void write_file_atomically(const fs::path& path, const std::string& text);
/// The same, with the text streamed by `write` (for files too large to hold).
JOBSUB_API void write_file_atomically(const fs::path& path, const std::function<void(std::ostream&)>& write);

/// `tasks.idx` beside `commands`, `params.jsonl` and `argv.jsonl`: record i
/// (0-based) holds the byte offsets where job i+1's line starts in each of the
/// three files, and one last record where they end. Records have a fixed width,
/// so a batch script (`dd skip=`) and jobsub find any job's lines in constant
/// time, however large the sweep.
inline constexpr std::size_t kTaskIndexRecordSize = 39;
/// One record: three 12-digit offsets, space-separated, newline-terminated.
JOBSUB_API std::string task_index_record(uint64_t commands, uint64_t params, uint64_t argv);

/// One job's lines, without their newlines.
struct TaskLines {
  std::string command;
  std::string params;
  std::string argv;
};

/// Reads jobs' lines from a results directory through `tasks.idx`.
class JOBSUB_API TaskReader {
 public:
  explicit TaskReader(const ResultsLayout& results);
  /// The same for the results directory `results_dir` (only its job files are read).
  explicit TaskReader(const fs::path& results_dir) : TaskReader(ResultsLayout(results_dir, 1)) {}
  /// Job `job` (1-based). Throws Error when the files do not hold it.
  TaskLines at(uint64_t job);

 private:
  fs::path dir_;
  std::ifstream index_, commands_, params_, argv_;
};

}  // namespace jobsub
