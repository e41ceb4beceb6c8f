// A strict RFC 8259 JSON reader that keeps every number as the exact token text it was
// written as, so a decoder can apply Go's encoding/json rules (what CNCF Distribution decodes
// manifests with): `12000.5`, `1.2e4` and `18446744073709551616` are numbers to JSON but not
// int64s to Go, and Poco's parser would silently turn them into 12000, 12000 and 0.
//
// Objects keep their members in document order, duplicates included (Go keeps the last one;
// the manifest decoder refuses them). Strings are unescaped (\uXXXX with surrogate pairs; a
// lone surrogate becomes U+FFFD, as in Go). Control characters inside strings, trailing
// commas, leading zeros, NaN/Infinity, comments and trailing bytes are errors.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tributary/Status.h"

namespace tributary::registry {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // kString: the unescaped value; kNumber: the token exactly as written
  std::vector<JsonValue> items;                               // kArray
  std::vector<std::pair<std::string, JsonValue>> members;     // kObject, in document order

  /// "null", "a boolean", "a number", "a string", "an array", "an object".
  const char* typeName() const;
  /// For messages: the token of a number, "true"/"false", or the type name.
  std::string describe() const;
};

class StrictJson {
 public:
  /// Nesting deeper than this is refused (Go allows 10000; no manifest needs more than a few).
  static constexpr size_t kMaxDepth = 256;

  /// kInvalidArgument naming the byte offset of the first problem.
  static Result<JsonValue> parse(std::string_view text);

  /// The value of an integer token (`-?(0|[1-9][0-9]*)`, no fraction or exponent) when it fits
  /// in int64 — Go's strconv.ParseInt, which encoding/json uses for int fields.
  static bool toInt64(const std::string& token, long long& out);
};

}  // namespace tributary::registry
