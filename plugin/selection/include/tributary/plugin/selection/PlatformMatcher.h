// Which children of an index a rule's platform filter selects, and whether a single-arch
// image's config platform passes it. An empty filter selects everything (including
// attestation children, so the index is copied whole); a non-empty filter never selects
// attestation children (platform unknown/unknown).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tributary/registry/ParsedManifest.h"
#include "tributary/plugin/config/Platform.h"

namespace tributary::plugin {

class PlatformMatcher {
 public:
  explicit PlatformMatcher(std::vector<Platform> filter);

  bool filtered() const { return !filter_.empty(); }
  /// Exactly one platform: the tag is pointed at that platform's own manifest.
  bool singlePlatform() const { return filter_.size() == 1; }

  bool matches(const std::string& os, const std::string& architecture,
               const std::string& variant) const;

  /// Indexes into `children` of the selected ones, in index order. With a filter, at most one
  /// child per filter platform (the first, as docker pull picks), attestations skipped.
  std::vector<size_t> select(const std::vector<registry::Descriptor>& children) const;

  /// "[linux/amd64, linux/arm/v7]" for messages.
  std::string describe() const;
  /// "linux/amd64,linux/arm/v7" as a cache key part.
  std::string key() const;

 private:
  std::vector<Platform> filter_;
};

}  // namespace tributary::plugin
