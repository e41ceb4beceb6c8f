// One source type (dockerhub, gcr, quay, custom): how its tags are listed and what "newest"
// means there. Manifests and blobs always come through the RegistryClient it exposes.
//
// Thread rules: listTags is called from one thread per task; registry() is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tributary/Status.h"
#include "tributary/registry/ParsedManifest.h"
#include "tributary/registry/PullBudget.h"
#include "tributary/registry/RegistryClient.h"

namespace tributary::registry {

/// A source tag and the time used to order it newest-first.
struct TagInfo {
  std::string tag;
  /// When the tag was last pushed (ms since the Unix epoch); empty when unknown.
  std::optional<int64_t> pushedAtMs;
  /// Where that time came from, shown in the plan: "hub.tag_last_pushed", "gcr.timeUploadedMs",
  /// "quay.start_ts", "config.created", "config.created (cached)", ...
  std::string timestampSource;
  /// The manifest digest the tag points at, when the listing already told us; else "".
  std::string digest;
  /// The platforms of the tag's images as the vendor API lists them (Docker Hub `images`),
  /// when it does: lets the engine count the manifest GETs a tag costs before starting it.
  std::optional<std::vector<DescriptorPlatform>> platforms;
  /// Why this tag's digest or time could not be determined (not OK only for such tags; then
  /// pushedAtMs is empty). Lets an adapter list the other tags when one tag is broken at the
  /// source; selection reports such a tag as failed instead of choosing it.
  Status error;
};

class SourceAdapter {
 public:
  virtual ~SourceAdapter() = default;

  /// The client for the registry host that serves this source's manifests and blobs.
  virtual RegistryClient& registry() = 0;

  /// The repository path on that registry ("library/nginx").
  virtual const std::string& repository() const = 0;

  /// Every tag for which `wanted(tag)` is true, with its timestamp. Adapters whose timestamps
  /// cost a request per tag (custom: the image config's `created`) only pay it for wanted tags.
  virtual Result<std::vector<TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) = 0;

  /// The source's pull quota, when it has one (Docker Hub); null otherwise. Borrowed.
  virtual PullBudget* pullBudget() { return nullptr; }

  /// Run-level notes for the plan, report and log after listTags ("the Hub API failed: fell
  /// back to image config `created` order").
  virtual std::vector<std::string> notes() const { return {}; }

  /// What kind of time orders the tags: "pushed" (Hub, Quay), "uploaded" (GCR), "created".
  virtual std::string timestampKind() const { return "created"; }
};

}  // namespace tributary::registry
