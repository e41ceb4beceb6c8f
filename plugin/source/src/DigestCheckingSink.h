// A BlobSink in front of another that hashes the bytes on their way through, so a blob from a
// less trusted endpoint (a mirror) can be checked against its digest before the fetch counts
// as done. sha256 and sha512 (the algorithms Names.h accepts). reset() restarts the hash with
// the inner sink.
// Not thread-safe: one fetch writes to one sink.
#pragma once

#include <memory>
#include <string>

#include "tributary/DigestHasher.h"
#include "tributary/Status.h"
#include "tributary/registry/BlobSink.h"

namespace tributary::plugin {

class DigestCheckingSink final : public registry::BlobSink {
 public:
  /// `digest` should be a valid "<alg>:<hex>" (else every write fails saying why); `inner` is
  /// borrowed.
  DigestCheckingSink(registry::BlobSink& inner, std::string digest);
  ~DigestCheckingSink() override;
  DigestCheckingSink(const DigestCheckingSink&) = delete;
  DigestCheckingSink& operator=(const DigestCheckingSink&) = delete;

  Status write(const char* data, size_t len) override;
  Status reset() override;
  uint64_t offset() const override { return inner_.offset(); }

  /// kDataLoss unless exactly `size` bytes passed and they hash to the digest.
  Status verify(uint64_t size);

  /// "<alg>:<hex>" of `bytes`, alg taken from `likeDigest`.
  static Result<std::string> digestOf(const std::string& bytes, const std::string& likeDigest);

 private:
  registry::BlobSink& inner_;
  std::string digest_;
  Result<std::unique_ptr<DigestHasher>> hasher_;
  uint64_t bytes_ = 0;
};

}  // namespace tributary::plugin
