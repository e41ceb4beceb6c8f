// The JSON of a dry run:
// {"rule","tags":[{"tag","digest","pushed_at","timestamp_source",
//                  "action":"sync|unchanged|kept|skipped","reason","bytes_to_fetch"}],
//  "totals":{"bytes_to_fetch","blobs_to_fetch","blobs_reused"}}
// A tag that could not be resolved (network error...) is "skipped" with reason "error: ...".
// Vendor sources add "timestamp_kind", "notes" and, for Docker Hub, per tag "pulls" (manifest
// GETs it would spend; its bytes are not counted: a dry run spends no pulls), "deferred" tags
// ("reason_code":"budget_exhausted") and the top-level "budget" object of SyncReport.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tributary/registry/PullBudget.h"

namespace tributary::plugin {

class PlanReport {
 public:
  enum class Action { kSync, kUnchanged, kKept, kSkipped, kDeferred };

  struct Entry {
    std::string tag;
    std::string digest;  // what the destination tag would point at
    std::optional<int64_t> pushedAtMs;
    std::string timestampSource;
    Action action = Action::kSkipped;
    std::string reason;
    uint64_t bytesToFetch = 0;
    std::optional<int64_t> pulls;  // with a pull budget
  };

  explicit PlanReport(std::string ruleName) : rule_(std::move(ruleName)) {}

  void add(Entry e) { entries_.push_back(std::move(e)); }
  void setTotals(uint64_t bytesToFetch, uint64_t blobsToFetch, uint64_t blobsReused);
  void setNotes(std::vector<std::string> notes) { notes_ = std::move(notes); }
  void setTimestampKind(std::string kind) { timestampKind_ = std::move(kind); }
  void setBudget(const registry::PullBudgetState& budget) { budget_ = budget; }
  const std::vector<Entry>& entries() const { return entries_; }
  std::string toJson() const;

  static const char* actionName(Action a);

 private:
  std::string rule_;
  std::vector<Entry> entries_;
  std::vector<std::string> notes_;
  std::string timestampKind_;
  std::optional<registry::PullBudgetState> budget_;
  uint64_t bytesToFetch_ = 0;
  uint64_t blobsToFetch_ = 0;
  uint64_t blobsReused_ = 0;
};

}  // namespace tributary::plugin
