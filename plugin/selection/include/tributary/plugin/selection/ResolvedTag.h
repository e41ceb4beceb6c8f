// What the resolver found out about one selected tag: what the destination tag should point
// at, and what must be stored for that (manifests in publish order, blobs).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tributary/Status.h"
#include "tributary/plugin/report/TagAction.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

struct BlobRef {
  std::string digest;
  uint64_t size = 0;
  /// Set when the resolver already holds the bytes (an image config it read for the platform
  /// check), so storing it costs no second request.
  std::shared_ptr<const std::string> bytes;
};

struct ManifestToStore {
  std::string digest;
  std::string bytes;  // exactly as served
};

struct ResolvedTag {
  registry::TagInfo info;    // tag, pushed time and where it came from
  std::string sourceDigest;  // what the source tag points at ("" if unknown)
  std::string targetDigest;  // what the destination tag points at after a sync
  std::string destinationDigest;  // what the destination tag points at now ("" if absent)
  /// kSynced (to be synced), kUnchanged, kKept, kSkipped, kDeferred or kFailed.
  TagAction action = TagAction::kFailed;
  std::string reasonCode;  // the report's reason_code
  std::string reason;
  Status error;  // kFailed: why
  /// Manifest GETs the tag was admitted for by the source's fetch gate (its pull budget).
  int64_t pullsNeeded = 0;
  /// A plan with a fetch gate that counts: the GETs were counted, not made, so blobs are unknown.
  bool pullsOnlyCounted = false;
  /// Publish order: child manifests first, the tagged manifest last.
  std::vector<ManifestToStore> manifests;
  /// Config and layer blobs of every stored image manifest, without duplicates and without
  /// the foreign / non-distributable layers left to their `urls`.
  std::vector<BlobRef> blobs;
  /// Foreign / non-distributable layers (with `urls`) not stored: clients fetch them from
  /// their urls. "<digest> (<mediaType>)", listed in the plan and the report.
  std::vector<std::string> foreignLayers;
};

}  // namespace tributary::plugin
