// The value grammar of the command line: Hydra-style overrides (`lr=0.1,0.01`,
// `name='a,b'`) and `range(start,stop,step)`, which spec files share.
#include "jobsub/overrides.h"

#include <fmt/core.h>

#include <algorithm>
#include <string_view>
#include <vector>

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

namespace {

/// Reads a list or dict value, `[64,64]` or `{lr:1,wd:[1,2]}`, by Hydra's
/// override grammar (hydra/grammar/OverrideParser.g4: listContainer,
/// dictContainer): elements are quoted strings, lists, dicts or unquoted
/// primitives; an unquoted primitive ends at `,` `]` `}` (a dict key at `:`),
/// is trimmed of spaces and tabs, and takes Hydra's escapes (`\,` `\]` `\ `
/// ...). Its type is YAML 1.2's, as everywhere in jobsub. Errors are usage
/// errors naming the column (1-based, in the whole `key=value` argument).
class ContainerReader {
 public:
  ContainerReader(const std::string& arg, std::size_t value_start, std::vector<std::string>& notes)
      : arg_(arg), text_(arg.substr(value_start)), base_(value_start), notes_(notes) {}

  /// The container starting at `at` (a `[` or `{`); `at` ends past it.
  Value container(std::size_t& at, int depth = 0) {
    if (depth >= 64) fail(at, "lists and dicts nest more than 64 deep");
    const bool dict = text_[at] == '{';
    const char close = dict ? '}' : ']';
    const std::size_t open = at++;
    std::vector<Value> items;
    std::vector<std::string> keys;
    skip_space(at);
    if (at < text_.size() && text_[at] == close) {
      ++at;
      return dict ? dict_value({}, {}) : list_value({});
    }
    while (true) {
      if (dict) {
        skip_space(at);
        const std::size_t key_at = at;
        const Value key = element(at, depth, ":,}", true);
        if (std::find(keys.begin(), keys.end(), key.text) != keys.end())
          fail(key_at, fmt::format("the dict has the key '{}' twice", key.text));
        keys.push_back(key.text);
        skip_space(at);
        if (at >= text_.size() || text_[at] != ':')
          fail(at, fmt::format("a dict entry is key:value; '{}' has no ':'", key.text));
        ++at;
      }
      items.push_back(element(at, depth, dict ? ",}" : ",]", false));
      skip_space(at);
      if (at >= text_.size()) {
        fail(open, fmt::format("the '{}' is never closed: close it with '{}', or quote the value to pass it "
                               "as a string",
                               text_[open], close));
      }
      if (text_[at] == close) {
        ++at;
        break;
      }
      if (text_[at] != ',') fail(at, fmt::format("expected ',' or '{}' here", close));
      ++at;
    }
    return dict ? dict_value(std::move(keys), std::move(items)) : list_value(std::move(items));
  }

  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw usage_error(fmt::format("override '{}': column {}: {}", arg_, base_ + at + 1, what));
  }

 private:
  void skip_space(std::size_t& at) const {
    while (at < text_.size() && (text_[at] == ' ' || text_[at] == '\t')) ++at;
  }

  /// One element: a quoted string, a nested container, or an unquoted
  /// primitive ending before one of `ends`. A dict key is always a string.
  Value element(std::size_t& at, int depth, std::string_view ends, bool key) {
    skip_space(at);
    if (at >= text_.size()) fail(at, "the value ends inside a list or dict");
    const char c = text_[at];
    if (c == '\'' || c == '"') return string_value(quoted(at));
    if ((c == '[' || c == '{') && !key) return container(at, depth + 1);
    std::string out;
    std::size_t kept = 0;  // out's length up to its last escaped or non-space character
    bool escaped = false;
    const std::size_t first = at;
    static constexpr std::string_view kEscapable = "\\()[]{}:=, \t";
    while (at < text_.size() && ends.find(text_[at]) == std::string_view::npos) {
      const char ch = text_[at];
      if (ch == '\\' && at + 1 < text_.size() && kEscapable.find(text_[at + 1]) != std::string_view::npos) {
        out += text_[at + 1];
        at += 2;
        kept = out.size();
        escaped = true;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        fail(at, fmt::format("a {} inside an unquoted element: quote the whole element instead ({})", ch,
                             ch == '\'' ? "\"it's\"" : "'say \"hi\"'"));
      }
      if ((ch == ']' || ch == '}') && ends.find(ch == ']' ? '}' : ']') != std::string_view::npos) {
        fail(at, fmt::format("'{}' does not close the open '{}': close it with '{}'", ch,
                             ch == ']' ? '{' : '[', ch == ']' ? '}' : ']'));
      }
      if (std::string_view("[]{}()=").find(ch) != std::string_view::npos) {
        fail(at,
             fmt::format("'{}' inside a list or dict must be escaped (\\{}) or the element quoted", ch, ch));
      }
      out += ch;
      if (ch != ' ' && ch != '\t') kept = out.size();
      ++at;
    }
    out.resize(kept);
    if (out.empty()) {
      fail(first, key ? std::string("a dict key is missing")
                      : std::string("an element is missing (quote it, '', for an empty string)"));
    }
    if (key || escaped) return string_value(out);
    Value value = plain_value(out);
    const std::string note = string_meant_as_other_type(value, fmt::format("override '{}'", arg_));
    if (!note.empty()) notes_.push_back(note);
    return value;
  }

