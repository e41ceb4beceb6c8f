#include "tributary/plugin/SyncReport.h"

#include "tributary/registry/Rfc3339.h"
#include "tributary/plugin/JsonWriter.h"

namespace tributary::plugin {

void writeBudget(JsonWriter& w, const registry::PullBudgetState& b) {
  w.key("budget").beginObject();
  w.key("limit");
  if (b.known) w.value(b.limit); else w.null();
  w.key("remaining");
  if (b.known) w.value(b.remaining); else w.null();
  w.key("window_seconds").value(b.windowSeconds);
  w.key("reset_at");
  if (b.resetAtMs) w.value(registry::Rfc3339::formatMs(*b.resetAtMs)); else w.null();
  w.key("pulls_needed").value(b.pullsNeeded);
  w.key("pulls_spent").value(b.pullsSpent);
  w.key("reserve").value(b.reserve);
  w.endObject();
}

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
    case Action::kDeferred: return "deferred";
  }
  return "failed";
}

std::string SyncReport::status() const {
  size_t failed = 0, deferred = 0;
  for (const Entry& e : entries_) {
    failed += e.action == Action::kFailed;
    deferred += e.action == Action::kDeferred;
  }
  if (failed == 0 && deferred == 0) return "succeeded";
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
    if (e.action == Action::kDeferred) w.key("reason_code").value("budget_exhausted");
    if (!e.timestampSource.empty()) w.key("timestamp_source").value(e.timestampSource);
    w.key("bytes_fetched").value(e.bytesFetched);
    w.endObject();
  }
  w.endArray();
  if (!timestampKind_.empty()) w.key("timestamp_kind").value(timestampKind_);
  if (!notes_.empty()) {  // only when there is something to say: the common shape stays lean
    w.key("notes").beginArray();
    for (const std::string& n : notes_) w.value(n);
    w.endArray();
  }
  if (budget_) writeBudget(w, *budget_);
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
