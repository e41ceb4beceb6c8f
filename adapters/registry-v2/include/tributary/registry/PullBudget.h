// A source's pull budget for this run (Docker Hub's rate limit), as the adapter knows it;
// reported as the run report's "budget" object (docs/report.md).
#pragma once

#include <cstdint>
#include <optional>

namespace tributary::registry {

struct PullBudget {
  int64_t limit = 0;          // pulls per window
  int64_t remaining = 0;      // pulls left in the current window
  int64_t windowSeconds = 0;  // the window's length
  std::optional<int64_t> resetAtMs;  // when the window resets (ms since the epoch), if known
  int64_t pullsNeeded = 0;    // pulls this run needs for every selected tag
};

}  // namespace tributary::registry