  /// A quoted string at `at`, Hydra's way (its lexer's QUOTED_VALUE and
  /// _unescape_quoted_string): only a run of backslashes before a quote is
  /// an escape. An odd run escapes the quote (`\'` is '), an even one ends
  /// the string; either way the run is halved. Other backslashes stay.
  std::string quoted(std::size_t& at) {
    const char quote = text_[at];
    const std::size_t open = at++;
    std::string out;
    while (at < text_.size()) {
      const char c = text_[at];
      if (c == '\\') {
        std::size_t run = 0;
        while (at + run < text_.size() && text_[at + run] == '\\') ++run;
        if (at + run < text_.size() && text_[at + run] == quote) {
          out.append(run / 2, '\\');
          at += run + 1;
          if (run % 2 == 0) return out;  // the closing quote
          out += quote;
        } else {
          out.append(run, '\\');
          at += run;
        }
      } else if (c == quote) {
        ++at;
        return out;
      } else {
        out += c;
        ++at;
      }
    }
    fail(open, fmt::format("the quote {} is never closed: close it, or escape it (\\{}) inside another quote",
                           quote, quote));
  }

  const std::string& arg_;
  std::string text_;
  std::size_t base_;
  std::vector<std::string>& notes_;
};

}  // namespace

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
  ContainerReader containers(arg, eq + 1, result.notes);
  // Split on commas outside quotes, brackets and parentheses; an element that
  // starts with `[` or `{` is a list or dict value.
  std::string element;
  bool quoted = false;     // the element so far was a quoted string
  bool container = false;  // the element so far was a list or dict
  char quote = 0;
  int depth = 0;
  auto finish = [&](std::size_t at) {
    if (quote != 0) throw usage_error(fmt::format("override '{}': unterminated quote", arg));
    const std::string raw = trim(element);
    if (container) {
      // pushed when it was read
    } else if (quoted) {
      result.values.push_back(string_value(element));
    } else if (raw.rfind("range(", 0) == 0 && raw.back() == ')') {
      append_range(raw.substr(6, raw.size() - 7), fmt::format("override '{}'", arg), result.values);
    } else {
      if (raw.empty() && (at != std::string::npos || !result.values.empty())) {
        throw usage_error(
            fmt::format("override '{}': empty element in the list (quote it: '' for an empty string)", arg));
      }
      Value value = plain_value(raw);
      const std::string note = string_meant_as_other_type(value, fmt::format("override '{}'", arg));
      if (!note.empty()) result.notes.push_back(note);
      result.values.push_back(std::move(value));
    }
    element.clear();
    quoted = false;
    container = false;
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
    } else if ((c == '[' || c == '{') && trim(element).empty() && !quoted && !container) {
      std::size_t at = i;
      result.values.push_back(containers.container(at));
      container = true;
      i = at - 1;
    } else if (container && c != ',' && c != ' ' && c != '\t') {
      containers.fail(i, fmt::format("text after the list or dict ends; to pass the whole value as a string, "
                                     "quote it: {}='{}'",
                                     result.key, text));
    } else if ((c == '\'' || c == '"') && trim(element).empty() && !quoted && !container) {
      element.clear();
      quote = c;
      quoted = true;
    } else if (quoted && c != ',' && c != ' ') {
      throw usage_error(fmt::format("override '{}': text after a closing quote; quote the whole value", arg));
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
      element += c;
    } else if (c == ')' || c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
      element += c;
    } else if (c == ',' && depth == 0) {
      finish(i);
    } else if (!((quoted || container) && (c == ' ' || c == '\t'))) {
      element += c;
    }
  }
  finish(std::string::npos);
  return result;
}

void apply_override(SweepSpec& spec, const Override& override_) {
  spec.notes.insert(spec.notes.end(), override_.notes.begin(), override_.notes.end());
  if (spec.grids.empty()) spec.grids.emplace_back();
  auto find = [&](GridDecl& grid) {
    return std::find_if(grid.hypers.begin(), grid.hypers.end(),
                        [&](const HyperDecl& h) { return h.key == override_.key; });
  };
  std::vector<std::size_t> changed;
  for (std::size_t g = 0; g < spec.grids.size(); ++g) {
    if (auto it = find(spec.grids[g]); it != spec.grids[g].hypers.end()) {
      it->values = override_.values;
      it->origin = "command line";
      changed.push_back(g + 1);
    }
  }
  if (changed.empty()) {
    for (GridDecl& grid : spec.grids)
      grid.hypers.push_back({override_.key, override_.values, "command line"});
  }
  if (spec.grids.size() < 2) return;
  const std::string override_text = fmt::format("{}={}", override_.key, display_list(override_.values));
  if (changed.empty()) {
    spec.notes.push_back(fmt::format("{}: no grid has '{}', so it is added to all {} grids", override_text,
                                     override_.key, spec.grids.size()));
  } else {
    std::vector<std::string> names;
    for (std::size_t g : changed) names.push_back(fmt::format("hypers[{}]", g - 1));
    spec.notes.push_back(fmt::format("{}: replaces '{}' in {} of the {} grids (the grid{} that {} it)",
                                     override_text, override_.key, join(names, ", "), spec.grids.size(),
                                     changed.size() == 1 ? "" : "s", changed.size() == 1 ? "has" : "have"));
  }
}

}  // namespace jobsub
