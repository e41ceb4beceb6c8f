// A RegistryReader that answers manifests by digest and small blobs (image configs) from a
// per-run ContentStore, and fills the store from whatever it fetches, so listing (the custom
// source's `created` lookup), tag resolution and blob transfer share one copy of each object.
// Tags, HEADs and manifests by tag always go to the inner reader: they say what a tag means
// now. A manifest fetched by tag is kept under its digest for later by-digest reads.
//
// Bytes that do not hash to their digest (damaged in transit) are fetched again, up to 3
// times in all, before the read fails with kDataLoss; nothing unverified is kept or returned.
//
// Thread rules: as the inner reader (concurrent calls allowed); the store is thread-safe and
// single-flight, so concurrent requests for one digest cost one fetch.
#pragma once

#include "tributary/registry/ContentStore.h"
#include "tributary/registry/RegistryReader.h"

namespace tributary::registry {

class CachingRegistryReader final : public RegistryReader {
 public:
  /// Both are borrowed and must outlive this object.
  CachingRegistryReader(RegistryReader& inner, ContentStore& store)
      : inner_(inner), store_(store) {}

  Result<std::vector<std::string>> listTags(const std::string& repository) override;
  Result<std::vector<std::string>> listTagsMatching(
      const std::string& repository, const std::function<bool(const std::string&)>& keep) override;
  Result<ManifestDescriptor> headManifest(const std::string& repository,
                                          const std::string& reference) override;
  Result<ManifestDescriptor> headManifestIfChanged(const std::string& repository,
                                                   const std::string& reference,
                                                   const std::string& knownDigest) override;
  Result<Manifest> getManifest(const std::string& repository,
                               const std::string& reference) override;
  /// Blobs the store may keep (by `expectedSize`) are read whole into memory, verified, kept
  /// and then written to `sink`; larger ones stream from the inner reader untouched.
  Status fetchBlob(const std::string& repository, const std::string& digest,
                   uint64_t expectedSize, BlobSink& sink) override;
  Status fetchBlobRange(const std::string& repository, const std::string& digest,
                        uint64_t offset, uint64_t length, BlobSink& sink) override;

 private:
  RegistryReader& inner_;
  ContentStore& store_;
};

}  // namespace tributary::registry
