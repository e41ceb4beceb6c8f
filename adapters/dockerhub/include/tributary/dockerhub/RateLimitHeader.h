// Docker Hub's registry rate-limit headers (registry-facts §D.1): `ratelimit-limit: 100;w=21600`,
// `ratelimit-remaining: 76;w=21600` — the first integer is the count, `w=` the window in
// seconds. Parsed like regclient's setRateLimit: split on `;`, first integer, then parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tributary::dockerhub {

struct RateLimitHeader {
  int64_t count = 0;
  std::optional<int64_t> windowSeconds;

  /// nullopt when the value has no leading whole number.
  static std::optional<RateLimitHeader> parse(const std::string& value);
};

}  // namespace tributary::dockerhub
