#include "AuthChallenge.h"

#include <cctype>

namespace tributary::registry {

namespace {

// RFC 7230 tchar.
bool isTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Cursor {
 public:
  explicit Cursor(const std::string& s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void skipSpace() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void skipSpaceAndCommas() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::string token() {
    size_t start = i_;
    while (!done() && isTokenChar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // Token68 values (base64 with trailing '=') are accepted as a bare value too.
  std::string tokenOrToken68() {
    size_t start = i_;
    while (!done() && (isTokenChar(s_[i_]) || s_[i_] == '/' || s_[i_] == '=')) ++i_;
    return s_.substr(start, i_ - start);
  }
  bool consume(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // After the opening quote; returns false when the string is unterminated.
  bool quoted(std::string& out) {
    while (!done()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c == '\\' && !done()) c = s_[i_++];
      out += c;
    }
    return false;
  }
  size_t pos() const { return i_; }
  void seek(size_t p) { i_ = p; }

 private:
  const std::string& s_;
  size_t i_ = 0;
};

}  // namespace

std::string AuthChallenge::param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

std::vector<AuthChallenge> AuthChallenge::parseHeader(const std::string& value) {
  std::vector<AuthChallenge> out;
  Cursor c(value);
  c.skipSpaceAndCommas();
  while (!c.done()) {
    std::string scheme = c.token();
    if (scheme.empty()) break;  // garbage: keep what we have
    AuthChallenge ch;
    ch.scheme = lower(scheme);
    // Parameters until the next "<token> <token>=" (a new challenge) or the end.
    while (true) {
      c.skipSpaceAndCommas();
      if (c.done()) break;
      size_t mark = c.pos();
      std::string key = c.token();
      c.skipSpace();
      if (key.empty() || !c.consume('=')) {
        // A new challenge starts here (its scheme), or garbage: rewind and let the outer
        // loop decide.
        c.seek(mark);
        break;
      }
      c.skipSpace();
      std::string val;
      if (c.consume('"')) {
        if (!c.quoted(val)) {
          ch.params[lower(key)] = val;
          out.push_back(std::move(ch));
          return out;
        }
      } else {
        val = c.tokenOrToken68();
      }
      ch.params[lower(key)] = val;
    }
    out.push_back(std::move(ch));
    c.skipSpaceAndCommas();
    size_t before = c.pos();
    if (!c.done() && c.token().empty()) break;
    c.seek(before);
  }
  return out;
}

std::vector<AuthChallenge> AuthChallenge::parseHeaders(const std::vector<std::string>& values) {
  std::vector<AuthChallenge> out;
  for (const auto& v : values) {
    auto some = parseHeader(v);
    out.insert(out.end(), some.begin(), some.end());
  }
  return out;
}

}  // namespace tributary::registry
