#include "media/g711.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstring>

namespace sb::media {
namespace {

// Sign bit of both laws: set for positive samples in the transmitted code.
constexpr std::uint8_t kSign = 0x80;
// A-law transmits every even bit inverted (G.711 §3.2 note).
constexpr std::uint8_t kAlawInvert = 0x55;
// µ-law: bias that turns the segment boundaries of the 14-bit magnitude into powers of two.
constexpr int kUlawBias = 33;
constexpr int kUlawMaxBiased = 0x1FFF;

// G.711 µ-law encoding law on the 14 most significant bits. Like the ITU reference, a negative
// sample's magnitude is its one's complement, so -1..-4 land in the negative zero code.
constexpr std::uint8_t encodeUlaw(int s) {
  const int biased = std::min(((s < 0 ? ~s : s) >> 2) + kUlawBias, kUlawMaxBiased);
  const int segment = std::bit_width(static_cast<unsigned>(biased >> 6));  // 0..7
  const int step = (biased >> (segment + 1)) & 0x0F;
  // µ-law sends the segment and step inverted.
  const int code = 0x7F ^ ((segment << 4) | step);
  return static_cast<std::uint8_t>(s >= 0 ? code | kSign : code);
}

// G.711 A-law encoding law on the 13 most significant bits; segment 0 and 1 share a step size.
constexpr std::uint8_t encodeAlaw(int s) {
  const int magnitude = (s < 0 ? ~s : s) >> 4;  // 0..2047
  const int segment = magnitude < 16 ? 0 : std::bit_width(static_cast<unsigned>(magnitude)) - 4;
  const int step = segment == 0 ? magnitude : (magnitude >> (segment - 1)) & 0x0F;
  const int code = (segment << 4) | step | (s >= 0 ? kSign : 0);
  return static_cast<std::uint8_t>(code ^ kAlawInvert);
}

// Decoder output: the middle of the code's decision interval, on the 16-bit scale.
constexpr std::int16_t decodeUlaw(std::uint8_t code) {
  const int u = ~code & 0xFF;
  const int segment = (u >> 4) & 0x07;
  const int step = u & 0x0F;
  const int magnitude = (((step << 3) + 4 * kUlawBias) << segment) - 4 * kUlawBias;
  return static_cast<std::int16_t>((u & kSign) != 0 ? -magnitude : magnitude);
}

constexpr std::int16_t decodeAlaw(std::uint8_t code) {
  const int a = (code ^ kAlawInvert) & 0x7F;
  const int segment = a >> 4;
  const int step = (a & 0x0F) | (segment > 0 ? 0x10 : 0);  // the implicit leading 1
  int magnitude = (step << 4) + 8;
  if (segment > 1) magnitude <<= segment - 1;
  return static_cast<std::int16_t>((code & kSign) != 0 ? magnitude : -magnitude);
}

template <class F>
constexpr auto tableOf(F f) {
  std::array<decltype(f(std::uint8_t{0})), 256> t{};
  for (int i = 0; i < 256; ++i) t[static_cast<std::size_t>(i)] = f(static_cast<std::uint8_t>(i));
  return t;
}

// G.711 Tables 3 and 4 are defined on magnitudes (0 = the code next to zero, 127 = full scale)
// and are sign-symmetric. Most entries are "decode, then encode with the other law"; G.711
// departs from that at the entries below (it rounds on true signal levels, not on the 16-bit
// scale), and those are what make A -> µ -> A transparent in segment 5.
constexpr int ulawToAlawMagnitude(int m) {
  if (m == 48) return 45;
  if (m == 49) return 47;
  if (m == 64) return 63;
  if (m >= 81 && m <= 95) return m;
  return encodeAlaw(decodeUlaw(static_cast<std::uint8_t>(0xFF ^ m))) ^ (kSign | kAlawInvert);
}

constexpr int alawToUlawMagnitude(int m) {
  if (m >= 80 && m <= 95) return m;
  return encodeUlaw(decodeAlaw(static_cast<std::uint8_t>((kSign | kAlawInvert) ^ m))) ^ 0xFF;
}

constexpr std::uint8_t tableUlawToAlaw(std::uint8_t u) {
  const bool positive = (u & kSign) != 0;
  const int m = (positive ? 0xFF : 0x7F) ^ u;
  return static_cast<std::uint8_t>((positive ? kSign | kAlawInvert : kAlawInvert) ^
                                   ulawToAlawMagnitude(m));
}

constexpr std::uint8_t tableAlawToUlaw(std::uint8_t a) {
  const bool positive = (a & kSign) != 0;
  const int m = (positive ? kSign | kAlawInvert : kAlawInvert) ^ a;
  return static_cast<std::uint8_t>((positive ? 0xFF : 0x7F) ^ alawToUlawMagnitude(m));
}

// Encoding depends only on s >> 2 (µ-law) or s >> 4 (A-law), arithmetic shifts, since
// ~s >> k == ~(s >> k): one table entry per 14- or 13-bit input value.
template <int kShift, class F>
constexpr auto encodeTableOf(F f) {
  std::array<std::uint8_t, (1u << (16 - kShift))> t{};
  for (std::size_t i = 0; i < t.size(); ++i)
    t[i] = f(static_cast<std::int16_t>(static_cast<std::uint16_t>(i << kShift)));
  return t;
}
constexpr int kUlawShift = 2;
constexpr int kAlawShift = 4;

constexpr auto kUlawEncode = encodeTableOf<kUlawShift>(encodeUlaw);
constexpr auto kAlawEncode = encodeTableOf<kAlawShift>(encodeAlaw);
constexpr auto kUlawDecode = tableOf(decodeUlaw);
constexpr auto kAlawDecode = tableOf(decodeAlaw);
constexpr auto kUlawToAlaw = tableOf(tableUlawToAlaw);
constexpr auto kAlawToUlaw = tableOf(tableAlawToUlaw);

static_assert(kUlawDecode[0xFF] == 0 && kUlawDecode[0x00] == -32124 && kUlawDecode[0x80] == 32124);
static_assert(kAlawDecode[0xD5] == 8 && kAlawDecode[0x55] == -8 && kAlawDecode[0xAA] == 32256);
static_assert(encodeUlaw(0) == 0xFF && encodeAlaw(0) == 0xD5 && encodeAlaw(-1) == 0x55);
static_assert(kUlawToAlaw[0xFF] == 0xD5 && kAlawToUlaw[0xD5] == 0xFE);
static_assert(kUlawEncode[0] == 0xFF && kUlawEncode[0x3FFF] == 0x7F && kUlawEncode[0x2000] == 0x00);
static_assert(kAlawEncode[0] == 0xD5 && kAlawEncode[0xFFF] == 0x55 && kAlawEncode[0x800] == 0x2A);

}  // namespace

std::uint8_t linearToUlaw(std::int16_t s) {
  return kUlawEncode[static_cast<std::uint16_t>(s) >> kUlawShift];
}
std::int16_t ulawToLinear(std::uint8_t u) {
  return kUlawDecode[u];
}
std::uint8_t linearToAlaw(std::int16_t s) {
  return kAlawEncode[static_cast<std::uint16_t>(s) >> kAlawShift];
}
std::int16_t alawToLinear(std::uint8_t a) {
  return kAlawDecode[a];
}
std::uint8_t ulawToAlaw(std::uint8_t u) {
  return kUlawToAlaw[u];
}
std::uint8_t alawToUlaw(std::uint8_t a) {
  return kAlawToUlaw[a];
}

void decode(Codec c, std::span<const std::uint8_t> in, std::span<std::int16_t> out) {
  assert(out.size() >= in.size());
  const std::size_t n = std::min(in.size(), out.size());
  const auto& table = c == Codec::kPcmu ? kUlawDecode : kAlawDecode;
  for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

void encode(Codec c, std::span<const std::int16_t> in, std::span<std::uint8_t> out) {
  assert(out.size() >= in.size());
  const std::size_t n = std::min(in.size(), out.size());
  if (c == Codec::kPcmu) {
    for (std::size_t i = 0; i < n; ++i) out[i] = linearToUlaw(in[i]);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = linearToAlaw(in[i]);
  }
}

void transcode(Codec from, Codec to, std::span<const std::uint8_t> in,
               std::span<std::uint8_t> out) {
  assert(out.size() >= in.size());
  const std::size_t n = std::min(in.size(), out.size());
  if (from == to) {
    if (n > 0 && in.data() != out.data()) std::memmove(out.data(), in.data(), n);
    return;
  }
  // Element-wise through a table: reading in[i] before writing out[i] makes in-place safe.
  const auto& table = from == Codec::kPcmu ? kUlawToAlaw : kAlawToUlaw;
  for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

std::uint8_t payloadType(Codec c) {
  return c == Codec::kPcmu ? 0 : 8;
}

std::string_view codecName(Codec c) {
  return c == Codec::kPcmu ? "PCMU" : "PCMA";
}

std::optional<Codec> codecFromName(std::string_view name) {
  auto is = [&](std::string_view want) {
    return name.size() == want.size() &&
           std::equal(name.begin(), name.end(), want.begin(), [](char a, char b) {
             return (a >= 'a' && a <= 'z' ? static_cast<char>(a - 'a' + 'A') : a) == b;
           });
  };
  if (is("PCMU")) return Codec::kPcmu;
  if (is("PCMA")) return Codec::kPcma;
  return std::nullopt;
}

std::optional<Codec> codecFromPayloadType(std::uint8_t pt) {
  if (pt == 0) return Codec::kPcmu;
  if (pt == 8) return Codec::kPcma;
  return std::nullopt;
}

std::uint8_t silenceByte(Codec c) {
  return c == Codec::kPcmu ? 0xFF : 0xD5;
}

}  // namespace sb::media
