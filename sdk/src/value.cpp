#include "jobsub/value.h"

#include "jobsub/text.h"

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

namespace jobsub {

std::string IntRange::text() const {
  return step == 1 ? fmt::format("range({},{})", start, stop)
                   : fmt::format("range({},{},{})", start, stop, step);
}

// Two's complement arithmetic on uint64_t: every value lies between start and
// stop, so the wrapped sums are exact once cast back.
int64_t IntRange::at(uint64_t index) const {
  return static_cast<int64_t>(static_cast<uint64_t>(start) + index * static_cast<uint64_t>(step));
}

IntRange make_range(int64_t start, int64_t stop, int64_t step) {
  if (step == 0) throw std::invalid_argument("range() step must not be 0");
  IntRange range{start, stop, step, 0};
  if (step > 0 && stop > start) {
    const uint64_t span = static_cast<uint64_t>(stop) - static_cast<uint64_t>(start);
    range.count = (span - 1) / static_cast<uint64_t>(step) + 1;
  } else if (step < 0 && stop < start) {
    const uint64_t span = static_cast<uint64_t>(start) - static_cast<uint64_t>(stop);
    const uint64_t magnitude = static_cast<uint64_t>(-(step + 1)) + 1;
    range.count = (span - 1) / magnitude + 1;
  }
  return range;
}

void ValueList::push_back(Value value) {
  if (segments_.empty() || segments_.back().is_range()) {
    segments_.emplace_back();
    ends_.push_back(size_);
  }
  segments_.back().values.push_back(std::move(value));
  ends_.back() = ++size_;
}

void ValueList::append(const IntRange& range) {
  if (range.count == 0) throw std::invalid_argument("an empty range adds no values");
  if (size_ > UINT64_MAX - range.count) throw std::overflow_error("a list of more than 2^64 values");
  Segment segment;
  segment.range = range;
  segments_.push_back(std::move(segment));
  size_ += range.count;
  ends_.push_back(size_);
}

Value ValueList::operator[](uint64_t index) const {
  if (index >= size_) throw std::out_of_range("value index past the end of the list");
  const auto at = std::upper_bound(ends_.begin(), ends_.end(), index);
  const std::size_t s = static_cast<std::size_t>(at - ends_.begin());
  const uint64_t offset = index - (s == 0 ? 0 : ends_[s - 1]);
  const Segment& segment = segments_[s];
  if (!segment.is_range()) return segment.values[offset];
  return {std::to_string(segment.range.at(offset)), ValueKind::Number};
}

}  // namespace jobsub

namespace jobsub {

std::string display_value(const Value& value) {
  const std::string& t = value.text;
  if (value.kind == ValueKind::List || value.kind == ValueKind::Dict) {
    const bool dict = value.kind == ValueKind::Dict;
    std::string out = dict ? "{" : "[";
    for (std::size_t i = 0; i < value.items.size(); ++i) {
      if (i > 0) out += ", ";
      if (dict) out += display_value(string_value(value.keys.at(i))) + ": ";
      out += display_value(value.items[i]);
    }
    return out + (dict ? "}" : "]");
  }
  if (value.kind != ValueKind::String) return t;
  if (has_control_character(t)) {
    std::string out = "\"";
    for (const char c : t) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (is_control_character(c)) {
        out += fmt::format("\\x{:02x}", u);
      } else {
        out += c;
      }
    }
    return out + "\"";
  }
  const bool plain = !t.empty() && plain_value(t).kind == ValueKind::String &&
                     t.find_first_of(",[]{}:#'\"&*!|>%@`") == std::string::npos && t.front() != ' ' &&
                     t.back() != ' ' && t.front() != '-' && t.front() != '?';
  if (plain) return t;
  std::string out = "'";
  for (const char c : t) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

Value list_value(std::vector<Value> items) {
  Value v{"", ValueKind::List, std::move(items), {}};
  v.text = display_value(v);
  return v;
}

Value dict_value(std::vector<std::string> keys, std::vector<Value> items) {
  if (keys.size() != items.size()) throw std::invalid_argument("a dict needs one key per value");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (std::find(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(i), keys[i]) !=
        keys.begin() + static_cast<std::ptrdiff_t>(i))
      throw std::invalid_argument(fmt::format("the dict has the key '{}' twice", keys[i]));
  }
  Value v{"", ValueKind::Dict, std::move(items), std::move(keys)};
  v.text = display_value(v);
  return v;
}

std::string display_list(const ValueList& list) {
  std::string out = "[";
  for (const ValueList::Segment& segment : list.segments()) {
    if (segment.is_range()) {
      out += fmt::format("{}{}", out.size() > 1 ? ", " : "", segment.range.text());
      continue;
    }
    for (const Value& v : segment.values)
      out += fmt::format("{}{}", out.size() > 1 ? ", " : "", display_value(v));
  }
  return out + "]";
}

}  // namespace jobsub
