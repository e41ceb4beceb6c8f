#include "tributary/plugin/PlanReport.h"

#include "tributary/registry/Rfc3339.h"
#include "tributary/plugin/JsonWriter.h"
#include "tributary/plugin/SyncReport.h"

namespace tributary::plugin {

void PlanReport::setTotals(uint64_t bytesToFetch, uint64_t blobsToFetch, uint64_t blobsReused) {
  bytesToFetch_ = bytesToFetch;
  blobsToFetch_ = blobsToFetch;
  blobsReused_ = blobsReused;
}

const char* PlanReport::actionName(Action a) {
  switch (a) {
    case Action::kSync: return "sync";
    case Action::kUnchanged: return "unchanged";
    case Action::kKept: return "kept";
    case Action::kSkipped: return "skipped";
    case Action::kDeferred: return "deferred";
  }
  return "skipped";
}

std::string PlanReport::toJson() const {
  JsonWriter w;
  w.beginObject();
  w.key("rule").value(rule_);
  w.key("tags").beginArray();
  for (const Entry& e : entries_) {
    w.beginObject();
    w.key("tag").value(e.tag);
    w.key("digest");
    if (e.digest.empty()) w.null(); else w.value(e.digest);
    w.key("pushed_at");
    if (e.pushedAtMs) w.value(registry::Rfc3339::formatMs(*e.pushedAtMs)); else w.null();
    w.key("timestamp_source").value(e.timestampSource);
    w.key("action").value(actionName(e.action));
    w.key("reason").value(e.reason);
    if (e.action == Action::kDeferred) w.key("reason_code").value("budget_exhausted");
    w.key("bytes_to_fetch").value(e.bytesToFetch);
    if (e.pulls) w.key("pulls").value(*e.pulls);
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
  w.key("bytes_to_fetch").value(bytesToFetch_);
  w.key("blobs_to_fetch").value(blobsToFetch_);
  w.key("blobs_reused").value(blobsReused_);
  w.endObject();
  w.endObject();
  return w.str();
}

}  // namespace tributary::plugin
