#pragma once
// SDP (RFC 4566): parse and serialize, plus the RFC 3264 offer/answer used by the UA's users.
// Values are owned strings: session descriptions are small and outlive their SIP message.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace sb::sip::sdp {

/// Media direction attribute (RFC 3264 §5.1).
enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };
/// "sendrecv", "sendonly", ...
std::string_view directionName(Direction d);

/// One payload format of an m= line with its rtpmap/fmtp.
struct Format {
  int payloadType = 0;
  std::string encoding;  ///< "PCMU", "telephone-event", ...
  int clockRate = 8000;
  int channels = 1;
  std::string fmtp;
};

/// One m= section.
struct Media {
  std::string type;               ///< "audio", "video", ...
  int port = 0;
  int portCount = 1;
  std::string proto;              ///< "RTP/AVP", ...
  std::vector<Format> formats;
  std::string connectionAddress;  ///< empty: the session-level one applies
  std::optional<Direction> direction;  ///< absent: the session-level one applies
  std::optional<int> ptime;
  std::optional<int> rtcpPort;
  std::vector<std::pair<std::string, std::string>> attributes;  ///< other a= lines, in order
};

/// A whole session description.
struct Session {
  std::string originUser = "-";
  std::uint64_t sessionId = 0;
  std::uint64_t sessionVersion = 0;
  std::string originAddress = "127.0.0.1";
  std::string name = "-";
  std::string connectionAddress;
  Direction direction = Direction::kSendRecv;
  std::vector<Media> media;
  std::vector<std::pair<std::string, std::string>> attributes;
};

/// Parses a description; errors say which line and why ("line 4: invalid port").
Result<Session> parse(std::string_view text);
/// CRLF-terminated text.
std::string serialize(const Session& s);
/// Media-level direction if present, else session-level.
Direction effectiveDirection(const Session& s, const Media& m);
/// The answerer's direction for an offered one (RFC 3264 §6.1).
Direction answerDirection(Direction offered);

/// What we can accept and where our media is.
struct AnswerOptions {
  std::string address = "127.0.0.1";
  int port = 0;
  std::vector<std::string> codecs{"PCMU", "PCMA"};  ///< preference order, case-insensitive
  bool telephoneEvent = true;
  std::uint64_t sessionId = 0;
  std::uint64_t sessionVersion = 0;
  int ptime = 20;
};

/// RFC 3264 §6: one m= line per offered one, the first audio RTP/AVP stream with a common
/// codec accepted (the offerer's first supported format, plus telephone-event with the
/// offerer's payload type), every other stream rejected with port 0. kInvalidInput "no common
/// codec" when nothing is acceptable (a SIP edge answers 488).
Result<Session> answer(const Session& offer, const AnswerOptions& opt);
/// An audio offer with opt.codecs at their static payload types plus telephone-event/8000 at 101.
Session makeOffer(const AnswerOptions& opt);

}  // namespace sb::sip::sdp
