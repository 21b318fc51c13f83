#include "jobsub/task_files.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "jobsub/errors.h"

namespace jobsub {

void write_file_atomically(const fs::path& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

void write_file_atomically(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  fs::path temporary = path;
  temporary += fmt::format(".tmp.{}", ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    write(out);
    out.flush();
    if (!out) throw job_error(fmt::format("cannot write {}", temporary.string()));
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary);
    throw job_error(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
}

std::string task_index_record(uint64_t commands, uint64_t params, uint64_t argv) {
  std::string record = fmt::format("{:012} {:012} {:012}\n", commands, params, argv);
  if (record.size() != kTaskIndexRecordSize) {
    throw job_error(fmt::format("job files larger than 10^12 bytes cannot be indexed ({} bytes)",
                                std::max({commands, params, argv})));
  }
  return record;
}

TaskReader::TaskReader(const ResultsLayout& results)
    : dir_(results.dir()),
      index_(results.task_index(), std::ios::binary),
      commands_(results.commands(), std::ios::binary),
      params_(results.params(), std::ios::binary),
      argv_(results.argv(), std::ios::binary) {
  if (!index_ || !commands_ || !params_ || !argv_) {
    throw job_error(fmt::format(
        "cannot read the job files (tasks.idx, commands, params.jsonl, argv.jsonl) in {}", dir_.string()));
  }
}

TaskLines TaskReader::at(uint64_t job) {
  char records[2 * kTaskIndexRecordSize + 1] = {};
  index_.clear();
  index_.seekg(static_cast<std::streamoff>((job - 1) * kTaskIndexRecordSize));
  index_.read(records, 2 * kTaskIndexRecordSize);
  uint64_t begin[3] = {}, end[3] = {};
  if (job == 0 || index_.gcount() != static_cast<std::streamsize>(2 * kTaskIndexRecordSize) ||
      std::sscanf(records, "%lu %lu %lu %lu %lu %lu", &begin[0], &begin[1], &begin[2], &end[0], &end[1],
                  &end[2]) != 6) {
    throw job_error(fmt::format("{}/tasks.idx has no record for job {}", dir_.string(), job));
  }
  auto slice = [&](std::ifstream& file, int which) {
    if (end[which] <= begin[which])
      throw job_error(fmt::format("{}/tasks.idx is damaged at job {}", dir_.string(), job));
    std::string text(end[which] - begin[which] - 1, '\0');  // without the newline
    file.clear();
    file.seekg(static_cast<std::streamoff>(begin[which]));
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (file.gcount() != static_cast<std::streamsize>(text.size()))
      throw job_error(fmt::format("the job files in {} end before job {}", dir_.string(), job));
    return text;
  };
  return {slice(commands_, 0), slice(params_, 1), slice(argv_, 2)};
}

}  // namespace jobsub
