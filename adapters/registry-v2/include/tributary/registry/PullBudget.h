// A source's pull budget for this run (Docker Hub's rate limit), as the adapter knows it;
// reported as the run report's "budget" object (docs/report.md). The adapter keeps its own
// accounting; tags ask it through SourceAdapter::deferFetch.
#pragma once

#include <cstdint>
#include <optional>

namespace tributary::registry {

struct PullBudget {
  /// The registry announced a limit (rate-limit headers); false = unlimited as far as known,
  /// and limit / remaining are reported as null.
  bool known = true;
  int64_t limit = 0;          // pulls per window
  int64_t remaining = 0;      // pulls left in the window, as first read (before this run's GETs)
  int64_t windowSeconds = 0;  // the window's length
  std::optional<int64_t> resetAtMs;  // when the window resets (ms since the epoch), if known
  int64_t pullsNeeded = 0;    // pulls this run needs for every selected tag
  int64_t pullsSpent = 0;     // manifest GETs this run made (a plan spends none)
  int64_t reserve = 0;        // pulls the provider config keeps back (dockerhub_budget_reserve)
};

}  // namespace tributary::registry
