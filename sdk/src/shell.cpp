#include "jobsub/shell.h"

#include "jobsub/text.h"

namespace jobsub {
namespace {

bool is_safe_unquoted(unsigned char c) {
  // `=` is left out on purpose: `k=v` as a command's first word would be an
  // assignment, and quoting it matches the reference script's `'lr=0.1'`.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/' || c == ':' || c == '@' || c == '%' || c == '+' || c == ',';
}

std::string ansi_c_quote(std::string_view word) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "$'";
  for (unsigned char c : word) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      default:
        if (is_control_character(c)) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '\'';
  return out;
}

}  // namespace

std::string shell_quote(std::string_view word) {
  if (word.empty()) return "''";
  bool safe = true;
  for (unsigned char c : word) {
    if (is_control_character(c)) return ansi_c_quote(word);
    safe = safe && is_safe_unquoted(c);
  }
  if (safe) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string shell_join(const Argv& argv) {
  std::string out;
  for (const std::string& word : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(word);
  }
  return out;
}

}  // namespace jobsub
