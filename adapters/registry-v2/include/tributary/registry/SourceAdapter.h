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
#include "tributary/registry/ParsedManifest.h"
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
  /// The platforms of the tag's images as the vendor API lists them (Docker Hub `images`),
  /// when it does: lets the resolver count the manifest GETs a tag costs before starting it.
  std::optional<std::vector<DescriptorPlatform>> platforms;
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

/// What a tag asks the source for right before manifest GETs (see SourceAdapter::deferFetch).
struct FetchAsk {
  int64_t pulls = 1;       // manifest GETs needed, as far as known now
  bool more = false;       // more GETs for the tag asked last, not a new tag
  bool countOnly = false;  // a plan: count the pulls, spend none
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
  /// already holds never get here), with the GETs it needs as far as known (`ask`); asked
  /// again with ask.more before the child GETs of an index that needs more than first asked,
  /// and with ask.more after a GET the source refused (kResourceExhausted: a 429). A deferral
  /// when the source cannot serve them this run (a pull budget), else nullopt (then the pulls
  /// are the tag's). ask.countOnly: a plan, which counts the pulls and makes none.
  /// Thread: when budget() has a value, tags are asked one at a time, newest first (the
  /// resolver's serial admission), else this may be called from several threads at once.
  virtual std::optional<FetchDeferral> deferFetch(const TagInfo& tag, const FetchAsk& ask) {
    (void)tag;
    (void)ask;
    return std::nullopt;
  }

  /// The source's pull budget as known after this run's requests, for the report; a value
  /// (even before any request) makes resolution admit tags one at a time, newest first.
  virtual std::optional<PullBudget> budget() const { return std::nullopt; }

  /// Run-level remarks for the report ("the Hub API failed; ordered by image created time").
  virtual std::vector<std::string> notes() const { return {}; }
};

}  // namespace tributary::registry
