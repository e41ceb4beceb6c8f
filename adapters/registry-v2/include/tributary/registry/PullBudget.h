// A source's pull quota (Docker Hub: every manifest GET counts, HEAD does not), as the sync
// engine sees it: before it resolves a tag that needs manifest GETs it asks for that many, and
// a tag the quota cannot cover is deferred instead of started (so the run never draws a 429).
// The manifest GETs themselves are counted by the reader that performs them.
//
// Thread rules: every method may be called from several threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tributary::registry {

/// What the run read and spent, for the plan and the report.
struct PullBudgetState {
  bool known = false;             // the registry sent rate-limit headers (absent = unlimited)
  int64_t limit = 0;              // pulls per window
  int64_t remaining = 0;          // left in the window, as last read (before this run's GETs)
  int64_t windowSeconds = 0;
  std::optional<int64_t> resetAtMs;  // when the window is known to reset (ms since epoch)
  int64_t reserve = 0;            // pulls the provider config keeps back
  int64_t pullsNeeded = 0;        // manifest GETs the selected tags asked for
  int64_t pullsSpent = 0;         // manifest GETs this run made
};

class PullBudget {
 public:
  virtual ~PullBudget() = default;

  /// Asks for `pulls` manifest GETs for one tag. true: go ahead (the pulls are set aside for
  /// it until endTag()); false: the quota cannot cover them and `whyNot` says until when.
  /// `dryRun`: only counted (a plan spends nothing), later asks see the pulls as spent.
  virtual bool beginTag(int64_t pulls, bool dryRun, std::string* whyNot) = 0;
  /// Asks for `more` pulls for the tag begun last (when the count was only known after its
  /// index was read). Same answers as beginTag.
  virtual bool extendTag(int64_t more, std::string* whyNot) = 0;
  /// The tag is done; its unused pulls go back to the pool.
  virtual void endTag() = 0;

  virtual PullBudgetState state() const = 0;

  /// Why a pull asked for now would be refused, with when the window resets ("" when it
  /// would not be): for tags a 429 stopped halfway.
  virtual std::string refusal() const = 0;
};

}  // namespace tributary::registry
