#include "media/dtmf_event.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sb::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

DtmfEvent ev(std::uint8_t event, std::uint16_t duration, bool end = false) {
  DtmfEvent e;
  e.event = event;
  e.duration = duration;
  e.end = end;
  return e;
}

TEST(DtmfPayloadTest, ParsesTheRfcLayout) {
  // Event 5, E=1, R=1 (ignored), volume 10, duration 800.
  const Bytes b = {0x05, 0xCA, 0x03, 0x20};
  DtmfEvent e;
  ASSERT_TRUE(parseDtmfEvent(b, e));
  EXPECT_EQ(e.event, 5);
  EXPECT_TRUE(e.end);
  EXPECT_EQ(e.volume, 10);
  EXPECT_EQ(e.duration, 800);
}

TEST(DtmfPayloadTest, RejectsOtherSizesAndTakesTheFirstBlock) {
  DtmfEvent e;
  EXPECT_FALSE(parseDtmfEvent(Bytes{}, e));
  EXPECT_FALSE(parseDtmfEvent(Bytes{1, 2, 3}, e));
  EXPECT_FALSE(parseDtmfEvent(Bytes{1, 2, 3, 4, 5}, e));
  ASSERT_TRUE(parseDtmfEvent(Bytes{11, 0x0A, 0x00, 0xA0, 3, 0x8A, 0x01, 0x40}, e));
  EXPECT_EQ(e.event, 11);
  EXPECT_FALSE(e.end);
  EXPECT_EQ(e.duration, 160);
}

TEST(DtmfPayloadTest, WriteRoundTrip) {
  DtmfEvent e{.event = 16, .end = true, .volume = 63, .duration = 0xFFFF};
  std::uint8_t buf[4];
  ASSERT_EQ(writeDtmfEvent(buf, e), 4u);
  EXPECT_EQ(Bytes(buf, buf + 4), (Bytes{0x10, 0xBF, 0xFF, 0xFF}));
  DtmfEvent back;
  ASSERT_TRUE(parseDtmfEvent(buf, back));
  EXPECT_EQ(back, e);
}

TEST(DtmfPayloadTest, WriteMasksVolumeAndNeedsFourBytes) {
  std::uint8_t buf[4];
  writeDtmfEvent(buf, DtmfEvent{.event = 1, .end = false, .volume = 0xFF, .duration = 1});
  EXPECT_EQ(buf[1], 0x3F);
  std::uint8_t small[3] = {7, 7, 7};
  EXPECT_EQ(writeDtmfEvent(small, DtmfEvent{}), 0u);
  EXPECT_EQ(small[0], 7);
}

TEST(DtmfCharTest, EventsAndChars) {
  const std::string digits = "0123456789*#ABCD";
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(dtmfEventChar(static_cast<std::uint8_t>(i)), digits[static_cast<std::size_t>(i)]);
    EXPECT_EQ(dtmfCharEvent(digits[static_cast<std::size_t>(i)]), i);
  }
  EXPECT_EQ(dtmfEventChar(16), '\0');  // flash
  EXPECT_EQ(dtmfEventChar(255), '\0');
  EXPECT_EQ(dtmfCharEvent('a'), 12);
  EXPECT_EQ(dtmfCharEvent('d'), 15);
  EXPECT_EQ(dtmfCharEvent('e'), -1);
  EXPECT_EQ(dtmfCharEvent('E'), -1);
  EXPECT_EQ(dtmfCharEvent(' '), -1);
  EXPECT_EQ(dtmfCharEvent('\0'), -1);
}

// Packets of one 100 ms digit as a sender emits them: 4 updates, 3 ends.
std::vector<DtmfEvent> digitPackets(std::uint8_t event) {
  return {ev(event, 160),       ev(event, 320),       ev(event, 480),      ev(event, 640),
          ev(event, 800, true), ev(event, 800, true), ev(event, 800, true)};
}

std::string run(DtmfEventReceiver& rx, std::uint32_t ts, const std::vector<DtmfEvent>& packets) {
  std::string out;
  for (const DtmfEvent& e : packets)
    if (auto d = rx.onPacket(ts, e)) out += *d;
  return out;
}

