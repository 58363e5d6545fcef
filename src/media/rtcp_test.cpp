#include "media/rtcp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sb::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// RR from SSRC 0x01020304 with one block about 0x0A0B0C0D: fraction 64/256, lost 5, ext seq
// 0x00010010, jitter 33, LSR 0x11223344, DLSR 0x00008000.
const Bytes kRr = {0x81, 0xC9, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04,  //
                   0x0A, 0x0B, 0x0C, 0x0D, 0x40, 0x00, 0x00, 0x05,  //
                   0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x21,  //
                   0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x80, 0x00};

// SR from 0xCAFEBABE, no blocks: NTP 0x83AA7E80_80000000, RTP 160, 50 packets, 8000 octets.
const Bytes kSr = {0x80, 0xC8, 0x00, 0x06, 0xCA, 0xFE, 0xBA, 0xBE, 0x83, 0xAA,
                   0x7E, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xA0,
                   0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x1F, 0x40};

// SDES, one chunk for 0xCAFEBABE: CNAME "a@b" (5 item bytes), end, padding: 12 bytes of chunk.
const Bytes kSdes = {0x81, 0xCA, 0x00, 0x03, 0xCA, 0xFE, 0xBA, 0xBE,
                     0x01, 0x03, 'a',  '@',  'b',  0x00, 0x00, 0x00};

const Bytes kBye = {0x81, 0xCB, 0x00, 0x01, 0xCA, 0xFE, 0xBA, 0xBE};

RtcpCompound parsed(const Bytes& b) {
  auto r = parseRtcp(b);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : RtcpCompound{};
}

std::string errorOf(const Bytes& b) {
  auto r = parseRtcp(b);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, Errc::kInvalidInput);
  return r.error().message;
}

TEST(RtcpParseTest, ReceiverReportBytes) {
  RtcpCompound c = parsed(kRr);
  ASSERT_EQ(c.reports.size(), 1u);
  const RtcpReport& r = c.reports[0];
  EXPECT_FALSE(r.senderReport);
  EXPECT_EQ(r.ssrc, 0x01020304u);
  ASSERT_EQ(r.blocks.size(), 1u);
  const ReportBlock& b = r.blocks[0];
  EXPECT_EQ(b.ssrc, 0x0A0B0C0Du);
  EXPECT_EQ(b.fractionLost, 64);
  EXPECT_EQ(b.cumulativeLost, 5);
  EXPECT_EQ(b.extendedHighestSeq, 0x00010010u);
  EXPECT_EQ(b.jitter, 33u);
  EXPECT_EQ(b.lastSr, 0x11223344u);
  EXPECT_EQ(b.delaySinceLastSr, 0x8000u);
  EXPECT_TRUE(c.cname.empty());
  EXPECT_FALSE(c.bye);
}

TEST(RtcpParseTest, NegativeCumulativeLostIsSignExtended) {
  Bytes b = kRr;
  b[13] = 0xFF, b[14] = 0xFF, b[15] = 0xFE;  // -2
  EXPECT_EQ(parsed(b).reports[0].blocks[0].cumulativeLost, -2);
  b[13] = 0x80, b[14] = 0x00, b[15] = 0x00;
  EXPECT_EQ(parsed(b).reports[0].blocks[0].cumulativeLost, -0x800000);
}

TEST(RtcpParseTest, SenderReportWithSdesAndBye) {
  RtcpCompound c = parsed(cat({kSr, kSdes, kBye}));
  ASSERT_EQ(c.reports.size(), 1u);
  const RtcpReport& r = c.reports[0];
  EXPECT_TRUE(r.senderReport);
  EXPECT_EQ(r.ssrc, 0xCAFEBABEu);
  EXPECT_EQ(r.ntpTimestamp, 0x83AA7E8080000000u);
  EXPECT_EQ(r.rtpTimestamp, 160u);
  EXPECT_EQ(r.packetCount, 50u);
  EXPECT_EQ(r.octetCount, 8000u);
  EXPECT_TRUE(r.blocks.empty());
  EXPECT_EQ(c.cname, "a@b");
  EXPECT_TRUE(c.bye);
}

TEST(RtcpParseTest, TwoReportsAndUnknownTypesSkipped) {
  const Bytes app = {0x80, 0xCC, 0x00, 0x02, 1, 2, 3, 4, 'n', 'a', 'm', 'e'};
  const Bytes xr = {0x80, 0xCF, 0x00, 0x01, 9, 9, 9, 9};
  RtcpCompound c = parsed(cat({kSr, kRr, app, xr, kSdes}));
  ASSERT_EQ(c.reports.size(), 2u);
  EXPECT_TRUE(c.reports[0].senderReport);
  EXPECT_FALSE(c.reports[1].senderReport);
  EXPECT_EQ(c.cname, "a@b");
}

