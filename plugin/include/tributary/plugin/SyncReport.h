// The JSON report of one execute (the shape documented in the ABI's execute and DESIGN §4):
// {"rule","status":"succeeded|partial|failed",
//  "tags":[{"tag","digest","pushed_at","action":"synced|unchanged|kept|skipped|failed",
//           "reason","bytes_fetched"}],
//  "totals":{"bytes_fetched","blobs_fetched","blobs_reused","duration_ms",
//            "ranged_blobs","ranged_bytes","mirror_blobs","mirror_bytes"}}
// ranged_*: fetched as parallel byte ranges; mirror_*: served by a mirror (both count into
// bytes_fetched / blobs_fetched too; 0 without acceleration).
// status: succeeded = no tag failed (also when nothing was selected); failed = every selected
// tag failed; partial = otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tributary::plugin {

class SyncReport {
 public:
  enum class Action { kSynced, kUnchanged, kKept, kSkipped, kFailed };

  struct Entry {
    std::string tag;
    std::string digest;               // what the destination tag points at (or would)
    std::optional<int64_t> pushedAtMs;
    Action action = Action::kFailed;
    std::string reason;
    std::vector<std::string> foreignLayers;  // left to their urls; shown when non-empty
    uint64_t bytesFetched = 0;
  };

  explicit SyncReport(std::string ruleName) : rule_(std::move(ruleName)) {}

  void add(Entry e) { entries_.push_back(std::move(e)); }
  void setTotals(uint64_t bytesFetched, uint64_t blobsFetched, uint64_t blobsReused,
                 int64_t durationMs);
  void setAccelerationTotals(uint64_t rangedBlobs, uint64_t rangedBytes, uint64_t mirrorBlobs,
                             uint64_t mirrorBytes);

  const std::vector<Entry>& entries() const { return entries_; }
  /// "succeeded" | "partial" | "failed".
  std::string status() const;
  std::string toJson() const;

  static const char* actionName(Action a);

 private:
  std::string rule_;
  std::vector<Entry> entries_;
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
