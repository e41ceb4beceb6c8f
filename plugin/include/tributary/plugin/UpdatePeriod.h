// Grammar of a rule's update_period: `manual`, `<N>m` / `<N>h` / `<N>d` (N >= 1, at most one
// year), or a 5-field cron expression (minute hour day-of-month month day-of-week; `*`,
// numbers, ranges a-b, steps /n, lists, month and weekday names; weekday 0-7, 0 and 7 = Sunday).
#pragma once

#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::plugin {

class UpdatePeriod {
 public:
  /// The canonical text (trimmed, cron fields single-spaced, names lower-cased) or an error
  /// quoting the value and naming the bad part.
  static Result<std::string> normalise(std::string_view text);
};

}  // namespace tributary::plugin
