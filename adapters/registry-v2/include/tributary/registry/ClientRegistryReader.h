// RegistryReader over a real RegistryClient (which it borrows; the client must outlive it).
#pragma once

#include "tributary/registry/RegistryReader.h"

namespace tributary::registry {

class ClientRegistryReader final : public RegistryReader {
 public:
  explicit ClientRegistryReader(registry::RegistryClient& client) : client_(client) {}

  Result<std::vector<std::string>> listTags(const std::string& repository) override;
  Result<std::vector<std::string>> listTagsMatching(
      const std::string& repository, const std::function<bool(const std::string&)>& keep) override;
  Result<registry::ManifestDescriptor> headManifest(const std::string& repository,
                                                    const std::string& reference) override;
  Result<registry::ManifestDescriptor> headManifestIfChanged(
      const std::string& repository, const std::string& reference,
      const std::string& knownDigest) override;
  Result<registry::Manifest> getManifest(const std::string& repository,
                                         const std::string& reference) override;
  Status fetchBlob(const std::string& repository, const std::string& digest,
                   uint64_t expectedSize, registry::BlobSink& sink) override;
  Status fetchBlobRange(const std::string& repository, const std::string& digest, uint64_t offset,
                        uint64_t length, registry::BlobSink& sink) override;

 private:
  registry::RegistryClient& client_;
};

}  // namespace tributary::registry