TEST(DtmfReceiverTest, OneDigitOnceWithThreeEndRetransmits) {
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 1000, digitPackets(5)), "5");
}

TEST(DtmfReceiverTest, DigitOnTheFirstPacket) {
  DtmfEventReceiver rx;
  EXPECT_EQ(rx.onPacket(1000, ev(9, 160)), '9');
  EXPECT_EQ(rx.onPacket(1000, ev(9, 320)), std::nullopt);
}

TEST(DtmfReceiverTest, LostFirstPacketStillGivesTheDigit) {
  DtmfEventReceiver rx;
  std::vector<DtmfEvent> packets = digitPackets(1);
  packets.erase(packets.begin());
  EXPECT_EQ(run(rx, 1000, packets), "1");
}

TEST(DtmfReceiverTest, OnlyEndPacketsArrive) {
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 1000, {ev(11, 800, true), ev(11, 800, true)}), "#");
}

TEST(DtmfReceiverTest, SameDigitTwiceWithDifferentTimestamps) {
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 1000, digitPackets(3)) + run(rx, 2600, digitPackets(3)), "33");
}

TEST(DtmfReceiverTest, SameDigitTwiceWhenAllEndPacketsOfTheFirstWereLost) {
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 1000, {ev(3, 160), ev(3, 320)}), "3");
  EXPECT_EQ(run(rx, 2600, {ev(3, 160), ev(3, 320)}), "3");  // starts past the first's span
}

TEST(DtmfReceiverTest, DigitSequence) {
  DtmfEventReceiver rx;
  std::string got;
  std::uint32_t ts = 5000;
  for (std::uint8_t e : Bytes{1, 2, 3, 10, 11}) {
    got += run(rx, ts, digitPackets(e));
    ts += 1600;
  }
  EXPECT_EQ(got, "123*#");
}

TEST(DtmfReceiverTest, LateEndOfThePreviousDigitIsIgnored) {
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 1000, {ev(4, 160), ev(4, 800, true)}), "4");
  EXPECT_EQ(run(rx, 2600, {ev(6, 160)}), "6");
  EXPECT_EQ(rx.onPacket(1000, ev(4, 800, true)), std::nullopt);  // reordered retransmit
  EXPECT_EQ(rx.onPacket(2600, ev(6, 320)), std::nullopt);
}

TEST(DtmfReceiverTest, ReorderedUpdateAfterTheEndIsIgnored) {
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 1000, {ev(7, 160), ev(7, 800, true), ev(7, 480)}), "7");
}

TEST(DtmfReceiverTest, LongEventSegmentsAreOneDigit) {
  // A long event goes on in a new segment whose timestamp is the old one plus 0xFFFF.
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 10, {ev(0, 0xFF00), ev(0, 0xFFFF)}), "0");
  EXPECT_EQ(run(rx, 10 + 0xFFFF, {ev(0, 800), ev(0, 1600, true), ev(0, 1600, true)}), "");
}

TEST(DtmfReceiverTest, TimestampWrapIsANewEvent) {
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 0xFFFFFF00u, digitPackets(2)), "2");
  EXPECT_EQ(run(rx, 0x00000500u, digitPackets(2)), "2");
}

TEST(DtmfReceiverTest, NonDtmfEventsAreNotDigits) {
  DtmfEventReceiver rx;
  EXPECT_EQ(run(rx, 1000, digitPackets(16)), "");  // flash
  EXPECT_EQ(run(rx, 3000, digitPackets(8)), "8");
}

TEST(DtmfReceiverTest, ResetForgetsTheCurrentEvent) {
  DtmfEventReceiver rx;
  EXPECT_EQ(rx.onPacket(1000, ev(5, 160)), '5');
  rx.reset();
  EXPECT_EQ(rx.onPacket(1000, ev(5, 320)), '5');
}

std::vector<DtmfEventSender::Packet> drain(DtmfEventSender& tx) {
  std::vector<DtmfEventSender::Packet> out;
  while (auto p = tx.next()) {
    out.push_back(*p);
    if (out.size() > 1000) break;
  }
  return out;
}

