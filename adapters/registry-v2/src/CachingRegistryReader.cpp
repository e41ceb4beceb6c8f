#include "tributary/registry/CachingRegistryReader.h"

#include "tributary/Names.h"
#include "tributary/registry/MemoryBlobSink.h"

namespace tributary::registry {
namespace {

bool isDigest(const std::string& reference) {
  return reference.find(':') != std::string::npos && parseDigest(reference).isOk();
}

// Bytes that do not hash to their digest may have been damaged on the way (a proxy, a flaky
// link): fetched again from scratch, as BlobTransfer does for layers, before the mismatch
// fails every tag that needs the object until the next run. A source that keeps serving
// other bytes costs kFetchAttempts requests and fails with kDataLoss.
constexpr int kFetchAttempts = 3;

Result<ContentStore::Entry> fetchVerified(
    const std::string& digest, const std::function<Result<ContentStore::Entry>()>& fetchOnce) {
  Status last;
  for (int attempt = 1; attempt <= kFetchAttempts; ++attempt) {
    Result<ContentStore::Entry> got = fetchOnce();
    Status s = got.status();
    if (s.isOk()) {
      s = ContentStore::verify(digest, got->bytes ? *got->bytes : std::string());
      if (s.isOk()) return got;
    }
    if (s.code() != StatusCode::kDataLoss) return s;
    last = s;
  }
  return last.withContext("after " + std::to_string(kFetchAttempts) + " fetch attempts");
}

}  // namespace

Result<std::vector<std::string>> CachingRegistryReader::listTags(const std::string& repository) {
  return inner_.listTags(repository);
}

Result<std::vector<std::string>> CachingRegistryReader::listTagsMatching(
    const std::string& repository, const std::function<bool(const std::string&)>& keep) {
  return inner_.listTagsMatching(repository, keep);
}

Result<ManifestDescriptor> CachingRegistryReader::headManifest(const std::string& repository,
                                                               const std::string& reference) {
  return inner_.headManifest(repository, reference);
}

Result<ManifestDescriptor> CachingRegistryReader::headManifestIfChanged(
    const std::string& repository, const std::string& reference, const std::string& knownDigest) {
  return inner_.headManifestIfChanged(repository, reference, knownDigest);
}

Result<Manifest> CachingRegistryReader::getManifest(const std::string& repository,
                                                    const std::string& reference) {
  if (!isDigest(reference)) {
    TRIB_ASSIGN_OR_RETURN(Manifest m, inner_.getManifest(repository, reference));
    // Best effort: a by-tag answer whose bytes do not match its own digest is simply not kept.
    (void)store_.put(ContentStore::Kind::kManifest, m.digest, m.bytes, m.mediaType);
    return m;
  }
  TRIB_ASSIGN_OR_RETURN(
      ContentStore::Entry e,
      store_.getOrFetch(ContentStore::Kind::kManifest, reference, [&]() {
        return fetchVerified(reference, [&]() -> Result<ContentStore::Entry> {
          TRIB_ASSIGN_OR_RETURN(Manifest m, inner_.getManifest(repository, reference));
          return ContentStore::Entry{std::make_shared<const std::string>(std::move(m.bytes)),
                                     std::move(m.mediaType)};
        });
      }));
  return Manifest{reference, e.mediaType, *e.bytes};
}

Status CachingRegistryReader::fetchBlob(const std::string& repository, const std::string& digest,
                                        uint64_t expectedSize, BlobSink& sink) {
  if (!store_.fits(ContentStore::Kind::kBlob, expectedSize) || !isDigest(digest))
    return inner_.fetchBlob(repository, digest, expectedSize, sink);
  TRIB_ASSIGN_OR_RETURN(
      ContentStore::Entry e,
      store_.getOrFetch(ContentStore::Kind::kBlob, digest, [&]() {
        return fetchVerified(digest, [&]() -> Result<ContentStore::Entry> {
          MemoryBlobSink memory(static_cast<size_t>(expectedSize));
          TRIB_RETURN_IF_ERROR(inner_.fetchBlob(repository, digest, expectedSize, memory));
          return ContentStore::Entry{std::make_shared<const std::string>(memory.bytes()), ""};
        });
      }));
  if (sink.offset() > 0) TRIB_RETURN_IF_ERROR(sink.reset());
  return sink.write(e.bytes->data(), e.bytes->size());
}

Status CachingRegistryReader::fetchBlobRange(const std::string& repository,
                                             const std::string& digest, uint64_t offset,
                                             uint64_t length, BlobSink& sink) {
  return inner_.fetchBlobRange(repository, digest, offset, length, sink);
}

}  // namespace tributary::registry
