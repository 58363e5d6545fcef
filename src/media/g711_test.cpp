#include "media/g711.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace sb::media {
namespace {

// Quantisation interval of a code on the 16-bit scale.
int ulawStep(std::uint8_t u) {
  return 8 << (((~u) >> 4) & 7);
}
int alawStep(std::uint8_t a) {
  const int segment = ((a ^ 0x55) >> 4) & 7;
  return segment <= 1 ? 16 : 16 << (segment - 1);
}
// 0 for the codes next to zero, 127 at full scale (G.711 Tables 3/4 numbering minus one).
int ulawIndex(std::uint8_t u) {
  return (u & 0x80) != 0 ? 0xFF ^ u : 0x7F ^ u;
}
int alawIndex(std::uint8_t a) {
  return (a & 0x80) != 0 ? 0xD5 ^ a : 0x55 ^ a;
}

TEST(G711Test, UlawKnownValues) {
  EXPECT_EQ(ulawToLinear(0xFF), 0);
  EXPECT_EQ(ulawToLinear(0x7F), 0);  // negative zero
  EXPECT_EQ(ulawToLinear(0x00), -32124);
  EXPECT_EQ(ulawToLinear(0x80), 32124);
  EXPECT_EQ(ulawToLinear(0xFE), 8);
  EXPECT_EQ(ulawToLinear(0x7E), -8);
  EXPECT_EQ(ulawToLinear(0xF0), 120);  // top of segment 0
  EXPECT_EQ(ulawToLinear(0xEF), 132);  // bottom of segment 1
}

TEST(G711Test, UlawEncodeKnownValues) {
  EXPECT_EQ(linearToUlaw(0), 0xFF);
  EXPECT_EQ(linearToUlaw(3), 0xFF);
  EXPECT_EQ(linearToUlaw(4), 0xFE);
  EXPECT_EQ(linearToUlaw(-1), 0x7F);  // the ITU reference's one's complement
  EXPECT_EQ(linearToUlaw(-4), 0x7F);
  EXPECT_EQ(linearToUlaw(-5), 0x7E);
  EXPECT_EQ(linearToUlaw(-32124), 0x00);
  EXPECT_EQ(linearToUlaw(32124), 0x80);
  EXPECT_EQ(linearToUlaw(32767), 0x80);  // clipped
  EXPECT_EQ(linearToUlaw(-32768), 0x00);
}

TEST(G711Test, AlawKnownValues) {
  EXPECT_EQ(alawToLinear(0xD5), 8);
  EXPECT_EQ(alawToLinear(0x55), -8);
  EXPECT_EQ(alawToLinear(0xAA), 32256);
  EXPECT_EQ(alawToLinear(0x2A), -32256);
  EXPECT_EQ(linearToAlaw(0), 0xD5);
  EXPECT_EQ(linearToAlaw(15), 0xD5);
  EXPECT_EQ(linearToAlaw(16), 0xD4);
  EXPECT_EQ(linearToAlaw(-1), 0x55);
  EXPECT_EQ(linearToAlaw(-16), 0x55);
  EXPECT_EQ(linearToAlaw(-17), 0x54);
  EXPECT_EQ(linearToAlaw(32767), 0xAA);
  EXPECT_EQ(linearToAlaw(-32768), 0x2A);
}

TEST(G711Test, EveryUlawCodeRoundTripsExceptNegativeZero) {
  for (int c = 0; c < 256; ++c) {
    const auto u = static_cast<std::uint8_t>(c);
    if (u == 0x7F) {
      EXPECT_EQ(linearToUlaw(ulawToLinear(u)), 0xFF);  // both zeros decode to 0
      continue;
    }
    EXPECT_EQ(linearToUlaw(ulawToLinear(u)), u) << c;
  }
}

TEST(G711Test, EveryAlawCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    const auto a = static_cast<std::uint8_t>(c);
    EXPECT_EQ(linearToAlaw(alawToLinear(a)), a) << c;
  }
}

TEST(G711Test, DecodingIsSignSymmetricAndMonotonic) {
  for (int i = 1; i < 128; ++i) {
    const auto u = static_cast<std::uint8_t>(0xFF ^ i);
    const auto a = static_cast<std::uint8_t>(0xD5 ^ i);
    EXPECT_EQ(ulawToLinear(u), -ulawToLinear(static_cast<std::uint8_t>(u & 0x7F)));
    EXPECT_EQ(alawToLinear(a), -alawToLinear(static_cast<std::uint8_t>(a & 0x7F)));
    EXPECT_GT(ulawToLinear(u), ulawToLinear(static_cast<std::uint8_t>(u + 1)));
    EXPECT_GT(alawToLinear(a), alawToLinear(static_cast<std::uint8_t>(0xD5 ^ (i - 1))));
  }
}

