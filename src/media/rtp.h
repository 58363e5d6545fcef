#pragma once
// RTP fixed header (RFC 3550 §5.1): parse a datagram into a view, write and rewrite headers.
// Pure functions of their arguments: no allocation, safe on any thread. Nothing here reads or
// writes outside the spans it is given.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sb::media {

/// Why parseRtp() dropped a datagram; kOk when it did not. One counter per value.
enum class RtpDrop : std::uint8_t {
  kOk,                ///< parsed
  kTooShort,          ///< fewer than 12 bytes (including 0)
  kBadVersion,        ///< V is not 2
  kCsrcOverrun,       ///< the CC CSRC entries run past the end
  kExtensionOverrun,  ///< the header extension (X) runs past the end
  kBadPadding,        ///< P set with a padding count of 0 or more than the payload
  kEmptyPayload,      ///< nothing left after CSRCs, extension and padding
};

/// "ok", "too_short", "bad_version", "csrc_overrun", "extension_overrun", "bad_padding",
/// "empty_payload": for counter names and logs.
std::string_view rtpDropName(RtpDrop d);

/// A parsed RTP packet: a view into the datagram, valid as long as the datagram is.
struct RtpPacket {
  std::uint8_t payloadType = 0;             ///< PT, 0..127; unknown types are not a parse error
  bool marker = false;                      ///< M bit
  std::uint16_t sequence = 0;               ///< sequence number
  std::uint32_t timestamp = 0;              ///< RTP timestamp, in clock-rate units
  std::uint32_t ssrc = 0;                   ///< synchronisation source
  std::uint8_t csrcCount = 0;               ///< CC, 0..15
  std::span<const std::uint8_t> payload;    ///< after CSRCs and extension, padding removed
  std::span<const std::uint8_t> csrcs;      ///< the raw CSRC list, 4 * csrcCount bytes
  std::uint16_t extensionProfile = 0;       ///< "defined by profile" field when X is set
  std::span<const std::uint8_t> extension;  ///< extension data after its 4-byte header
  std::uint8_t paddingSize = 0;             ///< padding bytes removed (P set), else 0
  /// The i-th CSRC (i < csrcCount).
  std::uint32_t csrc(std::size_t i) const;
};

/// kOk and fills `out`, or why the datagram is dropped. Never reads past `datagram`.
RtpDrop parseRtp(std::span<const std::uint8_t> datagram, RtpPacket& out);

/// True when the datagram looks like RTCP (RFC 5761 §4: second byte 192..223 / PT 200..207
/// range) — for demux on one port.
bool looksLikeRtcp(std::span<const std::uint8_t> datagram);

/// Size of the RTP fixed header without CSRCs or extension.
inline constexpr std::size_t kRtpHeaderSize = 12;

/// Writes a 12-byte header (V=2, no CSRC/extension/padding) into out[0..12); returns 12, or 0
/// if out is too small. `payloadType` is masked to 7 bits.
std::size_t writeRtpHeader(std::span<std::uint8_t> out, std::uint8_t payloadType, bool marker,
                           std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc);

/// Rewrites seq/timestamp/ssrc/marker/pt of an existing valid RTP packet in place (for relaying
/// with our own SSRC space). V, P, X, CC, CSRCs, extension and payload are kept; a packet
/// shorter than 12 bytes is left alone.
void rewriteRtpHeader(std::span<std::uint8_t> packet, std::uint8_t payloadType, bool marker,
                      std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc);

}  // namespace sb::media
