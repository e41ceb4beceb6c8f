// One blob streamed into an S3 bucket as a multipart upload, verified before it appears.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tributary/Names.h"
#include "tributary/Status.h"
#include "tributary/storage/StorageBackend.h"

namespace tributary {
class DigestHasher;
}  // namespace tributary

namespace tributary::storage::s3 {

class DistributionS3Storage;

/// Streams a blob of known digest and size to blobs/<alg>/<xx>/<hex>/data, hashing as it goes.
///
/// - Bytes fill a part buffer of `partSize` bytes. A full buffer, when more bytes are still
///   expected, becomes an UploadPart handed to the storage's part uploader (parts go up in
///   parallel, bounded across all writers); the first full buffer starts the multipart upload.
/// - commit() checks the size and the digest first. On a mismatch the multipart upload is
///   aborted and nothing exists under the key: an S3 multipart object appears only at
///   CompleteMultipartUpload. On a match the last buffer goes up as the last part and the
///   parts are completed.
/// - A blob that fits in one buffer is one PutObject after verification: it was held in memory
///   anyway (at most one part, the bound every writer has), and one request beats three.
/// - abort(), reset() and the destructor of an uncommitted writer wait for the parts in
///   flight and abort the multipart upload. A process killed mid-blob leaves an incomplete
///   upload, invisible to readers, which DistributionS3Storage's housekeeping aborts later.
///
/// Memory: one part buffer while filling, plus the parts in flight (bounded by the uploader).
/// Threads: one thread at a time (the uploader's threads touch only the shared part list).
class S3BlobWriter final : public StoredBlobWriter {
 public:
  ~S3BlobWriter() override;
  S3BlobWriter(const S3BlobWriter&) = delete;
  S3BlobWriter& operator=(const S3BlobWriter&) = delete;

  Status write(const char* data, size_t len) override;
  Status reset() override;
  uint64_t offset() const override { return offset_; }
  Status commit() override;
  void abort() override;

  const std::string& key() const { return key_; }
  /// The part size this blob uses: `chunkSize`, grown (to a whole MiB) when the blob would
  /// need more than S3's 10000 parts.
  static uint64_t partSizeFor(uint64_t expectedSize, uint64_t chunkSize);
  /// Parts a blob of `expectedSize` bytes takes at `partSize` (at least 1).
  static uint64_t partCountFor(uint64_t expectedSize, uint64_t partSize);

 private:
  friend class DistributionS3Storage;
  struct Parts;  // shared with the part uploads in flight
  enum class State { kOpen, kBroken, kFinished };

  S3BlobWriter(DistributionS3Storage& storage, Digest digest, uint64_t expectedSize,
               std::string key, std::unique_ptr<DigestHasher> hasher);
  Status uploadBuffer();     // hands the full buffer to the uploader as the next part
  Status waitForParts();     // every part in flight finished: the first failure, else OK
  void abortUpload();        // waits for parts, then AbortMultipartUpload (errors ignored)
  Status publish();

  DistributionS3Storage& storage_;
  Digest digest_;
  uint64_t expectedSize_;
  std::string key_;
  std::unique_ptr<DigestHasher> hasher_;
  uint64_t partSize_;
  std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;
  uint64_t offset_ = 0;
  int nextPart_ = 1;
  std::string uploadId_;  // "" until the first part
  std::shared_ptr<Parts> parts_;
  State state_ = State::kOpen;
  Status brokenStatus_;
};

}  // namespace tributary::storage::s3
