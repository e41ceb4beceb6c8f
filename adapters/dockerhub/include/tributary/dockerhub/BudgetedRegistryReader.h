// A RegistryReader that takes one pull from a DockerHubPullBudget before every manifest GET
// and refuses the GET (kResourceExhausted, with the reset time) when the budget cannot cover
// it. HEADs, tag lists and blobs pass through: Docker Hub does not count them.
//
// Thread rules: as the reader and budget it borrows (both allow concurrent calls).
#pragma once

#include "tributary/dockerhub/DockerHubPullBudget.h"
#include "tributary/registry/RegistryReader.h"

namespace tributary::dockerhub {

class BudgetedRegistryReader final : public registry::RegistryReader {
 public:
  BudgetedRegistryReader(registry::RegistryReader& inner, DockerHubPullBudget& budget)
      : inner_(inner), budget_(budget) {}

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
                                         const std::string& reference) override;
  Status fetchBlob(const std::string& repository, const std::string& digest,
                   uint64_t expectedSize, registry::BlobSink& sink) override {
    return inner_.fetchBlob(repository, digest, expectedSize, sink);
  }
  Status fetchBlobRange(const std::string& repository, const std::string& digest, uint64_t offset,
                        uint64_t length, registry::BlobSink& sink) override {
    return inner_.fetchBlobRange(repository, digest, offset, length, sink);
  }

 private:
  registry::RegistryReader& inner_;
  DockerHubPullBudget& budget_;
};

}  // namespace tributary::dockerhub
