#pragma once
/// Hyperparameter values: the literal text the user wrote, plus its kind.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "jobsub/export.h"

namespace jobsub {

/// What a value's text means. The text itself is never reformatted:
/// `0.0001` stays `0.0001`, `'001'` stays the string `001`.
enum class ValueKind { String, Number, Bool, Null };

struct Value {
  std::string text;
  ValueKind kind = ValueKind::String;

  bool operator==(const Value&) const = default;
  /// True for a Bool whose text is a YAML true (`true`, `True`, `TRUE`).
  JOBSUB_API bool is_true() const;
};

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
