// One blob (layer, config) being streamed into Distribution storage.
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

namespace tributary::storage {

class DistributionStorage;

/// Streams bytes into a private temp file inside the blob's own directory
/// (blobs/<alg>/<xx>/<hex>/.tmp-<random>), hashing as it goes; commit() verifies size and
/// digest and only then renames the file to `data`. Nothing is visible to a registry before
/// commit, and a failed commit publishes nothing.
///
/// Threads: not thread-safe; one thread at a time. Must not outlive the DistributionStorage
/// that opened it.
class BlobWriter final : public StoredBlobWriter {
 public:
  ~BlobWriter() override;  // aborts (removes the temp file) if not committed
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  /// Appends bytes. A write that would pass the expected size is kDataLoss and writes nothing.
  /// After an I/O error the writer refuses further writes until reset().
  Status write(const char* data, size_t len) override;
  /// Truncates to 0 and restarts the hash (a source ignored a Range request).
  Status reset() override;
  /// Bytes written so far.
  uint64_t offset() const override;
  /// Verifies size and digest, fsyncs, renames into blobs/<alg>/<xx>/<hex>/data, fsyncs the
  /// directory. kDataLoss on mismatch, and then nothing is published and the temp file is gone.
  /// If another writer published the same digest first, this one verifies its own bytes and
  /// returns OK without touching the published file. The writer is finished either way.
  Status commit() override;
  /// Removes the temp file. Idempotent; a no-op after commit.
  void abort() override;

  const Digest& digest() const { return digest_; }
  uint64_t expectedSize() const { return expectedSize_; }

 private:
  friend class DistributionStorage;
  enum class State { kOpen, kBroken, kFinished };

  // Takes ownership of the descriptors: the blob directory, its parent (to remove the blob
  // directory again on abort) and the temp file inside the blob directory.
  BlobWriter(DistributionStorage& storage, Digest digest, uint64_t expectedSize,
             std::string blobDirectory, int directoryFd, int parentFd, std::string tempName,
             int fd, std::unique_ptr<DigestHasher> hasher);
  Status publish();

  DistributionStorage& storage_;
  Digest digest_;
  uint64_t expectedSize_;
  std::string blobDirectory_;  // for messages; all access goes through directoryFd_
  int directoryFd_;
  int parentFd_;
  std::string tempName_;
  std::string tempPath_;  // for messages
  int fd_;
  std::unique_ptr<DigestHasher> hasher_;
  uint64_t offset_ = 0;
  State state_ = State::kOpen;
  Status brokenStatus_;
};

}  // namespace tributary::storage
