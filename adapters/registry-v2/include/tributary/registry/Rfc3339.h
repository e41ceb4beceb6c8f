// RFC 3339 timestamps <-> milliseconds since the Unix epoch. Image configs carry `created` as
// RFC 3339 with optional fractional seconds (often nanoseconds) and a `Z` or ±hh:mm zone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::registry {

class Rfc3339 {
 public:
  /// "2024-05-01T10:20:30.123456789+02:00" -> ms (fraction truncated to ms). nullopt when the
  /// text is not RFC 3339 (a lower-case `t`/`z` and a space separator are accepted, as Go does
  /// not emit them but some tools do), or when the instant falls outside years 0000-9999 in
  /// UTC (then formatMs could not write it).
  static std::optional<int64_t> parseMs(std::string_view text);

  /// ms -> "2024-05-01T08:20:30.123Z" (UTC; the fraction is omitted when it is zero).
  static std::string formatMs(int64_t ms);
};

}  // namespace tributary::registry
