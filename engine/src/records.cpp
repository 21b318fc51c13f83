#include "jobsub/records.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>

#include "jobsub/errors.h"
#include "jobsub/process.h"
#include "jobsub/text.h"
#include "jobsub/value.h"

namespace jobsub {
namespace {

std::string timestamp(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm local{};
  localtime_r(&t, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d_%H-%M-%S", &local);
  return buffer;
}

void check_sweep_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw spec_error(
        fmt::format("sweep name '{}' cannot be a directory name: set `name:` to a word without '/'", name));
  }
  // A name goes into directory names, batch-script comments and scheduler job
  // names: a newline there would be a line of shell.
  if (has_control_character(name)) {
    throw spec_error(
        fmt::format("sweep name {} holds a control character (newline, tab, ...): set `name:` or "
                    "--name to printable text",
                    display_value(string_value(name))));
  }
}

}  // namespace

fs::path planned_results_dir(const fs::path& root, const std::string& sweep_name,
                             std::chrono::system_clock::time_point when) {
  check_sweep_name(sweep_name);
  return root / sweep_name / timestamp(when);
}

fs::path create_results_dir(const fs::path& root, const std::string& sweep_name,
                            std::chrono::system_clock::time_point when) {
  const fs::path base = planned_results_dir(root, sweep_name, when);
  std::error_code ec;
  fs::create_directories(base.parent_path(), ec);
  if (ec) {
    throw spec_error(
        fmt::format("cannot create the results directory {}: {}; results go under {}, which "
                    "must be a directory you can write",
                    base.parent_path().string(), ec.message(), root.string()));
  }
  for (int attempt = 1; attempt < 10000; ++attempt) {
    fs::path candidate = base;
    if (attempt > 1) candidate += fmt::format("_{}", attempt);
    if (::mkdir(candidate.c_str(), 0755) == 0) return candidate;
    if (errno != EEXIST) {
      throw spec_error(
          fmt::format("cannot create the results directory {}: {}; results go under {}, which "
                      "must be a directory you can write",
                      candidate.string(), std::strerror(errno), root.string()));
    }
  }
  throw spec_error(fmt::format("cannot find a free results directory name next to {}", base.string()));
}

namespace {

std::string json_string(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const std::regex& json_number_pattern() {
  static const std::regex kJsonNumber("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?");
  return kJsonNumber;
}

/// A number inside a list or dict in JSON's spelling, the same number
/// (`0x10` -> 16, `.5` -> 0.5, `1.` -> 1.0, `+007.5` -> 7.5); its text when JSON
/// has none (`.inf`, `.nan`).
std::string json_number_text(const Value& v) {
  const Number n = number_of(v);
  if (n.kind == Number::Kind::integer) return n.text;
  if (n.kind != Number::Kind::real) return v.text;
  std::string text = n.text;
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.erase(0, 1);
  }
  const std::size_t e = text.find_first_of("eE");
  std::string mantissa = text.substr(0, e);
  const std::string exponent = e == std::string::npos ? "" : text.substr(e);
  if (mantissa.empty() || mantissa[0] == '.') mantissa.insert(0, "0");
  if (mantissa.back() == '.') mantissa += '0';
  const std::size_t digits = mantissa.find_first_not_of('0');
  if (digits == std::string::npos || mantissa[digits] == '.') {
    mantissa.erase(0, (digits == std::string::npos ? mantissa.size() : digits) - 1);
  } else {
    mantissa.erase(0, digits);
  }
  std::string out = (negative ? "-" : "") + mantissa + exponent;
  return std::regex_match(out, json_number_pattern()) ? out : v.text;
}

/// A number in JSON's own spelling keeps its text (`0.0001`); at the top
/// (a whole value), any other spelling (`0x10`, `.5`, `.inf`) is kept as its
/// text in a string, as jobsub always wrote it (a job's hash reads this
/// text). Lists and dicts become arrays and objects, their numbers in JSON's
/// spelling where JSON has one.
void append_json(std::string& out, const Value& v, bool inside = false) {
  if (v.kind == ValueKind::List || v.kind == ValueKind::Dict) {
    const bool dict = v.kind == ValueKind::Dict;
    out += dict ? '{' : '[';
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      if (i > 0) out += ',';
      if (dict) out += json_string(v.keys.at(i)) + ":";
      append_json(out, v.items[i], true);
    }
    out += dict ? '}' : ']';
  } else if (v.kind == ValueKind::Number && inside) {
    const std::string text = json_number_text(v);
    out += std::regex_match(text, json_number_pattern()) ? text : json_string(text);
  } else if (v.kind == ValueKind::Number && std::regex_match(v.text, json_number_pattern())) {
    out += v.text;
  } else if (v.kind == ValueKind::Bool) {
    out += v.is_true() ? "true" : "false";
  } else if (v.kind == ValueKind::Null) {
    out += "null";
  } else {
    out += json_string(v.text);
  }
}

}  // namespace

