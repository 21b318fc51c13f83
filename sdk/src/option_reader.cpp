#include "jobsub/option_reader.h"

#include <fmt/core.h>

#include <cstring>
#include <stdexcept>

#include "jobsub/text.h"

namespace jobsub {

OptionReader::OptionReader(std::span<const jobsub_option_info> declared, const PluginOptions& given,
                           std::string component)
    : declared_(declared), given_(given), component_(std::move(component)) {}

const jobsub_option_info& OptionReader::declared(const char* name) const {
  for (const jobsub_option_info& option : declared_) {
    if (std::strcmp(option.name, name) == 0) return option;
  }
  throw std::invalid_argument(fmt::format("{} reads an option it does not declare: '{}'", component_, name));
}

std::string OptionReader::text(const char* name) const {
  const jobsub_option_info& option = declared(name);
  if (auto it = given_.find(name); it != given_.end()) return it->second;
  return option.default_value != nullptr ? option.default_value : "";
}

uint64_t OptionReader::count(const char* name, uint64_t minimum, uint64_t fallback) const {
  const std::string value = trim(text(name));
  if (value.empty() && fallback >= minimum) return fallback;
  std::size_t used = 0;
  uint64_t number = 0;
  try {
    number = std::stoull(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size() || value[0] == '-' || number < minimum) {
    throw std::invalid_argument(fmt::format("--{}.{} takes a whole number{}, not '{}'", component_, name,
                                            minimum > 0 ? fmt::format(" of at least {}", minimum) : "",
                                            value));
  }
  return number;
}

double OptionReader::seconds(const char* name) const {
  const std::string value = trim(text(name));
  std::size_t used = 0;
  double number = -1;
  try {
    number = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size() || !(number >= 0)) {
    throw std::invalid_argument(
        fmt::format("--{}.{} takes a number of seconds, not '{}'", component_, name, value));
  }
  return number;
}

std::string OptionReader::choice(const char* name, std::initializer_list<const char*> allowed) const {
  const std::string value = text(name);
  std::vector<std::string> names;
  for (const char* a : allowed) {
    if (value == a) return value;
    names.emplace_back(a);
  }
  throw std::invalid_argument(
      fmt::format("--{}.{} must be {}, not '{}'", component_, name, join(names, " or "), value));
}

}  // namespace jobsub
