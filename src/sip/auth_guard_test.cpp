#include "sip/auth_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::sip {
namespace {

using std::chrono::seconds;

AuthGuard::Config config(int limit, std::size_t maxSources = 100) {
  return {limit, seconds(60), seconds(300), maxSources};
}

TEST(AuthGuardTest, BansAtTheLimitAndNotBefore) {
  ManualClock clock;
  AuthGuard guard(clock, config(3));
  EXPECT_FALSE(guard.isBanned("10.0.0.1"));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_FALSE(guard.isBanned("10.0.0.1"));
  EXPECT_TRUE(guard.recordFailure("10.0.0.1"));
  EXPECT_TRUE(guard.isBanned("10.0.0.1"));
  EXPECT_FALSE(guard.isBanned("10.0.0.2"));
}

TEST(AuthGuardTest, SourcesAreCountedSeparately) {
  ManualClock clock;
  AuthGuard guard(clock, config(2));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_FALSE(guard.recordFailure("10.0.0.2"));
  EXPECT_FALSE(guard.recordFailure("2001:db8::1"));
  EXPECT_EQ(guard.trackedSources(), 3u);
  EXPECT_TRUE(guard.recordFailure("10.0.0.2"));
  EXPECT_FALSE(guard.isBanned("10.0.0.1"));
  EXPECT_TRUE(guard.isBanned("10.0.0.2"));
}

TEST(AuthGuardTest, BanExpiresAfterBanFor) {
  ManualClock clock;
  AuthGuard guard(clock, config(2));
  (void)guard.recordFailure("10.0.0.1");
  ASSERT_TRUE(guard.recordFailure("10.0.0.1"));
  clock.advance(seconds(299));
  EXPECT_TRUE(guard.isBanned("10.0.0.1"));
  clock.advance(seconds(1));
  EXPECT_FALSE(guard.isBanned("10.0.0.1"));
  // After the ban the count starts from zero.
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_TRUE(guard.recordFailure("10.0.0.1"));
}

TEST(AuthGuardTest, FailuresDuringABanNeitherReportNorExtendIt) {
  ManualClock clock;
  AuthGuard guard(clock, config(1));
  ASSERT_TRUE(guard.recordFailure("10.0.0.1"));
  clock.advance(seconds(200));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  clock.advance(seconds(100));
  EXPECT_FALSE(guard.isBanned("10.0.0.1"));
}

TEST(AuthGuardTest, WindowSlides) {
  ManualClock clock;
  AuthGuard guard(clock, config(3));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));  // t=0
  clock.advance(seconds(50));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));  // t=50
  clock.advance(seconds(20));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));  // t=70: t=0 has left the window
  clock.advance(seconds(5));
  // t=75: 50, 70, 75 fall in one 60 s window although no fixed window holds all three.
  EXPECT_TRUE(guard.recordFailure("10.0.0.1"));
}

TEST(AuthGuardTest, FailuresSpreadWiderThanTheWindowNeverBan) {
  ManualClock clock;
  AuthGuard guard(clock, config(3));
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
    EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
    clock.advance(seconds(60));
  }
  EXPECT_FALSE(guard.isBanned("10.0.0.1"));
}

TEST(AuthGuardTest, SuccessResetsTheCount) {
  ManualClock clock;
  AuthGuard guard(clock, config(3));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  guard.recordSuccess("10.0.0.1");
  EXPECT_EQ(guard.trackedSources(), 0u);
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_TRUE(guard.recordFailure("10.0.0.1"));
  guard.recordSuccess("10.0.0.9");  // unknown source: no effect
  EXPECT_EQ(guard.trackedSources(), 1u);
}

TEST(AuthGuardTest, SuccessDoesNotLiftABan) {
  ManualClock clock;
  AuthGuard guard(clock, config(1));
  ASSERT_TRUE(guard.recordFailure("10.0.0.1"));
  guard.recordSuccess("10.0.0.1");
  EXPECT_TRUE(guard.isBanned("10.0.0.1"));
}

TEST(AuthGuardTest, EvictionKeepsMemoryBoundedAndDropsTheOldest) {
  ManualClock clock;
  AuthGuard guard(clock, config(2, 50));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(guard.recordFailure("src" + std::to_string(i)));
    EXPECT_LE(guard.trackedSources(), 50u);
    clock.advance(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(guard.trackedSources(), 50u);
  // The newest source kept its first failure; the oldest was forgotten.
  EXPECT_TRUE(guard.recordFailure("src999"));
  EXPECT_FALSE(guard.recordFailure("src0"));
}

TEST(AuthGuardTest, BansOutliveEvictionPressure) {
  // A flood of fresh (spoofed) addresses must not flush an attacker's ban.
  ManualClock clock;
  AuthGuard guard(clock, config(2, 10));
  (void)guard.recordFailure("attacker");
  ASSERT_TRUE(guard.recordFailure("attacker"));
  for (int i = 0; i < 1000; ++i) (void)guard.recordFailure("spoofed" + std::to_string(i));
  EXPECT_EQ(guard.trackedSources(), 10u);
  EXPECT_TRUE(guard.isBanned("attacker"));
}

TEST(AuthGuardTest, WhenEverySourceIsBannedTheSoonestToExpireGoes) {
  ManualClock clock;
  AuthGuard guard(clock, config(1, 3));
  for (std::string s : {"a", "b", "c", "d"}) {
    EXPECT_TRUE(guard.recordFailure(s));
    clock.advance(seconds(1));
  }
  EXPECT_EQ(guard.trackedSources(), 3u);
  EXPECT_FALSE(guard.isBanned("a"));
  EXPECT_TRUE(guard.isBanned("b"));
  EXPECT_TRUE(guard.isBanned("d"));
}

TEST(AuthGuardTest, IdleEntriesAreDropped) {
  ManualClock clock;
  AuthGuard guard(clock, config(2));
  (void)guard.recordFailure("a");
  (void)guard.recordFailure("b");
  (void)guard.recordFailure("b");  // banned for 300 s
  clock.advance(seconds(61));
  (void)guard.recordFailure("c");
  EXPECT_EQ(guard.trackedSources(), 2u);  // a's failure aged out
  clock.advance(seconds(240));
  (void)guard.recordFailure("c");  // b's ban has expired, c's first failure aged out
  EXPECT_EQ(guard.trackedSources(), 1u);
  EXPECT_FALSE(guard.isBanned("c"));
}

TEST(AuthGuardTest, NonPositiveLimitsCountAsOne) {
  ManualClock clock;
  AuthGuard guard(clock, {0, seconds(60), seconds(300), 0});
  EXPECT_TRUE(guard.recordFailure("a"));
  EXPECT_TRUE(guard.recordFailure("b"));
  EXPECT_EQ(guard.trackedSources(), 1u);
}

}  // namespace
}  // namespace sb::sip
