// Distribution 2.8's storage layout in an S3 bucket, as its `s3` driver reads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/Names.h"
#include "tributary/Status.h"
#include "tributary/storage/StorageBackend.h"
#include "tributary/storage/StorageReader.h"
#include "tributary/storage/s3/S3Client.h"

namespace tributary::storage::s3 {

class S3PartUploader;

/// The registry config's storage.s3 block, checked (sidecar RegistryConfig), plus Tributary's
/// own part concurrency.
struct DistributionS3StorageOptions {
  S3ClientOptions client;
  std::string rootDirectory;  // storage.s3.rootdirectory ("" = bucket root)
  uint64_t chunkSize = 10u << 20;  // storage.s3.chunksize: the multipart part size
  int concurrency = 8;             // parts uploading at once, across every blob
  bool readOnly = false;           // a dry run: every write is kFailedPrecondition
  // Housekeeping at open: abort our incomplete multipart uploads initiated longer ago than
  // this (a killed run's leftovers); nullopt skips it. Never in a read-only storage.
  std::optional<std::chrono::seconds> abortUploadsOlderThan = std::chrono::hours(24);
};

/// Writes blobs, `_layers` links, manifest revisions and tags at the keys Distribution 2.8's
/// `s3` driver reads: key = rootdirectory without leading or trailing '/' + the driver path
/// "/docker/registry/v2/…", leading '/' dropped (s3-aws/s3.go `s3Path`:
/// TrimLeft(TrimRight(root, "/") + path, "/")). Link objects hold exactly "<alg>:<hex>".
///
/// An S3 PUT replaces an object atomically (a reader sees the old or the new bytes, never a
/// mix) and a multipart object appears only at CompleteMultipartUpload, so there is no
/// temp-and-rename: each object is written in place, in the filesystem's publish order (blob
/// data → `_layers` links → manifest data → revision link → tag index link → tag current link
/// last). Each step says in the code why it is safe.
///
/// Threads: every method may be called from any thread at once (the client and the part
/// uploader are thread-safe; nothing else is mutable).
class DistributionS3Storage final : public StorageBackend, public StorageReader {
 public:
  using Options = DistributionS3StorageOptions;
  /// Distribution's limits for chunksize (s3-aws minChunkSize / maxChunkSize).
  static constexpr uint64_t kMinChunkSize = 5u << 20;
  static constexpr uint64_t kMaxChunkSize = 5ull << 30;

  /// Checks the options, lists one key under the root to prove the bucket and the
  /// credentials work, then (unless read-only) aborts stale uploads (housekeeping()).
  static Result<std::unique_ptr<DistributionS3Storage>> open(Options options);
  ~DistributionS3Storage() override;

  /// The object key of a driver path ("/docker/registry/v2/…") under `rootDirectory`.
  static std::string keyFor(std::string_view rootDirectory, std::string_view driverPath);
  /// "s3://<bucket>/<root>/docker/registry/v2 at <endpoint>", for plan headers and logs.
  std::string describe() const;
  /// The key prefix every object of ours starts with ("<root>/docker/registry/v2/").
  const std::string& prefix() const { return prefix_; }
  /// What the housekeeping at open did ("aborted 2 incomplete uploads …") or why it failed
  /// (not fatal: a key without ListMultipartUploads permission still syncs). "" = nothing.
  const std::string& housekeepingNote() const { return housekeepingNote_; }
  S3Client& client() { return *client_; }
  uint64_t chunkSize() const { return options_.chunkSize; }

  /// Aborts the incomplete multipart uploads under prefix() initiated more than `olderThan`
  /// ago (0 = all of them): how many were aborted.
  Result<size_t> abortStaleUploads(std::chrono::seconds olderThan);

  // StorageBackend (see tributary/storage/StorageBackend.h).
  Result<uint64_t> statBlob(std::string_view digest) override;
  Result<std::unique_ptr<StoredBlobWriter>> openWriter(std::string_view digest,
                                                       uint64_t expectedSize) override;
  Status linkBlob(std::string_view repository, std::string_view digest) override;
  Status putManifest(std::string_view repository, std::string_view digest,
                     std::string_view bytes) override;
  Status manifestExists(std::string_view repository, std::string_view digest) override;
  Result<std::string> getTag(std::string_view repository, std::string_view tag) override;
  Status setTag(std::string_view repository, std::string_view tag,
                std::string_view digest) override;

  // StorageReader (see tributary/storage/StorageReader.h), readable in a read-only storage.
  /// ListObjectsV2 of ".../_manifests/tags/" with delimiter "/", page after page: the
  /// common prefixes (a tag's "directory") and any object directly there (as the driver's
  /// List, which Distribution's tags/list reads, reports both).
  Result<std::vector<std::string>> listTags(std::string_view repository) override;
  /// getTag().
  Result<std::string> readTagLink(std::string_view repository, std::string_view tag) override;
  /// One GET, at most `maxBytes` read (a longer object is kOutOfRange, its body not read).
  Result<std::string> readBlob(std::string_view digest, size_t maxBytes) override;

  /// blobs/<alg>/<xx>/<hex>/data's key.
  std::string blobKey(const Digest& digest) const;

 private:
  friend class S3BlobWriter;
  DistributionS3Storage(Options options, std::unique_ptr<S3Client> client);
  std::string repositoryKey(std::string_view repository) const;
  Status writeLink(const std::string& key, const Digest& digest);
  Result<std::string> readLink(const std::string& key);  // kNotFound when absent
  Status checkWritable() const;

  const Options options_;
  const std::string prefix_;
  std::unique_ptr<S3Client> client_;
  std::unique_ptr<S3PartUploader> uploader_;
  std::string housekeepingNote_;
};

}  // namespace tributary::storage::s3
