#pragma once
// Business-hours evaluation: a Calendar (flow.h) at a wall-clock instant, in the calendar's
// own IANA time zone (OS tz database through date/tz.h, kept out of this header). Pure apart
// from reading /usr/share/zoneinfo on first use of a zone; control loop or any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"

namespace sb::flow {

/// True when `timezone` names a zone of the tz database ("Asia/Shanghai", "UTC").
bool knownTimeZone(std::string_view timezone);

/// What is wrong with a calendar (unknown zone, hours out of 00:00-24:00, empty or
/// overlapping ranges, impossible dates); empty when it is usable.
std::vector<std::string> calendarProblems(const Calendar& calendar);

/// True when the calendar is open at `unixMs` (ms since the Unix epoch). A range that ends
/// before it starts ("22:00-06:00") runs past midnight into the next day; holidays and special
/// days replace the hours of the day they fall on. Unknown zone: closed.
bool isOpen(const Calendar& calendar, std::int64_t unixMs);

/// Parses "HH:MM-HH:MM" (hours 0-24); kInvalidInput when the text does not have that shape.
/// Values are not range-checked here (calendarProblems does).
Result<TimeRange> parseTimeRange(std::string_view text);

/// Parses "YYYY-MM-DD"; kInvalidInput when the text does not have that shape.
Result<LocalDate> parseLocalDate(std::string_view text);

}  // namespace sb::flow
