// Incremental sha256/sha512 over OpenSSL EVP, for verifying blobs and manifests while writing.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::storage {

/// Not thread-safe: one hasher per writer.
class DigestHasher {
 public:
  /// `algorithm` is "sha256" or "sha512" (as parsed by tributary::parseDigest).
  static Result<std::unique_ptr<DigestHasher>> create(std::string_view algorithm);
  /// Lowercase hex digest of `bytes` in one call.
  static Result<std::string> hexDigestOf(std::string_view algorithm, std::string_view bytes);

  ~DigestHasher();
  DigestHasher(const DigestHasher&) = delete;
  DigestHasher& operator=(const DigestHasher&) = delete;

  void update(const void* data, size_t len);
  /// Start over as if nothing had been hashed.
  Status reset();
  /// Lowercase hex of everything hashed since creation/reset. Ends the hash: call reset() before
  /// hashing again.
  Result<std::string> finishHex();

 private:
  struct Impl;
  explicit DigestHasher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::storage
