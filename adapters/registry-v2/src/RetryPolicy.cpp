#include "RetryPolicy.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cctype>
#include <random>
#include <thread>

#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

namespace tributary::registry {

namespace {
constexpr std::chrono::milliseconds kMaxRetryAfter{60000};
constexpr std::chrono::milliseconds kMaxBackoff{10000};

// A jitter draw in [0, 2^64): splitmix64 over one process-wide atomic counter seeded once.
// Not thread_local on purpose: this code runs inside a dlopen()ed provider, and a
// thread_local there is dynamic TLS, which every access pays for through __tls_get_addr and
// which GCC 12's LeakSanitizer mis-measures (see scripts/test.sh). An atomic is lock-free and
// trivially destructible, so it is also fine as a static inside the .so.
uint64_t nextJitterDraw() {
  static std::atomic<uint64_t> state{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                     std::random_device{}()};
  uint64_t z = state.fetch_add(0x9E3779B97F4A7C15ULL, std::memory_order_relaxed) +
               0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

RetryPolicy::RetryPolicy(int maxAttempts, std::chrono::milliseconds baseDelay,
                         std::function<bool()> isCancelled, int maxAttemptsOn429)
    : maxAttempts_(std::max(1, maxAttempts)),
      maxAttemptsOn429_(maxAttemptsOn429 > 0 ? std::min(maxAttemptsOn429, maxAttempts_)
                                             : maxAttempts_),
      baseDelay_(baseDelay),
      isCancelled_(std::move(isCancelled)) {}

bool RetryPolicy::isRetryableHttpStatus(int status) {
  if (status == 429 || status == 408) return true;
  return status >= 500 && status <= 599 && status != 501 && status != 505;
}

std::optional<std::chrono::milliseconds> RetryPolicy::parseRetryAfter(const std::string& value) {
  std::string v = value;
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), ::isdigit)) {
    if (v.size() > 6) return kMaxRetryAfter;
    return std::min(kMaxRetryAfter, std::chrono::milliseconds(std::stol(v) * 1000));
  }
  try {
    int tz = 0;
    Poco::DateTime when = Poco::DateTimeParser::parse(v, tz);
    Poco::Timestamp::TimeDiff diff = when.timestamp() - Poco::Timestamp();  // microseconds
    if (diff <= 0) return std::chrono::milliseconds(0);
    return std::min(kMaxRetryAfter, std::chrono::milliseconds(diff / 1000));
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::chrono::milliseconds RetryPolicy::delayFor(
    int attempt, std::optional<std::chrono::milliseconds> retryAfter) const {
  if (retryAfter) return *retryAfter;
  int shift = std::min(std::max(attempt - 1, 0), 16);
  std::chrono::milliseconds full = std::min<std::chrono::milliseconds>(kMaxBackoff, baseDelay_ * (1LL << shift));
  // Jitter so that many workers hit by the same outage do not come back in lockstep.
  const long long low = full.count() / 2;
  const long long high = std::max<long long>(full.count(), 1);
  const auto span = static_cast<uint64_t>(high - low) + 1;
  return std::chrono::milliseconds(low + static_cast<long long>(nextJitterDraw() % span));
}

Status RetryPolicy::sleep(std::chrono::milliseconds delay) const {
  auto until = std::chrono::steady_clock::now() + delay;
  while (true) {
    if (cancelled()) return cancelledError("cancelled");
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return Status();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        until - now, std::chrono::milliseconds(50)));
  }
}

}  // namespace tributary::registry
