#include "media/rtp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace sb::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

// V=2, PT 0, seq 0x1234, ts 0x00000A0B, SSRC 0xDEADBEEF, then `payload`.
Bytes pcmuPacket(std::initializer_list<std::uint8_t> payload) {
  static constexpr std::uint8_t kHeader[] = {0x80, 0x00, 0x12, 0x34, 0x00, 0x00,
                                             0x0A, 0x0B, 0xDE, 0xAD, 0xBE, 0xEF};
  // Sized up front: GCC 12 at -O2 misreports insert() into a 12-byte vector (-Warray-bounds).
  Bytes b(sizeof kHeader + payload.size());
  std::copy(std::begin(kHeader), std::end(kHeader), b.begin());
  std::copy(payload.begin(), payload.end(), b.begin() + sizeof kHeader);
  return b;
}

RtpDrop parse(const Bytes& b, RtpPacket& out) {
  return parseRtp(b, out);
}

RtpDrop parse(const Bytes& b) {
  RtpPacket p;
  return parseRtp(b, p);
}

TEST(RtpParseTest, PlainPcmuPacket) {
  Bytes b = pcmuPacket({0xFF, 0xFE, 0x7F});
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.payloadType, 0);
  EXPECT_FALSE(p.marker);
  EXPECT_EQ(p.sequence, 0x1234);
  EXPECT_EQ(p.timestamp, 0x0A0Bu);
  EXPECT_EQ(p.ssrc, 0xDEADBEEFu);
  EXPECT_EQ(p.csrcCount, 0);
  ASSERT_EQ(p.payload.size(), 3u);
  EXPECT_EQ(p.payload.data(), b.data() + 12);
  EXPECT_EQ(p.payload[2], 0x7F);
  EXPECT_TRUE(p.extension.empty());
  EXPECT_EQ(p.paddingSize, 0);
}

TEST(RtpParseTest, MarkerAndPcmaPayloadType) {
  Bytes b = pcmuPacket({0xD5});
  b[1] = 0x88;  // M=1, PT=8
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_TRUE(p.marker);
  EXPECT_EQ(p.payloadType, 8);
}

TEST(RtpParseTest, UnknownPayloadTypeIsNotAnError) {
  Bytes b = pcmuPacket({1, 2});
  b[1] = 0x7F;  // PT 127
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.payloadType, 127);
}

TEST(RtpParseTest, CsrcsAreSkipped) {
  Bytes b = pcmuPacket({});
  b[0] = 0x82;  // CC=2
  for (std::uint8_t v : Bytes{0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0xAB}) b.push_back(v);
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.csrcCount, 2);
  EXPECT_EQ(p.csrc(0), 0x11111111u);
  EXPECT_EQ(p.csrc(1), 0x22222222u);
  ASSERT_EQ(p.payload.size(), 1u);
  EXPECT_EQ(p.payload[0], 0xAB);
}

TEST(RtpParseTest, ExtensionIsSkipped) {
  // RFC 8285 one-byte header profile 0xBEDE, one word of extension data.
  Bytes b = pcmuPacket({0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x00, 0x00, 0x55, 0x66});
  b[0] = 0x90;  // X=1
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.extensionProfile, 0xBEDE);
  ASSERT_EQ(p.extension.size(), 4u);
  EXPECT_EQ(p.extension[1], 0xAA);
  ASSERT_EQ(p.payload.size(), 2u);
  EXPECT_EQ(p.payload[0], 0x55);
}

TEST(RtpParseTest, CsrcsAndExtensionTogether) {
  Bytes b = pcmuPacket({0, 0, 0, 9, 0x12, 0x34, 0x00, 0x00, 0x77});
  b[0] = 0x91;  // X=1, CC=1
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.csrc(0), 9u);
  EXPECT_EQ(p.extensionProfile, 0x1234);
  EXPECT_TRUE(p.extension.empty());
  ASSERT_EQ(p.payload.size(), 1u);
  EXPECT_EQ(p.payload[0], 0x77);
}

TEST(RtpParseTest, PaddingIsRemoved) {
  Bytes b = pcmuPacket({0x01, 0x02, 0x00, 0x00, 0x03});
  b[0] = 0xA0;  // P=1, last byte 3: three padding bytes
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.paddingSize, 3);
  ASSERT_EQ(p.payload.size(), 2u);
  EXPECT_EQ(p.payload[1], 0x02);
}