TEST(DtmfSenderTest, HundredMillisecondDigit) {
  DtmfEventSender tx;
  ASSERT_TRUE(tx.start('7', 48000));
  EXPECT_TRUE(tx.active());
  std::vector<DtmfEventSender::Packet> packets = drain(tx);
  EXPECT_FALSE(tx.active());
  ASSERT_EQ(packets.size(), 7u);
  const std::uint16_t durations[] = {160, 320, 480, 640, 800, 800, 800};
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    EXPECT_EQ(p.timestamp, 48000u) << i;
    EXPECT_EQ(p.event.event, 7) << i;
    EXPECT_EQ(p.event.duration, durations[i]) << i;
    EXPECT_EQ(p.marker, i == 0) << i;
    EXPECT_EQ(p.event.end, i >= 4) << i;
    EXPECT_EQ(p.event.volume, 10) << i;
  }
  EXPECT_EQ(tx.next(), std::nullopt);
}

TEST(DtmfSenderTest, OtherDurationsAndRates) {
  DtmfEventSender tx;
  ASSERT_TRUE(tx.start('#', 0, 250, 50, 16000));  // 4000 ticks, 800 per packet
  std::vector<DtmfEventSender::Packet> packets = drain(tx);
  ASSERT_EQ(packets.size(), 7u);
  EXPECT_EQ(packets[0].event.duration, 800);
  EXPECT_EQ(packets[3].event.duration, 3200);
  EXPECT_EQ(packets[4].event.duration, 4000);
  EXPECT_TRUE(packets[6].event.end);
  EXPECT_EQ(packets[0].event.event, 11);

  ASSERT_TRUE(tx.start('1', 0, 110, 20));  // 880 ticks: the last step is short
  packets = drain(tx);
  ASSERT_EQ(packets.size(), 8u);
  EXPECT_EQ(packets[4].event.duration, 800);
  EXPECT_FALSE(packets[4].event.end);
  EXPECT_EQ(packets[5].event.duration, 880);
  EXPECT_TRUE(packets[5].event.end);
}

TEST(DtmfSenderTest, DigitShorterThanOnePacketIsJustTheEnds) {
  DtmfEventSender tx;
  ASSERT_TRUE(tx.start('0', 7, 10, 20));
  std::vector<DtmfEventSender::Packet> packets = drain(tx);
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_TRUE(packets[0].marker);
  EXPECT_FALSE(packets[1].marker);
  for (const auto& p : packets) {
    EXPECT_TRUE(p.event.end);
    EXPECT_EQ(p.event.duration, 80);
  }
}

TEST(DtmfSenderTest, LongDurationIsCapped) {
  DtmfEventSender tx;
  ASSERT_TRUE(tx.start('5', 0, 10000, 1000));  // 80000 ticks > 0xFFFF
  std::vector<DtmfEventSender::Packet> packets = drain(tx);
  ASSERT_FALSE(packets.empty());
  EXPECT_EQ(packets.back().event.duration, 0xFFFF);
}

TEST(DtmfSenderTest, RejectsInvalidInput) {
  DtmfEventSender tx;
  EXPECT_FALSE(tx.start('x', 0));
  EXPECT_FALSE(tx.start('\0', 0));
  EXPECT_FALSE(tx.start('1', 0, 0));
  EXPECT_FALSE(tx.start('1', 0, 100, 0));
  EXPECT_FALSE(tx.start('1', 0, 100, 20, 0));
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(tx.next(), std::nullopt);
  EXPECT_TRUE(tx.start('b', 0));
  EXPECT_EQ(tx.next()->event.event, 13);
}

TEST(DtmfSenderTest, ReceiverSeesEachSentDigitOnce) {
  DtmfEventSender tx;
  DtmfEventReceiver rx;
  std::string got;
  std::uint32_t ts = 0xFFFFF000u;
  for (char d : std::string("1234567890*#ABCD55")) {
    ASSERT_TRUE(tx.start(d, ts));
    while (auto p = tx.next())
      if (auto digit = rx.onPacket(p->timestamp, p->event)) got += *digit;
    ts += 1600;
  }
  EXPECT_EQ(got, "1234567890*#ABCD55");
}

}  // namespace
}  // namespace sb::media
