#include "tributary/plugin/SyncReport.h"

#include "tributary/registry/Rfc3339.h"
#include "tributary/plugin/JsonWriter.h"

namespace tributary::plugin {

void SyncReport::setTotals(uint64_t bytesFetched, uint64_t blobsFetched, uint64_t blobsReused,
                           int64_t durationMs) {
  bytesFetched_ = bytesFetched;
  blobsFetched_ = blobsFetched;
  blobsReused_ = blobsReused;
  durationMs_ = durationMs;
}

void SyncReport::setAccelerationTotals(uint64_t rangedBlobs, uint64_t rangedBytes,
                                       uint64_t mirrorBlobs, uint64_t mirrorBytes) {
  rangedBlobs_ = rangedBlobs;
  rangedBytes_ = rangedBytes;
  mirrorBlobs_ = mirrorBlobs;
  mirrorBytes_ = mirrorBytes;
}

const char* SyncReport::actionName(Action a) {
  switch (a) {
    case Action::kSynced: return "synced";
    case Action::kUnchanged: return "unchanged";
    case Action::kKept: return "kept";
    case Action::kSkipped: return "skipped";
    case Action::kFailed: return "failed";
  }
  return "failed";
}

std::string SyncReport::status() const {
  size_t failed = 0;
  for (const Entry& e : entries_) failed += e.action == Action::kFailed;
  if (failed == 0) return "succeeded";
  if (failed == entries_.size()) return "failed";
  return "partial";
}

std::string SyncReport::toJson() const {
  JsonWriter w;
  w.beginObject();
  w.key("rule").value(rule_);
  w.key("status").value(status());
  w.key("tags").beginArray();
  for (const Entry& e : entries_) {
    w.beginObject();
    w.key("tag").value(e.tag);
    w.key("digest");
    if (e.digest.empty()) w.null(); else w.value(e.digest);
    w.key("pushed_at");
    if (e.pushedAtMs) w.value(registry::Rfc3339::formatMs(*e.pushedAtMs)); else w.null();
    w.key("action").value(actionName(e.action));
    w.key("reason").value(e.reason);
    w.key("bytes_fetched").value(e.bytesFetched);
    if (!e.foreignLayers.empty()) {
      w.key("foreign_layers").beginArray();
      for (const std::string& f : e.foreignLayers) w.value(f);
      w.endArray();
    }
    w.endObject();
  }
  w.endArray();
  w.key("totals").beginObject();
  w.key("bytes_fetched").value(bytesFetched_);
  w.key("blobs_fetched").value(blobsFetched_);
  w.key("blobs_reused").value(blobsReused_);
  w.key("duration_ms").value(durationMs_);
  w.key("ranged_blobs").value(rangedBlobs_);
  w.key("ranged_bytes").value(rangedBytes_);
  w.key("mirror_blobs").value(mirrorBlobs_);
  w.key("mirror_bytes").value(mirrorBytes_);
  w.endObject();
  w.endObject();
  return w.str();
}

}  // namespace tributary::plugin
