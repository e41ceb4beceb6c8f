#include "tributary/UpdatePeriod.h"

#include <bitset>
#include <vector>

namespace tributary {
namespace {

struct CronField {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] = value min+i, or nullptr
};

const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                               "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr CronField kFields[] = {
    {"minute", 0, 59, nullptr},      {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr}, {"month", 1, 12, kMonths},
    {"day-of-week", 0, 7, kDays},
};

bool allDigits(std::string_view s) {
  return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// One value: a number in range or (for month/day-of-week) a name.
Status cronValue(const CronField& f, std::string_view v, int& out, const std::string& ctx) {
  if (allDigits(v)) {
    out = std::stoi(std::string(v));
  } else if (f.names != nullptr) {
    int count = f.min == 1 ? 12 : 7;
    out = -1;
    for (int i = 0; i < count; ++i)
      if (v == f.names[i]) out = f.min + i;
    if (out < 0)
      return invalidArgumentError(ctx + ": `" + std::string(v) + "` is not a number or a " +
                                  f.name + " name");
    return Status();
  } else {
    return invalidArgumentError(ctx + ": `" + std::string(v) + "` is not a number");
  }
  if (out < f.min || out > f.max)
    return invalidArgumentError(ctx + ": `" + std::string(v) + "` is out of range " +
                                std::to_string(f.min) + "-" + std::to_string(f.max));
  return Status();
}

Status cronField(const CronField& f, std::string_view text, const std::string& prefix,
                 std::bitset<64>& allowed) {
  const std::string ctx = prefix + f.name + " field `" + std::string(text) + "`";
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return invalidArgumentError(ctx + " has an empty list item");
    std::string_view range = item;
    size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
      std::string_view step = item.substr(slash + 1);
      range = item.substr(0, slash);
      if (!allDigits(step) || std::stoi(std::string(step)) < 1)
        return invalidArgumentError(ctx + ": step `" + std::string(step) +
                                    "` must be a positive number");
    }
    int lo = f.min, hi = f.max, step = 1;
    if (slash != std::string_view::npos) step = std::stoi(std::string(item.substr(slash + 1)));
    if (range != "*") {
      size_t dash = range.find('-');
      if (dash == std::string_view::npos) {
        TRIB_RETURN_IF_ERROR(cronValue(f, range, lo, ctx));
        // `5/15` means 5, 20, 35, 50 (from 5 to the field's end), as in Vixie cron.
        hi = slash != std::string_view::npos ? f.max : lo;
      } else {
        TRIB_RETURN_IF_ERROR(cronValue(f, range.substr(0, dash), lo, ctx));
        TRIB_RETURN_IF_ERROR(cronValue(f, range.substr(dash + 1), hi, ctx));
        if (hi < lo)
          return invalidArgumentError(ctx + ": range `" + std::string(range) + "` is backwards");
      }
    }
    for (int v = lo; v <= hi; v += step) allowed.set(static_cast<size_t>(v));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Status();
}

}  // namespace

Result<std::string> UpdatePeriod::normalise(std::string_view raw) {
  TRIB_ASSIGN_OR_RETURN(UpdatePeriod period, parse(raw));
  return period.text_;
}

Result<UpdatePeriod> UpdatePeriod::parse(std::string_view raw) {
  UpdatePeriod period;
  std::string text;
  for (char c : raw) text += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  // Trim and split on whitespace.
  std::vector<std::string> fields;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) fields.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) fields.push_back(cur);
  const std::string prefix = "update_period `" + std::string(raw) + "` is invalid: ";
  if (fields.empty())
    return invalidArgumentError("update_period is empty; expected manual, <N>m, <N>h, <N>d or a 5-field cron expression");
  if (fields.size() == 1) {
    const std::string& f = fields[0];
    if (f == "manual") {
      period.text_ = f;
      return period;
    }
    char unit = f.back();
    std::string number = f.substr(0, f.size() - 1);
    if ((unit == 'm' || unit == 'h' || unit == 'd') && allDigits(number)) {
      long n = std::stol(number);
      long max = unit == 'm' ? 525600 : unit == 'h' ? 8760 : 365;
      if (n < 1) return invalidArgumentError(prefix + "the interval must be at least 1");
      if (n > max)
        return invalidArgumentError(prefix + "the interval is longer than a year (max " +
                                    std::to_string(max) + std::string(1, unit) + ")");
      period.kind_ = Kind::kInterval;
      period.intervalSeconds_ = n * (unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400);
      period.text_ = std::to_string(n) + unit;
      return period;
    }
    return invalidArgumentError(prefix +
                                "expected manual, <N>m, <N>h, <N>d or a 5-field cron expression");
  }
  if (fields.size() != 5)
    return invalidArgumentError(prefix + "a cron expression has 5 fields (minute hour "
                                "day-of-month month day-of-week), got " +
                                std::to_string(fields.size()));
  std::string out;
  std::bitset<64> allowed[5];
  for (size_t i = 0; i < 5; ++i) {
    TRIB_RETURN_IF_ERROR(cronField(kFields[i], fields[i], prefix, allowed[i]));
    out += (i ? " " : "") + fields[i];
  }
  period.kind_ = Kind::kCron;
  period.text_ = out;
  for (size_t v = 0; v < 60; ++v) period.minutes_[v] = allowed[0][v];
  for (size_t v = 0; v < 24; ++v) period.hours_[v] = allowed[1][v];
  for (size_t v = 0; v < 32; ++v) period.daysOfMonth_[v] = allowed[2][v];
  for (size_t v = 0; v < 13; ++v) period.months_[v] = allowed[3][v];
  for (size_t v = 0; v < 7; ++v) period.daysOfWeek_[v] = allowed[4][v];
  if (allowed[4][7]) period.daysOfWeek_.set(0);  // 7 = Sunday too
  period.domRestricted_ = fields[2].front() != '*';
  period.dowRestricted_ = fields[4].front() != '*';
  return period;
}

}  // namespace tributary
