#include "tributary/config/JsonSyntaxChecker.h"

namespace tributary::config {
namespace {

class Checker {
 public:
  explicit Checker(const std::string& text) : text_(text) {}

  std::string check() {
    skipSpace();
    if (!value(0)) return where();
    skipSpace();
    if (at_ < text_.size()) {
      error_ = "unexpected text after the JSON value";
      return where();
    }
    return "";
  }

 private:
  std::string where() const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + error_;
  }
  bool fail(const std::string& what) {
    error_ = at_ >= text_.size() ? what + ", found the end of the text"
                                 : what + ", found `" + text_.substr(at_, 1) + "`";
    return false;
  }
  void skipSpace() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' ||
                                  text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }
  bool literal(const char* word) {
    const std::string expected(word);
    if (text_.compare(at_, expected.size(), expected) != 0) {
      error_ = "expected `" + expected + "`";
      return false;
    }
    at_ += expected.size();
    return true;
  }
  bool string() {
    ++at_;  // the opening quote
    while (at_ < text_.size() && text_[at_] != '"') {
      const unsigned char c = static_cast<unsigned char>(text_[at_]);
      if (c < 0x20) return fail("expected `\"` to close the string (control characters must be escaped)");
      if (c == '\\') {
        ++at_;
        if (at_ >= text_.size() || std::string("\"\\/bfnrtu").find(text_[at_]) == std::string::npos) {
          return fail("expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
      }
      ++at_;
    }
    if (at_ >= text_.size()) return fail("expected `\"` to close the string");
    ++at_;
    return true;
  }
  bool number() {
    const size_t start = at_;
    if (text_[at_] == '-') ++at_;
    auto digits = [&] {
      const size_t from = at_;
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
      return at_ > from;
    };
    if (!digits()) return fail("expected a digit");
    if (at_ < text_.size() && text_[at_] == '.') {
      ++at_;
      if (!digits()) return fail("expected a digit after `.`");
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (!digits()) return fail("expected an exponent");
    }
    return at_ > start;
  }
  bool value(int depth) {
    if (depth > 256) return fail("nesting deeper than 256 levels");
    if (at_ >= text_.size()) return fail("expected a value");
    const char c = text_[at_];
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++at_;
      skipSpace();
      if (at_ < text_.size() && text_[at_] == close) {
        ++at_;
        return true;
      }
      for (;;) {
        if (c == '{') {
          if (at_ >= text_.size() || text_[at_] != '"') return fail("expected a \"key\" in quotes");
          if (!string()) return false;
          skipSpace();
          if (at_ >= text_.size() || text_[at_] != ':') return fail("expected `:` after the key");
          ++at_;
          skipSpace();
        }
        if (!value(depth + 1)) return false;
        skipSpace();
        if (at_ < text_.size() && text_[at_] == ',') {
          ++at_;
          skipSpace();
          continue;
        }
        if (at_ < text_.size() && text_[at_] == close) {
          ++at_;
          return true;
        }
        return fail(std::string("expected `,` or `") + close + "`");
      }
    }
    if (c == '"') return string();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    return fail("expected a value (object, array, string, number, true, false or null)");
  }

  const std::string& text_;
  size_t at_ = 0;
  std::string error_;
};

}  // namespace

std::string JsonSyntaxChecker::check(const std::string& text) { return Checker(text).check(); }

}  // namespace tributary::config
