#include "jobsub/value.h"

#include <regex>

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

}  // namespace jobsub
