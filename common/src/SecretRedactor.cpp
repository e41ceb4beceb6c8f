#include "tributary/SecretRedactor.h"

#include <algorithm>

#include "tributary/JsonWriter.h"

namespace tributary {
namespace {

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The form the JSON writer gives the secret inside a string (reports are JSON): its quoting,
// without the quotes.
std::string jsonEscaped(std::string_view in) {
  const std::string quoted = plugin::JsonWriter::quote(in);
  return quoted.substr(1, quoted.size() - 2);
}

}  // namespace

void SecretRedactor::addOne(std::string value, bool pinned) {
  if (value.size() < kMinLength) return;
  for (Entry& e : secrets_) {
    if (e.value != value) continue;
    if (pinned && !e.pinned) {
      e.pinned = true;
      --issued_;
    }
    return;
  }
  if (!pinned && issued_ >= kMaxIssued) {
    auto oldest = secrets_.end();
    for (auto it = secrets_.begin(); it != secrets_.end(); ++it)
      if (!it->pinned && (oldest == secrets_.end() || it->seq < oldest->seq)) oldest = it;
    secrets_.erase(oldest);
    --issued_;
  }
  auto at = std::find_if(secrets_.begin(), secrets_.end(),
                         [&](const Entry& e) { return e.value.size() < value.size(); });
  secrets_.insert(at, Entry{std::move(value), pinned, ++seq_});
  if (!pinned) ++issued_;
}

void SecretRedactor::add(std::string_view secret, bool pinned) {
  addOne(std::string(secret), pinned);
  addOne(jsonEscaped(secret), pinned);
}

void SecretRedactor::rememberCredential(std::string_view secret) {
  MutexLock lock(mutex_);
  add(secret, true);
}

void SecretRedactor::rememberBasic(std::string_view username, std::string_view password) {
  if (password.empty()) return;
  std::string pair(username);
  pair += ':';
  pair += password;
  MutexLock lock(mutex_);
  add(password, true);
  add(base64(pair), true);
}

void SecretRedactor::rememberIssued(std::string_view token) {
  MutexLock lock(mutex_);
  add(token, false);
}

std::string SecretRedactor::redact(std::string text) const {
  MutexLock lock(mutex_);
  for (const Entry& e : secrets_) {
    for (size_t at = text.find(e.value); at != std::string::npos;
         at = text.find(e.value, at + kReplacement.size())) {
      text.replace(at, e.value.size(), kReplacement);
    }
  }
  return text;
}

size_t SecretRedactor::size() const {
  MutexLock lock(mutex_);
  return secrets_.size();
}

}  // namespace tributary