TEST(RtcpParseTest, PaddingInTheLastPacket) {
  Bytes bye = {0xA1, 0xCB, 0x00, 0x02, 0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x00, 0x00, 0x04};
  RtcpCompound c = parsed(cat({kRr, bye}));
  EXPECT_TRUE(c.bye);
}

TEST(RtcpParseTest, RejectsTooShort) {
  EXPECT_NE(errorOf({}).find("shorter"), std::string::npos);
  EXPECT_NE(errorOf({0x80, 0xC9, 0x00}).find("shorter"), std::string::npos);
}

TEST(RtcpParseTest, RejectsBadVersion) {
  Bytes b = kRr;
  b[0] = 0x41;
  EXPECT_NE(errorOf(b).find("version"), std::string::npos);
  Bytes second = cat({kSr, kSdes});
  second[kSr.size()] = 0xC1;  // version 3 in the SDES
  EXPECT_EQ(errorOf(second), "RTCP packet 2: version is not 2");
}

TEST(RtcpParseTest, RejectsFirstPacketOtherThanSrOrRr) {
  EXPECT_EQ(errorOf(kSdes), "RTCP packet 1: first packet is not SR or RR");
  EXPECT_EQ(errorOf(cat({kBye, kRr})), "RTCP packet 1: first packet is not SR or RR");
}

TEST(RtcpParseTest, RejectsLengthsThatDoNotAddUp) {
  Bytes longer = kRr;
  longer[3] = 0x08;  // one word more than the datagram
  EXPECT_NE(errorOf(longer).find("length"), std::string::npos);
  Bytes trailing = cat({kRr, Bytes{0x00, 0x00}});  // two stray bytes
  EXPECT_NE(errorOf(trailing).find("truncated"), std::string::npos);
  Bytes shorter = kRr;
  shorter[3] = 0x06;  // the last word is left over and is not a valid header
  EXPECT_FALSE(parseRtcp(shorter).ok());
}

TEST(RtcpParseTest, RejectsPaddingBeforeTheLastPacket) {
  Bytes b = cat({kRr, kSdes});
  b[0] |= 0x20;
  EXPECT_EQ(errorOf(b), "RTCP packet 1: padding before the last packet");
}

TEST(RtcpParseTest, RejectsBadPaddingCount) {
  Bytes zero = {0xA1, 0xCB, 0x00, 0x02, 0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x00, 0x00, 0x00};
  EXPECT_NE(errorOf(cat({kRr, zero})).find("padding"), std::string::npos);
  Bytes huge = zero;
  huge.back() = 9;  // more than the 8-byte body
  EXPECT_NE(errorOf(cat({kRr, huge})).find("padding"), std::string::npos);
}

TEST(RtcpParseTest, RejectsReportCountPastTheBody) {
  Bytes b = kRr;
  b[0] = 0x82;  // RC=2, one block present
  EXPECT_NE(errorOf(b).find("report count"), std::string::npos);
  Bytes sr = kSr;
  sr[0] = 0x81;
  EXPECT_NE(errorOf(sr).find("report count"), std::string::npos);
}

TEST(RtcpParseTest, RejectsMalformedSdes) {
  Bytes item = kSdes;
  item[9] = 0x09;  // CNAME length past the packet
  EXPECT_NE(errorOf(cat({kRr, item})).find("SDES"), std::string::npos);
  Bytes noEnd = {0x81, 0xCA, 0x00, 0x02, 1, 2, 3, 4, 0x01, 0x02, 'x', 'y'};
  EXPECT_NE(errorOf(cat({kRr, noEnd})).find("SDES"), std::string::npos);
  Bytes twoChunks = kSdes;
  twoChunks[0] = 0x82;  // SC=2, one chunk present
  EXPECT_NE(errorOf(cat({kRr, twoChunks})).find("SDES"), std::string::npos);
}

TEST(RtcpParseTest, RejectsMalformedBye) {
  Bytes count = kBye;
  count[0] = 0x82;
  EXPECT_NE(errorOf(cat({kRr, count})).find("BYE"), std::string::npos);
  Bytes reason = {0x81, 0xCB, 0x00, 0x02, 1, 2, 3, 4, 0x07, 'b', 'y', 'e'};
  EXPECT_NE(errorOf(cat({kRr, reason})).find("BYE"), std::string::npos);
  reason[8] = 0x03;
  EXPECT_TRUE(parsed(cat({kRr, reason})).bye);
}