TEST(RtpParseTest, TooShort) {
  EXPECT_EQ(parse(Bytes{}), RtpDrop::kTooShort);
  EXPECT_EQ(parse(Bytes{0x80}), RtpDrop::kTooShort);
  Bytes eleven = pcmuPacket({});
  eleven.pop_back();
  EXPECT_EQ(parse(eleven), RtpDrop::kTooShort);
}

TEST(RtpParseTest, BadVersion) {
  for (std::uint8_t first : Bytes{0x00, 0x40, 0xC0}) {
    Bytes b = pcmuPacket({1});
    b[0] = first;
    EXPECT_EQ(parse(b), RtpDrop::kBadVersion) << int(first);
  }
}

TEST(RtpParseTest, CsrcOverrun) {
  Bytes b = pcmuPacket({1, 2, 3, 4, 5, 6, 7});  // 7 bytes: not two CSRCs
  b[0] = 0x82;
  EXPECT_EQ(parse(b), RtpDrop::kCsrcOverrun);
  Bytes fifteen = pcmuPacket({});
  fifteen[0] = 0x8F;
  EXPECT_EQ(parse(fifteen), RtpDrop::kCsrcOverrun);
}

TEST(RtpParseTest, CsrcsFillingTheDatagramLeaveAnEmptyPayload) {
  Bytes b = pcmuPacket({1, 2, 3, 4});
  b[0] = 0x81;
  EXPECT_EQ(parse(b), RtpDrop::kEmptyPayload);
}

TEST(RtpParseTest, ExtensionOverrun) {
  Bytes header = pcmuPacket({0xBE, 0xDE, 0x00});  // extension header cut short
  header[0] = 0x90;
  EXPECT_EQ(parse(header), RtpDrop::kExtensionOverrun);
  Bytes body = pcmuPacket({0xBE, 0xDE, 0x00, 0x02, 1, 2, 3, 4, 5});  // 2 words announced, 5 bytes
  body[0] = 0x90;
  EXPECT_EQ(parse(body), RtpDrop::kExtensionOverrun);
  Bytes huge = pcmuPacket({0xBE, 0xDE, 0xFF, 0xFF, 1, 2, 3, 4});
  huge[0] = 0x90;
  EXPECT_EQ(parse(huge), RtpDrop::kExtensionOverrun);
}

TEST(RtpParseTest, BadPadding) {
  Bytes zero = pcmuPacket({1, 2, 0});
  zero[0] = 0xA0;
  EXPECT_EQ(parse(zero), RtpDrop::kBadPadding);
  Bytes tooMuch = pcmuPacket({1, 2, 4});  // 4 > 3 bytes after the header
  tooMuch[0] = 0xA0;
  EXPECT_EQ(parse(tooMuch), RtpDrop::kBadPadding);
  Bytes intoHeader = pcmuPacket({0, 0, 0, 0, 13});  // CC=1 leaves one byte, pad says 13
  intoHeader[0] = 0xA1;
  EXPECT_EQ(parse(intoHeader), RtpDrop::kBadPadding);
}

TEST(RtpParseTest, PaddingEatingTheWholePayloadIsEmpty) {
  Bytes b = pcmuPacket({0, 0, 3});
  b[0] = 0xA0;
  EXPECT_EQ(parse(b), RtpDrop::kEmptyPayload);
}

TEST(RtpParseTest, HeaderOnlyIsEmptyPayload) {
  EXPECT_EQ(parse(pcmuPacket({})), RtpDrop::kEmptyPayload);
}

TEST(RtpParseTest, SixtyFourKibDatagram) {
  Bytes b = pcmuPacket({});
  b.resize(65536, 0xFF);
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.payload.size(), 65536u - 12);
  b[0] = 0xA0;
  b.back() = 0xFF;  // 255 bytes of padding
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.payload.size(), 65536u - 12 - 255);
}

TEST(RtpParseTest, DropNames) {
  EXPECT_EQ(rtpDropName(RtpDrop::kOk), "ok");
  EXPECT_EQ(rtpDropName(RtpDrop::kTooShort), "too_short");
  EXPECT_EQ(rtpDropName(RtpDrop::kBadVersion), "bad_version");
  EXPECT_EQ(rtpDropName(RtpDrop::kCsrcOverrun), "csrc_overrun");
  EXPECT_EQ(rtpDropName(RtpDrop::kExtensionOverrun), "extension_overrun");
  EXPECT_EQ(rtpDropName(RtpDrop::kBadPadding), "bad_padding");
  EXPECT_EQ(rtpDropName(RtpDrop::kEmptyPayload), "empty_payload");
}

