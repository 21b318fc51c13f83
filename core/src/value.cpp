#include "jobsub/value.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace jobsub {

bool Value::is_true() const {
  return kind == ValueKind::Bool && (text == "true" || text == "True" || text == "TRUE");
}

Value plain_value(std::string text) {
  // YAML 1.2 core schema, which is what yaml-cpp and most users expect.
  static const std::regex kNull("null|Null|NULL|~|");
  static const std::regex kBool("true|True|TRUE|false|False|FALSE");
  static const std::regex kNumber(
      "[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|"
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|"
      "[-+]?(\\.inf|\\.Inf|\\.INF)|\\.nan|\\.NaN|\\.NAN");
  ValueKind kind = ValueKind::String;
  if (std::regex_match(text, kNull)) {
    kind = ValueKind::Null;
  } else if (std::regex_match(text, kBool)) {
    kind = ValueKind::Bool;
  } else if (std::regex_match(text, kNumber)) {
    kind = ValueKind::Number;
  }
  return {std::move(text), kind};
}

namespace {

/// Digits in `base` (2..16, most significant first) to decimal text, exactly.
std::string to_decimal(std::string_view digits, unsigned base) {
  std::vector<uint32_t> limbs;  // base 10^9, least significant first
  for (const char c : digits) {
    const unsigned digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    uint64_t carry = digit;
    for (uint32_t& limb : limbs) {
      const uint64_t v = uint64_t{limb} * base + carry;
      limb = static_cast<uint32_t>(v % 1000000000);
      carry = v / 1000000000;
    }
    while (carry > 0) {
      limbs.push_back(static_cast<uint32_t>(carry % 1000000000));
      carry /= 1000000000;
    }
  }
  if (limbs.empty()) return "0";
  std::string out = std::to_string(limbs.back());
  for (auto it = limbs.rbegin() + 1; it != limbs.rend(); ++it) out += fmt::format("{:09}", *it);
  return out;
}

}  // namespace

Number number_of(const Value& value) {
  if (value.kind != ValueKind::Number) {
    throw std::invalid_argument(fmt::format("'{}' is not a number", value.text));
  }
  std::string_view text = value.text;
  Number n;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    n.negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == ".inf") {
    n.kind = Number::Kind::infinity;
  } else if (lower == ".nan") {
    n.kind = Number::Kind::nan;
  } else if (lower.rfind("0x", 0) == 0 || lower.rfind("0o", 0) == 0) {
    n.kind = Number::Kind::integer;
    n.text = to_decimal(text.substr(2), lower[1] == 'x' ? 16 : 8);
  } else if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    n.kind = Number::Kind::integer;
    n.text = to_decimal(text, 10);
  } else {
    n.kind = Number::Kind::real;
    n.text = value.text;
    return n;
  }
  if (n.kind == Number::Kind::integer && n.negative && n.text != "0") n.text.insert(0, "-");
  if (n.kind == Number::Kind::integer) n.negative = n.text.front() == '-';
  return n;
}

std::string python_number_text(const Number& number) {
  switch (number.kind) {
    case Number::Kind::infinity:
      return number.negative ? "-inf" : "inf";
    case Number::Kind::nan:
      return "nan";
    default:
      return number.text;
  }
}

}  // namespace jobsub