TEST(G711Test, EncodingErrorIsAtMostHalfAStep) {
  int prevU = -40000, prevA = -40000;
  for (int x = -32768; x <= 32767; ++x) {
    const auto s = static_cast<std::int16_t>(x);
    const std::uint8_t u = linearToUlaw(s);
    const std::uint8_t a = linearToAlaw(s);
    if (std::abs(x) < 32124) {
      ASSERT_LE(std::abs(x - ulawToLinear(u)), ulawStep(u) / 2) << x;
    }
    if (std::abs(x) < 32256) {
      ASSERT_LE(std::abs(x - alawToLinear(a)), alawStep(a) / 2) << x;
    }
    ASSERT_GE(ulawToLinear(u), prevU) << x;  // monotonic
    ASSERT_GE(alawToLinear(a), prevA) << x;
    prevU = ulawToLinear(u);
    prevA = alawToLinear(a);
  }
}

TEST(G711Test, SpanDecodeEncode) {
  std::vector<std::uint8_t> codes(256);
  for (int i = 0; i < 256; ++i) codes[i] = static_cast<std::uint8_t>(i);
  std::vector<std::int16_t> pcm(256);
  std::vector<std::uint8_t> again(256);
  decode(Codec::kPcma, codes, pcm);
  EXPECT_EQ(pcm[0xD5], 8);
  encode(Codec::kPcma, pcm, again);
  EXPECT_EQ(again, codes);
  decode(Codec::kPcmu, codes, pcm);
  EXPECT_EQ(pcm[0x00], -32124);
  encode(Codec::kPcmu, pcm, again);
  codes[0x7F] = 0xFF;
  EXPECT_EQ(again, codes);
}

TEST(G711Test, SpanFunctionsStopAtTheInput) {
  const std::vector<std::uint8_t> in(3, 0x00);
  std::vector<std::int16_t> out(5, 7);
  decode(Codec::kPcmu, in, out);
  EXPECT_EQ(out, (std::vector<std::int16_t>{-32124, -32124, -32124, 7, 7}));
  std::vector<std::uint8_t> bytes(5, 1);
  encode(Codec::kPcmu, std::vector<std::int16_t>(2, 0), bytes);
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0xFF, 0xFF, 1, 1, 1}));
}

// Entries of G.711 Table 3 (µ -> A) and Table 4 (A -> µ), as transmitted codes, including
// those where the tables differ from decode-then-encode.
TEST(G711TranscodeTest, TableEntries) {
  EXPECT_EQ(ulawToAlaw(0xFF), 0xD5);
  EXPECT_EQ(ulawToAlaw(0x7F), 0x55);
  EXPECT_EQ(ulawToAlaw(0x80), 0xAA);
  EXPECT_EQ(ulawToAlaw(0x00), 0x2A);
  EXPECT_EQ(ulawToAlaw(0x20), 0x0A);  // segment 5
  EXPECT_EQ(ulawToAlaw(0xA0), 0x8A);
  EXPECT_EQ(ulawToAlaw(0x3F), 0x6A);
  EXPECT_EQ(ulawToAlaw(0x4E), 0x7A);
  EXPECT_EQ(ulawToAlaw(0x4F), 0x78);
  EXPECT_EQ(ulawToAlaw(0xCF), 0xF8);
  EXPECT_EQ(alawToUlaw(0xD5), 0xFE);
  EXPECT_EQ(alawToUlaw(0x55), 0x7E);
  EXPECT_EQ(alawToUlaw(0xAA), 0x80);
  EXPECT_EQ(alawToUlaw(0x2A), 0x00);
  EXPECT_EQ(alawToUlaw(0x00), 0x2A);  // segment 5
  EXPECT_EQ(alawToUlaw(0x0F), 0x25);
  EXPECT_EQ(alawToUlaw(0x80), 0xAA);
}

TEST(G711TranscodeTest, TablesAreSignSymmetric) {
  for (int c = 0; c < 256; ++c) {
    const auto b = static_cast<std::uint8_t>(c);
    const auto flipped = static_cast<std::uint8_t>(b ^ 0x80);
    EXPECT_EQ(ulawToAlaw(flipped), ulawToAlaw(b) ^ 0x80) << c;
    EXPECT_EQ(alawToUlaw(flipped), alawToUlaw(b) ^ 0x80) << c;
  }
}

