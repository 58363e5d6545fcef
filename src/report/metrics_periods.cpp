// Interval sums: the roll-up of CDRs into 15-minute rows (the store's rule) and the grouping of
// rows into report periods (docs/metrics.md "Intervals").

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

#include "report/metrics.h"

namespace sb::report {

namespace {

constexpr std::int64_t kHourMs = 60 * 60 * 1000;
constexpr std::int64_t kDayMs = 24 * kHourMs;

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::int64_t nextMultiple(std::int64_t local, std::int64_t step) {
  return (floorDiv(local, step) + 1) * step;
}

// The first period boundary after `t` (UTC ms) for `grain` at local offset `offMs`.
std::int64_t nextBoundary(std::int64_t t, Grain grain, std::int64_t offMs, std::int64_t toMs) {
  std::int64_t local = t + offMs;
  switch (grain) {
    case Grain::kQuarterHour:
      return nextMultiple(local, store::kIntervalMs) - offMs;
    case Grain::kHour:
      return nextMultiple(local, kHourMs) - offMs;
    case Grain::kDay:
      return nextMultiple(local, kDayMs) - offMs;
    case Grain::kMonth: {
      using namespace std::chrono;
      sys_days day{days{floorDiv(local, kDayMs)}};
      year_month_day ymd{day};
      year_month next = year_month{ymd.year(), ymd.month()} + months{1};
      sys_days first{next / std::chrono::day{1}};
      return static_cast<std::int64_t>(first.time_since_epoch().count()) * kDayMs - offMs;
    }
    case Grain::kWhole:
      return toMs;
  }
  return toMs;
}

}  // namespace

std::int64_t intervalOf(const store::Cdr& cdr) {
  return floorDiv(cdr.queuedMs, store::kIntervalMs) * store::kIntervalMs;
}

void addCdr(store::IntervalSums& s, const store::Cdr& cdr) {
  using D = store::Disposition;
  ++s.offered;
  s.maxWaitMs = std::max(s.maxWaitMs, cdr.waitMs);
  switch (cdr.disposition) {
    case D::kAnswered:
      ++s.answered;
      s.waitAnsweredMs += cdr.waitMs;
      // Handle time counts for answered calls only, so that AHT = sums / answered.
      s.talkMs += cdr.talkMs;
      s.holdMs += cdr.holdMs;
      s.wrapUpMs += cdr.wrapUpMs;
      if (cdr.answeredInSl) ++s.answeredInSl;
      break;
    case D::kAbandoned:
      ++s.abandoned;
      s.waitAbandonedMs += cdr.waitMs;
      if (cdr.shortAbandon) ++s.shortAbandoned;
      if (cdr.abandonedInSl) ++s.abandonedInSl;
      break;
    case D::kCallback:
      ++s.callbacks;
      break;
    case D::kLeft:
      ++s.left;
      break;
    default:
      break;  // interrupted (or anything else with a queue): offered only
  }
}

std::vector<store::IntervalSums> rollUp(const std::vector<store::Cdr>& cdrs) {
  std::map<std::tuple<std::string, std::int64_t, std::string>, store::IntervalSums> rows;
  for (const auto& c : cdrs) {
    if (c.queue.empty()) continue;
    std::int64_t at = intervalOf(c);
    auto [it, inserted] = rows.try_emplace({c.tenant, at, c.queue});
    if (inserted) {
      it->second.tenant = c.tenant;
      it->second.queue = c.queue;
      it->second.intervalStartMs = at;
    }
    addCdr(it->second, c);
  }
  std::vector<store::IntervalSums> out;
  out.reserve(rows.size());
  for (auto& [key, s] : rows) out.push_back(std::move(s));
  return out;
}

Result<std::vector<PeriodSums>> groupIntervals(const std::vector<store::IntervalSums>& rows,
                                               std::int64_t fromMs, std::int64_t toMs, Grain grain,
                                               bool perQueue, int utcOffsetMinutes) {
  if (fromMs >= toMs) return fail(Errc::kInvalidInput, "empty report range");
  if (utcOffsetMinutes % 15 != 0 || utcOffsetMinutes < -24 * 60 || utcOffsetMinutes > 24 * 60) {
    return fail(Errc::kInvalidInput, "UTC offset must be a multiple of 15 minutes within a day");
  }
  std::int64_t offMs = std::int64_t{utcOffsetMinutes} * 60 * 1000;
  std::vector<std::int64_t> starts;
  for (std::int64_t t = fromMs; t < toMs; t = std::min(nextBoundary(t, grain, offMs, toMs), toMs)) {
    if (starts.size() >= kMaxPeriods) return fail(Errc::kInvalidInput, "too many report periods");
    starts.push_back(t);
  }
  std::string tenant = rows.empty() ? std::string() : rows.front().tenant;
  // queue ("" when summed over queues) -> sums per period.
  std::map<std::string, std::vector<store::IntervalSums>> byQueue;
  if (!perQueue) byQueue[""].resize(starts.size());
  for (const auto& r : rows) {
    if (r.intervalStartMs < fromMs || r.intervalStartMs >= toMs) continue;
    std::string q = perQueue ? r.queue : std::string();
    auto& periods = byQueue[q];
    if (periods.empty()) {
      if (byQueue.size() * starts.size() > kMaxReportRows) {
        return fail(Errc::kInvalidInput, "too many report rows (periods x queues)");
      }
      periods.resize(starts.size());
    }
    auto at =
        std::upper_bound(starts.begin(), starts.end(), r.intervalStartMs) - starts.begin() - 1;
    addSums(periods[static_cast<std::size_t>(at)], r);
  }
  std::vector<PeriodSums> out;
  out.reserve(starts.size() * std::max<std::size_t>(1, byQueue.size()));
  for (std::size_t i = 0; i < starts.size(); ++i) {
    std::int64_t end = i + 1 < starts.size() ? starts[i + 1] : toMs;
    for (auto& [queue, periods] : byQueue) {
      PeriodSums p{starts[i], end, periods[i]};
      p.sums.tenant = tenant;
      p.sums.queue = queue;
      p.sums.intervalStartMs = starts[i];
      out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace sb::report
