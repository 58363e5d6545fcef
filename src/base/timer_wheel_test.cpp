#include "base/timer_wheel.h"

#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace sb {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Duration kTick = milliseconds(10);
constexpr Duration kRevolution = kTick * 4096;  // 40.96 s

class TimerWheelTest : public ::testing::Test {
 protected:
  std::size_t step(Duration d) {
    clock.advance(d);
    return wheel.advance(clock.now());
  }
  // Advances in `resolution` steps until `flag` is set or `limit` passes; returns time taken.
  Duration runUntil(const bool& flag, Duration limit, Duration resolution = milliseconds(1)) {
    TimePoint begin = clock.now();
    while (!flag && clock.now() - begin < limit) step(resolution);
    return clock.now() - begin;
  }

  ManualClock clock;
  TimerWheel wheel{clock.now()};
};

TEST_F(TimerWheelTest, FiresAtItsTickNotBefore) {
  bool fired = false;
  wheel.start(milliseconds(100), [&] { fired = true; });
  EXPECT_EQ(runUntil(fired, seconds(1)), milliseconds(100));
  fired = false;
  wheel.start(milliseconds(101), [&] { fired = true; });  // rounded up to the tick
  EXPECT_EQ(runUntil(fired, seconds(1)), milliseconds(110));
}

TEST_F(TimerWheelTest, NeverEarlyAndAtMostOneTickLateFromAnyStartTime) {
  const Duration resolution = microseconds(100);  // how often the test advances the wheel
  const Duration delays[] = {milliseconds(1),   milliseconds(10),  milliseconds(15),
                             milliseconds(500), milliseconds(999), seconds(32)};
  for (Duration offset :
       {Duration::zero(), Duration(milliseconds(3)), Duration(microseconds(9999))}) {
    for (Duration delay : delays) {
      step(offset);  // start at, and off, a tick boundary
      TimePoint startedAt = clock.now();
      bool fired = false;
      TimePoint firedAt;
      wheel.start(delay, [&] {
        fired = true;
        firedAt = clock.now();
      });
      runUntil(fired, delay + 2 * kTick, resolution);
      ASSERT_TRUE(fired) << delay.count();
      EXPECT_GE(firedAt - startedAt, delay) << delay.count();
      EXPECT_LT(firedAt - startedAt, delay + kTick + resolution) << delay.count();
    }
  }
}

TEST_F(TimerWheelTest, ZeroDelayRunsOnTheNextTick) {
  bool fired = false;
  wheel.start(Duration::zero(), [&] { fired = true; });
  EXPECT_EQ(wheel.advance(clock.now()), 0u);
  EXPECT_EQ(step(milliseconds(9)), 0u);
  EXPECT_EQ(step(milliseconds(1)), 1u);
  EXPECT_TRUE(fired);
}

TEST_F(TimerWheelTest, NegativeDelayCountsAsZero) {
  bool fired = false;
  wheel.start(-seconds(5), [&] { fired = true; });
  EXPECT_EQ(step(kTick), 1u);
  EXPECT_TRUE(fired);
}

TEST_F(TimerWheelTest, CancelBeforeFire) {
  int fired = 0;
  TimerId id = wheel.start(milliseconds(50), [&] { ++fired; });
  EXPECT_TRUE(id.valid());
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_TRUE(wheel.cancel(id));
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_FALSE(wheel.cancel(id));  // twice
  EXPECT_EQ(step(seconds(1)), 0u);
  EXPECT_EQ(fired, 0);
}