TEST(G711TranscodeTest, DirectConversionStaysCloseToTheSignal) {
  for (int c = 0; c < 256; ++c) {
    const auto b = static_cast<std::uint8_t>(c);
    // One code step of the coarser law at most: 132 at the top of µ-law segment 5.
    EXPECT_LE(std::abs(alawToLinear(ulawToAlaw(b)) - ulawToLinear(b)), 132) << c;
    EXPECT_LE(std::abs(ulawToLinear(alawToUlaw(b)) - alawToLinear(b)), 132) << c;
  }
}

// µ -> A -> µ is the identity except near zero, where µ-law has twice A-law's resolution:
// the 16 codes with an even magnitude index below 16 (|x| <= 112) come back one code up,
// 8 on the 16-bit scale.
TEST(G711TranscodeTest, UlawAlawUlawNearIdentity) {
  int changed = 0;
  for (int c = 0; c < 256; ++c) {
    const auto u = static_cast<std::uint8_t>(c);
    const std::uint8_t back = alawToUlaw(ulawToAlaw(u));
    if (back == u) continue;
    ++changed;
    const int index = ulawIndex(u);
    EXPECT_TRUE(index < 16 && index % 2 == 0) << c;
    EXPECT_EQ(ulawIndex(back), index + 1) << c;
    EXPECT_EQ((back ^ u) & 0x80, 0) << c;
    EXPECT_EQ(std::abs(ulawToLinear(back) - ulawToLinear(u)), 8) << c;
  }
  EXPECT_EQ(changed, 16);
}

// A -> µ -> A moves 16 codes by exactly one step (8 magnitudes per sign).
TEST(G711TranscodeTest, AlawUlawAlawNearIdentity) {
  int changed = 0;
  for (int c = 0; c < 256; ++c) {
    const auto a = static_cast<std::uint8_t>(c);
    const std::uint8_t back = ulawToAlaw(alawToUlaw(a));
    if (back == a) continue;
    ++changed;
    EXPECT_EQ(std::abs(alawIndex(back) - alawIndex(a)), 1) << c;
  }
  EXPECT_EQ(changed, 16);
}

TEST(G711TranscodeTest, SpanAndInPlace) {
  std::vector<std::uint8_t> buf = {0xFF, 0x7F, 0x00, 0x80, 0x20};
  std::vector<std::uint8_t> out(5);
  transcode(Codec::kPcmu, Codec::kPcma, buf, out);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0xD5, 0x55, 0x2A, 0xAA, 0x0A}));
  transcode(Codec::kPcmu, Codec::kPcma, buf, buf);  // in place
  EXPECT_EQ(buf, out);
  transcode(Codec::kPcma, Codec::kPcmu, buf, buf);
  EXPECT_EQ(buf, (std::vector<std::uint8_t>{0xFE, 0x7E, 0x00, 0x80, 0x20}));
  std::vector<std::uint8_t> copy(5);
  transcode(Codec::kPcma, Codec::kPcma, out, copy);
  EXPECT_EQ(copy, out);
}

TEST(G711Test, NamesAndPayloadTypes) {
  EXPECT_EQ(payloadType(Codec::kPcmu), 0);
  EXPECT_EQ(payloadType(Codec::kPcma), 8);
  EXPECT_EQ(codecName(Codec::kPcmu), "PCMU");
  EXPECT_EQ(codecName(Codec::kPcma), "PCMA");
  EXPECT_EQ(codecFromName("PCMU"), Codec::kPcmu);
  EXPECT_EQ(codecFromName("pcmu"), Codec::kPcmu);
  EXPECT_EQ(codecFromName("PcMa"), Codec::kPcma);
  EXPECT_EQ(codecFromName("G729"), std::nullopt);
  EXPECT_EQ(codecFromName("PCM"), std::nullopt);
  EXPECT_EQ(codecFromName("PCMUX"), std::nullopt);
  EXPECT_EQ(codecFromName(""), std::nullopt);
  EXPECT_EQ(codecFromPayloadType(0), Codec::kPcmu);
  EXPECT_EQ(codecFromPayloadType(8), Codec::kPcma);
  EXPECT_EQ(codecFromPayloadType(18), std::nullopt);
}

TEST(G711Test, SilenceBytes) {
  EXPECT_EQ(silenceByte(Codec::kPcmu), 0xFF);
  EXPECT_EQ(silenceByte(Codec::kPcma), 0xD5);
  EXPECT_EQ(ulawToLinear(silenceByte(Codec::kPcmu)), 0);
  EXPECT_EQ(std::abs(alawToLinear(silenceByte(Codec::kPcma))), 8);
}

}  // namespace
}  // namespace sb::media
