#pragma once
// SDP offer/answer (RFC 3264) turned into what the media engine needs: our SDP for a leg and
// the StreamParams of its audio stream. Pure functions; any thread.

#include <cstdint>
#include <string>

#include "base/result.h"
#include "media/engine.h"
#include "sip/sdp.h"

namespace sb::call {

/// Our side of one leg's media: where our RTP is and our o= line (kept for the dialog's life,
/// version raised on every change, RFC 3264 §8).
struct LocalMedia {
  std::string address;
  std::uint16_t port = 0;
  std::uint64_t sessionId = 0;
  std::uint64_t version = 1;
};

/// Our answer and the resulting stream.
struct Negotiated {
  sip::sdp::Session sdp;
  media::StreamParams params;
};

/// Answers `offer` (PCMU/PCMA + telephone-event), with our direction forced to `hold`'s
/// sendonly when we are holding the peer. kInvalidInput "no common codec" (SIP 488).
Result<Negotiated> answerOffer(const sip::sdp::Session& offer, const LocalMedia& local,
                               bool holding = false);

/// Our offer: PCMU, PCMA, telephone-event; sendonly when `holding` (RFC 3264 §8.4).
sip::sdp::Session makeOffer(const LocalMedia& local, bool holding = false);

/// The stream that the peer's `answer` to our offer selects. kInvalidInput when it accepted
/// no audio stream we offered.
Result<media::StreamParams> acceptAnswer(const sip::sdp::Session& answer);

/// True when the offer puts us on hold (sendonly/inactive, or the RFC 2543 c=0.0.0.0).
bool offerHolds(const sip::sdp::Session& offer);

}  // namespace sb::call
