// What a host reads back from the registry's storage (the admin API's stored-tags view), asked
// the same way of the filesystem layout (DistributionStorage) and of the S3 layout
// (DistributionS3Storage), so both answer alike.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/Status.h"

namespace tributary::storage {

/// Read-only questions about Distribution 2.8's layout (registry-facts.md §A.1). Every name
/// and digest is validated before a path or key is built: a bad one is kInvalidArgument and
/// nothing is read. Threads: any thread, concurrently.
class StorageReader {
 public:
  virtual ~StorageReader() = default;

  /// The entries of repositories/<repository>/_manifests/tags/, sorted, each once: every
  /// entry, as Distribution's own tags/list takes them (a name outside the tag grammar
  /// included; the caller decides). kNotFound when there is none — no tags directory or an
  /// empty one on a filesystem, no key under the prefix in a bucket (where an empty
  /// "directory" cannot exist), so both layouts say the same for a repository without tags.
  /// More than kMaxListedTags entries is kResourceExhausted.
  virtual Result<std::vector<std::string>> listTags(std::string_view repository) = 0;

  /// The digest tags/<tag>/current/link holds: kNotFound when absent, kDataLoss when it is not
  /// a digest.
  virtual Result<std::string> readTagLink(std::string_view repository, std::string_view tag) = 0;

  /// The bytes of blobs/<alg>/<xx>/<hex>/data as stored (not re-verified: the registry serves
  /// them as they are). kNotFound when absent, kOutOfRange when larger than `maxBytes`.
  virtual Result<std::string> readBlob(std::string_view digest, size_t maxBytes) = 0;

  /// Bound of listTags(): far beyond any real repository, small enough to answer in memory.
  static constexpr size_t kMaxListedTags = 100000;
};

}  // namespace tributary::storage
