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
/// `blobs_fetched`), `totals.blobs_reused`; every `tags[].action`. Missing fields stay zero /
/// empty; text that is not a JSON object gives `valid == false`.
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

  static ReportSummary parse(std::string_view reportJson);
};

/// Milliseconds since the epoch for an RFC 3339 time ("2026-01-02T03:04:05Z",
/// "...05.123+02:00"); -1 when unparseable.
int64_t parseRfc3339Ms(const std::string& text);
/// "2026-01-02T03:04:05.123Z" (UTC, milliseconds); "" for 0.
std::string formatRfc3339Ms(int64_t ms);

}  // namespace tributary::scheduler