TEST_F(TimerWheelTest, CancelOfFiredIdReturnsFalse) {
  TimerId id = wheel.start(milliseconds(20), [] {});
  EXPECT_EQ(step(milliseconds(20)), 1u);
  EXPECT_FALSE(wheel.cancel(id));
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(TimerWheelTest, InvalidIdsAreRejected) {
  EXPECT_FALSE(TimerId{}.valid());
  EXPECT_FALSE(wheel.cancel(TimerId{}));
  EXPECT_FALSE(wheel.cancel(TimerId{12345, 1}));  // never allocated
  TimerId id = wheel.start(seconds(1), [] {});
  EXPECT_FALSE(wheel.cancel(TimerId{id.index, id.generation + 1}));  // a future generation
  EXPECT_FALSE(wheel.cancel(TimerId{id.index, 0}));
  EXPECT_EQ(wheel.size(), 1u);
}

TEST_F(TimerWheelTest, StaleIdAfterNodeReuseDoesNotCancelTheNewTimer) {
  int fired = 0;
  TimerId cancelled = wheel.start(milliseconds(50), [&] { fired += 1; });
  ASSERT_TRUE(wheel.cancel(cancelled));
  TimerId reused = wheel.start(milliseconds(50), [&] { fired += 10; });
  ASSERT_EQ(reused.index, cancelled.index);  // same slab node, new generation
  EXPECT_FALSE(wheel.cancel(cancelled));
  EXPECT_EQ(step(milliseconds(50)), 1u);
  EXPECT_EQ(fired, 10);

  // The same with a fired id: its node is reused by the next start().
  TimerId again = wheel.start(milliseconds(50), [&] { fired += 100; });
  ASSERT_EQ(again.index, reused.index);
  EXPECT_FALSE(wheel.cancel(reused));
  EXPECT_EQ(step(milliseconds(50)), 1u);
  EXPECT_EQ(fired, 110);
}

TEST_F(TimerWheelTest, DelaysBeyondOneRevolutionWaitTheirRounds) {
  bool fired64 = false;
  bool firedRev = false;
  bool firedRevPlus = false;
  bool fired100 = false;
  wheel.start(seconds(64), [&] { fired64 = true; });   // slot 2304, one extra round
  wheel.start(kRevolution, [&] { firedRev = true; });  // exactly one revolution
  wheel.start(kRevolution + kTick, [&] { firedRevPlus = true; });
  wheel.start(seconds(100), [&] { fired100 = true; });  // two extra rounds
  // Pass slot 2304 the first time (23.04 s) without firing.
  for (int i = 0; i < 2400; ++i) step(kTick);
  EXPECT_EQ(wheel.size(), 4u);
  EXPECT_EQ(runUntil(firedRev, seconds(60), kTick), kRevolution - seconds(24));
  EXPECT_FALSE(firedRevPlus);
  EXPECT_EQ(runUntil(firedRevPlus, seconds(60), kTick), kTick);
  EXPECT_EQ(runUntil(fired64, seconds(60), kTick), seconds(64) - kRevolution - kTick);
  EXPECT_FALSE(fired100);
  EXPECT_EQ(runUntil(fired100, seconds(60), kTick), seconds(36));
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(TimerWheelTest, BigJumpFiresEverythingDueInOrder) {
  std::vector<std::string> order;
  auto note = [&](std::string name) { return [&order, name] { order.push_back(name); }; };
  wheel.start(seconds(100), note("100s"));
  wheel.start(seconds(1), note("1s-a"));
  wheel.start(seconds(1) + kRevolution, note("1s+rev"));  // same slot as 1 s, a round later
  wheel.start(seconds(50), note("50s"));
  wheel.start(seconds(1), note("1s-b"));  // same tick as 1s-a, started later
  wheel.start(seconds(1) + 2 * kRevolution, note("1s+2rev"));
  wheel.start(seconds(150), note("150s"));  // due after the jump
  EXPECT_EQ(step(seconds(120)), 6u);
  EXPECT_EQ(order, (std::vector<std::string>{"1s-a", "1s-b", "1s+rev", "50s", "1s+2rev", "100s"}));
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(step(seconds(29)), 0u);
  EXPECT_EQ(step(seconds(1)), 1u);
  EXPECT_EQ(order.back(), "150s");
}

TEST_F(TimerWheelTest, JumpOfYearsVisitsAtMostOneRevolutionOfSlots) {
  // Billions of elapsed ticks: a tick-by-tick catch-up would never finish.
  int fired = 0;
  for (int i = 0; i < 100; ++i) wheel.start(seconds(i * 7), [&] { ++fired; });
  wheel.start(hours(24 * 365 * 10), [&] { fired += 1000; });
  EXPECT_EQ(step(hours(24 * 365 * 5)), 100u);
  EXPECT_EQ(fired, 100);
  EXPECT_EQ(step(hours(24 * 365 * 5)), 1u);
  EXPECT_EQ(fired, 1100);
}

TEST_F(TimerWheelTest, CallbackCancelsSiblingDueInTheSameTick) {
  int fired = 0;
  TimerId sibling;
  TimerId self = wheel.start(milliseconds(10), [&] {
    fired += 1;
    EXPECT_TRUE(wheel.cancel(sibling));  // collected for this tick, not yet run
    EXPECT_FALSE(wheel.cancel(self));    // already firing
  });
  sibling = wheel.start(milliseconds(10), [&] { fired += 10; });
  EXPECT_EQ(step(milliseconds(10)), 1u);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(TimerWheelTest, CallbackCancelsTimerDueLaterInTheSameCatchUp) {
  std::vector<int> order;
  TimerId later;
  wheel.start(seconds(1), [&] {
    order.push_back(1);
    EXPECT_TRUE(wheel.cancel(later));
  });
  later = wheel.start(seconds(2), [&] { order.push_back(2); });
  wheel.start(seconds(3), [&] { order.push_back(3); });
  EXPECT_EQ(step(seconds(60)), 2u);  // also across more than a revolution
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
}

TEST_F(TimerWheelTest, CancelledSiblingsNodeReusedInCallbackDoesNotFireEarly) {
  int fired = 0;
  TimerId sibling;
  TimerId replacement;
  wheel.start(milliseconds(10), [&] {
    ASSERT_TRUE(wheel.cancel(sibling));
    replacement = wheel.start(seconds(1), [&] { fired += 100; });
    EXPECT_EQ(replacement.index, sibling.index);  // the free list hands back its node
  });
  sibling = wheel.start(milliseconds(10), [&] { fired += 10; });
  EXPECT_EQ(step(milliseconds(10)), 1u);
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(step(seconds(1)), 1u);
  EXPECT_EQ(fired, 100);
}

TEST_F(TimerWheelTest, ZeroDelayFromCallbackWaitsForTheNextAdvance) {
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    wheel.start(Duration::zero(), again);  // would loop forever if run in the same advance
  };
  wheel.start(kTick, again);
  EXPECT_EQ(step(kTick), 1u);
  EXPECT_EQ(step(seconds(10)), 1u);  // even when the advance spans many ticks
  EXPECT_EQ(step(kTick), 1u);
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(wheel.size(), 1u);
}

TEST_F(TimerWheelTest, DelaysFromCallbacksCountFromTheAdvanceTime) {
  TimePoint firedAt;
  wheel.start(seconds(1), [&] { wheel.start(seconds(2), [&] { firedAt = clock.now(); }); });
  TimePoint begin = clock.now();
  EXPECT_EQ(step(seconds(5)), 1u);  // the callback runs late, at +5 s
  EXPECT_EQ(step(milliseconds(1990)), 0u);
  EXPECT_EQ(step(kTick), 1u);
  EXPECT_EQ(firedAt - begin, seconds(7));
}

TEST_F(TimerWheelTest, CallbacksGrowingTheSlabAreSafe) {
  int fired = 0;
  wheel.start(kTick, [&] {
    for (int i = 0; i < 10000; ++i) wheel.start(milliseconds(i % 50), [&] { ++fired; });
  });
  EXPECT_EQ(step(kTick), 1u);
  EXPECT_EQ(wheel.size(), 10000u);
  EXPECT_EQ(step(seconds(1)), 10000u);
  EXPECT_EQ(fired, 10000);
}

TEST_F(TimerWheelTest, ThrowingCallbackLeavesTheRestForTheNextAdvance) {
  // Callbacks must not throw (docs/errors.md); if one does, no other timer is lost.
  std::vector<int> order;
  wheel.start(milliseconds(10), [&] { order.push_back(1); });
  wheel.start(milliseconds(10), [] { throw std::runtime_error("bug"); });
  wheel.start(milliseconds(20), [&] { order.push_back(3); });
  wheel.start(seconds(1), [&] { order.push_back(4); });
  EXPECT_THROW(step(milliseconds(20)), std::runtime_error);
  EXPECT_EQ(order, (std::vector<int>{1}));
  EXPECT_EQ(wheel.size(), 2u);
  EXPECT_EQ(wheel.untilNext(clock.now()), Duration::zero());
  EXPECT_EQ(step(milliseconds(10)), 1u);
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  EXPECT_EQ(step(seconds(1)), 1u);
  EXPECT_EQ(order, (std::vector<int>{1, 3, 4}));
}

TEST_F(TimerWheelTest, SizeCountsLiveTimers) {
  std::size_t seenInCallback = 99;
  TimerId a = wheel.start(milliseconds(10), [&] { seenInCallback = wheel.size(); });
  TimerId b = wheel.start(milliseconds(20), [] {});
  wheel.start(milliseconds(30), [] {});
  EXPECT_EQ(wheel.size(), 3u);
  EXPECT_TRUE(wheel.cancel(b));
  EXPECT_FALSE(wheel.cancel(b));
  EXPECT_EQ(wheel.size(), 2u);
  EXPECT_EQ(step(milliseconds(10)), 1u);
  EXPECT_EQ(seenInCallback, 1u);  // the firing timer no longer counts
  EXPECT_FALSE(wheel.cancel(a));
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(step(milliseconds(20)), 1u);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(TimerWheelTest, UntilNextArmsTheLoopTimer) {
  EXPECT_EQ(wheel.untilNext(clock.now()), std::nullopt);
  TimerId id = wheel.start(milliseconds(250), [] {});
  EXPECT_EQ(wheel.untilNext(clock.now()), milliseconds(250));
  step(milliseconds(100));
  EXPECT_EQ(wheel.untilNext(clock.now()), milliseconds(150));
  EXPECT_EQ(wheel.untilNext(clock.now() + milliseconds(149)), milliseconds(1));
  EXPECT_EQ(wheel.untilNext(clock.now() + seconds(1)), Duration::zero());  // overdue
  ASSERT_TRUE(wheel.cancel(id));
  EXPECT_EQ(wheel.untilNext(clock.now()), std::nullopt);

  // Beyond a revolution: capped, and never later than the timer.
  wheel.start(seconds(64), [] {});
  std::optional<Duration> d = wheel.untilNext(clock.now());
  ASSERT_TRUE(d.has_value());
  EXPECT_LE(*d, kRevolution);
  EXPECT_LE(*d, seconds(64));
  for (int i = 0; i < 10 && wheel.size() > 0; ++i) step(*wheel.untilNext(clock.now()));
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_EQ(clock.now(), TimePoint(hours(1)) + milliseconds(100) + seconds(64));
}

// 100k random operations, with callbacks that start and cancel, checked against a reference
// model: a multimap from the expected firing tick boundary to the timer.
struct WheelShape {
  Duration tick;
  std::size_t slots;
};
void PrintTo(const WheelShape& shape, std::ostream* os) {
  *os << shape.slots << " slots of " << shape.tick.count() << " ns";
}

class TimerWheelModelTest : public ::testing::TestWithParam<WheelShape> {};

TEST_P(TimerWheelModelTest, RandomOperationsMatchReferenceModel) {
  const Duration tick = GetParam().tick;
  const Duration revolution = tick * static_cast<Duration::rep>(GetParam().slots);
  ManualClock clock;
  const TimePoint origin = clock.now();
  TimerWheel wheel(origin, tick, GetParam().slots);
  std::mt19937_64 rng(20240611);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };

  struct Entry {
    TimerId id;
    std::multimap<TimePoint, int>::iterator due;
  };
  std::multimap<TimePoint, int> model;  // expected firing boundary -> key
  std::unordered_map<int, Entry> live;  // key -> wheel id, model entry
  std::vector<TimerId> dead;            // fired or cancelled ids
  TimePoint wheelNow = origin;          // the last advance()
  int nextKey = 0;
  std::size_t firedTotal = 0;

  auto randomDelay = [&] {
    std::int64_t r = uniform(0, 99);
    if (r < 5) return Duration::zero();
    Duration max = r < 90 ? tick * 64 : 3 * revolution;
    return Duration(uniform(0, max.count()));
  };
  std::function<void()> startOne;
  auto cancelRandom = [&] {
    if (live.empty()) return;
    auto it = live.begin();
    std::advance(it, uniform(0, static_cast<std::int64_t>(live.size()) - 1));
    ASSERT_TRUE(wheel.cancel(it->second.id));
    dead.push_back(it->second.id);
    model.erase(it->second.due);
    live.erase(it);
  };
  auto onFire = [&](int key) {
    auto it = live.find(key);
    ASSERT_NE(it, live.end()) << "fired a cancelled timer";
    ASSERT_FALSE(model.empty());
    // The next firing must be the model's earliest, and due by now.
    ASSERT_EQ(model.begin()->second, key) << "out of order";
    ASSERT_LE(model.begin()->first, wheelNow) << "fired early";
    model.erase(model.begin());
    dead.push_back(it->second.id);
    live.erase(it);
    ++firedTotal;
    std::int64_t r = uniform(0, 99);
    if (r < 20) startOne();
    if (r >= 10 && r < 25) cancelRandom();  // often a sibling due in the same advance
  };
  startOne = [&] {
    Duration delay = randomDelay();
    // Reference rule: the first tick boundary at or after now+delay, and strictly after the
    // tick containing now.
    Duration at = (wheelNow - origin) + delay;
    std::int64_t ceilTicks = (at.count() + tick.count() - 1) / tick.count();
    std::int64_t nowTicks = (wheelNow - origin) / tick;
    TimePoint boundary = origin + tick * std::max(ceilTicks, nowTicks + 1);
    ASSERT_GE(boundary, wheelNow + delay);
    ASSERT_LT(boundary, wheelNow + std::max(delay, Duration(1)) + tick);
    int key = nextKey++;
    TimerId id = wheel.start(delay, [&onFire, key] { onFire(key); });
    live[key] = Entry{id, model.emplace(boundary, key)};
  };

  for (int op = 0; op < 100000; ++op) {
    std::int64_t r = uniform(0, 99);
    if (r < 45) {
      startOne();
    } else if (r < 60) {
      cancelRandom();
    } else if (r < 65) {
      if (!dead.empty()) {
        EXPECT_FALSE(wheel.cancel(dead[static_cast<std::size_t>(
            uniform(0, static_cast<std::int64_t>(dead.size()) - 1))]));
      }
    } else {
      Duration dt = r < 99 ? Duration(uniform(0, (tick * 20).count()))
                           : Duration(uniform(0, (2 * revolution).count()));  // a pause
      clock.advance(dt);
      wheelNow = clock.now();
      std::size_t before = firedTotal;
      std::size_t fired = wheel.advance(wheelNow);
      ASSERT_EQ(fired, firedTotal - before);
      ASSERT_TRUE(model.empty() || model.begin()->first > wheelNow) << "missed a due timer";
    }
    ASSERT_EQ(wheel.size(), live.size());
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(firedTotal, 10000u);
}

INSTANTIATE_TEST_SUITE_P(Shapes, TimerWheelModelTest,
                         ::testing::Values(WheelShape{milliseconds(10), 4096},
                                           WheelShape{microseconds(2500), 7}),
                         [](const ::testing::TestParamInfo<WheelShape>& param) {
                           return param.param.slots == 4096 ? std::string("Default")
                                                            : std::string("SevenSlots");
                         });

}  // namespace
}  // namespace sb
