// RepositoryTags: what the destination storage serves for a repository right now.
#pragma once

#include <string>
#include <vector>

#include "tributary/Status.h"

namespace tributary::api {

struct StoredTag {
  std::string tag;
  std::string digest;
  std::string mediaType;
  std::vector<std::string> platforms;  // os/arch[/variant]; one for a single-arch image
};

/// Reads Distribution's filesystem layout under <root>/docker/registry/v2 (read-only):
/// repositories/<name>/_manifests/tags/<tag>/current/link -> digest, the manifest bytes from
/// blobs/<alg>/<2 hex>/<hex>/data -> mediaType, and platforms from an index's
/// manifests[].platform or a single manifest's config blob (os, architecture, variant).
/// A tag whose manifest is unreadable is listed with what is known.
/// Thread: any (stateless; reads files).
class RepositoryTags {
 public:
  /// kInvalidArgument for a name outside the Distribution grammar (checked before any path is
  /// built), kNotFound when the repository has no tags directory.
  static Result<std::vector<StoredTag>> list(const std::string& rootDirectory,
                                             const std::string& repository);
};

}  // namespace tributary::api
