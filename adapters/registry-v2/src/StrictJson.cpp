#include "StrictJson.h"

#include <climits>
#include <cstdint>

namespace tributary::registry {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  Result<JsonValue> document() {
    JsonValue v;
    skipSpace();
    TRIB_RETURN_IF_ERROR(value(v, 0));
    skipSpace();
    if (pos_ != s_.size()) return fail("unexpected bytes after the JSON value");
    return v;
  }

 private:
  Status fail(const std::string& what) const {
    return invalidArgumentError("invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }
  void skipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Status value(JsonValue& v, size_t depth) {
    if (pos_ >= s_.size()) return fail("unexpected end of input");
    const char c = s_[pos_];
    if (c == '{' || c == '[') {
      if (depth >= StrictJson::kMaxDepth)
        return fail("nested deeper than " + std::to_string(StrictJson::kMaxDepth) + " levels");
      return c == '{' ? object(v, depth + 1) : array(v, depth + 1);
    }
    if (c == '"') {
      v.type = JsonValue::Type::kString;
      return string(v.text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(v);
    if (literal("true")) {
      v.type = JsonValue::Type::kBool;
      v.boolean = true;
      return Status();
    }
    if (literal("false")) {
      v.type = JsonValue::Type::kBool;
      return Status();
    }
    if (literal("null")) {
      v.type = JsonValue::Type::kNull;
      return Status();
    }
    return fail(std::string("unexpected character `") + c + "`");
  }

  Status object(JsonValue& v, size_t depth) {
    v.type = JsonValue::Type::kObject;
    ++pos_;  // {
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Status();
    }
    while (true) {
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a member name");
      std::string key;
      TRIB_RETURN_IF_ERROR(string(key));
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected `:` after a member name");
      ++pos_;
      skipSpace();
      v.members.emplace_back(std::move(key), JsonValue());
      TRIB_RETURN_IF_ERROR(value(v.members.back().second, depth));
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Status();
      }
      return fail("expected `,` or `}` in an object");
    }
  }

  Status array(JsonValue& v, size_t depth) {
    v.type = JsonValue::Type::kArray;
    ++pos_;  // [
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Status();
    }
    while (true) {
      skipSpace();
      v.items.emplace_back();
      TRIB_RETURN_IF_ERROR(value(v.items.back(), depth));
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Status();
      }
      return fail("expected `,` or `]` in an array");
    }
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  Status number(JsonValue& v) {
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || !digit(s_[pos_])) return fail("a number needs digits");
    if (s_[pos_] == '0') {
      ++pos_;
      if (pos_ < s_.size() && digit(s_[pos_])) return fail("a number may not start with 0");
    } else {
      while (pos_ < s_.size() && digit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (pos_ >= s_.size() || !digit(s_[pos_])) return fail("a fraction needs digits");
      while (pos_ < s_.size() && digit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !digit(s_[pos_])) return fail("an exponent needs digits");
      while (pos_ < s_.size() && digit(s_[pos_])) ++pos_;
    }
    v.type = JsonValue::Type::kNumber;
    v.text.assign(s_.substr(start, pos_ - start));
    return Status();
  }

  static void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool hex4(uint32_t& out) {
    if (pos_ + 4 > s_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_ + i];
      out <<= 4;
      if (c >= '0' && c <= '9') out |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') out |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') out |= static_cast<uint32_t>(c - 'A' + 10);
      else return false;
    }
    pos_ += 4;
    return true;
  }

  Status string(std::string& out) {
    ++pos_;  // "
    out.clear();
    while (true) {
      if (pos_ >= s_.size()) return fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return Status();
      }
      if (c < 0x20) return fail("control character inside a string");
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) return fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return fail("bad \\u escape");
          if (cp >= 0xd800 && cp < 0xdc00) {
            // A high surrogate must be followed by a low one; otherwise U+FFFD, as Go does.
            uint32_t low = 0;
            const size_t save = pos_;
            if (s_.substr(pos_, 2) == "\\u") {
              pos_ += 2;
              if (hex4(low) && low >= 0xdc00 && low < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
              } else {
                pos_ = save;
                cp = 0xfffd;
              }
            } else {
              cp = 0xfffd;
            }
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            cp = 0xfffd;
          }
          appendUtf8(out, cp);
          break;
        }
        default: return fail(std::string("bad escape `\\") + e + "`");
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

const char* JsonValue::typeName() const {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "a boolean";
    case Type::kNumber: return "a number";
    case Type::kString: return "a string";
    case Type::kArray: return "an array";
    case Type::kObject: return "an object";
  }
  return "a value";
}

std::string JsonValue::describe() const {
  if (type == Type::kNumber) return text;
  if (type == Type::kBool) return boolean ? "true" : "false";
  return typeName();
}

Result<JsonValue> StrictJson::parse(std::string_view text) { return Scanner(text).document(); }

bool StrictJson::toInt64(const std::string& token, long long& out) {
  size_t i = 0;
  const bool negative = !token.empty() && token[0] == '-';
  if (negative) i = 1;
  if (i >= token.size()) return false;
  if (token[i] == '0' && token.size() > i + 1) return false;
  // Accumulate as a negative number: its range is one larger than the positive one.
  long long value = 0;
  for (; i < token.size(); ++i) {
    const char c = token[i];
    if (c < '0' || c > '9') return false;
    const int d = c - '0';
    if (value < (LLONG_MIN + d) / 10) return false;
    value = value * 10 - d;
  }
  if (!negative) {
    if (value == LLONG_MIN) return false;
    value = -value;
  }
  out = value;
  return true;
}

}  // namespace tributary::registry
