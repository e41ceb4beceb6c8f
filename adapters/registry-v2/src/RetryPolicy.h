// When and how long to wait before repeating a request that failed for a reason that may pass
// (connection errors, 5xx, 429): exponential backoff with jitter, Retry-After honoured.
//
// Thread rules: stateless apart from the process-wide jitter source (a lock-free atomic);
// safe to share.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "tributary/Status.h"

namespace tributary::registry {

class RetryPolicy {
 public:
  /// `maxAttemptsOn429`: attempts when the answer is 429 (0 = maxAttempts).
  RetryPolicy(int maxAttempts, std::chrono::milliseconds baseDelay,
              std::function<bool()> isCancelled, int maxAttemptsOn429 = 0);

  int maxAttempts() const { return maxAttempts_; }
  int maxAttemptsOn429() const { return maxAttemptsOn429_; }

  /// True for HTTP statuses worth repeating as-is (429, 5xx other than 501/505).
  static bool isRetryableHttpStatus(int status);

  /// Parses Retry-After (delta-seconds or HTTP-date), capped at 60 s; empty when absent/bad.
  static std::optional<std::chrono::milliseconds> parseRetryAfter(const std::string& value);

  /// Delay before attempt `attempt+1` (attempt counts from 1), jittered in [50%, 100%] of
  /// base*2^(attempt-1), capped at 10 s; `retryAfter` wins when given.
  std::chrono::milliseconds delayFor(int attempt,
                                     std::optional<std::chrono::milliseconds> retryAfter) const;

  /// Sleeps in short slices so cancellation is noticed; kCancelled if it was.
  Status sleep(std::chrono::milliseconds delay) const;

  bool cancelled() const { return isCancelled_ && isCancelled_(); }
  /// The probe itself (may be empty), for the SocketWatchdog that polls it.
  const std::function<bool()>& cancelProbe() const { return isCancelled_; }

 private:
  int maxAttempts_;
  int maxAttemptsOn429_;
  std::chrono::milliseconds baseDelay_;
  std::function<bool()> isCancelled_;
};

}  // namespace tributary::registry
