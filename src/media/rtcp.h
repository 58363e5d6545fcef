#pragma once
// RTCP (RFC 3550 §6): parse compound packets into sender/receiver reports, CNAME and BYE, and
// write our own SR/RR + SDES (+ BYE) compounds. Pure functions: safe on any thread. Parsing
// allocates (reports, CNAME); writing does not.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sb::media {

/// RTCP packet types (RFC 3550 §12.1).
inline constexpr std::uint8_t kRtcpSr = 200;
inline constexpr std::uint8_t kRtcpRr = 201;
inline constexpr std::uint8_t kRtcpSdes = 202;
inline constexpr std::uint8_t kRtcpBye = 203;
inline constexpr std::uint8_t kRtcpApp = 204;
/// Most report blocks one SR/RR can carry (5-bit RC, RFC 3550 §6.4.1).
inline constexpr std::size_t kMaxReportBlocks = 31;
/// Longest CNAME an SDES item can carry (8-bit length, RFC 3550 §6.5).
inline constexpr std::size_t kMaxCnameSize = 255;

/// One reception report block (RFC 3550 §6.4.1).
struct ReportBlock {
  std::uint32_t ssrc = 0;                ///< source this block is about
  std::uint8_t fractionLost = 0;         ///< lost since the previous report, fixed point /256
  std::int32_t cumulativeLost = 0;       ///< 24-bit signed on the wire; clamped when written
  std::uint32_t extendedHighestSeq = 0;  ///< cycles << 16 | highest sequence received
  std::uint32_t jitter = 0;              ///< interarrival jitter, RTP timestamp units
  std::uint32_t lastSr = 0;              ///< LSR: middle 32 bits of the last SR's NTP time
  std::uint32_t delaySinceLastSr = 0;    ///< DLSR, units of 1/65536 s
  /// Field-wise equality.
  bool operator==(const ReportBlock&) const = default;
};

/// A sender report (SR) or receiver report (RR); the sender fields are 0 for an RR.
struct RtcpReport {
  bool senderReport = false;        ///< SR when true, RR otherwise
  std::uint32_t ssrc = 0;           ///< the reporter's SSRC
  std::uint64_t ntpTimestamp = 0;   ///< NTP wallclock, 32.32 fixed point (SR only)
  std::uint32_t rtpTimestamp = 0;   ///< RTP time matching ntpTimestamp (SR only)
  std::uint32_t packetCount = 0;    ///< sender's packet count (SR only)
  std::uint32_t octetCount = 0;     ///< sender's payload octet count (SR only)
  std::vector<ReportBlock> blocks;  ///< at most kMaxReportBlocks written per packet
  /// Field-wise equality.
  bool operator==(const RtcpReport&) const = default;
};

/// What a compound packet told us.
struct RtcpCompound {
  std::vector<RtcpReport> reports;  ///< every SR/RR, in order; never empty after parseRtcp()
  std::string cname;                ///< the first SDES CNAME item, empty if none
  bool bye = false;                 ///< a BYE packet was present
};

/// Parses a compound packet (validity checks of RFC 3550 A.2: version 2, first packet SR or RR,
/// lengths add up exactly, padding only in the last). kInvalidInput with a reason. Also
/// checks SR/RR/SDES/BYE bodies against their counts; APP and unknown types are skipped.
/// Reduced-size RTCP (RFC 5506, no SR/RR first) is rejected.
Result<RtcpCompound> parseRtcp(std::span<const std::uint8_t> datagram);

/// Bytes writeRtcpReport() needs for `blockCount` blocks (capped at 31) and a CNAME of
/// `cnameSize` bytes (capped at 255).
std::size_t rtcpReportSize(bool senderReport, std::size_t blockCount, std::size_t cnameSize);

/// Writes SR (report.senderReport) or RR with up to 31 blocks, followed by an SDES with CNAME
/// `cname` (compound, RFC 3550 §6.1). Returns bytes written, 0 if `out` is too small. Blocks
/// after the 31st and CNAME bytes after the 255th are left out; cumulativeLost is clamped to
/// 24 bits.
std::size_t writeRtcpReport(std::span<std::uint8_t> out, const RtcpReport& report,
                            std::string_view cname);

/// Same with a BYE appended (when a stream ends).
std::size_t writeRtcpBye(std::span<std::uint8_t> out, const RtcpReport& report,
                         std::string_view cname);

/// Middle 32 bits of an NTP timestamp: the LSR value a receiver echoes (RFC 3550 §6.4.1).
inline constexpr std::uint32_t ntpMiddle32(std::uint64_t ntp) {
  return static_cast<std::uint32_t>(ntp >> 16);
}

}  // namespace sb::media
