// A RegistryReader that hands every call to another one: the base of test readers that change
// one or two calls (fail them, hold them, count them) and pass the rest through.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tributary/registry/RegistryReader.h"

namespace tributary::testing {

class ForwardingReader : public registry::RegistryReader {
 public:
  explicit ForwardingReader(registry::RegistryReader& inner) : inner_(inner) {}

  Result<std::vector<std::string>> listTags(const std::string& repository) override {
    return inner_.listTags(repository);
  }
  Result<registry::ManifestDescriptor> headManifest(const std::string& repository,
                                                    const std::string& reference) override {
    return inner_.headManifest(repository, reference);
  }
  Result<registry::ManifestDescriptor> headManifestIfChanged(
      const std::string& repository, const std::string& reference,
      const std::string& knownDigest) override {
    return inner_.headManifestIfChanged(repository, reference, knownDigest);
  }
  Result<registry::Manifest> getManifest(const std::string& repository,
                                         const std::string& reference) override {
    return inner_.getManifest(repository, reference);
  }
  Status fetchBlob(const std::string& repository, const std::string& digest, uint64_t size,
                   registry::BlobSink& sink) override {
    return inner_.fetchBlob(repository, digest, size, sink);
  }
  Status fetchBlobRange(const std::string& repository, const std::string& digest,
                        uint64_t offset, uint64_t length, registry::BlobSink& sink) override {
    return inner_.fetchBlobRange(repository, digest, offset, length, sink);
  }

 protected:
  registry::RegistryReader& inner_;
};

}  // namespace tributary::testing
