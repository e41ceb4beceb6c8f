// The JSON report of one execute (the shape documented in the ABI's execute and DESIGN §4):
// {"rule","status":"succeeded|partial|failed",
//  "tags":[{"tag","digest","pushed_at","action":"synced|unchanged|kept|skipped|failed",
//           "reason","bytes_fetched"}],
//  "totals":{"bytes_fetched","blobs_fetched","blobs_reused","duration_ms",
//            "ranged_blobs","ranged_bytes","mirror_blobs","mirror_bytes"}}
// ranged_*: fetched as parallel byte ranges; mirror_*: served by a mirror (both count into
// bytes_fetched / blobs_fetched too; 0 without acceleration).
// status: succeeded = no tag failed or deferred (also when nothing was selected); failed =
// every selected tag failed; partial = otherwise.
// Vendor sources add: per tag "reason_code" ("budget_exhausted" for "deferred": the pull
// budget could not cover it this run; not a failure) and "timestamp_source"; top level
// "timestamp_kind" (pushed | uploaded | created), "notes" (e.g. a vendor API fallback) and,
// for Docker Hub, "budget":{"limit","remaining","window_seconds","reset_at","pulls_needed",
// "pulls_spent","reserve"} (limit/remaining null when the registry sent no rate-limit headers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tributary/registry/PullBudget.h"

namespace tributary::plugin {

class JsonWriter;
/// The "budget" object of a report or plan.
void writeBudget(JsonWriter& w, const registry::PullBudgetState& budget);

class SyncReport {
 public:
  enum class Action { kSynced, kUnchanged, kKept, kSkipped, kFailed, kDeferred };

  struct Entry {
    std::string tag;
    std::string digest;               // what the destination tag points at (or would)
    std::optional<int64_t> pushedAtMs;
    Action action = Action::kFailed;
    std::string reason;
    uint64_t bytesFetched = 0;
    std::string timestampSource;
  };

  explicit SyncReport(std::string ruleName) : rule_(std::move(ruleName)) {}

  void add(Entry e) { entries_.push_back(std::move(e)); }
  void setTotals(uint64_t bytesFetched, uint64_t blobsFetched, uint64_t blobsReused,
                 int64_t durationMs);
  void setAccelerationTotals(uint64_t rangedBlobs, uint64_t rangedBytes, uint64_t mirrorBlobs,
                             uint64_t mirrorBytes);

  void setNotes(std::vector<std::string> notes) { notes_ = std::move(notes); }
  void setTimestampKind(std::string kind) { timestampKind_ = std::move(kind); }
  void setBudget(const registry::PullBudgetState& budget) { budget_ = budget; }

  const std::vector<Entry>& entries() const { return entries_; }
  /// "succeeded" | "partial" | "failed".
  std::string status() const;
  std::string toJson() const;

  static const char* actionName(Action a);

 private:
  std::string rule_;
  std::vector<Entry> entries_;
  std::vector<std::string> notes_;
  std::string timestampKind_;
  std::optional<registry::PullBudgetState> budget_;
  uint64_t bytesFetched_ = 0;
  uint64_t blobsFetched_ = 0;
  uint64_t blobsReused_ = 0;
  int64_t durationMs_ = 0;
  uint64_t rangedBlobs_ = 0;
  uint64_t rangedBytes_ = 0;
  uint64_t mirrorBlobs_ = 0;
  uint64_t mirrorBytes_ = 0;
};

}  // namespace tributary::plugin
