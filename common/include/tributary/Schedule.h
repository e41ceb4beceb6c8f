// Schedule: when a rule's update_period next fires, in an IANA time zone.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "tributary/Status.h"
#include "tributary/UpdatePeriod.h"

namespace date {
class time_zone;
}

namespace tributary {

/// Next fire times for an UpdatePeriod. Intervals count from the previous run (time-zone
/// free); cron fields are matched against the wall clock of `timezone` (tz database names
/// from /usr/share/zoneinfo, read by Howard Hinnant's date library with USE_OS_TZDB):
/// - a wall time that does not exist (spring forward) fires at the moment the gap ends, once;
/// - a wall time that happens twice (fall back) fires once, at its first occurrence.
/// Immutable; safe to share between threads.
class Schedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  /// kInvalidArgument naming the zone when it is unknown.
  static Result<Schedule> create(UpdatePeriod period, const std::string& timezone);

  /// The first fire time strictly after `after`; nullopt for `manual` (or a cron expression
  /// that never matches, e.g. `0 0 31 2 *`, within five years).
  std::optional<TimePoint> nextAfter(TimePoint after) const;

  const UpdatePeriod& period() const { return period_; }

 private:
  Schedule(UpdatePeriod period, const date::time_zone* zone)
      : period_(std::move(period)), zone_(zone) {}
  UpdatePeriod period_;
  const date::time_zone* zone_;  // owned by the date library's database (process lifetime)
};

}  // namespace tributary
