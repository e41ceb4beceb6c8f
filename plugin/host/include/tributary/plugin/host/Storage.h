// The host registry's storage as the engine sees it. The ABI boundary adapts rp_storage_v1
// to this; tests use an in-memory fake. Semantics are those of rp_storage_v1 (see
// replication_provider.h): blobs are verified on commit, put_manifest stores exact bytes,
// tag_set is the commit point of an image.
//
// Thread rules: every method may be called from several threads at once; one BlobWriter is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tributary/Status.h"

namespace tributary::plugin {

class Storage {
 public:
  /// A blob being written; nothing is visible until commit(). Destroying an uncommitted
  /// writer aborts it (drops the temp data).
  class BlobWriter {
   public:
    virtual ~BlobWriter() = default;
    virtual Status write(const char* data, size_t len) = 0;
    virtual Status reset() = 0;
    virtual uint64_t offset() const = 0;
    /// Verifies size and digest and publishes. The writer is finished whatever the result.
    virtual Status commit() = 0;
  };

  virtual ~Storage() = default;

  /// Size of a blob in the global store; kNotFound when absent.
  virtual Result<uint64_t> blobStat(const std::string& digest) = 0;
  virtual Result<std::unique_ptr<BlobWriter>> openBlobWriter(const std::string& digest,
                                                             uint64_t expectedSize) = 0;
  /// `_layers` link of an existing blob into `repository`.
  virtual Status linkBlob(const std::string& repository, const std::string& digest) = 0;
  /// Stores manifest bytes exactly as given and links them as a revision of `repository`.
  virtual Status putManifest(const std::string& repository, const std::string& digest,
                             const std::string& bytes) = 0;
  /// OK or kNotFound.
  virtual Status manifestExists(const std::string& repository, const std::string& digest) = 0;
  /// The digest a tag points at; nullopt when there is no such tag.
  virtual Result<std::optional<std::string>> tagGet(const std::string& repository,
                                                    const std::string& tag) = 0;
  virtual Status tagSet(const std::string& repository, const std::string& tag,
                        const std::string& digest) = 0;
};

}  // namespace tributary::plugin
