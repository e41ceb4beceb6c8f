#include "tributary/dockerhub/DockerHubPullBudget.h"

#include <algorithm>
#include <chrono>

#include "tributary/dockerhub/RateLimitHeader.h"
#include "tributary/registry/Rfc3339.h"

namespace tributary::dockerhub {
namespace {

int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string header(const std::map<std::string, std::string>& h, const char* name) {
  auto it = h.find(name);
  return it == h.end() ? std::string() : it->second;
}

std::optional<int64_t> seconds(const std::string& v) {
  auto parsed = RateLimitHeader::parse(v);  // a bare whole number parses as its count
  if (!parsed) return std::nullopt;
  return parsed->count;
}

}  // namespace

DockerHubPullBudget::DockerHubPullBudget(int64_t reserve, Clock now)
    : reserve_(std::max<int64_t>(0, reserve)), now_(now ? std::move(now) : Clock(systemNowMs)) {}

void DockerHubPullBudget::observe(const std::string& method, int status,
                                  const std::map<std::string, std::string>& headers) {
  (void)method;
  std::lock_guard<std::mutex> lock(mu_);
  auto limit = RateLimitHeader::parse(header(headers, "ratelimit-limit"));
  auto remaining = RateLimitHeader::parse(header(headers, "ratelimit-remaining"));
  if (limit && remaining) {
    known_ = true;
    limit_ = limit->count;
    window_ = remaining->windowSeconds.value_or(limit->windowSeconds.value_or(window_));
    lastRemaining_ = remaining->count;
    spentAtLast_ = spent_;
    if (firstRemaining_ < 0) firstRemaining_ = remaining->count + spent_;
  }
  if (auto reset = seconds(header(headers, "ratelimit-reset")))
    resetAtMs_ = now_() + *reset * 1000;
  if (status == 429) {
    // Somebody spent the quota under us: no further GET this run, whatever the headers say.
    known_ = true;
    exhausted_ = true;
    if (auto after = seconds(header(headers, "retry-after"))) resetAtMs_ = now_() + *after * 1000;
  }
}

int64_t DockerHubPullBudget::freeLocked() const {
  if (exhausted_) return 0;
  int64_t left = lastRemaining_ - (spent_ - spentAtLast_);
  if (firstRemaining_ >= 0) left = std::min(left, firstRemaining_ - spent_);
  left -= simulated_ + reserve_ + (tagAllowance_ - tagUsed_);
  return std::max<int64_t>(0, left);
}

int64_t DockerHubPullBudget::resetAtLocked() const {
  if (resetAtMs_ > 0) return resetAtMs_;
  return now_() + window_ * 1000;
}

std::string DockerHubPullBudget::refusalLocked(int64_t wanted) const {
  std::string why = exhausted_ ? "Docker Hub answered 429 (pull rate limit reached)"
                               : "Docker Hub pull budget: needs " + std::to_string(wanted) +
                                     " pull" + (wanted == 1 ? "" : "s") + ", " +
                                     std::to_string(freeLocked()) + " left (limit " +
                                     std::to_string(limit_) + " per " +
                                     std::to_string(window_) + " s, reserve " +
                                     std::to_string(reserve_) + ")";
  return why + "; the window resets " + (resetAtMs_ > 0 ? "at " : "by ") +
         registry::Rfc3339::formatMs(resetAtLocked());
}

Status DockerHubPullBudget::takeGet() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!exhausted_ && tagUsed_ < tagAllowance_) {
    ++tagUsed_;
    ++spent_;
    return Status();
  }
  if (!exhausted_ && (!known_ || freeLocked() >= 1)) {
    ++spent_;
    return Status();
  }
  return resourceExhaustedError(refusalLocked(1));
}

bool DockerHubPullBudget::beginTag(int64_t pulls, bool dryRun, std::string* whyNot) {
  std::lock_guard<std::mutex> lock(mu_);
  tagAllowance_ = tagUsed_ = 0;
  if (exhausted_ || (known_ && freeLocked() < pulls)) {
    if (whyNot) *whyNot = refusalLocked(pulls);
    return false;
  }
  needed_ += pulls;
  if (dryRun) simulated_ += pulls;
  else tagAllowance_ = pulls;
  return true;
}

bool DockerHubPullBudget::extendTag(int64_t more, std::string* whyNot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (exhausted_ || (known_ && freeLocked() < more)) {
    if (whyNot) *whyNot = refusalLocked(more);
    return false;
  }
  needed_ += more;
  tagAllowance_ += more;
  return true;
}

void DockerHubPullBudget::endTag() {
  std::lock_guard<std::mutex> lock(mu_);
  tagAllowance_ = tagUsed_ = 0;
}

std::string DockerHubPullBudget::refusal() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!exhausted_ && (!known_ || freeLocked() >= 1)) return "";
  return refusalLocked(1);
}

std::optional<registry::FetchDeferral> DockerHubPullBudget::ask(const registry::FetchAsk& a) {
  std::string whyNot;
  const bool ok = a.more ? extendTag(a.pulls, &whyNot) : beginTag(a.pulls, a.countOnly, &whyNot);
  if (ok) return std::nullopt;
  return registry::FetchDeferral{"budget_exhausted", whyNot};
}

registry::PullBudget DockerHubPullBudget::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  registry::PullBudget s;
  s.known = known_;
  s.limit = limit_;
  s.remaining = firstRemaining_ >= 0 ? firstRemaining_ : lastRemaining_;
  s.windowSeconds = window_;
  if (known_) s.resetAtMs = resetAtLocked();
  s.reserve = reserve_;
  s.pullsNeeded = needed_;
  s.pullsSpent = spent_;
  return s;
}

}  // namespace tributary::dockerhub
