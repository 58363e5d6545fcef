#include "media/rtp.h"

#include <cassert>

#include "media/internal/bytes.h"

namespace sb::media {
namespace {

using internal::readBe16;
using internal::readBe32;
using internal::writeBe16;
using internal::writeBe32;

constexpr std::uint8_t kVersion = 2;
constexpr std::size_t kCsrcSize = 4;
constexpr std::size_t kExtensionHeaderSize = 4;





// Bytes 1..11 of the fixed header, shared by write and rewrite (RFC 3550 §5.1).
void writeFixedFields(std::uint8_t* p, std::uint8_t payloadType, bool marker,
                      std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc) {
  p[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0x00) | (payloadType & 0x7F));
  writeBe16(p + 2, sequence);
  writeBe32(p + 4, timestamp);
  writeBe32(p + 8, ssrc);
}

}  // namespace

std::string_view rtpDropName(RtpDrop d) {
  switch (d) {
    case RtpDrop::kOk:
      return "ok";
    case RtpDrop::kTooShort:
      return "too_short";
    case RtpDrop::kBadVersion:
      return "bad_version";
    case RtpDrop::kCsrcOverrun:
      return "csrc_overrun";
    case RtpDrop::kExtensionOverrun:
      return "extension_overrun";
    case RtpDrop::kBadPadding:
      return "bad_padding";
    case RtpDrop::kEmptyPayload:
      return "empty_payload";
  }
  return "unknown";
}

std::uint32_t RtpPacket::csrc(std::size_t i) const {
  assert(i < csrcCount && csrcs.size() >= (i + 1) * kCsrcSize);
  return readBe32(csrcs.data() + i * kCsrcSize);
}

RtpDrop parseRtp(std::span<const std::uint8_t> datagram, RtpPacket& out) {
  const std::size_t size = datagram.size();
  if (size < kRtpHeaderSize) return RtpDrop::kTooShort;
  const std::uint8_t* p = datagram.data();
  if ((p[0] >> 6) != kVersion) return RtpDrop::kBadVersion;
  const bool padding = (p[0] & 0x20) != 0;
  const bool extension = (p[0] & 0x10) != 0;
  const std::uint8_t cc = p[0] & 0x0F;

  // Invariant from here on: offset <= size, so size - offset never wraps.
  std::size_t offset = kRtpHeaderSize + cc * kCsrcSize;
  if (offset > size) return RtpDrop::kCsrcOverrun;
  const std::size_t csrcOffset = kRtpHeaderSize;

  // RFC 3550 §5.3.1: a 4-byte header (profile, length in 32-bit words) then the data.
  std::uint16_t profile = 0;
  std::size_t extOffset = offset;
  std::size_t extSize = 0;
  if (extension) {
    if (size - offset < kExtensionHeaderSize) return RtpDrop::kExtensionOverrun;
    profile = readBe16(p + offset);
    extSize = std::size_t{readBe16(p + offset + 2)} * 4;
    extOffset = offset + kExtensionHeaderSize;
    if (size - extOffset < extSize) return RtpDrop::kExtensionOverrun;
    offset = extOffset + extSize;
  }

  // RFC 3550 §5.1: with P set, the last octet counts the padding octets, itself included.
  std::size_t pad = 0;
  if (padding) {
    pad = p[size - 1];
    if (pad == 0 || pad > size - offset) return RtpDrop::kBadPadding;
  }
  if (size - offset - pad == 0) return RtpDrop::kEmptyPayload;

  out.payloadType = p[1] & 0x7F;
  out.marker = (p[1] & 0x80) != 0;
  out.sequence = readBe16(p + 2);
  out.timestamp = readBe32(p + 4);
  out.ssrc = readBe32(p + 8);
  out.csrcCount = cc;
  out.csrcs = datagram.subspan(csrcOffset, cc * kCsrcSize);
  out.extensionProfile = profile;
  out.extension = datagram.subspan(extOffset, extSize);
  out.paddingSize = static_cast<std::uint8_t>(pad);
  out.payload = datagram.subspan(offset, size - offset - pad);
  return RtpDrop::kOk;
}

bool looksLikeRtcp(std::span<const std::uint8_t> datagram) {
  // RFC 5761 §4: RTP payload types 64..95 would collide with RTCP 192..223, so a second octet
  // in that range (M bit + PT) is taken as RTCP.
  return datagram.size() >= 2 && datagram[1] >= 192 && datagram[1] <= 223;
}

std::size_t writeRtpHeader(std::span<std::uint8_t> out, std::uint8_t payloadType, bool marker,
                           std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc) {
  if (out.size() < kRtpHeaderSize) return 0;
  out[0] = kVersion << 6;
  writeFixedFields(out.data(), payloadType, marker, sequence, timestamp, ssrc);
  return kRtpHeaderSize;
}

void rewriteRtpHeader(std::span<std::uint8_t> packet, std::uint8_t payloadType, bool marker,
                      std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc) {
  if (packet.size() < kRtpHeaderSize) return;
  writeFixedFields(packet.data(), payloadType, marker, sequence, timestamp, ssrc);
}

}  // namespace sb::media
