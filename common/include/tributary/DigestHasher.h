// The one digest hasher: incremental sha256/sha512 over OpenSSL EVP, every OpenSSL return
// value checked, unknown algorithms refused. Used wherever content is verified (the host's
// storage writer, the registry client, the plugin's mirror checks).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary {

/// Not thread-safe: one hasher per stream.
class DigestHasher {
 public:
  /// `algorithm` is "sha256" or "sha512" (as parsed by tributary::parseDigest); anything else
  /// is kInvalidArgument.
  static Result<std::unique_ptr<DigestHasher>> create(std::string_view algorithm);
  /// The hasher for the algorithm of an "<algorithm>:<hex>" digest.
  static Result<std::unique_ptr<DigestHasher>> forDigest(std::string_view digest);
  /// Lowercase hex digest of `bytes` in one call.
  static Result<std::string> hexDigestOf(std::string_view algorithm, std::string_view bytes);
  /// "<algorithm>:<hex>" of `bytes` in one call.
  static Result<std::string> digestOf(std::string_view algorithm, std::string_view bytes);

  ~DigestHasher();
  DigestHasher(const DigestHasher&) = delete;
  DigestHasher& operator=(const DigestHasher&) = delete;

  const std::string& algorithm() const { return algorithm_; }
  Status update(const void* data, size_t len);
  /// Start over as if nothing had been hashed.
  Status reset();
  /// Lowercase hex of everything hashed since creation/reset. Ends the hash: call reset() before
  /// hashing again.
  Result<std::string> finishHex();

 private:
  struct Impl;
  DigestHasher(std::unique_ptr<Impl> impl, std::string algorithm);
  std::unique_ptr<Impl> impl_;
  std::string algorithm_;
};

}  // namespace tributary
