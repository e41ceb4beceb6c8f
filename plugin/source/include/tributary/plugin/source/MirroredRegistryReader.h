// A RegistryReader that takes content-addressed objects from the source's mirrors first
// (SourceEndpoints) and everything that decides freshness from the origin only: tag listing,
// HEAD, and manifests by tag never touch a mirror, so what a tag points at is always the
// origin's answer. Manifests by digest and blobs are verified against their digest before a
// mirror's answer counts; a mismatch falls back to the next endpoint like any other error.
//
// Large layer blobs do not come through here: BlobTransfer walks the endpoints itself (its
// storage commit verifies the digest, so it needs no second hash). fetchBlobRange goes to the
// origin: a single part cannot be verified.
//
// Thread rules: as SourceEndpoints (concurrent calls allowed).
#pragma once

#include "tributary/plugin/source/SourceEndpoints.h"
#include "tributary/registry/RegistryReader.h"

namespace tributary::plugin {

class MirroredRegistryReader final : public registry::RegistryReader {
 public:
  explicit MirroredRegistryReader(SourceEndpoints& endpoints) : endpoints_(endpoints) {}

  Result<std::vector<std::string>> listTags(const std::string& repository) override;
  Result<registry::ManifestDescriptor> headManifest(const std::string& repository,
                                                    const std::string& reference) override;
  /// Asked of the origin, like headManifest: a mirror may be stale.
  Result<registry::ManifestDescriptor> headManifestIfChanged(
      const std::string& repository, const std::string& reference,
      const std::string& knownDigest) override;
  Result<registry::Manifest> getManifest(const std::string& repository,
                                         const std::string& reference) override;
  /// From a mirror, the bytes are hashed as they stream and the sink is reset when they do
  /// not match `digest`; from the origin, verification stays the caller's (as before).
  Status fetchBlob(const std::string& repository, const std::string& digest,
                   uint64_t expectedSize, registry::BlobSink& sink) override;
  Status fetchBlobRange(const std::string& repository, const std::string& digest,
                        uint64_t offset, uint64_t length, registry::BlobSink& sink) override;

 private:
  SourceEndpoints& endpoints_;
};

}  // namespace tributary::plugin
