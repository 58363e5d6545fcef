#include "call/negotiation.h"

#include "sip/message.h"

namespace sb::call {
namespace sdp = sip::sdp;
namespace {

media::Direction toMedia(sdp::Direction d) {
  switch (d) {
    case sdp::Direction::kSendRecv:
      return media::Direction::kSendRecv;
    case sdp::Direction::kSendOnly:
      return media::Direction::kSendOnly;
    case sdp::Direction::kRecvOnly:
      return media::Direction::kRecvOnly;
    case sdp::Direction::kInactive:
      return media::Direction::kInactive;
  }
  return media::Direction::kInactive;
}

sdp::AnswerOptions options(const LocalMedia& local) {
  sdp::AnswerOptions o;
  o.address = local.address;
  o.port = local.port;
  o.sessionId = local.sessionId;
  o.sessionVersion = local.version;
  return o;
}

const std::string& addressOf(const sdp::Session& s, const sdp::Media& m) {
  return m.connectionAddress.empty() ? s.connectionAddress : m.connectionAddress;
}

/// The stream described by the peer's m= line `theirs`, using the formats of `chosen` (the
/// accepted m= line: its first format is the codec, telephone-event if present).
Result<media::StreamParams> streamFrom(const sdp::Session& peer, const sdp::Media& theirs,
                                       const sdp::Media& chosen, media::Direction ours) {
  media::StreamParams p;
  bool haveCodec = false;
  for (const auto& f : chosen.formats) {
    if (sip::iequals(f.encoding, "telephone-event")) {
      if (p.telephoneEvent < 0) p.telephoneEvent = f.payloadType;
      continue;
    }
    if (haveCodec) continue;
    if (auto c = media::codecFromName(f.encoding); c && f.clockRate == 8000) {
      p.codec = *c;
      p.payloadType = static_cast<std::uint8_t>(f.payloadType);
      haveCodec = true;
    }
  }
  if (!haveCodec) return fail(Errc::kInvalidInput, "no common codec");
  const std::string& addr = addressOf(peer, theirs);
  // RFC 3264 §8.4 (and RFC 2543 c=0.0.0.0): no address to send to, but keep receiving.
  if (auto e = Endpoint::parse(addr, static_cast<std::uint16_t>(theirs.port));
      e && addr != "0.0.0.0" && addr != "::" && theirs.port > 0) {
    p.remote = *e;
    if (theirs.rtcpPort) {
      p.remoteRtcp = Endpoint::parse(addr, static_cast<std::uint16_t>(*theirs.rtcpPort));
    }
  }
  p.direction = ours;
  return p;
}

}  // namespace

bool offerHolds(const sdp::Session& offer) {
  for (const auto& m : offer.media) {
    if (m.type != "audio" || m.port == 0) continue;
    auto d = sdp::effectiveDirection(offer, m);
    if (d == sdp::Direction::kSendOnly || d == sdp::Direction::kInactive) return true;
    if (addressOf(offer, m) == "0.0.0.0") return true;
  }
  return false;
}

Result<Negotiated> answerOffer(const sdp::Session& offer, const LocalMedia& local, bool holding) {
  auto answer = sdp::answer(offer, options(local));
  if (!answer) return answer.error();
  for (std::size_t i = 0; i < answer->media.size(); ++i) {
    sdp::Media& ours = answer->media[i];
    if (ours.port == 0) continue;
    if (holding) {
      // We hold the peer: we may only send (music on hold), RFC 3264 §8.4.
      auto d = ours.direction.value_or(sdp::Direction::kSendRecv);
      ours.direction = (d == sdp::Direction::kSendRecv || d == sdp::Direction::kSendOnly)
                           ? sdp::Direction::kSendOnly
                           : sdp::Direction::kInactive;
    }
    auto params = streamFrom(offer, offer.media[i], ours,
                             toMedia(ours.direction.value_or(sdp::Direction::kSendRecv)));
    if (!params) return params.error();
    return Negotiated{std::move(answer).value(), std::move(params).value()};
  }
  return fail(Errc::kInvalidInput, "no common codec");
}

sdp::Session makeOffer(const LocalMedia& local, bool holding) {
  sdp::Session s = sdp::makeOffer(options(local));
  if (holding) s.media.front().direction = sdp::Direction::kSendOnly;
  return s;
}

Result<media::StreamParams> acceptAnswer(const sdp::Session& answer) {
  for (const auto& m : answer.media) {
    if (m.type != "audio" || m.port == 0 || !sdp::isRtp(m.proto)) continue;
    return streamFrom(answer, m, m,
                      toMedia(sdp::answerDirection(sdp::effectiveDirection(answer, m))));
  }
  return fail(Errc::kInvalidInput, "the answer accepted no audio stream");
}

}  // namespace sb::call
