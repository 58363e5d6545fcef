// Grouping interval sums into report periods (15 minutes to a year, local offsets) and agent
// figures (time per state clipped to the range, occupancy).

#include <gtest/gtest.h>

#include "report/metrics.h"

namespace sb::report {
namespace {

constexpr std::int64_t kMin = 60 * 1000;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kYear2025 = 1735689600000;  // 2025-01-01 00:00:00 UTC
constexpr std::int64_t kYear2026 = 1767225600000;

store::IntervalSums row(const char* queue, std::int64_t at, std::int64_t offered,
                        std::int64_t answered, std::int64_t maxWaitMs = 0) {
  store::IntervalSums s;
  s.tenant = "acme";
  s.queue = queue;
  s.intervalStartMs = at;
  s.offered = offered;
  s.answered = answered;
  s.answeredInSl = answered;
  s.maxWaitMs = maxWaitMs;
  return s;
}

// Issue 5's report: per-queue figures by 15 minutes over a month for 20 queues (57,600 rows)
// fits; beyond kMaxReportRows rows the request is refused, not answered with gigabytes.
TEST(Periods, AMonthByQuarterHourForTwentyQueuesFitsAndTooManyRowsAreRefused) {
  const std::int64_t month = 30 * kDay;
  std::vector<store::IntervalSums> rows;
  for (int q = 0; q < 20; ++q) rows.push_back(row(("q" + std::to_string(q)).c_str(), kYear2025, 1, 1));
  auto r = groupIntervals(rows, kYear2025, kYear2025 + month, Grain::kQuarterHour, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 20u * 2880u);
  for (int q = 20; q < 80; ++q) rows.push_back(row(("q" + std::to_string(q)).c_str(), kYear2025, 1, 1));
  auto big = groupIntervals(rows, kYear2025, kYear2025 + month, Grain::kQuarterHour, true);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::kInvalidInput);
}

TEST(Periods, AYearByMonthHasCalendarMonths) {
  std::vector<store::IntervalSums> rows = {row("sales", kYear2025, 3, 3, 1000),
                                           row("sales", kYear2025 + 31 * kDay, 2, 1, 9000),
                                           row("support", kYear2025 + 40 * kDay, 5, 5, 4000),
                                           row("sales", kYear2026 - 15 * kMin, 1, 0, 7000),
                                           row("sales", kYear2026, 100, 100)};  // outside
  auto r = groupIntervals(rows, kYear2025, kYear2026, Grain::kMonth, false);
  ASSERT_TRUE(r.ok());
  const auto& p = *r;
  ASSERT_EQ(p.size(), 12u);
  EXPECT_EQ(p[0].fromMs, kYear2025);
  EXPECT_EQ(p[0].toMs, kYear2025 + 31 * kDay);
  EXPECT_EQ(p[1].toMs, kYear2025 + (31 + 28) * kDay);  // 2025 is not a leap year
  EXPECT_EQ(p[11].fromMs, kYear2026 - 31 * kDay);
  EXPECT_EQ(p[11].toMs, kYear2026);
  EXPECT_EQ(p[0].sums.offered, 3);
  EXPECT_EQ(p[1].sums.offered, 7);  // sales + support in February
  EXPECT_EQ(p[1].sums.maxWaitMs, 9000);
  EXPECT_EQ(p[1].sums.queue, "");
  EXPECT_EQ(p[11].sums.offered, 1);
  EXPECT_EQ(p[5].sums.offered, 0);  // June: present, empty
  EXPECT_FALSE(queueFigures(p[5].sums, SlVariant::kAnsweredOverAnswered).serviceLevel.value);
  // The whole year at once.
  auto whole = groupIntervals(rows, kYear2025, kYear2026, Grain::kWhole, false);
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->size(), 1u);
  EXPECT_EQ((*whole)[0].sums.offered, 11);
  EXPECT_EQ((*whole)[0].sums.answered, 9);
  QueueFigures f = queueFigures((*whole)[0].sums, SlVariant::kAnsweredOverAnswered);
  EXPECT_DOUBLE_EQ(*f.serviceLevel.value, 100.0);
}

TEST(Periods, AYearByQuarterHourAndByDay) {
  auto q = groupIntervals({}, kYear2025, kYear2026, Grain::kQuarterHour, false);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->size(), 365u * 96);
  auto d = groupIntervals({}, kYear2025, kYear2026, Grain::kDay, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size(), 365u);
  auto tooMany = groupIntervals({}, kYear2025, kYear2026 + 365 * kDay, Grain::kQuarterHour, false);
  EXPECT_FALSE(tooMany.ok());
  EXPECT_EQ(tooMany.error().code, Errc::kInvalidInput);
}

