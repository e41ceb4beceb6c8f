// Keeps secrets out of text that leaves the provider. Every secret the provider handles — the
// password and token of a credential, `base64(user:password)` as sent in a Basic header, each
// token a token service issues — is remembered here; redact() replaces every occurrence (as
// written and JSON-escaped) with `<redacted>`. Messages can carry a secret without any code
// here printing one: a registry or token service that echoes the request's Authorization (or
// a token) in its error message, which the provider quotes as the cause.
//
// Secrets shorter than kMinLength are not remembered: replacing every occurrence of a
// 3-character string would mangle digests and names, and such a secret is no secret.
//
// Thread rules: remember() and redact() may be called from any thread at once (one mutex).
// Memory: credentials (pinned) are kept for the object's life; at most kMaxIssued issued
// tokens besides, past that the oldest is forgotten (it has long expired).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/Mutex.h"

namespace tributary {

class SecretRedactor {
 public:
  static constexpr size_t kMinLength = 6;
  static constexpr size_t kMaxIssued = 1024;
  static constexpr std::string_view kReplacement = "<redacted>";

  /// A credential's secret (password, token): kept as long as this object.
  void rememberCredential(std::string_view secret);
  /// A username/password pair: the password and base64("user:password") (a Basic header).
  void rememberBasic(std::string_view username, std::string_view password);
  /// A token a service issued: among the kMaxIssued most recent.
  void rememberIssued(std::string_view token);

  /// `text` with every remembered secret (as written and JSON-escaped) replaced by
  /// kReplacement, longest first so a secret inside another leaves no fragment.
  std::string redact(std::string text) const;

  size_t size() const;

 private:
  struct Entry {
    std::string value;
    bool pinned;
    uint64_t seq;
  };
  void add(std::string_view secret, bool pinned) REQUIRES(mutex_);
  void addOne(std::string value, bool pinned) REQUIRES(mutex_);

  mutable Mutex mutex_;
  std::vector<Entry> secrets_ GUARDED_BY(mutex_);  // longest first
  size_t issued_ GUARDED_BY(mutex_) = 0;
  uint64_t seq_ GUARDED_BY(mutex_) = 0;
};

}  // namespace tributary