TEST(RtpDemuxTest, LooksLikeRtcp) {
  EXPECT_TRUE(looksLikeRtcp(Bytes{0x80, 200, 0, 6}));   // SR
  EXPECT_TRUE(looksLikeRtcp(Bytes{0x81, 201, 0, 7}));   // RR
  EXPECT_TRUE(looksLikeRtcp(Bytes{0x80, 192, 0, 0}));   // lower edge (FIR)
  EXPECT_TRUE(looksLikeRtcp(Bytes{0x80, 223, 0, 0}));   // upper edge
  EXPECT_FALSE(looksLikeRtcp(Bytes{0x80, 191, 0, 0}));  // RTP, M=1 PT=63
  EXPECT_FALSE(looksLikeRtcp(Bytes{0x80, 224, 0, 0}));  // RTP, M=1 PT=96
  EXPECT_FALSE(looksLikeRtcp(pcmuPacket({1})));
  EXPECT_FALSE(looksLikeRtcp(Bytes{0x80}));
  EXPECT_FALSE(looksLikeRtcp(Bytes{}));
}

TEST(RtpWriteTest, HeaderBytes) {
  std::uint8_t buf[12];
  ASSERT_EQ(writeRtpHeader(buf, 8, true, 0xABCD, 0x01020304, 0xCAFEBABE), kRtpHeaderSize);
  const Bytes want = {0x80, 0x88, 0xAB, 0xCD, 0x01, 0x02, 0x03, 0x04, 0xCA, 0xFE, 0xBA, 0xBE};
  EXPECT_EQ(Bytes(buf, buf + 12), want);
}

TEST(RtpWriteTest, TooSmallWritesNothing) {
  Bytes buf(11, 0x5A);
  EXPECT_EQ(writeRtpHeader(buf, 0, false, 1, 2, 3), 0u);
  EXPECT_EQ(buf, Bytes(11, 0x5A));
}

TEST(RtpWriteTest, PayloadTypeIsMaskedTo7Bits) {
  std::uint8_t buf[12];
  writeRtpHeader(buf, 0xFF, false, 0, 0, 0);
  EXPECT_EQ(buf[1], 0x7F);
}

TEST(RtpWriteTest, WrittenHeaderParsesBack) {
  Bytes b(12 + 160, 0xFF);
  writeRtpHeader(b, 0, true, 65535, 0xFFFFFFFF, 42);
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_TRUE(p.marker);
  EXPECT_EQ(p.sequence, 65535);
  EXPECT_EQ(p.timestamp, 0xFFFFFFFFu);
  EXPECT_EQ(p.ssrc, 42u);
  EXPECT_EQ(p.payload.size(), 160u);
}

TEST(RtpRewriteTest, KeepsCsrcsExtensionPaddingAndPayload) {
  Bytes b = pcmuPacket({0, 0, 0, 7, 0xBE, 0xDE, 0x00, 0x01, 1, 2, 3, 4, 0x42, 0x43, 0, 2});
  b[0] = 0xB1;  // P, X, CC=1
  Bytes before = b;
  rewriteRtpHeader(b, 101, true, 7, 8000, 0x01020304);
  RtpPacket p;
  ASSERT_EQ(parse(b, p), RtpDrop::kOk);
  EXPECT_EQ(p.payloadType, 101);
  EXPECT_TRUE(p.marker);
  EXPECT_EQ(p.sequence, 7);
  EXPECT_EQ(p.timestamp, 8000u);
  EXPECT_EQ(p.ssrc, 0x01020304u);
  EXPECT_EQ(p.csrc(0), 7u);
  EXPECT_EQ(p.extensionProfile, 0xBEDE);
  ASSERT_EQ(p.payload.size(), 2u);
  EXPECT_EQ(p.payload[0], 0x42);
  EXPECT_EQ(b[0], before[0]);
  EXPECT_TRUE(std::equal(b.begin() + 12, b.end(), before.begin() + 12));
}

TEST(RtpRewriteTest, ShortBufferIsLeftAlone) {
  Bytes b(11, 0x80);
  rewriteRtpHeader(b, 0, true, 1, 2, 3);
  EXPECT_EQ(b, Bytes(11, 0x80));
}

}  // namespace
}  // namespace sb::media
