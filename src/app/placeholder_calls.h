#pragma once
// Placeholder call handling until the media engine and flows land (issues 3 and 4): a call to
// a configured number rings, is answered with a valid SDP answer after `answer_after_ms`, and
// is hung up by us after `hangup_after_ms` (or by the caller). No RTP flows yet: the SDP
// names a port from the configured range that nothing listens on. Re-INVITEs (hold/unhold)
// get a mirrored-direction answer, INFO a 200. Control loop only.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "app/directory.h"
#include "app/registration.h"
#include "base/timer_wheel.h"
#include "sip/user_agent.h"

namespace sb::app {

/// Counters, read on the control loop.
struct CallStats {
  std::uint64_t offered = 0;
  std::uint64_t answered = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t rejected = 0;
  std::uint64_t ended = 0;
};

/// The UaHandler of the node until `call/` exists.
class PlaceholderCalls final : public sip::UaHandler {
 public:
  PlaceholderCalls(sip::UserAgent& ua, TimerWheel& timers, const Directory& directory,
                   Registration& registration, std::string mediaAddress);
  ~PlaceholderCalls() override;

  void onInvite(sip::TxnId txn, const sip::Message& invite) override;
  void onInviteCancelled(sip::TxnId txn) override;
  void onRequest(sip::TxnId txn, const sip::Message& request) override;
  void onDialogRequest(sip::DialogHandle dialog, sip::TxnId txn,
                       const sip::Message& request) override;
  void onDialogEnded(sip::DialogHandle dialog, sip::DialogEnd why) override;
  void onOutgoingAnswered(sip::OutgoingHandle call, sip::DialogHandle dialog,
                          const sip::Message& response) override;
  void onOutgoingFailed(sip::OutgoingHandle call, int status) override;

  const CallStats& stats() const { return stats_; }
  std::size_t ringing() const { return ringing_.size(); }

 private:
  /// Our o= line and media port of one call (RFC 3264 §8: kept across re-INVITEs).
  struct Origin {
    std::uint64_t sessionId = 0;
    std::uint64_t version = 1;
    int port = 0;
  };
  struct Ringing {
    sip::Body answer;
    Origin origin;
    std::uint32_t hangupAfterMs = 0;
    TimerId timer;
  };
  /// SDP answer for `offer` (or our offer when the INVITE had none); error -> SIP status.
  Result<sip::Body> negotiate(const sip::Message& request, const Origin& origin,
                              int& failStatus);
  void answerNow(sip::TxnId txn);

  sip::UserAgent& ua_;
  TimerWheel& timers_;
  const Directory& directory_;
  Registration& registration_;
  std::string mediaAddress_;
  std::uint64_t sessionCounter_ = 0;
  int nextPort_ = 0;
  std::unordered_map<sip::TxnId, Ringing> ringing_;
  std::unordered_map<sip::DialogHandle, TimerId> hangups_;
  std::unordered_map<sip::DialogHandle, Origin> origins_;
  CallStats stats_;
};

}  // namespace sb::app
