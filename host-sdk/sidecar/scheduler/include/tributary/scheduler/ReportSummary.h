// ReportSummary: the few fields of a provider's execute report the host acts on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace tributary::scheduler {

/// Read defensively from the report JSON, which the host otherwise stores and serves as is:
/// `status`; `counts.deferred` or any `tags[].action == "deferred"`; `budget.reset_at`
/// (RFC 3339); `totals.bytes` (or the older `totals.bytes_fetched`), `totals.blobs` (or
/// `blobs_fetched`), `totals.blobs_reused`; every `tags[].action`; the integer members of
/// `counts`; `error.message`. Missing fields stay zero / empty; text that is not a JSON object
/// gives `valid == false`.
struct ReportSummary {
  bool valid = false;
  std::string status;  // succeeded | partial | failed ("" if absent)
  int64_t deferred = 0;
  int64_t resetAtMs = 0;  // budget.reset_at in ms since the epoch, 0 = absent or unparseable
  int64_t bytesFetched = 0;
  int64_t bytesReused = 0;
  int64_t blobsFetched = 0;
  int64_t blobsReused = 0;
  std::map<std::string, int64_t> tagsByAction;
  std::map<std::string, int64_t> counts;  // the report's `counts`, at most kMaxCounts keys
  std::string errorMessage;               // `error.message`, at most kMaxErrorBytes

  static constexpr size_t kMaxCounts = 32;
  static constexpr size_t kMaxErrorBytes = 2048;

  static ReportSummary parse(std::string_view reportJson);

  /// What a task list shows of the report instead of the report itself (docs/serve.md):
  /// `{"counts":{action: n...},"bytes_fetched","blobs_fetched","blobs_reused"[,"error"]}` in
  /// a few hundred bytes whatever the report's size. `counts` is the report's own object (every
  /// action it names), or the tag rows counted by action for a report without one. "" when
  /// the report was not a JSON object.
  std::string taskSummaryJson() const;
};

/// Milliseconds since the epoch for an RFC 3339 time ("2026-01-02T03:04:05Z",
/// "...05.123+02:00"); -1 when unparseable.
int64_t parseRfc3339Ms(const std::string& text);
/// "2026-01-02T03:04:05.123Z" (UTC, milliseconds); "" for 0.
std::string formatRfc3339Ms(int64_t ms);

}  // namespace tributary::scheduler
