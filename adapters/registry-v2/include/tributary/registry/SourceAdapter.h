// One source type (dockerhub, gcr, quay, custom): how its tags are listed and what "newest"
// means there. Manifests and blobs come through the session's RegistryReader, not the adapter.
//
// Thread rules: listTags is called from one thread per task.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tributary/Status.h"
#include "tributary/registry/PullBudget.h"

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
  /// Why this tag's digest or time could not be determined (not OK only for such tags; then
  /// pushedAtMs is empty). Lets an adapter list the other tags when one tag is broken at the
  /// source; selection reports such a tag as failed instead of choosing it.
  Status error;
};

/// What a source's tag timestamps mean (the report's timestamp_kind): Docker Hub and Quay
/// (start_ts) report when the tag was pushed, GCR when the manifest was uploaded, custom
/// registries when the image was created (its config's `created`).
enum class TimestampKind { kPushed, kUploaded, kCreated };

inline const char* timestampKindName(TimestampKind kind) {
  switch (kind) {
    case TimestampKind::kPushed: return "pushed";
    case TimestampKind::kUploaded: return "uploaded";
    case TimestampKind::kCreated: return "created";
  }
  return "created";
}

/// Why a tag cannot be fetched this run (reported as `deferred`; the next run tries again).
struct FetchDeferral {
  std::string code;    // stable snake_case reason code, e.g. "budget_exhausted"
  std::string reason;  // human text
};

class SourceAdapter {
 public:
  virtual ~SourceAdapter() = default;

  /// The repository path on that registry ("library/nginx").
  virtual const std::string& repository() const = 0;

  /// Every tag for which `wanted(tag)` is true, with its timestamp. Adapters whose timestamps
  /// cost a request per tag (custom: the image config's `created`) only pay it for wanted tags.
  virtual Result<std::vector<TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) = 0;

  /// What this source's TagInfo::pushedAtMs means.
  virtual TimestampKind timestampKind() const { return TimestampKind::kCreated; }

  /// Asked once per selected tag right before its first manifest GET (tags the destination
  /// already holds never get here): a deferral when the source cannot serve it this run (a
  /// pull budget), else nullopt. Thread: may be called from several threads at once.
  virtual std::optional<FetchDeferral> deferFetch(const TagInfo& tag) {
    (void)tag;
    return std::nullopt;
  }

  /// The source's pull budget as known after this run's requests, for the report.
  virtual std::optional<PullBudget> budget() const { return std::nullopt; }

  /// Run-level remarks for the report ("the Hub API failed; ordered by image created time").
  virtual std::vector<std::string> notes() const { return {}; }
};

}  // namespace tributary::registry
