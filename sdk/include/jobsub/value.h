#pragma once
/// Hyperparameter values: the literal text the user wrote, plus its kind.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "jobsub/export.h"

namespace jobsub {

/// What a value's text means. The text itself is never reformatted:
/// `0.0001` stays `0.0001`, `'001'` stays the string `001`. A List or a Dict
/// is one value (one job gets it whole), made of typed elements.
enum class ValueKind { String, Number, Bool, Null, List, Dict };

struct Value {
  /// A scalar's literal text; a List's or Dict's display text (`[64, 64]`,
  /// display_value's), so a formatter that spells only text still passes the
  /// whole value.
  std::string text;
  ValueKind kind = ValueKind::String;
  /// A List's elements, or a Dict's values (in the order written), each
  /// typed and possibly a List or Dict itself.
  std::vector<Value> items{};
  /// A Dict's keys: keys[i] names items[i]. Keys are strings, unique.
  std::vector<std::string> keys{};

  bool operator==(const Value&) const = default;
  /// True for a Bool whose text is a YAML true (`true`, `True`, `TRUE`).
  JOBSUB_API bool is_true() const;
  bool is_container() const { return kind == ValueKind::List || kind == ValueKind::Dict; }
};

/// A list value of `items`.
JOBSUB_API Value list_value(std::vector<Value> items);
/// A dict value: `keys[i]` names `items[i]`. Throws std::invalid_argument
/// when the lengths differ or a key is written twice.
JOBSUB_API Value dict_value(std::vector<std::string> keys, std::vector<Value> items);

/// What a Number's text means under YAML 1.2's core schema, in the terms a
/// formatter needs to spell it for a Python framework.
struct Number {
  enum class Kind { integer, real, infinity, nan };
  Kind kind = Kind::integer;
  bool negative = false;
  /// integer: canonical decimal of any size (`0x10` -> `16`, `+007` -> `7`,
  /// `-0` -> `0`); real: the text as written (every YAML 1.2 float is also a
  /// Python float literal: `.5`, `1.`, `1e3`); infinity and nan: empty.
  std::string text;
};

/// The meaning of `value`, which must be a Number (plain_value's verdict).
/// Throws std::invalid_argument otherwise.
JOBSUB_API Number number_of(const Value& value);

/// `number` as Python's int() and float() read it back, which is also Hydra's
/// grammar: decimal integers, floats as written, `inf`, `-inf`, `nan`.
JOBSUB_API std::string python_number_text(const Number& number);

/// Classifies an unquoted scalar the way YAML 1.2's core schema does.
JOBSUB_API Value plain_value(std::string text);
/// A value that was quoted where it was written: always a string.
inline Value string_value(std::string text) { return {std::move(text), ValueKind::String}; }

/// An arithmetic progression of integers, `range(start, stop, step)` as
/// Python means it, held as three numbers however many values it has.
struct IntRange {
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  uint64_t count = 0;  ///< Python's len(range(start, stop, step))
  bool operator==(const IntRange&) const = default;
  /// `range(start,stop[,step])`.
  JOBSUB_API std::string text() const;
  /// Value `index` (< count).
  JOBSUB_API int64_t at(uint64_t index) const;
};
/// range(start, stop, step) as Python means it; step != 0.
JOBSUB_API IntRange make_range(int64_t start, int64_t stop, int64_t step);

/// The values of one hyperparameter: listed values and ranges, in order.
/// A range is never expanded: `range(0,10**12)` costs three numbers, and
/// value i is computed when asked for. Random access is logarithmic in the
/// number of segments, constant in the number of values.
class ValueList {
 public:
  /// One run of listed values, or one range.
  struct Segment {
    std::vector<Value> values;  ///< listed values; empty for a range
    IntRange range;             ///< count == 0 for listed values
    bool is_range() const { return values.empty(); }
    uint64_t size() const { return is_range() ? range.count : values.size(); }
    bool operator==(const Segment&) const = default;
  };

  ValueList() = default;
  ValueList(std::initializer_list<Value> values) {
    for (const Value& v : values) push_back(v);
  }
  JOBSUB_API void push_back(Value value);
  /// Appends a non-empty range.
  JOBSUB_API void append(const IntRange& range);
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// Value `index` (< size()).
  JOBSUB_API Value operator[](uint64_t index) const;
  const std::vector<Segment>& segments() const { return segments_; }
  bool operator==(const ValueList&) const = default;

 private:
  std::vector<Segment> segments_;
  std::vector<uint64_t> ends_;  ///< ends_[i]: values in segments 0..i
  uint64_t size_ = 0;
};

/// `value` as YAML would read it back with its kind: numbers, booleans and
/// null bare; a string bare only when it would read as the same string, else
/// quoted ('a,b', '1', "tab\there"); lists and dicts in YAML's flow style
/// (`[64, 64]`, `{lr: 0.1, name: 'a,b'}`). For --show-config, the summary,
/// jobs.tsv, status and messages: every place a value is shown.
JOBSUB_API std::string display_value(const Value& value);
/// `[0.01, 'a,b', range(0,5)]`: every value of a list, ranges unexpanded.
JOBSUB_API std::string display_list(const ValueList& list);

struct Param {
  std::string key;
  Value value;
  bool operator==(const Param&) const = default;
};

/// One job's hyperparameters, in the order their keys were declared.
using Params = std::vector<Param>;
/// A program's arguments, one element per word, never pre-joined.
using Argv = std::vector<std::string>;

}  // namespace jobsub