std::string params_to_json(const Params& params) {
  std::string out = "{";
  for (const Param& p : params) {
    if (out.size() > 1) out += ',';
    out += json_string(p.key) + ":";
    append_json(out, p.value);
  }
  return out + "}";
}

std::string argv_to_json(const Argv& argv) {
  return nlohmann::json(argv).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

GitState read_git_state(const fs::path& dir) {
  GitState state;
  try {
    const ProcessResult head = run_process({"git", "-C", dir.string(), "rev-parse", "HEAD"});
    if (!head.ok()) return state;
    state.is_repo = true;
    state.commit = head.out.substr(0, head.out.find('\n'));
    const ProcessResult status =
        run_process({"git", "-C", dir.string(), "status", "--porcelain", "--untracked-files=no"});
    state.dirty = !status.ok() || !status.out.empty();
  } catch (const Error&) {
    // git is not installed: no provenance to record.
  }
  return state;
}

}  // namespace jobsub

namespace jobsub {}  // namespace jobsub

namespace jobsub {

void write_jobs_table(const fs::path& results_dir, uint64_t job_count,
                      const std::function<JobsTableRow(uint64_t job)>& row) {
  // Streamed through a small buffer: a 10^6-job table is 20 MB.
  write_file_atomically(ResultsLayout(results_dir, job_count).jobs_table(), [&](std::ostream& out) {
    fmt::memory_buffer table;
    fmt::format_to(std::back_inserter(table), "job\tstate\texit_code\tnative_id\n");
    for (uint64_t job = 1; job <= job_count; ++job) {
      const JobsTableRow r = row(job);
      fmt::format_to(std::back_inserter(table), "{}\t{}\t{}\t{}\n", job, to_string(r.state),
                     r.exit_code >= 0 ? std::to_string(r.exit_code) : std::string(), r.native_id);
      if (table.size() >= (1 << 16) || job == job_count) {
        out.write(table.data(), static_cast<std::streamsize>(table.size()));
        table.clear();
      }
    }
    if (job_count == 0) out.write(table.data(), static_cast<std::streamsize>(table.size()));
  });
}

uint64_t job_hash(const std::string& params_json, const std::string& command,
                  const std::string& program_sha256) {
  // Fetched once: EVP_sha256() makes every EVP_Digest look the algorithm up
  // again under a lock, a third of the cost for short inputs.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const char newline = '\n';
  if (sha256 == nullptr || !context || EVP_DigestInit_ex(context.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), params_json.data(), params_json.size()) != 1 ||
      EVP_DigestUpdate(context.get(), &newline, 1) != 1 ||
      EVP_DigestUpdate(context.get(), command.data(), command.size()) != 1 ||
      (!program_sha256.empty() &&
       (EVP_DigestUpdate(context.get(), &newline, 1) != 1 ||
        EVP_DigestUpdate(context.get(), program_sha256.data(), program_sha256.size()) != 1)) ||
      EVP_DigestFinal_ex(context.get(), digest, &size) != 1 || size < 8)
    throw std::runtime_error("SHA-256 failed");
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | digest[i];
  return h;
}

std::string file_sha256(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) return "";
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0 &&
        EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount())) != 1)
      return "";
  }
  if (!in.eof()) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context.get(), digest, &size) != 1) return "";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace jobsub
