#include "base/timer_wheel.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace sb {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class TimerWheelTest : public ::testing::Test {
 protected:
  ManualClock clock;
  TimerWheel wheel{clock.now()};
  std::size_t step(Duration d) {
    clock.advance(d);
    return wheel.advance(clock.now());
  }
};

TEST_F(TimerWheelTest, FiresAtItsTickNotBefore) {
  int fired = 0;
  wheel.start(milliseconds(100), [&] { ++fired; });
  step(milliseconds(90));
  EXPECT_EQ(fired, 0);
  step(milliseconds(10));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(TimerWheelTest, CancelBeforeFireAndStaleIds) {
  int fired = 0;
  TimerId a = wheel.start(milliseconds(50), [&] { ++fired; });
  EXPECT_TRUE(wheel.cancel(a));
  EXPECT_FALSE(wheel.cancel(a));
  TimerId b = wheel.start(milliseconds(50), [&] { fired += 10; });  // reuses a's node
  EXPECT_EQ(a.index, b.index);
  EXPECT_FALSE(wheel.cancel(a));  // stale id must not cancel b
  step(milliseconds(60));
  EXPECT_EQ(fired, 10);
  EXPECT_FALSE(wheel.cancel(b));  // already fired
  EXPECT_FALSE(wheel.cancel(TimerId{}));
}

TEST_F(TimerWheelTest, DelaysBeyondOneRevolution) {
  int fired = 0;
  wheel.start(seconds(64), [&] { ++fired; });  // revolution is 40.96 s
  for (int i = 0; i < 6390; ++i) step(milliseconds(10));
  EXPECT_EQ(fired, 0);
  for (int i = 0; i < 10; ++i) step(milliseconds(10));
  EXPECT_EQ(fired, 1);
}

TEST_F(TimerWheelTest, BigJumpFiresEverythingInOrder) {
  std::vector<int> order;
  wheel.start(seconds(100), [&] { order.push_back(3); });
  wheel.start(seconds(1), [&] { order.push_back(1); });
  wheel.start(seconds(50), [&] { order.push_back(2); });
  EXPECT_EQ(step(seconds(200)), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_F(TimerWheelTest, CallbacksMayStartAndCancel) {
  int fired = 0;
  TimerId sibling;
  wheel.start(milliseconds(10), [&] {
    ++fired;
    EXPECT_TRUE(wheel.cancel(sibling));  // due within the same advance()
    // Zero delay: runs at a later tick (here tick 2 of this same catch-up), never re-entrantly
    // inside the tick that started it.
    wheel.start(Duration::zero(), [&] { fired += 100; });
    EXPECT_EQ(fired, 1);
  });
  sibling = wheel.start(milliseconds(20), [&] { fired += 10; });
  step(milliseconds(20));
  EXPECT_EQ(fired, 101);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(TimerWheelTest, UntilNextTracksEarliest) {
  EXPECT_FALSE(wheel.untilNext(clock.now()).has_value());
  wheel.start(milliseconds(250), [] {});
  auto d = wheel.untilNext(clock.now());
  ASSERT_TRUE(d.has_value());
  EXPECT_GE(*d, milliseconds(250));
  EXPECT_LE(*d, milliseconds(260));
}

TEST_F(TimerWheelTest, RandomOperationsMatchReferenceModel) {
  std::mt19937 rng(7);
  std::map<std::uint64_t, std::pair<TimerId, std::int64_t>> live;  // key -> id, due ms
  std::vector<std::pair<std::uint64_t, std::int64_t>> firedAt;
  std::int64_t nowMs = 0;
  std::uint64_t nextKey = 0;
  for (int op = 0; op < 100000; ++op) {
    int r = static_cast<int>(rng() % 10);
    if (r < 5) {
      std::int64_t delay = static_cast<std::int64_t>(rng() % 60000);
      std::uint64_t key = nextKey++;
      TimerId id = wheel.start(milliseconds(delay), [&, key] {
        firedAt.emplace_back(key, nowMs);
      });
      live[key] = {id, nowMs + delay};
    } else if (r < 7 && !live.empty()) {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      EXPECT_TRUE(wheel.cancel(it->second.first));
      live.erase(it);
    } else {
      std::int64_t dt = static_cast<std::int64_t>(rng() % 200);
      nowMs += dt;
      firedAt.clear();
      clock.advance(milliseconds(dt));
      wheel.advance(clock.now());
      for (auto& [key, at] : firedAt) {
        auto it = live.find(key);
        ASSERT_NE(it, live.end());
        EXPECT_GE(at, it->second.second);            // never early
        EXPECT_LE(at, it->second.second + 210);  // at most one step and a tick late
        live.erase(it);
      }
      for (auto& [key, v] : live) ASSERT_GT(v.second + 10, nowMs) << "missed timer";
    }
    ASSERT_EQ(wheel.size(), live.size());
  }
}

}  // namespace
}  // namespace sb
