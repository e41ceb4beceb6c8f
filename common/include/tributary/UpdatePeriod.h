// Grammar of a rule's update_period: `manual`, `<N>m` / `<N>h` / `<N>d` (N >= 1, at most one
// year), or a 5-field cron expression (minute hour day-of-month month day-of-week; `*`,
// numbers, ranges a-b, steps /n, lists, month and weekday names; weekday 0-7, 0 and 7 = Sunday).
//
// One grammar for both sides: the provider validates and normalises a rule's update_period
// with it, the host's scheduler parses the stored text with it (tributary::Schedule computes
// the times). Neither side may accept what the other refuses.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary {

class UpdatePeriod {
 public:
  enum class Kind { kManual, kInterval, kCron };

  /// The canonical text (trimmed, cron fields single-spaced, names lower-cased) or an error
  /// quoting the value and naming the bad part.
  static Result<std::string> normalise(std::string_view text);
  /// The parsed form of `text` (same errors as normalise).
  static Result<UpdatePeriod> parse(std::string_view text);

  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }
  /// kInterval: the interval in seconds.
  int64_t intervalSeconds() const { return intervalSeconds_; }

  /// kCron: which values each field allows (bit i = value i; weekday 7 folded into 0).
  const std::bitset<60>& minutes() const { return minutes_; }
  const std::bitset<24>& hours() const { return hours_; }
  const std::bitset<32>& daysOfMonth() const { return daysOfMonth_; }
  const std::bitset<13>& months() const { return months_; }
  const std::bitset<7>& daysOfWeek() const { return daysOfWeek_; }
  /// Classic cron: when both day fields are restricted a day matches if EITHER matches.
  bool dayOfMonthRestricted() const { return domRestricted_; }
  bool dayOfWeekRestricted() const { return dowRestricted_; }

 private:
  Kind kind_ = Kind::kManual;
  std::string text_;
  int64_t intervalSeconds_ = 0;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> daysOfMonth_;
  std::bitset<13> months_;
  std::bitset<7> daysOfWeek_;
  bool domRestricted_ = false;
  bool dowRestricted_ = false;
};

}  // namespace tributary
