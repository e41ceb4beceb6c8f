#include "tributary/registry/ClientRegistryReader.h"

namespace tributary::registry {

Result<std::vector<std::string>> ClientRegistryReader::listTags(const std::string& repository) {
  return client_.listTags(repository);
}

Result<std::vector<std::string>> ClientRegistryReader::listTagsMatching(
    const std::string& repository, const std::function<bool(const std::string&)>& keep) {
  return client_.listTags(repository, keep);
}

Result<registry::ManifestDescriptor> ClientRegistryReader::headManifest(
    const std::string& repository, const std::string& reference) {
  return client_.headManifest(repository, reference);
}

Result<registry::ManifestDescriptor> ClientRegistryReader::headManifestIfChanged(
    const std::string& repository, const std::string& reference, const std::string& knownDigest) {
  return client_.headManifest(repository, reference, knownDigest);
}

Result<registry::Manifest> ClientRegistryReader::getManifest(const std::string& repository,
                                                             const std::string& reference) {
  return client_.getManifest(repository, reference);
}

Status ClientRegistryReader::fetchBlob(const std::string& repository, const std::string& digest,
                                       uint64_t expectedSize, registry::BlobSink& sink) {
  return client_.fetchBlob(repository, digest, expectedSize, sink);
}

Status ClientRegistryReader::fetchBlobRange(const std::string& repository,
                                            const std::string& digest, uint64_t offset,
                                            uint64_t length, registry::BlobSink& sink) {
  return client_.fetchBlobRange(repository, digest, offset, length, sink);
}

}  // namespace tributary::registry