TEST(Periods, PerQueueRowsForEveryPeriod) {
  std::int64_t t = kYear2025 + 9 * kHour;
  std::vector<store::IntervalSums> rows = {row("sales", t, 1, 1), row("sales", t + 15 * kMin, 2, 1),
                                           row("support", t + 75 * kMin, 4, 4)};
  auto r = groupIntervals(rows, t, t + 2 * kHour, Grain::kHour, true);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4u);  // 2 hours x 2 queues, by period then queue
  EXPECT_EQ((*r)[0].sums.queue, "sales");
  EXPECT_EQ((*r)[0].sums.offered, 3);
  EXPECT_EQ((*r)[1].sums.queue, "support");
  EXPECT_EQ((*r)[1].sums.offered, 0);
  EXPECT_EQ((*r)[3].sums.queue, "support");
  EXPECT_EQ((*r)[3].sums.offered, 4);
  EXPECT_EQ((*r)[3].fromMs, t + kHour);
  EXPECT_EQ((*r)[3].sums.intervalStartMs, t + kHour);
}

TEST(Periods, LocalDaysAndUnalignedRanges) {
  // UTC+8: local days start at 16:00 UTC.
  std::int64_t from = kYear2025 + 10 * kHour;
  auto r = groupIntervals({row("sales", kYear2025 + 15 * kHour + 45 * kMin, 1, 1),
                           row("sales", kYear2025 + 16 * kHour, 2, 2)},
                          from, from + 2 * kDay, Grain::kDay, false, 8 * 60);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);  // a partial first day, a full day, a partial last day
  EXPECT_EQ((*r)[0].fromMs, from);
  EXPECT_EQ((*r)[0].toMs, kYear2025 + 16 * kHour);
  EXPECT_EQ((*r)[0].sums.offered, 1);
  EXPECT_EQ((*r)[1].toMs, kYear2025 + 16 * kHour + kDay);
  EXPECT_EQ((*r)[1].sums.offered, 2);
  EXPECT_EQ((*r)[2].toMs, from + 2 * kDay);
  // A 15-minute range is one period.
  auto one = groupIntervals({}, from, from + 15 * kMin, Grain::kHour, false);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
  EXPECT_FALSE(groupIntervals({}, from, from, Grain::kDay, false).ok());
  EXPECT_FALSE(groupIntervals({}, from, from + kDay, Grain::kDay, false, 7).ok());
}

store::AgentStateInterval interval(const char* agent, const char* state, std::int64_t from,
                                   std::int64_t to, const char* reason = "") {
  return {1, "acme", agent, state, reason, from, to};
}

TEST(AgentFigures, TimeInStateIsClippedAndOccupancyDefined) {
  std::int64_t t = kYear2025;
  std::vector<store::AgentStateInterval> rows = {
      interval("alice", "ready", t - 10 * kMin, t + 10 * kMin),  // 10 min inside
      interval("alice", "offered", t + 10 * kMin, t + 11 * kMin),
      interval("alice", "on_call", t + 11 * kMin, t + 41 * kMin),
      interval("alice", "wrap_up", t + 41 * kMin, t + 45 * kMin),
      interval("alice", "not_ready", t + 45 * kMin, t + 55 * kMin, "lunch"),
      interval("alice", "logged_out", t + 55 * kMin, t + 2 * kHour),  // 5 min inside
      interval("bob", "not_ready", t, t + kHour, "training"),
      interval("carol", "ready", t + 2 * kHour, t + 3 * kHour),  // outside the range
  };
  auto f = agentFigures(rows, t, t + kHour);
  ASSERT_EQ(f.size(), 2u);
  const AgentFigures& a = f[0];
  EXPECT_EQ(a.agent, "alice");
  EXPECT_EQ(a.stateMs.at("ready"), 10 * kMin);
  EXPECT_EQ(a.stateMs.at("logged_out"), 5 * kMin);
  EXPECT_EQ(a.loggedInMs, 55 * kMin);
  EXPECT_EQ(a.notReadyByReasonMs.at("lunch"), 10 * kMin);
  ASSERT_TRUE(a.occupancy.value);
  // (30 + 4) / (30 + 4 + 10 + 1)
  EXPECT_DOUBLE_EQ(*a.occupancy.value, 100.0 * 34 / 45);
  EXPECT_EQ(a.occupancy.unit, "%");
  const AgentFigures& b = f[1];
  EXPECT_EQ(b.agent, "bob");
  EXPECT_FALSE(b.occupancy.value);  // not ready all along: no value, not 0 %
  EXPECT_EQ(b.loggedInMs, kHour);
  // Calls handled come from the CDRs.
  store::Cdr c;
  c.tenant = "acme";
  c.agent = "alice";
  c.disposition = store::Disposition::kAnswered;
  c.acceptedMs = t + 11 * kMin;
  store::Cdr outside = c;
  outside.acceptedMs = t + kHour;
  store::Cdr abandoned = c;
  abandoned.disposition = store::Disposition::kAbandoned;
  countHandled({c, outside, abandoned}, f);
  EXPECT_EQ(f[0].handled, 1);
  EXPECT_EQ(f[1].handled, 0);
}

}  // namespace
}  // namespace sb::report
