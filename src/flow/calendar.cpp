#include "flow/calendar.h"

#include <chrono>

#include <date/date.h>
#include <date/tz.h>

namespace sb::flow {
namespace {

constexpr int kDayMinutes = 24 * 60;

// date::locate_zone throws std::runtime_error for unknown names; this is the edge.
const date::time_zone* findZone(std::string_view name) {
  if (name.empty() || name.size() > 64) return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int number(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Parses "H:MM" or "HH:MM" into minutes; -1 when malformed.
int clockMinutes(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2) return -1;
  auto h = s.substr(0, colon);
  auto m = s.substr(colon + 1);
  if (!digits(h) || !digits(m) || m.size() != 2) return -1;
  return number(h) * 60 + number(m);
}

bool validDate(const LocalDate& d) {
  auto ymd = date::year{d.year} / date::month{static_cast<unsigned>(d.month)} /
             date::day{static_cast<unsigned>(d.day)};
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && ymd.ok();
}

void rangeProblems(const std::vector<TimeRange>& ranges, const std::string& where,
                   std::vector<std::string>& out) {
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto& r = ranges[i];
    if (r.startMin < 0 || r.startMin >= kDayMinutes || r.endMin < 0 || r.endMin > kDayMinutes) {
      out.push_back(where + ": range '" + r.text + "' is outside 00:00-24:00");
      continue;
    }
    if (r.startMin == r.endMin) {
      out.push_back(where + ": range '" + r.text + "' is empty (use 00:00-24:00 for all day)");
      continue;
    }
    for (std::size_t j = 0; j < i; ++j) {
      const auto& o = ranges[j];
      bool plain = r.startMin < r.endMin && o.startMin < o.endMin;
      if (plain && r.startMin < o.endMin && o.startMin < r.endMin) {
        out.push_back(where + ": ranges '" + o.text + "' and '" + r.text + "' overlap");
      }
    }
  }
}

// Minutes-only check for "HH:MM" written with minutes over 59: the parser keeps the raw sum,
// so recover them from the text.
bool minutesOk(const TimeRange& r) {
  auto dash = r.text.find('-');
  if (dash == std::string::npos) return true;
  for (std::string_view part :
       {std::string_view(r.text).substr(0, dash), std::string_view(r.text).substr(dash + 1)}) {
    auto colon = part.find(':');
    if (colon != std::string_view::npos && number(part.substr(colon + 1)) > 59) return false;
  }
  return true;
}

// The hours that apply on `day`: a special day's, none (nullptr) on a holiday, else the
// weekly ones.
const std::vector<TimeRange>* hoursOn(const Calendar& c, date::sys_days day) {
  date::year_month_day ymd{day};
  int y = static_cast<int>(ymd.year());
  int m = static_cast<int>(static_cast<unsigned>(ymd.month()));
  int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  for (const auto& s : c.specialDays) {
    if (s.date.year == y && s.date.month == m && s.date.day == d) return &s.hours;
  }
  for (const auto& h : c.holidays) {
    if (h.year == y && h.month == m && h.day == d) return nullptr;
  }
  return &c.weekly[date::weekday{day}.c_encoding()];
}

}  // namespace

bool knownTimeZone(std::string_view timezone) {
  return findZone(timezone) != nullptr;
}

Result<TimeRange> parseTimeRange(std::string_view text) {
  auto dash = text.find('-');
  TimeRange r;
  r.text = std::string(text);
  if (dash != std::string_view::npos) {
    r.startMin = clockMinutes(text.substr(0, dash));
    r.endMin = clockMinutes(text.substr(dash + 1));
  }
  if (dash == std::string_view::npos || r.startMin < 0 || r.endMin < 0) {
    return fail(Errc::kInvalidInput,
                "time range '" + std::string(text) + "' is not of the form HH:MM-HH:MM");
  }
  return r;
}

Result<LocalDate> parseLocalDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(text.substr(0, 4)) ||
      !digits(text.substr(5, 2)) || !digits(text.substr(8, 2))) {
    return fail(Errc::kInvalidInput,
                "date '" + std::string(text) + "' is not of the form YYYY-MM-DD");
  }
  return LocalDate{number(text.substr(0, 4)), number(text.substr(5, 2)), number(text.substr(8, 2)),
                   std::string(text)};
}

std::vector<std::string> calendarProblems(const Calendar& c) {
  std::vector<std::string> out;
  if (c.timezone.empty()) {
    out.push_back("needs a 'timezone' such as \"Asia/Shanghai\"");
  } else if (!knownTimeZone(c.timezone)) {
    out.push_back("unknown time zone '" + c.timezone + "'");
  }
  static constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  for (int d = 0; d < 7; ++d) rangeProblems(c.weekly[static_cast<std::size_t>(d)], kDays[d], out);
  auto checkMinutes = [&](const std::vector<TimeRange>& ranges) {
    for (const auto& r : ranges) {
      if (!minutesOk(r)) out.push_back("range '" + r.text + "' has minutes over 59");
    }
  };
  for (const auto& w : c.weekly) checkMinutes(w);
  for (const auto& h : c.holidays) {
    if (!validDate(h)) out.push_back("holiday '" + h.text + "' is not a real date");
  }
  for (const auto& s : c.specialDays) {
    if (!validDate(s.date)) out.push_back("special day '" + s.date.text + "' is not a real date");
    rangeProblems(s.hours, "special day '" + s.date.text + "'", out);
    checkMinutes(s.hours);
  }
  return out;
}

bool isOpen(const Calendar& c, std::int64_t unixMs) {
  const date::time_zone* zone = findZone(c.timezone);
  if (zone == nullptr) return false;
  using Ms = std::chrono::milliseconds;
  date::sys_time<Ms> instant{Ms{unixMs}};
  date::local_time<Ms> local;
  try {
    local = zone->to_local(instant);
  } catch (const std::exception&) {
    return false;
  }
  auto localDay = date::floor<date::days>(local);
  int minute =
      static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - localDay).count());
  date::sys_days today{localDay.time_since_epoch()};
  if (const auto* hours = hoursOn(c, today)) {
    for (const auto& r : *hours) {
      bool crosses = r.endMin < r.startMin;
      if (minute >= r.startMin && (crosses || minute < r.endMin)) return true;
    }
  }
  // A range that started yesterday and runs past midnight.
  if (const auto* hours = hoursOn(c, today - date::days{1})) {
    for (const auto& r : *hours) {
      if (r.endMin < r.startMin && minute < r.endMin) return true;
    }
  }
  return false;
}

}  // namespace sb::flow
