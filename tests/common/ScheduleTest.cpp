// tributary::UpdatePeriod (the one grammar) and tributary::Schedule (fire times in a zone).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ctime>
#include <string>

#include "tributary/Schedule.h"
#include "tributary/UpdatePeriod.h"

using namespace tributary;
using Clock = std::chrono::system_clock;

namespace {

// "2026-03-29T00:30:00Z" <-> time_point.
Clock::time_point utc(const std::string& text) {
  std::tm tm{};
  strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Clock::from_time_t(timegm(&tm));
}
std::string utcText(Clock::time_point t) {
  const std::time_t seconds = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Schedule schedule(const std::string& period, const std::string& zone) {
  auto parsed = UpdatePeriod::parse(period);
  BOOST_REQUIRE_MESSAGE(parsed.isOk(), parsed.status().message());
  auto s = Schedule::create(*parsed, zone);
  BOOST_REQUIRE_MESSAGE(s.isOk(), s.status().message());
  return *s;
}

std::string next(const Schedule& s, const std::string& after) {
  auto n = s.nextAfter(utc(after));
  return n ? utcText(*n) : "never";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(UpdatePeriodGrammar)

BOOST_AUTO_TEST_CASE(intervals_normalise_and_count_seconds) {
  BOOST_TEST(*UpdatePeriod::normalise(" 30M ") == "30m");
  BOOST_TEST(UpdatePeriod::parse("30m")->intervalSeconds() == 1800);
  BOOST_TEST(UpdatePeriod::parse("6h")->intervalSeconds() == 6 * 3600);
  BOOST_TEST(UpdatePeriod::parse("1d")->intervalSeconds() == 86400);
  BOOST_TEST((UpdatePeriod::parse("manual")->kind() == UpdatePeriod::Kind::kManual));
}

BOOST_AUTO_TEST_CASE(bad_periods_name_the_problem) {
  BOOST_TEST(UpdatePeriod::parse("0m").status().message().find("at least 1") != std::string::npos);
  BOOST_TEST(UpdatePeriod::parse("10s").status().message().find("expected manual") !=
             std::string::npos);
  BOOST_TEST(UpdatePeriod::parse("61 * * * *").status().message().find("minute") !=
             std::string::npos);
  BOOST_TEST(UpdatePeriod::parse("* * *").status().message().find("5 fields") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(cron_fields_expand_lists_ranges_steps_and_names) {
  auto p = *UpdatePeriod::parse("*/15 9-17 * jan,JUL mon-fri");
  BOOST_TEST(p.text() == "*/15 9-17 * jan,jul mon-fri");
  BOOST_TEST(p.minutes().count() == 4u);
  BOOST_TEST(p.minutes()[45]);
  BOOST_TEST(p.hours().count() == 9u);
  BOOST_TEST(p.months()[1]);
  BOOST_TEST(p.months()[7]);
  BOOST_TEST(p.months().count() == 2u);
  BOOST_TEST(p.daysOfWeek().count() == 5u);
  BOOST_TEST(!p.daysOfWeek()[0]);
  auto sunday = *UpdatePeriod::parse("0 0 * * 7");
  BOOST_TEST(sunday.daysOfWeek()[0]);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ScheduleTimes)

BOOST_AUTO_TEST_CASE(manual_never_fires_and_intervals_count_from_the_last_run) {
  BOOST_TEST(next(schedule("manual", "UTC"), "2026-01-01T00:00:00Z") == "never");
  BOOST_TEST(next(schedule("6h", "Europe/Berlin"), "2026-01-01T00:00:00Z") ==
             "2026-01-01T06:00:00Z");
}

BOOST_AUTO_TEST_CASE(cron_in_utc) {
  auto s = schedule("30 2 * * *", "UTC");
  BOOST_TEST(next(s, "2026-01-01T00:00:00Z") == "2026-01-01T02:30:00Z");
  BOOST_TEST(next(s, "2026-01-01T02:30:00Z") == "2026-01-02T02:30:00Z");  // strictly after
  BOOST_TEST(next(schedule("0 0 29 2 *", "UTC"), "2026-03-01T00:00:00Z") ==
             "2028-02-29T00:00:00Z");
  BOOST_TEST(next(schedule("0 0 31 2 *", "UTC"), "2026-01-01T00:00:00Z") == "never");
}

BOOST_AUTO_TEST_CASE(day_of_month_and_day_of_week_both_restricted_means_either) {
  // 2026-01-01 is a Thursday: the 13th (Tuesday) or any Friday, classic cron.
  auto s = schedule("0 12 13 * fri", "UTC");
  BOOST_TEST(next(s, "2026-01-01T00:00:00Z") == "2026-01-02T12:00:00Z");  // Friday the 2nd
  BOOST_TEST(next(s, "2026-01-10T00:00:00Z") == "2026-01-13T12:00:00Z");  // Tuesday the 13th
}

BOOST_AUTO_TEST_CASE(cron_follows_the_zones_wall_clock_across_spring_forward) {
  // Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST.
  auto daily = schedule("0 9 * * *", "Europe/Berlin");
  BOOST_TEST(next(daily, "2026-03-28T09:00:00Z") == "2026-03-29T07:00:00Z");  // 09:00 CEST
  BOOST_TEST(next(daily, "2026-03-27T12:00:00Z") == "2026-03-28T08:00:00Z");  // 09:00 CET
  // 02:30 does not exist that night: it fires once, when the gap ends (03:00 CEST = 01:00Z).
  auto gap = schedule("30 2 * * *", "Europe/Berlin");
  BOOST_TEST(next(gap, "2026-03-28T12:00:00Z") == "2026-03-29T01:00:00Z");
  BOOST_TEST(next(gap, "2026-03-29T01:00:00Z") == "2026-03-30T00:30:00Z");
}

BOOST_AUTO_TEST_CASE(cron_fires_once_when_fall_back_repeats_the_hour) {
  // Europe/Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice
  // (00:30Z and 01:30Z). It fires at the first only.
  auto s = schedule("30 2 * * *", "Europe/Berlin");
  BOOST_TEST(next(s, "2026-10-24T12:00:00Z") == "2026-10-25T00:30:00Z");
  BOOST_TEST(next(s, "2026-10-25T00:30:00Z") == "2026-10-26T01:30:00Z");
  // Every 15 minutes across the repeated hour: no fire time repeats or goes backwards.
  auto quarter = schedule("*/15 * * * *", "Europe/Berlin");
  auto t = utc("2026-10-24T23:50:00Z");
  for (int i = 0; i < 12; ++i) {
    auto n = quarter.nextAfter(t);
    BOOST_REQUIRE(n.has_value());
    BOOST_TEST((*n > t));
    t = *n;
  }
}

BOOST_AUTO_TEST_CASE(new_york_spring_forward) {
  // America/New_York, 2026-03-08: 02:00 EST -> 03:00 EDT.
  auto s = schedule("0 1-4 8 3 *", "America/New_York");
  BOOST_TEST(next(s, "2026-03-08T05:30:00Z") == "2026-03-08T06:00:00Z");  // 01:00 EST
  BOOST_TEST(next(s, "2026-03-08T06:00:00Z") == "2026-03-08T07:00:00Z");  // 02:00 -> gap end
  BOOST_TEST(next(s, "2026-03-08T07:00:00Z") == "2026-03-08T08:00:00Z");  // 04:00 EDT
}

BOOST_AUTO_TEST_CASE(an_unknown_zone_is_named) {
  auto s = Schedule::create(*UpdatePeriod::parse("1h"), "Mars/Olympus");
  BOOST_TEST(!s.isOk());
  BOOST_TEST(s.status().message().find("Mars/Olympus") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