RtcpReport sampleSr() {
  RtcpReport r;
  r.senderReport = true;
  r.ssrc = 0x11223344;
  r.ntpTimestamp = 0xE1234567'89ABCDEF;
  r.rtpTimestamp = 123456;
  r.packetCount = 1000;
  r.octetCount = 160000;
  r.blocks.push_back({0x55667788, 12, -3, 0x0002FFFF, 40, 0xAABBCCDD, 65536});
  r.blocks.push_back({0x99, 255, 0x7FFFFF, 17, 0, 0, 0});
  return r;
}

TEST(RtcpWriteTest, SenderReportRoundTrip) {
  RtcpReport r = sampleSr();
  Bytes buf(1500);
  std::size_t n = writeRtcpReport(buf, r, "switchboard@10.0.0.1");
  ASSERT_GT(n, 0u);
  EXPECT_EQ(n % 4, 0u);
  EXPECT_EQ(n, rtcpReportSize(true, 2, 20));
  buf.resize(n);
  RtcpCompound c = parsed(buf);
  ASSERT_EQ(c.reports.size(), 1u);
  EXPECT_EQ(c.reports[0], r);
  EXPECT_EQ(c.cname, "switchboard@10.0.0.1");
  EXPECT_FALSE(c.bye);
}

TEST(RtcpWriteTest, ReceiverReportBytesMatchTheHandMadeVector) {
  RtcpReport r;
  r.ssrc = 0x01020304;
  r.blocks.push_back({0x0A0B0C0D, 64, 5, 0x00010010, 33, 0x11223344, 0x8000});
  Bytes buf(64);
  std::size_t n = writeRtcpReport(buf, r, "a@b");
  ASSERT_EQ(n, kRr.size() + kSdes.size());
  buf.resize(n);
  Bytes sdes = kSdes;
  sdes[4] = 0x01, sdes[5] = 0x02, sdes[6] = 0x03, sdes[7] = 0x04;  // our SSRC in the chunk
  EXPECT_EQ(buf, cat({kRr, sdes}));
}

TEST(RtcpWriteTest, SdesPaddingForEveryCnameLength) {
  for (std::size_t len = 0; len <= 9; ++len) {
    std::string cname(len, 'x');
    Bytes buf(200);
    std::size_t n = writeRtcpReport(buf, RtcpReport{}, cname);
    ASSERT_EQ(n % 4, 0u);
    buf.resize(n);
    EXPECT_EQ(parsed(buf).cname, cname);
  }
}

TEST(RtcpWriteTest, ByeAppended) {
  Bytes buf(1500);
  std::size_t n = writeRtcpBye(buf, sampleSr(), "c");
  EXPECT_EQ(n, writeRtcpReport(buf, sampleSr(), "c") + 8);
  buf.resize(n);
  RtcpCompound c = parsed(buf);
  EXPECT_TRUE(c.bye);
  EXPECT_EQ(c.reports[0], sampleSr());
  EXPECT_EQ(Bytes(buf.end() - 8, buf.end()),
            (Bytes{0x81, 0xCB, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44}));
}

TEST(RtcpWriteTest, TooSmallReturnsZero) {
  RtcpReport r = sampleSr();
  const std::size_t need = rtcpReportSize(true, 2, 4);
  Bytes buf(need - 1);
  EXPECT_EQ(writeRtcpReport(buf, r, "cccc"), 0u);
  Bytes exact(need);
  EXPECT_EQ(writeRtcpReport(exact, r, "cccc"), need);
  EXPECT_EQ(writeRtcpBye(exact, r, "cccc"), 0u);
}

TEST(RtcpWriteTest, CapsBlocksCnameAndLost) {
  RtcpReport r;
  r.blocks.resize(40);
  r.blocks[0].cumulativeLost = 10'000'000;
  r.blocks[1].cumulativeLost = -10'000'000;
  Bytes buf(2000);
  std::size_t n = writeRtcpReport(buf, r, std::string(300, 'n'));
  EXPECT_EQ(n, rtcpReportSize(false, 31, 255));
  buf.resize(n);
  RtcpCompound c = parsed(buf);
  ASSERT_EQ(c.reports[0].blocks.size(), kMaxReportBlocks);
  EXPECT_EQ(c.reports[0].blocks[0].cumulativeLost, 0x7FFFFF);
  EXPECT_EQ(c.reports[0].blocks[1].cumulativeLost, -0x800000);
  EXPECT_EQ(c.cname, std::string(255, 'n'));
}

TEST(RtcpWriteTest, NtpMiddle32) {
  EXPECT_EQ(ntpMiddle32(0x83AA7E80'80000000), 0x7E808000u);
}

}  // namespace
}  // namespace sb::media
