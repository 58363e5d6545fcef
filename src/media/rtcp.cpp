#include "media/rtcp.h"

#include <algorithm>
#include <cstring>

#include "media/internal/bytes.h"

namespace sb::media {
namespace {

using internal::readBe16;
using internal::readBe32;
using internal::writeBe16;
using internal::writeBe32;

constexpr std::uint8_t kVersion = 2;
constexpr std::size_t kHeaderSize = 4;       // V P RC/SC PT length (RFC 3550 §6.4.1)
constexpr std::size_t kSenderInfoSize = 20;  // NTP (8), RTP timestamp, packet and octet count
constexpr std::size_t kBlockSize = 24;
constexpr std::size_t kByeSize = kHeaderSize + 4;  // one SSRC, no reason
constexpr std::uint8_t kSdesEnd = 0;
constexpr std::uint8_t kSdesCname = 1;
constexpr std::int32_t kMaxLost = 0x7FFFFF;  // 24-bit signed range (RFC 3550 A.3)
constexpr std::int32_t kMinLost = -0x800000;




Error invalid(std::size_t index, std::string_view why) {
  return fail(Errc::kInvalidInput,
              "RTCP packet " + std::to_string(index + 1) + ": " + std::string(why));
}

// The 24-bit two's complement cumulative-lost field, sign extended.
std::int32_t signExtend24(std::uint32_t v) {
  v &= 0xFFFFFF;
  return (v & 0x800000) != 0 ? static_cast<std::int32_t>(v) - 0x1000000
                             : static_cast<std::int32_t>(v);
}

ReportBlock readBlock(const std::uint8_t* p) {
  ReportBlock b;
  b.ssrc = readBe32(p);
  b.fractionLost = p[4];
  b.cumulativeLost = signExtend24(readBe32(p + 4));
  b.extendedHighestSeq = readBe32(p + 8);
  b.jitter = readBe32(p + 12);
  b.lastSr = readBe32(p + 16);
  b.delaySinceLastSr = readBe32(p + 20);
  return b;
}

// SR or RR body (after the 4-byte header); nullptr or the reason it is malformed.
const char* parseReport(std::span<const std::uint8_t> body, std::size_t count, bool sr,
                        RtcpReport& out) {
  const std::size_t fixed = 4 + (sr ? kSenderInfoSize : 0);
  // Anything past the blocks is a profile-specific extension (§6.4.1): ignored.
  if (body.size() < fixed + count * kBlockSize) return "shorter than its report count";
  const std::uint8_t* p = body.data();
  out.senderReport = sr;
  out.ssrc = readBe32(p);
  if (sr) {
    out.ntpTimestamp = (std::uint64_t{readBe32(p + 4)} << 32) | readBe32(p + 8);
    out.rtpTimestamp = readBe32(p + 12);
    out.packetCount = readBe32(p + 16);
    out.octetCount = readBe32(p + 20);
  }
  out.blocks.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    out.blocks.push_back(readBlock(p + fixed + i * kBlockSize));
  return nullptr;
}

// SDES chunks (RFC 3550 §6.5): SSRC, items (type, length, text), a null item, padding to 32 bits.
// Keeps the first CNAME seen across the compound.
const char* parseSdes(std::span<const std::uint8_t> body, std::size_t count, bool& haveCname,
                      std::string& cname) {
  std::size_t at = 0;
  for (std::size_t chunk = 0; chunk < count; ++chunk) {
    if (body.size() - at < 4) return "SDES chunk runs past the packet";
    at += 4;
    for (;;) {
      if (at >= body.size()) return "SDES chunk has no end item";
      const std::uint8_t type = body[at];
      if (type == kSdesEnd) break;
      if (body.size() - at < 2 || body.size() - at - 2 < body[at + 1])
        return "SDES item runs past the packet";
      const std::size_t len = body[at + 1];
      if (type == kSdesCname && !haveCname) {
        cname.assign(reinterpret_cast<const char*>(body.data() + at + 2), len);
        haveCname = true;
      }
      at += 2 + len;
    }
    // The null octets end at the next 32-bit boundary; the body starts on one.
    at = (at + 4) & ~std::size_t{3};
    if (at > body.size()) return "SDES chunk padding runs past the packet";
  }
  return nullptr;
}

// BYE (RFC 3550 §6.6): SC SSRCs, then an optional length-prefixed reason.
const char* parseBye(std::span<const std::uint8_t> body, std::size_t count) {
  if (body.size() < count * 4) return "BYE shorter than its source count";
  const std::size_t at = count * 4;
  if (at < body.size() && body.size() - at - 1 < body[at]) return "BYE reason runs past the packet";
  return nullptr;
}

// One SR/RR/SDES/BYE packet of a compound, header already validated.
const char* parsePacket(std::uint8_t type, std::size_t count, std::span<const std::uint8_t> body,
                        bool& haveCname, RtcpCompound& out) {
  switch (type) {
    case kRtcpSr:
    case kRtcpRr: {
      RtcpReport report;
      const char* why = parseReport(body, count, type == kRtcpSr, report);
      if (why == nullptr) out.reports.push_back(std::move(report));
      return why;
    }
    case kRtcpSdes:
      return parseSdes(body, count, haveCname, out.cname);
    case kRtcpBye: {
      out.bye = true;
      return parseBye(body, count);
    }
    default:
      return nullptr;  // APP, RTPFB, PSFB, XR, ...: not ours to interpret
  }
}

void writeHeader(std::uint8_t* p, std::size_t count, std::uint8_t type, std::size_t bytes) {
  p[0] = static_cast<std::uint8_t>((kVersion << 6) | (count & 0x1F));
  p[1] = type;
  writeBe16(p + 2, static_cast<std::uint16_t>(bytes / 4 - 1));  // length in words minus one
}

void writeBlock(std::uint8_t* p, const ReportBlock& b) {
  const std::int32_t lost = std::clamp(b.cumulativeLost, kMinLost, kMaxLost);
  writeBe32(p, b.ssrc);
  writeBe32(p + 4,
            (std::uint32_t{b.fractionLost} << 24) | (static_cast<std::uint32_t>(lost) & 0xFFFFFF));
  writeBe32(p + 8, b.extendedHighestSeq);
  writeBe32(p + 12, b.jitter);
  writeBe32(p + 16, b.lastSr);
  writeBe32(p + 20, b.delaySinceLastSr);
}

std::size_t reportPacketSize(bool sr, std::size_t blocks) {
  return kHeaderSize + 4 + (sr ? kSenderInfoSize : 0) + blocks * kBlockSize;
}

// One chunk: SSRC, CNAME item, at least one null octet, padded to 32 bits.
std::size_t sdesPacketSize(std::size_t cnameSize) {
  return kHeaderSize + ((4 + 2 + cnameSize + 1 + 3) & ~std::size_t{3});
}

std::size_t writeCompound(std::span<std::uint8_t> out, const RtcpReport& report,
                          std::string_view cname, bool bye) {
  const std::size_t blocks = std::min(report.blocks.size(), kMaxReportBlocks);
  cname = cname.substr(0, kMaxCnameSize);
  const std::size_t total =
      rtcpReportSize(report.senderReport, blocks, cname.size()) + (bye ? kByeSize : 0);
  if (out.size() < total) return 0;
  std::uint8_t* p = out.data();
  std::memset(p, 0, total);

  const std::size_t reportSize = reportPacketSize(report.senderReport, blocks);
  writeHeader(p, blocks, report.senderReport ? kRtcpSr : kRtcpRr, reportSize);
  writeBe32(p + 4, report.ssrc);
  std::size_t at = 8;
  if (report.senderReport) {
    writeBe32(p + at, static_cast<std::uint32_t>(report.ntpTimestamp >> 32));
    writeBe32(p + at + 4, static_cast<std::uint32_t>(report.ntpTimestamp));
    writeBe32(p + at + 8, report.rtpTimestamp);
    writeBe32(p + at + 12, report.packetCount);
    writeBe32(p + at + 16, report.octetCount);
    at += kSenderInfoSize;
  }
  for (std::size_t i = 0; i < blocks; ++i, at += kBlockSize) writeBlock(p + at, report.blocks[i]);

  // RFC 3550 §6.1: every compound carries an SDES with our CNAME.
  const std::size_t sdesSize = sdesPacketSize(cname.size());
  writeHeader(p + at, 1, kRtcpSdes, sdesSize);
  writeBe32(p + at + 4, report.ssrc);
  p[at + 8] = kSdesCname;
  p[at + 9] = static_cast<std::uint8_t>(cname.size());
  if (!cname.empty()) std::memcpy(p + at + 10, cname.data(), cname.size());
  at += sdesSize;  // the null item and padding are the zeros from memset

  if (bye) {
    writeHeader(p + at, 1, kRtcpBye, kByeSize);
    writeBe32(p + at + 4, report.ssrc);
    at += kByeSize;
  }
  return at;
}

}  // namespace

Result<RtcpCompound> parseRtcp(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderSize) return invalid(0, "shorter than an RTCP header");
  RtcpCompound out;
  bool haveCname = false;
  std::size_t offset = 0;
  // RFC 3550 A.2: walk the compound; every length must stay inside it and the walk must end
  // exactly at its end. Lengths are whole words, so offset stays a multiple of 4.
  for (std::size_t index = 0; offset < datagram.size(); ++index) {
    const std::size_t left = datagram.size() - offset;
    if (left < kHeaderSize) return invalid(index, "truncated header");
    const std::uint8_t* p = datagram.data() + offset;
    if ((p[0] >> 6) != kVersion) return invalid(index, "version is not 2");
    const bool padding = (p[0] & 0x20) != 0;
    const std::size_t count = p[0] & 0x1F;
    const std::uint8_t type = p[1];
    const std::size_t length = ((std::size_t{p[2]} << 8) | p[3]) * 4 + 4;
    if (length > left) return invalid(index, "length runs past the datagram");
    if (index == 0 && type != kRtcpSr && type != kRtcpRr)
      return invalid(index, "first packet is not SR or RR");
    if (padding && length != left) return invalid(index, "padding before the last packet");

    std::span<const std::uint8_t> body =
        datagram.subspan(offset + kHeaderSize, length - kHeaderSize);
    if (padding) {
      // The last octet counts the padding, itself included (RFC 3550 §6.4.1).
      const std::size_t pad = p[length - 1];
      if (pad == 0 || pad > body.size()) return invalid(index, "bad padding count");
      body = body.first(body.size() - pad);
    }
    if (const char* why = parsePacket(type, count, body, haveCname, out))
      return invalid(index, why);
    offset += length;
  }
  return out;
}

std::size_t rtcpReportSize(bool senderReport, std::size_t blockCount, std::size_t cnameSize) {
  return reportPacketSize(senderReport, std::min(blockCount, kMaxReportBlocks)) +
         sdesPacketSize(std::min(cnameSize, kMaxCnameSize));
}

std::size_t writeRtcpReport(std::span<std::uint8_t> out, const RtcpReport& report,
                            std::string_view cname) {
  return writeCompound(out, report, cname, false);
}

std::size_t writeRtcpBye(std::span<std::uint8_t> out, const RtcpReport& report,
                         std::string_view cname) {
  return writeCompound(out, report, cname, true);
}

}  // namespace sb::media
