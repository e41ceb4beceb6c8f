// A BlobSink that keeps a small blob (an image config) in memory, refusing more than a limit,
// and can check the bytes against their sha256/sha512 digest.
#pragma once

#include <string>

#include "tributary/registry/BlobSink.h"

namespace tributary::registry {

class MemoryBlobSink final : public registry::BlobSink {
 public:
  explicit MemoryBlobSink(size_t limit) : limit_(limit) {}

  Status write(const char* data, size_t len) override;
  Status reset() override;
  uint64_t offset() const override { return bytes_.size(); }

  const std::string& bytes() const { return bytes_; }
  /// kDataLoss unless the bytes hash to `digest` (sha256 or sha512).
  Status verify(const std::string& digest) const;

 private:
  size_t limit_;
  std::string bytes_;
};

}  // namespace tributary::registry
