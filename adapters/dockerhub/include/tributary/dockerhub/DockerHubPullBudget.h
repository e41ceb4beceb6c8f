// Docker Hub's pull quota for one run (registry-facts §D.1): read from the `ratelimit-limit` /
// `ratelimit-remaining` headers of every registry response (HEAD included: HEAD does not
// count, so a no-op run spends nothing), spent by every manifest GET. Tags ask for the GETs
// they need before they start (beginTag); a tag the remaining quota minus the configured
// reserve cannot cover is refused with the time the window resets, so the run never draws a
// 429. A 429 anyway (another client spent the quota) closes the budget for the rest of the run
// and its Retry-After becomes the reset time.
//
// Without rate-limit headers the quota is unlimited (Docker's own documented meaning).
// The reset time: `ratelimit-reset` (seconds) when sent, else a 429's Retry-After, else "by"
// now + w — an upper bound, as Hub's window is rolling.
//
// The resolver reaches it through DockerHubSource::deferFetch (ask()), one tag at a time
// (serial admission, newest first); a new tag's ask ends the previous tag's allowance.
//
// Thread rules: every method may be called from several threads at once (mu_). GETs outside a
// tag (the created-order fallback listing) are taken from the free quota one by one.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "tributary/Status.h"
#include "tributary/registry/PullBudget.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::dockerhub {

class DockerHubPullBudget final {
 public:
  using Clock = std::function<int64_t()>;  // ms since the epoch

  /// `reserve`: pulls never spent (provider config dockerhub_budget_reserve).
  explicit DockerHubPullBudget(int64_t reserve, Clock now = nullptr);

  /// RegistryClientOptions::onRegistryResponse.
  void observe(const std::string& method, int status,
               const std::map<std::string, std::string>& headers);

  /// Called before each manifest GET; kResourceExhausted (nothing counted) when the quota
  /// cannot cover it.
  Status takeGet();

  /// SourceAdapter::deferFetch: !ask.more begins a tag (beginTag), ask.more extends it; a
  /// refusal is a "budget_exhausted" deferral saying when the window resets.
  std::optional<registry::FetchDeferral> ask(const registry::FetchAsk& ask);

  /// Asks for `pulls` manifest GETs for one tag. true: go ahead (the pulls are set aside for
  /// it until endTag() or the next beginTag()); false: the quota cannot cover them and
  /// `whyNot` says until when. `dryRun`: only counted (a plan spends nothing), later asks see
  /// the pulls as spent.
  bool beginTag(int64_t pulls, bool dryRun, std::string* whyNot);
  /// Asks for `more` pulls for the tag begun last. Same answers as beginTag.
  bool extendTag(int64_t more, std::string* whyNot);
  /// The tag is done; its unused pulls go back to the pool.
  void endTag();
  /// What the run read and spent, for the report (limit/remaining unknown: known = false).
  registry::PullBudget state() const;
  /// Why a pull asked for now would be refused, with when the window resets ("" when it
  /// would not be).
  std::string refusal() const;

 private:
  int64_t freeLocked() const;  // pulls spendable now, beyond the current tag's allowance
  std::string refusalLocked(int64_t wanted) const;
  int64_t resetAtLocked() const;

  const int64_t reserve_;
  Clock now_;

  mutable std::mutex mu_;
  bool known_ = false;           // guarded by mu_
  bool exhausted_ = false;       // a 429 was seen; guarded by mu_
  int64_t limit_ = 0;            // guarded by mu_
  int64_t window_ = 0;           // seconds; guarded by mu_
  int64_t lastRemaining_ = 0;    // guarded by mu_
  int64_t spentAtLast_ = 0;      // spent_ when lastRemaining_ was read; guarded by mu_
  int64_t firstRemaining_ = -1;  // first value read plus GETs made before it; guarded by mu_
  int64_t resetAtMs_ = 0;        // 0 = not told; guarded by mu_
  int64_t spent_ = 0;            // manifest GETs made; guarded by mu_
  int64_t needed_ = 0;           // pulls asked for by tags that went ahead; guarded by mu_
  int64_t simulated_ = 0;        // dry-run pulls counted as spent; guarded by mu_
  int64_t tagAllowance_ = 0;     // set aside for the current tag; guarded by mu_
  int64_t tagUsed_ = 0;          // guarded by mu_
};

}  // namespace tributary::dockerhub
