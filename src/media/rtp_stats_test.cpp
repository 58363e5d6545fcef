#include "media/rtp_stats.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sb::media {
namespace {

constexpr std::uint32_t kFrame = 160;  // 20 ms at 8 kHz

// Feeds sequence numbers with perfectly regular timing (no jitter).
struct Feeder {
  RtpReceiveStats stats;
  bool feed(std::uint16_t seq) {
    const std::uint32_t ts = static_cast<std::uint32_t>(seq) * kFrame;
    return stats.onPacket(seq, ts, ts + 1000);
  }
};

TEST(RtpStatsTest, ProbationNeedsTwoSequentialPackets) {
  Feeder f;
  EXPECT_FALSE(f.feed(100));
  EXPECT_FALSE(f.stats.valid());
  EXPECT_EQ(f.stats.received(), 0u);
  EXPECT_TRUE(f.feed(101));
  EXPECT_TRUE(f.stats.valid());
  EXPECT_EQ(f.stats.received(), 1u);
  EXPECT_EQ(f.stats.cumulativeLost(), 0);
  EXPECT_EQ(f.stats.extendedHighestSequence(), 101u);
}

TEST(RtpStatsTest, ProbationRestartsOnAGap) {
  Feeder f;
  EXPECT_FALSE(f.feed(10));
  EXPECT_FALSE(f.feed(20));  // not sequential: probation starts over from 20
  EXPECT_TRUE(f.feed(21));
  EXPECT_EQ(f.stats.received(), 1u);
  EXPECT_EQ(f.stats.expected(), 1);
}

TEST(RtpStatsTest, InOrderStreamHasNoLoss) {
  Feeder f;
  for (std::uint16_t s = 1000; s < 1100; ++s) f.feed(s);
  EXPECT_EQ(f.stats.received(), 99u);  // the first packet went to probation
  EXPECT_EQ(f.stats.cumulativeLost(), 0);
  EXPECT_EQ(f.stats.extendedHighestSequence(), 1099u);
}

TEST(RtpStatsTest, SequenceWrapAt65535) {
  Feeder f;
  for (std::uint32_t s = 65530; s < 65536 + 10; ++s)
    EXPECT_EQ(f.feed(static_cast<std::uint16_t>(s)), s > 65530);
  EXPECT_EQ(f.stats.extendedHighestSequence(), 65536u + 9);
  EXPECT_EQ(f.stats.received(), 15u);
  EXPECT_EQ(f.stats.cumulativeLost(), 0);
}

TEST(RtpStatsTest, ProbationAcrossTheWrap) {
  Feeder f;
  EXPECT_FALSE(f.feed(65535));
  EXPECT_TRUE(f.feed(0));
  EXPECT_TRUE(f.feed(1));
  EXPECT_EQ(f.stats.received(), 2u);
  EXPECT_EQ(f.stats.cumulativeLost(), 0);
}

TEST(RtpStatsTest, LossOfNPacketsIsCounted) {
  Feeder f;
  for (std::uint16_t s = 1; s <= 10; ++s) f.feed(s);
  for (std::uint16_t s = 18; s <= 30; ++s) f.feed(s);  // 11..17 lost
  EXPECT_EQ(f.stats.cumulativeLost(), 7);
  EXPECT_EQ(f.stats.expected(), 29);
  EXPECT_EQ(f.stats.received(), 22u);
}

TEST(RtpStatsTest, LossAcrossTheWrap) {
  Feeder f;
  f.feed(65533);
  f.feed(65534);
  f.feed(3);  // 65535, 0, 1, 2 lost
  EXPECT_EQ(f.stats.cumulativeLost(), 4);
  EXPECT_EQ(f.stats.extendedHighestSequence(), 65536u + 3);
}

TEST(RtpStatsTest, DuplicateIsCountedAndMakesLossNegative) {
  Feeder f;
  for (std::uint16_t s = 1; s <= 5; ++s) f.feed(s);
  EXPECT_TRUE(f.feed(5));
  EXPECT_TRUE(f.feed(3));
  EXPECT_EQ(f.stats.received(), 6u);
  EXPECT_EQ(f.stats.cumulativeLost(), -2);
  EXPECT_EQ(f.stats.extendedHighestSequence(), 5u);
}

TEST(RtpStatsTest, ReorderedPacketFillsTheGap) {
  Feeder f;
  f.feed(1);
  f.feed(2);
  f.feed(4);
  EXPECT_EQ(f.stats.cumulativeLost(), 1);
  EXPECT_TRUE(f.feed(3));  // late, within MAX_MISORDER
  EXPECT_EQ(f.stats.cumulativeLost(), 0);
  EXPECT_EQ(f.stats.extendedHighestSequence(), 4u);
}

TEST(RtpStatsTest, LateReorderAcrossTheWrapDoesNotAddACycle) {
  Feeder f;
  f.feed(65534);
  f.feed(65535);
  f.feed(1);
  EXPECT_TRUE(f.feed(0));
  EXPECT_EQ(f.stats.extendedHighestSequence(), 65536u + 1);
  EXPECT_EQ(f.stats.cumulativeLost(), 0);
}

TEST(RtpStatsTest, VeryOldPacketIsRejected) {
  Feeder f;
  for (std::uint16_t s = 1000; s <= 1200; ++s) f.feed(s);
  EXPECT_FALSE(f.feed(1200 - 101));  // more than MAX_MISORDER behind
  EXPECT_EQ(f.stats.extendedHighestSequence(), 1200u);
}

TEST(RtpStatsTest, BigJumpResyncsAfterTwoSequentialPackets) {
  Feeder f;
  for (std::uint16_t s = 1; s <= 50; ++s) f.feed(s);
  EXPECT_FALSE(f.feed(40000));  // a jump > MAX_DROPOUT: rejected
  EXPECT_EQ(f.stats.extendedHighestSequence(), 50u);
  EXPECT_TRUE(f.feed(40001));  // the next in sequence: the sender restarted
  EXPECT_EQ(f.stats.extendedHighestSequence(), 40001u);
  EXPECT_EQ(f.stats.received(), 1u);
  EXPECT_EQ(f.stats.cumulativeLost(), 0);
  EXPECT_TRUE(f.feed(40002));
  EXPECT_EQ(f.stats.received(), 2u);
}

TEST(RtpStatsTest, IsolatedJumpDoesNotResync) {
  Feeder f;
  for (std::uint16_t s = 1; s <= 50; ++s) f.feed(s);
  EXPECT_FALSE(f.feed(40000));
  EXPECT_FALSE(f.feed(20000));  // not 40001: still no resync
  EXPECT_TRUE(f.feed(51));
  EXPECT_EQ(f.stats.extendedHighestSequence(), 51u);
  EXPECT_EQ(f.stats.cumulativeLost(), 0);
}

TEST(RtpStatsTest, JumpBelowMaxDropoutIsLoss) {
  Feeder f;
  f.feed(1);
  f.feed(2);
  EXPECT_TRUE(f.feed(2 + 2999));
  EXPECT_EQ(f.stats.cumulativeLost(), 2998);
}

TEST(RtpStatsTest, NoJitterForRegularArrivals) {
  Feeder f;
  for (std::uint16_t s = 0; s < 50; ++s) f.feed(s);
  EXPECT_DOUBLE_EQ(f.stats.jitter(), 0.0);
}

TEST(RtpStatsTest, JitterConvergesForConstantAlternatingDelay) {
  // Every other packet arrives 40 ticks late: |D| = 40 for each pair, so J -> 40 (A.8).
  RtpReceiveStats stats;
  for (std::uint32_t i = 0; i < 400; ++i) {
    const std::uint32_t ts = 0xFFFFF000u + i * kFrame;  // wraps on the way
    const std::uint32_t arrival = 12345 + i * kFrame + (i % 2 == 1 ? 40 : 0);
    stats.onPacket(static_cast<std::uint16_t>(7 + i), ts, arrival);
  }
  EXPECT_NEAR(stats.jitter(), 40.0, 1e-6);
  EXPECT_EQ(stats.takeReportBlock(1).jitter, 39u);  // just below 40, truncated
}

TEST(RtpStatsTest, JitterFirstStepIsOneSixteenth) {
  RtpReceiveStats stats;
  stats.onPacket(1, 0, 100);
  stats.onPacket(2, 160, 260);  // first accepted: sets the transit only
  stats.onPacket(3, 320, 420 + 32);
  EXPECT_DOUBLE_EQ(stats.jitter(), 2.0);
}

TEST(RtpStatsTest, RejectedPacketsDoNotMoveJitter) {
  RtpReceiveStats stats;
  stats.onPacket(1, 0, 0);
  stats.onPacket(2, 160, 160);
  stats.onPacket(30000, 9999999, 5);  // big jump, rejected
  EXPECT_DOUBLE_EQ(stats.jitter(), 0.0);
}

TEST(RtpStatsTest, FractionLostPerInterval) {
  Feeder f;
  for (std::uint16_t s = 0; s <= 100; ++s) f.feed(s);  // 1..100 accepted
  ReportBlock first = f.stats.takeReportBlock(0xABCD);
  EXPECT_EQ(first.ssrc, 0xABCDu);
  EXPECT_EQ(first.fractionLost, 0);
  EXPECT_EQ(first.cumulativeLost, 0);
  EXPECT_EQ(first.extendedHighestSeq, 100u);

  // Next interval: 101..200 expected, every fourth lost -> 25 of 100 = 64/256.
  for (std::uint16_t s = 101; s <= 200; ++s)
    if (s % 4 != 1) f.feed(s);
  ReportBlock second = f.stats.takeReportBlock(0xABCD);
  EXPECT_EQ(second.fractionLost, 64);
  EXPECT_EQ(second.cumulativeLost, 25);
  EXPECT_EQ(second.extendedHighestSeq, 200u);

  // A clean interval resets the fraction but keeps the cumulative count.
  for (std::uint16_t s = 201; s <= 300; ++s) f.feed(s);
  ReportBlock third = f.stats.takeReportBlock(0xABCD);
  EXPECT_EQ(third.fractionLost, 0);
  EXPECT_EQ(third.cumulativeLost, 25);
  EXPECT_EQ(third.extendedHighestSeq, 300u);
}

TEST(RtpStatsTest, FractionLostIsZeroWhenDuplicatesOutnumberLoss) {
  Feeder f;
  for (std::uint16_t s = 0; s <= 10; ++s) f.feed(s);
  f.stats.takeReportBlock(1);
  f.feed(12);  // 11 lost
  f.feed(12);
  f.feed(12);
  EXPECT_EQ(f.stats.takeReportBlock(1).fractionLost, 0);
}

TEST(RtpStatsTest, ResetStartsANewSource) {
  Feeder f;
  for (std::uint16_t s = 0; s <= 10; ++s) f.feed(s);
  f.stats.reset();
  EXPECT_EQ(f.stats.received(), 0u);
  EXPECT_FALSE(f.stats.valid());
  EXPECT_FALSE(f.feed(500));
  EXPECT_TRUE(f.feed(501));
  EXPECT_EQ(f.stats.extendedHighestSequence(), 501u);
}

}  // namespace
}  // namespace sb::media
