// Test helper: a BlobSink that keeps the bytes in memory and counts resets.
#pragma once

#include <string>

#include "tributary/registry/BlobSink.h"

namespace tributary::registry::testing {

class MemorySink : public BlobSink {
 public:
  Status write(const char* data, size_t len) override {
    bytes.append(data, len);
    return Status();
  }
  Status reset() override {
    bytes.clear();
    ++resets;
    return Status();
  }
  uint64_t offset() const override { return bytes.size(); }

  std::string bytes;
  int resets = 0;
};

}  // namespace tributary::registry::testing
