// RepositoryTags: what the destination storage serves for a repository right now.
#pragma once

#include <string>
#include <vector>

#include "tributary/Status.h"
#include "tributary/storage/StorageReader.h"

namespace tributary::api {

struct StoredTag {
  std::string tag;
  std::string digest;
  std::string mediaType;
  std::vector<std::string> platforms;  // os/arch[/variant]; one for a single-arch image
};

/// Reads Distribution's layout through a StorageReader — the filesystem root or the S3 bucket,
/// the same questions of both, so both answer alike: the entries of
/// repositories/<name>/_manifests/tags/ (names outside the tag grammar skipped), each tag's
/// current/link -> digest (a tag without a readable digest is skipped, as the registry cannot
/// serve it either), the manifest bytes from blobs/…/data -> mediaType, and platforms from an
/// index's manifests[].platform or a single manifest's config blob (os, architecture,
/// variant). A tag whose manifest or config is absent, too large or not JSON is listed with
/// what is known. Sorted by tag.
///
/// Tags are read `parallelism` at a time (tributary's WorkerPool): on S3 each is two or three
/// GETs. Measured on Swift's s3api (one proxy process, a busy 2-core machine), 1205 tags took
/// 54 s one by one and 29 s eight at a time (Swift's proxy then the limit).
/// Thread: any (stateless; reads through `storage`, which is thread-safe).
class RepositoryTags {
 public:
  /// kInvalidArgument for a name outside the Distribution grammar (checked before anything is
  /// read), kNotFound when the repository has no tags in the storage; a storage that cannot be
  /// read (I/O error, bucket unreachable or refusing) is its own error, never a shorter list.
  static Result<std::vector<StoredTag>> list(storage::StorageReader& storage,
                                             const std::string& repository,
                                             int parallelism = kDefaultParallelism);
  static constexpr int kDefaultParallelism = 8;
};

}  // namespace tributary::api
