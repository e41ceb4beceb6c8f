// JsonSyntaxChecker: where a text stops being JSON, for error messages that say where (Poco's
// parser says what went wrong but not at which line and column).
#pragma once

#include <string>

namespace tributary::config {

class JsonSyntaxChecker {
 public:
  /// "" when `text` is one JSON value (RFC 8259 syntax; nesting capped at 256 levels), else
  /// "line L, column C: <what was expected>, found `x`" (1-based; column counts bytes).
  /// Syntax only: the caller still parses with its JSON library. Thread: any.
  static std::string check(const std::string& text);
};

}  // namespace tributary::config
