// The value grammar of the command line: Hydra-style overrides (`lr=0.1,0.01`,
// `name='a,b'`) and `range(start,stop,step)`, which spec files share.
#include "jobsub/overrides.h"

#include <fmt/core.h>

#include <algorithm>

#include "jobsub/errors.h"
#include "jobsub/text.h"

namespace jobsub {
namespace {

long long parse_int(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(trim(text), &used);
    if (used == trim(text).size()) return v;
  } catch (const std::exception&) {
  }
  throw usage_error(fmt::format("{}: range() takes whole numbers, got '{}'", what, trim(text)));
}

}  // namespace

void append_range(const std::string& inner, const std::string& what, ValueList& out) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = inner.find(',', start);
    parts.push_back(inner.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts.empty() || parts.size() > 3) {
    throw usage_error(fmt::format("{}: use range(stop), range(start,stop) or range(start,stop,step)", what));
  }
  long long begin = 0, end = 0, step = 1;
  if (parts.size() == 1) {
    end = parse_int(parts[0], what);
  } else {
    begin = parse_int(parts[0], what);
    end = parse_int(parts[1], what);
    if (parts.size() == 3) step = parse_int(parts[2], what);
  }
  if (step == 0) throw usage_error(fmt::format("{}: range() step must not be 0", what));
  const IntRange range = make_range(begin, end, step);  // never expanded
  if (range.count == 0)
    throw usage_error(fmt::format("{}: range() is empty, so the sweep would have no jobs", what));
  out.append(range);
}

bool is_override(const std::string& arg) {
  const auto eq = arg.find('=');
  return eq != std::string::npos && eq > 0 && arg[0] != '-';
}

Override parse_override(const std::string& arg) {
  const auto eq = arg.find('=');
  if (!is_override(arg)) throw usage_error(fmt::format("'{}' is not an override: write key=value", arg));
  Override result;
  result.key = arg.substr(0, eq);
  if (result.key.find_first_of(" \t'\"") != std::string::npos) {
    throw usage_error(fmt::format("override '{}': the key must not contain spaces or quotes", arg));
  }
  const std::string text = arg.substr(eq + 1);
  if (text.empty()) {
    result.values.push_back(string_value(""));
    return result;
  }
  // Split on commas outside quotes and parentheses.
  std::string element;
  bool quoted = false;  // the element so far was a quoted string
  char quote = 0;
  int depth = 0;
  auto finish = [&](std::size_t at) {
    if (quote != 0) throw usage_error(fmt::format("override '{}': unterminated quote", arg));
    const std::string raw = trim(element);
    if (quoted) {
      result.values.push_back(string_value(element));
    } else if (raw.rfind("range(", 0) == 0 && raw.back() == ')') {
      append_range(raw.substr(6, raw.size() - 7), fmt::format("override '{}'", arg), result.values);
    } else {
      if (raw.empty() && (at != std::string::npos || !result.values.empty())) {
        throw usage_error(
            fmt::format("override '{}': empty element in the list (quote it: '' for an empty string)", arg));
      }
      result.values.push_back(plain_value(raw));
    }
    element.clear();
    quoted = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\' && i + 1 < text.size() && (text[i + 1] == quote || text[i + 1] == '\\')) {
        element += text[++i];
      } else if (c == quote) {
        quote = 0;
      } else {
        element += c;
      }
    } else if ((c == '\'' || c == '"') && trim(element).empty() && !quoted) {
      element.clear();
      quote = c;
      quoted = true;
    } else if (quoted && c != ',' && c != ' ') {
      throw usage_error(fmt::format("override '{}': text after a closing quote; quote the whole value", arg));
    } else if (c == '(') {
      ++depth;
      element += c;
    } else if (c == ')') {
      --depth;
      element += c;
    } else if (c == ',' && depth == 0) {
      finish(i);
    } else if (!(quoted && c == ' ')) {
      element += c;
    }
  }
  finish(std::string::npos);
  return result;
}

void apply_override(SweepSpec& spec, const Override& override_) {
  if (spec.grids.empty()) spec.grids.emplace_back();
  for (GridDecl& grid : spec.grids) {
    auto it = std::find_if(grid.hypers.begin(), grid.hypers.end(),
                           [&](const HyperDecl& h) { return h.key == override_.key; });
    if (it != grid.hypers.end()) {
      it->values = override_.values;
      it->origin = "command line";
    } else {
      grid.hypers.push_back({override_.key, override_.values, "command line"});
    }
  }
}

}  // namespace jobsub
