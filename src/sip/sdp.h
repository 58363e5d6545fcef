#pragma once
// SDP (RFC 4566): parse and serialize, plus the RFC 3264 offer/answer our calls use.
// Values are owned strings: descriptions are small and outlive the SIP message they came in.
// Everything here is a pure function of its arguments: safe on any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace sb::sip::sdp {

/// Most m= sections parse() accepts; more is an error.
inline constexpr std::size_t kMaxMedia = 64;
/// Most formats one m= line may list; more is an error.
inline constexpr std::size_t kMaxFormats = 128;

/// Media direction attribute (RFC 3264 §5.1); absent means sendrecv.
enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };

/// The attribute name of a direction: "sendrecv", "sendonly", "recvonly" or "inactive".
std::string_view directionName(Direction d);

/// One format of an m= line with its a=rtpmap / a=fmtp. RTP media: `payloadType` 0..127; a
/// static type without a=rtpmap gets its RFC 3551 name and rate, a dynamic one an empty
/// encoding and clockRate 0. Other media (udptl, TCP/MSRP): payloadType -1, the token in
/// `encoding`.
struct Format {
  int payloadType = 0;   ///< 0..127, or -1 for a non-RTP format token
  std::string encoding;  ///< "PCMU", "telephone-event", "opus", "t38", ...
  int clockRate = 0;     ///< RTP clock rate in Hz; 0 when unknown
  int channels = 1;      ///< audio channels (the rtpmap encoding parameter)
  std::string fmtp;      ///< a=fmtp parameters, verbatim
  /// Field-wise equality.
  bool operator==(const Format&) const = default;
};

/// One m= section.
struct Media {
  std::string type;                    ///< "audio", "video", "image", ...
  int port = 0;                        ///< 0..65535; 0 marks a rejected or disabled stream
  int portCount = 1;                   ///< the "/<number of ports>" of the m= line
  std::string proto;                   ///< "RTP/AVP", "RTP/SAVPF", "udptl", ...
  std::vector<Format> formats;         ///< in m= order, 1..kMaxFormats of them
  std::string connectionAddress;       ///< without /ttl; empty: the session-level one applies
  std::optional<Direction> direction;  ///< absent: the session-level one applies
  std::optional<int> ptime;            ///< packet time in ms (a=ptime)
  std::optional<int> rtcpPort;         ///< RFC 3605 a=rtcp port
  std::vector<std::pair<std::string, std::string>> attributes;  ///< other a= lines, in order
  /// Field-wise equality.
  bool operator==(const Media&) const = default;
};

/// A whole session description. IP4 or IP6 is not stored: serialize() infers it from the
/// address (a ':' means IP6).
struct Session {
  std::string originUser = "-";
  std::uint64_t sessionId = 0;
  std::uint64_t sessionVersion = 0;
  std::string originAddress;
  std::string name = "-";                      ///< s=; never empty after parse()
  std::string connectionAddress;               ///< session-level c=, without /ttl
  Direction direction = Direction::kSendRecv;  ///< session-level direction attribute
  std::vector<Media> media;                    ///< at most kMaxMedia
  std::vector<std::pair<std::string, std::string>> attributes;  ///< other session a= lines
  /// Field-wise equality.
  bool operator==(const Session&) const = default;
};

/// True for the RTP profiles ("RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF"): formats are
/// payload types.
bool isRtp(std::string_view proto);

/// Parses a description. Accepts LF-only line endings; checks structure (v=0 first, one o= and
/// one s= before any m=, known line types, ports 0..65535, payload types 0..127, at most
/// kMaxMedia sections of kMaxFormats formats, a c= for every used stream). kInvalidInput with
/// "SDP line <n>: <why>" on failure. Linear in the input size.
Result<Session> parse(std::string_view text);

/// CRLF text: v= o= s= c= t=0 0, session a= lines, then per m= section c=, a=rtpmap/fmtp,
/// a=ptime, a=rtcp, other a= lines and the direction. parse(serialize(s)) == s for any s that
/// parse() returned.
std::string serialize(const Session& s);

/// Media-level direction if present, else session-level.
Direction effectiveDirection(const Session& s, const Media& m);

/// The answerer's direction for an offered one (RFC 3264 §6.1): send and receive swap.
Direction answerDirection(Direction offered);

/// What we can accept and where our media is.
struct AnswerOptions {
  std::string address;                              ///< our media address (c= and o=); required
  int port = 0;                                     ///< our RTP port, 1..65535; required
  std::vector<std::string> codecs{"PCMU", "PCMA"};  ///< supported; offer order; any case
  bool telephoneEvent = true;                       ///< RFC 4733 DTMF
  std::uint64_t sessionId = 0;
  std::uint64_t sessionVersion = 0;
  int ptime = 20;  ///< ms; 0 leaves a=ptime out
};

/// RFC 3264 §6: one m= line per offered one, in order. The first audio RTP/AVP stream with a
/// common codec is accepted with the offerer's first supported format (and its telephone-event
/// type when offered and wanted), direction mirrored; every other stream is rejected with port
/// 0 and its formats. kInvalidInput "no common codec" when nothing is acceptable (SIP 488).
Result<Session> answer(const Session& offer, const AnswerOptions& opt);

/// A sendrecv audio offer: opt.codecs that have a static payload type (PCMU 0, PCMA 8, G722 9,
/// ...; PCMU if none does) plus telephone-event/8000 at 101 with fmtp 0-16 when wanted.
Session makeOffer(const AnswerOptions& opt);

}  // namespace sb::sip::sdp
