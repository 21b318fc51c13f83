#include "jobsub/metrics.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/regex.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "jobsub/errors.h"
#include "jobsub/results_layout.h"
#include "jobsub/text.h"

namespace jobsub {

MetricValue MetricValue::of_number(double number) {
  MetricValue v;
  v.kind = Kind::real;
  v.number = number;
  if (std::isnan(number)) {
    v.text = "NaN";
  } else if (std::isinf(number)) {
    v.text = number > 0 ? "Infinity" : "-Infinity";
  } else {
    v.text = fmt::format("{}", number);  // the shortest text that reads back the same
    if (v.text.find_first_of(".e") == std::string::npos) v.text += ".0";  // a real stays a real in JSON
  }
  return v;
}

MetricValue MetricValue::of_integer(int64_t number) {
  MetricValue v;
  v.kind = Kind::integer;
  v.number = static_cast<double>(number);
  v.text = std::to_string(number);
  return v;
}

MetricValue MetricValue::of_string(std::string text) {
  MetricValue v;
  v.kind = Kind::string;
  v.number = std::numeric_limits<double>::quiet_NaN();
  v.text = std::move(text);
  return v;
}

MetricValue MetricValue::of_text(const std::string& word) {
  const std::string w = trim(word);
  if (w.empty()) return of_string(word);
  const char* begin = w.c_str();
  char* end = nullptr;
  // An integer first, so that 12 stays 12 and not 12.0.
  errno = 0;
  const long long whole = std::strtoll(begin, &end, 10);
  if (errno == 0 && end == begin + w.size()) return of_integer(whole);
  errno = 0;
  const double number = std::strtod(begin, &end);  // also nan, inf, infinity (any case)
  if (end == begin + w.size() && w.find_first_of("xXpP") == std::string::npos) return of_number(number);
  if (w == "NaN" || w == "Infinity" || w == "-Infinity") return of_number(std::strtod(begin, nullptr));
  return of_string(word);
}

const MetricValue* MetricSet::find(const std::string& name) const {
  for (const auto& [n, v] : values)
    if (n == name) return &v;
  return nullptr;
}

void MetricSet::set(const std::string& name, MetricValue value) {
  for (auto& [n, v] : values) {
    if (n == name) {
      v = std::move(value);
      return;
    }
  }
  values.emplace_back(name, std::move(value));
}

namespace {

// Python's json.dumps writes NaN, Infinity and -Infinity, which JSON has no
// words for: outside strings they become strings with this prefix before
// nlohmann reads the line, and numbers again after.
constexpr std::string_view kNonFinite = "\x01jobsub-nonfinite:";

std::string mark_non_finite(const std::string& line) {
  if (line.find("NaN") == std::string::npos && line.find("Infinity") == std::string::npos) return line;
  std::string out;
  out.reserve(line.size() + 32);
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < line.size()) {
        out += line[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (std::string_view word :
         {std::string_view("NaN"), std::string_view("-Infinity"), std::string_view("Infinity")}) {
      if (line.compare(i, word.size(), word) == 0) {
        out += fmt::format("\"\\u0001{}{}\"", kNonFinite.substr(1), word);  // JSON spells the control byte
        i += word.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

void add_json(const std::string& name, const nlohmann::ordered_json& value, MetricSet& out) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::null:
      return;  // missing, as the job said
    case nlohmann::ordered_json::value_t::object:
      for (const auto& [key, inner] : value.items())
        add_json(name.empty() ? key : name + "." + key, inner, out);
      return;
    case nlohmann::ordered_json::value_t::boolean: {
      MetricValue v;
      v.kind = MetricValue::Kind::boolean;
      v.number = value.get<bool>() ? 1 : 0;
      v.text = value.get<bool>() ? "true" : "false";
      out.set(name, std::move(v));
      return;
    }
    case nlohmann::ordered_json::value_t::number_integer:
      out.set(name, MetricValue::of_integer(value.get<int64_t>()));
      return;
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const auto u = value.get<uint64_t>();
      out.set(name, u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                        ? MetricValue::of_integer(static_cast<int64_t>(u))
                        : MetricValue::of_number(static_cast<double>(u)));
      return;
    }
    case nlohmann::ordered_json::value_t::number_float:
      out.set(name, MetricValue::of_number(value.get<double>()));
      return;
    case nlohmann::ordered_json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      if (s.rfind(kNonFinite, 0) == 0) {
        const std::string word = s.substr(kNonFinite.size());
        out.set(name,
                MetricValue::of_number(word == "NaN"        ? std::numeric_limits<double>::quiet_NaN()
                                       : word == "Infinity" ? std::numeric_limits<double>::infinity()
                                                            : -std::numeric_limits<double>::infinity()));
      } else {
        out.set(name, MetricValue::of_string(s));
      }
      return;
    }
    default:  // a list: its JSON text
      out.set(name,
              MetricValue::of_string(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
      return;
  }
}

/// Reads the whole of `path` (relative to `dir_fd`) into `out`; false when it cannot be opened.
bool read_whole(int dir_fd, const std::string& path, std::string& out) {
  const int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buffer[16384];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

double seconds_in(const std::string& text) {
  std::string t = text.substr(0, text.find('\n'));
  for (char& c : t)
    if (c == ',') c = '.';  // $EPOCHREALTIME follows LC_NUMERIC
  char* end = nullptr;
  const double seconds = std::strtod(t.c_str(), &end);
  return end != t.c_str() && seconds > 0 ? seconds : 0;
}

double modified_seconds(int dir_fd, const std::string& path) {
  struct stat st {};
  if (::fstatat(dir_fd, path.c_str(), &st, 0) != 0) return 0;
  return static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9;
}

/// Calls `line` with each line of `path` (relative to `dir_fd`), without its
/// newline (and a CR before it), reading 64 KiB at a time: a job's stdout may
/// be larger than memory.
template <typename F>
void for_each_line(int dir_fd, const std::string& path, F&& line) {
  const int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::string pending;
  char buffer[65536];
  ssize_t n = 0;
  auto emit = [&](std::string& text) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    line(text);
  };
  while ((n = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    std::size_t start = 0;
    const auto size = static_cast<std::size_t>(n);
    for (std::size_t i = 0; i < size; ++i) {
      if (buffer[i] != '\n') continue;
      pending.append(buffer + start, i - start);
      emit(pending);
      pending.clear();
      start = i + 1;
    }
    pending.append(buffer + start, size - start);
  }
  if (!pending.empty()) emit(pending);
  ::close(fd);
}

}  // namespace

void MetricReader::read_json_lines(const std::string& text, MetricSet& out) {
  std::size_t start = 0;
  uint64_t line_number = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    const bool last = end == std::string::npos;
    if (last) end = text.size();
    ++line_number;
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (trim(line).empty()) continue;
    nlohmann::ordered_json object;
    try {
      object = nlohmann::ordered_json::parse(mark_non_finite(line));
    } catch (const nlohmann::ordered_json::exception& e) {
      // A last line without its newline was cut short (a kill mid-write): expected.
      if (last) continue;
      if (out.problem.empty()) {
        out.problem = fmt::format("{} line {}: not JSON ({}); the line is skipped", job_files::kMetrics,
                                  line_number, e.what());
      }
      continue;
    }
    if (!object.is_object()) {
      if (out.problem.empty()) {
        out.problem = fmt::format("{} line {}: a JSON {}, not an object of name: value; the line is skipped",
                                  job_files::kMetrics, line_number, object.type_name());
      }
      continue;
    }
    ++out.steps;
    add_json("", object, out);
  }
  // Not JSON lines but one object written over several lines (json.dump(..., indent=2)): read it whole.
  if (out.steps == 0 && !out.problem.empty()) {
    try {
      const nlohmann::ordered_json object = nlohmann::ordered_json::parse(mark_non_finite(text));
      if (object.is_object()) {
        out.problem.clear();
        out.steps = 1;
        add_json("", object, out);
      }
    } catch (const nlohmann::ordered_json::exception&) {  // the first problem stands
    }
  }
}

struct MetricReader::Patterns {
  std::vector<std::pair<std::string, boost::regex>> regexes;
  boost::regex metric_line{R"(^\s*([A-Za-z_][A-Za-z0-9_./-]*)\s*:\s*(\S+)\s*$)"};
};

MetricReader::MetricReader(const ResultsSpec& rules)
    : patterns_(std::make_unique<Patterns>()), metric_lines_(rules.metric_lines) {
  for (const auto& [name, pattern] : rules.metrics) {
    if (pattern.empty()) continue;
    try {
      patterns_->regexes.emplace_back(name, boost::regex(pattern, boost::regex::perl));
    } catch (const boost::regex_error& e) {
      throw spec_error(fmt::format("metrics.{}: not a Perl regular expression: {}", name, e.what()));
    }
  }
}

MetricReader::~MetricReader() = default;

MetricSet MetricReader::read(const fs::path& job_dir) const { return read_at(AT_FDCWD, job_dir.string()); }

MetricSet MetricReader::read_at(int dir_fd, const std::string& job_dir) const {
  MetricSet out;
  const std::string dir = job_dir + "/";
  std::string text;
  if (read_whole(dir_fd, dir + job_files::kStarted, text)) out.started = seconds_in(text);
  out.ended = modified_seconds(dir_fd, dir + job_files::kExitCode);
  if (!patterns_->regexes.empty() || metric_lines_) {
    boost::smatch match;
    for_each_line(dir_fd, dir + job_files::kStdout, [&](const std::string& line) {
      for (const auto& [name, regex] : patterns_->regexes) {
        if (boost::regex_search(line, match, regex) && match[1].matched)
          out.set(name, MetricValue::of_text(match[1].str()));
      }
      if (metric_lines_ && boost::regex_match(line, match, patterns_->metric_line)) {
        MetricValue v = MetricValue::of_text(match[2].str());
        if (v.is_number()) out.set(match[1].str(), std::move(v));
      }
    });
  }
  if (read_whole(dir_fd, dir + job_files::kMetrics, text))
    read_json_lines(text, out);                            // the file's values win
  if (read_whole(dir_fd, dir + job_files::kGpus, text)) {  // `<index> <uuid>` lines
    std::istringstream lines(text);
    std::string index, uuid;
    while (lines >> index >> uuid) out.gpus += (out.gpus.empty() ? "" : ",") + index;
  }
  return out;
}

}  // namespace jobsub
