// The JSON of a dry run:
// {"rule","tags":[{"tag","digest","pushed_at","timestamp_source",
//                  "action":"sync|unchanged|kept|skipped","reason","bytes_to_fetch"}],
//  "totals":{"bytes_to_fetch","blobs_to_fetch","blobs_reused"}}
// A tag that could not be resolved (network error...) is "skipped" with reason "error: ...".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tributary::plugin {

class PlanReport {
 public:
  enum class Action { kSync, kUnchanged, kKept, kSkipped };

  struct Entry {
    std::string tag;
    std::string digest;  // what the destination tag would point at
    std::optional<int64_t> pushedAtMs;
    std::string timestampSource;
    Action action = Action::kSkipped;
    std::string reason;
    std::vector<std::string> foreignLayers;  // left to their urls; shown when non-empty
    uint64_t bytesToFetch = 0;
  };

  explicit PlanReport(std::string ruleName) : rule_(std::move(ruleName)) {}

  void add(Entry e) { entries_.push_back(std::move(e)); }
  void setTotals(uint64_t bytesToFetch, uint64_t blobsToFetch, uint64_t blobsReused);
  const std::vector<Entry>& entries() const { return entries_; }
  std::string toJson() const;

  static const char* actionName(Action a);

 private:
  std::string rule_;
  std::vector<Entry> entries_;
  uint64_t bytesToFetch_ = 0;
  uint64_t blobsToFetch_ = 0;
  uint64_t blobsReused_ = 0;
};

}  // namespace tributary::plugin
