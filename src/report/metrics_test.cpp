// Metric definitions against hand-computed scenarios: the SL variants, short abandons and
// callbacks, empty periods (no value), the roll-up of CDRs into intervals, periods from 15
// minutes to a year, agent occupancy.

#include "report/metrics.h"

#include <gtest/gtest.h>

#include "report/cdr_builder.h"

namespace sb::report {
namespace {

using store::Cdr;
using store::Disposition;

constexpr std::int64_t kT0 = 1796133600000;  // 2026-12-01 14:00:00 UTC
constexpr std::int64_t kMin = 60 * 1000;

Cdr cdr(Disposition d, std::int64_t waitMs, std::int64_t talkMs = 0, std::int64_t holdMs = 0,
        std::int64_t wrapUpMs = 0, const char* queue = "sales", std::int64_t queuedMs = kT0) {
  Cdr c;
  c.tenant = "acme";
  c.queue = queue;
  c.queuedMs = queuedMs;
  c.disposition = d;
  c.waitMs = waitMs;
  c.talkMs = talkMs;
  c.holdMs = holdMs;
  c.wrapUpMs = wrapUpMs;
  classify(c, Thresholds{});  // SL 20 s, short abandon 5 s
  return c;
}

// 3 answered (2 within 20 s), 3 abandoned (1 short, 2 within 20 s), a callback, a left.
std::vector<Cdr> mixedHour() {
  return {cdr(Disposition::kAnswered, 10000, 100000, 10000, 20000),
          cdr(Disposition::kAnswered, 30000, 200000, 0, 10000),
          cdr(Disposition::kAnswered, 5000, 60000),
          cdr(Disposition::kAbandoned, 3000),
          cdr(Disposition::kAbandoned, 15000),
          cdr(Disposition::kAbandoned, 40000),
          cdr(Disposition::kCallback, 50000),
          cdr(Disposition::kLeft, 120000)};
}

TEST(Metrics, SumsOfAMixedInterval) {
  auto rows = rollUp(mixedHour());
  ASSERT_EQ(rows.size(), 1u);
  const auto& s = rows[0];
  EXPECT_EQ(s.offered, 8);
  EXPECT_EQ(s.answered, 3);
  EXPECT_EQ(s.abandoned, 3);
  EXPECT_EQ(s.shortAbandoned, 1);
  EXPECT_EQ(s.callbacks, 1);
  EXPECT_EQ(s.left, 1);
  EXPECT_EQ(s.answeredInSl, 2);
  EXPECT_EQ(s.abandonedInSl, 2);
  EXPECT_EQ(s.waitAnsweredMs, 45000);
  EXPECT_EQ(s.waitAbandonedMs, 58000);
  EXPECT_EQ(s.maxWaitMs, 120000);
  EXPECT_EQ(s.talkMs, 360000);
  EXPECT_EQ(s.holdMs, 10000);
  EXPECT_EQ(s.wrapUpMs, 30000);
}

TEST(Metrics, ServiceLevelVariants) {
  auto s = rollUp(mixedHour())[0];
  auto sl = [&](SlVariant v) { return queueFigures(s, v).serviceLevel; };
  Figure a = sl(SlVariant::kAnsweredOverAnswered);
  ASSERT_TRUE(a.value);
  EXPECT_DOUBLE_EQ(*a.value, 100.0 * 2 / 3);
  EXPECT_EQ(a.formula, "100 * answered_in_sl / answered = 100 * 2 / 3");
  EXPECT_EQ(a.unit, "%");
  // offered minus the short abandon and the callback: 8 - 1 - 1 = 6.
  Figure o = sl(SlVariant::kAnsweredOverOffered);
  ASSERT_TRUE(o.value);
  EXPECT_DOUBLE_EQ(*o.value, 100.0 * 2 / 6);
  EXPECT_EQ(
      o.formula,
      "100 * answered_in_sl / (offered - short_abandoned - callbacks) = 100 * 2 / (8 - 1 - 1)");
  Figure w = sl(SlVariant::kAnsweredAndAbandonedOverOffered);
  ASSERT_TRUE(w.value);
  EXPECT_DOUBLE_EQ(*w.value, 100.0 * (2 + 2) / 6);
  EXPECT_EQ(w.formula,
            "100 * (answered_in_sl + abandoned_in_sl) / (offered - short_abandoned - callbacks) = "
            "100 * (2 + 2) / (8 - 1 - 1)");
}

TEST(Metrics, AveragesAndRates) {
  QueueFigures f = queueFigures(rollUp(mixedHour())[0], SlVariant::kAnsweredOverAnswered);
  EXPECT_EQ(f.queue, "sales");
  EXPECT_EQ(f.offered.value, 8.0);
  EXPECT_EQ(f.offered.formula, "offered = 8");
  EXPECT_EQ(f.callbacks.value, 1.0);
  EXPECT_EQ(f.left.value, 1.0);
  ASSERT_TRUE(f.asa.value && f.aht.value && f.averageAbandonTime.value && f.abandonRate.value);
  EXPECT_DOUBLE_EQ(*f.asa.value, 15000.0);
  EXPECT_EQ(f.asa.formula, "wait_answered_ms / answered = 45000 / 3");
  EXPECT_EQ(f.asa.unit, "ms");
  EXPECT_DOUBLE_EQ(*f.aht.value, (360000.0 + 10000 + 30000) / 3);
  EXPECT_EQ(f.aht.formula,
            "(talk_ms + hold_ms + wrap_up_ms) / answered = (360000 + 10000 + 30000) / 3");
  EXPECT_DOUBLE_EQ(*f.averageAbandonTime.value, 58000.0 / 3);
  // The short abandon is neither an abandon nor offered for the rate; the callback is not
  // an abandon.
  EXPECT_DOUBLE_EQ(*f.abandonRate.value, 100.0 * 2 / 6);
  EXPECT_EQ(f.longestWait.value, 120000.0);
}

TEST(Metrics, EmptyIntervalHasNoValuesNotZeros) {
  store::IntervalSums empty;
  for (auto v : {SlVariant::kAnsweredOverAnswered, SlVariant::kAnsweredOverOffered,
                 SlVariant::kAnsweredAndAbandonedOverOffered}) {
    QueueFigures f = queueFigures(empty, v);
    EXPECT_FALSE(f.serviceLevel.value);
    EXPECT_FALSE(f.abandonRate.value);
    EXPECT_FALSE(f.asa.value);
    EXPECT_FALSE(f.aht.value);
    EXPECT_FALSE(f.averageAbandonTime.value);
    EXPECT_FALSE(f.longestWait.value);
    EXPECT_EQ(f.offered.value, 0.0);  // counts are always defined
    EXPECT_NE(f.serviceLevel.formula.find("no value"), std::string::npos);
  }
}

TEST(Metrics, OnlyShortAbandonsAndCallbacksLeaveNothingToMeasure) {
  auto s = rollUp({cdr(Disposition::kAbandoned, 2000), cdr(Disposition::kAbandoned, 4000),
                   cdr(Disposition::kCallback, 60000)})[0];
  EXPECT_EQ(s.shortAbandoned, 2);
  EXPECT_FALSE(queueFigures(s, SlVariant::kAnsweredOverOffered).serviceLevel.value);
  EXPECT_FALSE(queueFigures(s, SlVariant::kAnsweredAndAbandonedOverOffered).serviceLevel.value);
  EXPECT_FALSE(queueFigures(s, SlVariant::kAnsweredOverAnswered).serviceLevel.value);
  QueueFigures f = queueFigures(s, SlVariant::kAnsweredOverOffered);
  EXPECT_FALSE(f.abandonRate.value);
  ASSERT_TRUE(f.averageAbandonTime.value);  // short abandons still have a wait
  EXPECT_DOUBLE_EQ(*f.averageAbandonTime.value, 3000.0);
  EXPECT_EQ(f.longestWait.value, 60000.0);
}

TEST(Metrics, ShortAbandonThresholdIsInclusive) {
  Cdr atThreshold = cdr(Disposition::kAbandoned, 5000);
  Cdr above = cdr(Disposition::kAbandoned, 5001);
  EXPECT_TRUE(atThreshold.shortAbandon);
  EXPECT_FALSE(above.shortAbandon);
  EXPECT_TRUE(above.abandonedInSl);
  Cdr answeredLate = cdr(Disposition::kAnswered, 20001);
  EXPECT_FALSE(answeredLate.answeredInSl);
  EXPECT_FALSE(answeredLate.shortAbandon);
  EXPECT_TRUE(cdr(Disposition::kAnswered, 20000).answeredInSl);
  EXPECT_FALSE(cdr(Disposition::kCallback, 1000).shortAbandon);
  EXPECT_FALSE(cdr(Disposition::kLeft, 1000).abandonedInSl);
}

TEST(Metrics, RollUpKeysByTenantQueueAndQueuedInterval) {
  std::vector<Cdr> cdrs = {
      cdr(Disposition::kAnswered, 1000, 5000, 0, 0, "sales", kT0 + 15 * kMin - 1),
      cdr(Disposition::kAnswered, 2000, 6000, 0, 0, "sales", kT0 + 15 * kMin),
      cdr(Disposition::kAbandoned, 9000, 0, 0, 0, "support", kT0),
      cdr(Disposition::kInterrupted, 7000, 3000, 0, 0, "sales", kT0 + 1),
      cdr(Disposition::kSelfService, 0, 0, 0, 0, "", kT0),  // no queue: not in any interval
  };
  cdrs[2].tenant = "beta";
  auto rows = rollUp(cdrs);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].tenant, "acme");
  EXPECT_EQ(rows[0].intervalStartMs, kT0);
  EXPECT_EQ(rows[0].queue, "sales");
  EXPECT_EQ(rows[0].offered, 2);  // the interrupted call was offered, not answered
  EXPECT_EQ(rows[0].answered, 1);
  EXPECT_EQ(rows[0].talkMs, 5000);  // handle time of answered calls only
  EXPECT_EQ(rows[0].maxWaitMs, 7000);
  EXPECT_EQ(rows[1].intervalStartMs, kT0 + 15 * kMin);
  EXPECT_EQ(rows[2].tenant, "beta");
  EXPECT_EQ(rows[2].queue, "support");
  EXPECT_EQ(intervalOf(cdrs[0]), kT0);
  EXPECT_EQ(intervalOf(cdrs[1]), kT0 + 15 * kMin);
  // Adding one by one is the same as rolling up.
  store::IntervalSums one;
  addCdr(one, cdrs[0]);
  addCdr(one, cdrs[3]);
  EXPECT_EQ(one.offered, rows[0].offered);
  EXPECT_EQ(one.maxWaitMs, rows[0].maxWaitMs);
}

TEST(Metrics, SlVariantNames) {
  for (auto v : {SlVariant::kAnsweredOverAnswered, SlVariant::kAnsweredOverOffered,
                 SlVariant::kAnsweredAndAbandonedOverOffered}) {
    EXPECT_EQ(parseSlVariant(slVariantName(v)), v);
  }
  EXPECT_FALSE(parseSlVariant("asa"));
}

}  // namespace
}  // namespace sb::report
