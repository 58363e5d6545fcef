#include "flow/calendar.h"

#include <gtest/gtest.h>

namespace sb::flow {
namespace {

// 2026-06-01 is a Monday. Unix ms of a UTC wall-clock time that day (+ `days`).
std::int64_t utc(int days, int hour, int minute) {
  constexpr std::int64_t kJune1 = 1780272000000;  // 2026-06-01T00:00:00Z
  return kJune1 + ((static_cast<std::int64_t>(days) * 24 + hour) * 60 + minute) * 60000;
}

Calendar officeHours(std::string tz) {
  Calendar c;
  c.name = "office";
  c.timezone = std::move(tz);
  for (std::size_t d = 1; d <= 5; ++d) c.weekly[d].push_back(*parseTimeRange("09:00-18:00"));
  c.weekly[6].push_back(*parseTimeRange("10:00-14:00"));
  c.holidays.push_back(*parseLocalDate("2026-06-03"));
  return c;
}

TEST(Calendar, SameInstantDiffersByTimeZone) {
  // Monday 02:00 UTC = 10:00 in Shanghai (open), Sunday 22:00 in New York (closed).
  auto shanghai = officeHours("Asia/Shanghai");
  auto newYork = officeHours("America/New_York");
  EXPECT_TRUE(isOpen(shanghai, utc(0, 2, 0)));
  EXPECT_FALSE(isOpen(newYork, utc(0, 2, 0)));
  // Monday 14:00 UTC = 22:00 Shanghai (closed), 10:00 New York (EDT, open).
  EXPECT_FALSE(isOpen(shanghai, utc(0, 14, 0)));
  EXPECT_TRUE(isOpen(newYork, utc(0, 14, 0)));
}

TEST(Calendar, RangeBoundaries) {
  auto c = officeHours("UTC");
  EXPECT_FALSE(isOpen(c, utc(0, 8, 59)));
  EXPECT_TRUE(isOpen(c, utc(0, 9, 0)));
  EXPECT_TRUE(isOpen(c, utc(0, 17, 59)));
  EXPECT_FALSE(isOpen(c, utc(0, 18, 0)));
}

TEST(Calendar, WeekdayWeekendAndHoliday) {
  auto c = officeHours("Asia/Shanghai");
  // Saturday 2026-06-06 11:00 Shanghai = 03:00 UTC: open 10-14.
  EXPECT_TRUE(isOpen(c, utc(5, 3, 0)));
  EXPECT_FALSE(isOpen(c, utc(5, 7, 0)));  // 15:00 Saturday
  // Sunday closed all day.
  EXPECT_FALSE(isOpen(c, utc(6, 3, 0)));
  // Wednesday 2026-06-03 is a holiday: 11:00 Shanghai closed; Thursday open.
  EXPECT_FALSE(isOpen(c, utc(2, 3, 0)));
  EXPECT_TRUE(isOpen(c, utc(3, 3, 0)));
}

TEST(Calendar, SpecialDayReplacesWeeklyHours) {
  auto c = officeHours("UTC");
  // A working Sunday (make-up day), 2026-06-07.
  c.specialDays.push_back(
      SpecialDay{*parseLocalDate("2026-06-07"), {*parseTimeRange("09:00-12:00")}});
  EXPECT_TRUE(isOpen(c, utc(6, 10, 0)));
  EXPECT_FALSE(isOpen(c, utc(6, 13, 0)));
}

TEST(Calendar, RangeCrossingMidnightRunsIntoTheNextDay) {
  Calendar c;
  c.timezone = "UTC";
  c.weekly[5].push_back(*parseTimeRange("22:00-06:00"));  // Friday night
  EXPECT_FALSE(isOpen(c, utc(4, 21, 59)));                // Friday 21:59
  EXPECT_TRUE(isOpen(c, utc(4, 23, 0)));                  // Friday 23:00
  EXPECT_TRUE(isOpen(c, utc(5, 5, 59)));                  // Saturday 05:59
  EXPECT_FALSE(isOpen(c, utc(5, 6, 0)));                  // Saturday 06:00
  EXPECT_FALSE(isOpen(c, utc(5, 23, 0)));                 // Saturday night is not Friday night
}

TEST(Calendar, AllDayAndDaylightSaving) {
  Calendar c;
  c.timezone = "America/New_York";
  c.weekly[0].push_back(*parseTimeRange("00:00-24:00"));
  // 2026-03-08 (Sunday) is the US spring-forward day; 03:30 local exists, 23:59 too.
  constexpr std::int64_t kMar8Utc = 1772928000000;     // 2026-03-08T00:00:00Z
  EXPECT_TRUE(isOpen(c, kMar8Utc + 8LL * 3600000));    // 03:00 EST->04:00 EDT area
  EXPECT_TRUE(isOpen(c, kMar8Utc + 27LL * 3600000));   // 23:00 EDT Sunday
  EXPECT_FALSE(isOpen(c, kMar8Utc + 29LL * 3600000));  // 01:00 EDT Monday
}

TEST(Calendar, UnknownZoneIsClosedAndReported) {
  auto c = officeHours("Mars/Olympus");
  EXPECT_FALSE(isOpen(c, utc(0, 10, 0)));
  EXPECT_FALSE(knownTimeZone("Mars/Olympus"));
  EXPECT_TRUE(knownTimeZone("Asia/Shanghai"));
  auto problems = calendarProblems(c);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "unknown time zone 'Mars/Olympus'");
  EXPECT_TRUE(calendarProblems(officeHours("Europe/Berlin")).empty());
}

TEST(Calendar, ParsesRangesAndDates) {
  auto r = parseTimeRange("9:30-17:05");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->startMin, 570);
  EXPECT_EQ(r->endMin, 1025);
  EXPECT_FALSE(parseTimeRange("0930-1700").ok());
  EXPECT_FALSE(parseTimeRange("09:00").ok());
  EXPECT_FALSE(parseTimeRange("a:00-b:00").ok());
  auto d = parseLocalDate("2026-10-01");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->year, 2026);
  EXPECT_EQ(d->month, 10);
  EXPECT_FALSE(parseLocalDate("2026-1-1").ok());
  EXPECT_FALSE(parseLocalDate("20261001").ok());
}

}  // namespace
}  // namespace sb::flow
