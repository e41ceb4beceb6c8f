// What the one rp_storage_v1 table builder (StorageTable.h) drives: a blob store and a
// manifest/tag publisher. The filesystem layout (DistributionStorage) and the S3 layout
// (DistributionS3Storage) are both; `publish: registry_api` composes either one's blob side
// with the registry's API (RegistryApiPublisher) for manifests and tags (ComposedStorage).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::storage {

/// A blob being written: nothing is visible before commit(), and a failed commit publishes
/// nothing. Threads: one thread at a time. Destroying an uncommitted writer aborts it (and
/// never throws).
class StoredBlobWriter {
 public:
  virtual ~StoredBlobWriter() = default;
  /// Appends bytes (hashing them). Writing past the expected size is kDataLoss.
  virtual Status write(const char* data, size_t len) = 0;
  /// Discards what was written; starts again from offset 0.
  virtual Status reset() = 0;
  /// Bytes written so far.
  virtual uint64_t offset() const = 0;
  /// Verifies size and digest, then publishes. kDataLoss on mismatch, and nothing is published.
  /// The writer is finished either way.
  virtual Status commit() = 0;
  /// Drops what was written. Idempotent; a no-op after commit.
  virtual void abort() = 0;
};

/// The blob half: the global blob store and a repository's `_layers` links.
/// Threads: any thread, concurrently.
class BlobStore {
 public:
  virtual ~BlobStore() = default;
  /// The blob's size, or kNotFound.
  virtual Result<uint64_t> statBlob(std::string_view digest) = 0;
  /// A writer for a blob of known digest and size.
  virtual Result<std::unique_ptr<StoredBlobWriter>> openWriter(std::string_view digest,
                                                               uint64_t expectedSize) = 0;
  /// `_layers/<alg>/<hex>/link` of `repository`; kNotFound if the blob is absent. Idempotent.
  virtual Status linkBlob(std::string_view repository, std::string_view digest) = 0;
};

/// The manifest and tag half. Threads: any thread, concurrently.
class ManifestPublisher {
 public:
  virtual ~ManifestPublisher() = default;
  /// Verifies `bytes` against `digest` (kDataLoss on mismatch), stores them as a revision of
  /// `repository`. Idempotent.
  virtual Status putManifest(std::string_view repository, std::string_view digest,
                             std::string_view bytes) = 0;
  /// OK when `digest` is a revision of `repository`, else kNotFound.
  virtual Status manifestExists(std::string_view repository, std::string_view digest) = 0;
  /// The digest `tag` points at, or kNotFound.
  virtual Result<std::string> getTag(std::string_view repository, std::string_view tag) = 0;
  /// Points `tag` at revision `digest` (kFailedPrecondition if it is not one): the commit point.
  virtual Status setTag(std::string_view repository, std::string_view tag,
                        std::string_view digest) = 0;
};

/// Both halves, as the table builder takes them.
class StorageBackend : public BlobStore, public ManifestPublisher {};

/// One backend from two halves (blobs from one store, manifests and tags from another).
/// Both must outlive it. Threads: as the halves.
class ComposedStorage final : public StorageBackend {
 public:
  ComposedStorage(BlobStore& blobs, ManifestPublisher& manifests)
      : blobs_(blobs), manifests_(manifests) {}

  Result<uint64_t> statBlob(std::string_view digest) override { return blobs_.statBlob(digest); }
  Result<std::unique_ptr<StoredBlobWriter>> openWriter(std::string_view digest,
                                                       uint64_t expectedSize) override {
    return blobs_.openWriter(digest, expectedSize);
  }
  Status linkBlob(std::string_view repository, std::string_view digest) override {
    return blobs_.linkBlob(repository, digest);
  }
  Status putManifest(std::string_view repository, std::string_view digest,
                     std::string_view bytes) override {
    return manifests_.putManifest(repository, digest, bytes);
  }
  Status manifestExists(std::string_view repository, std::string_view digest) override {
    return manifests_.manifestExists(repository, digest);
  }
  Result<std::string> getTag(std::string_view repository, std::string_view tag) override {
    return manifests_.getTag(repository, tag);
  }
  Status setTag(std::string_view repository, std::string_view tag,
                std::string_view digest) override {
    return manifests_.setTag(repository, tag, digest);
  }

  BlobStore& blobs() const { return blobs_; }
  ManifestPublisher& manifests() const { return manifests_; }

 private:
  BlobStore& blobs_;
  ManifestPublisher& manifests_;
};

}  // namespace tributary::storage
