#include "tributary/Schedule.h"

#include <date/tz.h>

namespace tributary {

Result<Schedule> Schedule::create(UpdatePeriod period, const std::string& timezone) {
  try {
    return Schedule(std::move(period), date::locate_zone(timezone));
  } catch (const std::exception& e) {
    return invalidArgumentError("time zone `" + timezone +
                                "` is unknown (expected an IANA name such as UTC or "
                                "Europe/Berlin): " + e.what());
  }
}

std::optional<Schedule::TimePoint> Schedule::nextAfter(TimePoint after) const {
  using namespace std::chrono;
  if (period_.kind() == UpdatePeriod::Kind::kManual) return std::nullopt;
  if (period_.kind() == UpdatePeriod::Kind::kInterval) {
    return after + seconds(period_.intervalSeconds());
  }
  const auto afterSeconds = date::floor<seconds>(after);
  // Start at the local day of `after` and walk forward day by day; within a matching day try
  // every allowed hour:minute in order.
  const date::local_seconds localAfter = zone_->to_local(afterSeconds);
  date::local_days day = date::floor<date::days>(localAfter);
  for (int i = 0; i < 5 * 366 + 2; ++i, day += date::days(1)) {
    const date::year_month_day ymd(day);
    const date::weekday wd(day);
    if (!period_.months()[static_cast<unsigned>(ymd.month())]) continue;
    const bool domOk = period_.daysOfMonth()[static_cast<unsigned>(ymd.day())];
    const bool dowOk = period_.daysOfWeek()[wd.c_encoding()];
    const bool dayOk = period_.dayOfMonthRestricted() && period_.dayOfWeekRestricted()
                           ? (domOk || dowOk)
                           : (domOk && dowOk);
    if (!dayOk) continue;
    for (unsigned h = 0; h < 24; ++h) {
      if (!period_.hours()[h]) continue;
      for (unsigned m = 0; m < 60; ++m) {
        if (!period_.minutes()[m]) continue;
        const date::local_seconds local = day + hours(h) + minutes(m);
        const date::local_info info = zone_->get_info(local);
        date::sys_seconds when;
        if (info.result == date::local_info::nonexistent) {
          when = info.second.begin;  // skipped by the clock change: fire when the gap ends
        } else {
          when = date::sys_seconds{local.time_since_epoch()} - info.first.offset;  // earliest
        }
        if (when > afterSeconds) return TimePoint(when);
      }
    }
  }
  return std::nullopt;
}

}  // namespace tributary
