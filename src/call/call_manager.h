#pragma once
// The B2BUA: every call and leg of the node, on top of the SIP UA core and the media engine.
// Apps (the demo IVR today; flows, the ACD and the dialer later) drive calls through the
// control API below and hear about them through CallApp. Control loop only: every method and
// callback runs there.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/result.h"
#include "base/timer_wheel.h"
#include "call/prompts.h"
#include "call/types.h"
#include "media/engine.h"
#include "sip/user_agent.h"

namespace sb::call {

/// What the call layer tells the app. Control loop.
class CallApp {
 public:
  virtual ~CallApp() = default;
  /// A new inbound call: the leg is offered (the UA sent 100 Trying). Ring, answer or hang up.
  virtual void onIncoming(const IncomingCall& call) = 0;
  /// A digit on `leg` (RFC 4733, in-band or SIP INFO), also while collecting.
  virtual void onDigit(LegId leg, char digit) { (void)leg, (void)digit; }
  /// An inbound or answered leg is gone; no callback names it again. (An originate that fails
  /// before answer reports through its own callback only.)
  virtual void onLegEnded(LegId leg, HangupCause cause) = 0;
  /// The phone on `leg` sent REFER to `target` (Refer-To user part): transfer its bridged peer
  /// there with transfer(), or ignore (the REFER was accepted with 202 either way).
  virtual void onTransferRequest(LegId leg, const std::string& target) { (void)leg, (void)target; }
};

/// Settings of the call layer.
struct CallConfig {
  std::string domain = "127.0.0.1";  ///< host part of the From URI of legs we originate
  std::unordered_map<std::string, int> trunkChannels;  ///< channel limit per trunk name
  Prompt musicOnHold = Prompt::tone("ringback");       ///< what a held party hears
  Prompt ringback = Prompt::tone("ringback");          ///< what a caller hears while we dial
};

/// One live leg as the API lists it.
struct LegSummary {
  LegId leg = 0;
  CallId call = 0;
  bool inbound = true;
  const char* state = "";  ///< "offered", "early", "dialling", "up"
  std::string party;       ///< the caller's number (inbound) or the URI dialled
  LegId bridgedTo = 0;
  bool held = false;
  bool recording = false;
  std::int64_t createdMs = 0;  ///< wall clock
};

/// Counters, read on the control loop.
struct CallStats {
  std::uint64_t inbound = 0;
  std::uint64_t outbound = 0;
  std::uint64_t answered = 0;
  std::uint64_t bridged = 0;
  std::uint64_t rejected = 0;
  std::uint64_t ended = 0;
};

/// The UaHandler of the node.
class CallManager final : public sip::UaHandler {
 public:
  /// `tenantOfNumber` maps a dialled number (Request-URI user) and domain (its host) to the
  /// tenant (nullopt: 404).
  using NumberLookup =
      std::function<std::optional<std::string>(std::string_view number, std::string_view domain)>;
  /// Out-of-dialog non-INVITE requests the call layer does not own (REGISTER).
  using RequestHandler = std::function<void(sip::TxnId, const sip::Message&)>;

  CallManager(sip::UserAgent& ua, TimerWheel& timers, media::MediaEngine& media,
              PromptLoader& prompts, CallEventSink& events, NumberLookup tenantOfNumber,
              CallConfig config = {});
  ~CallManager() override;
  CallManager(const CallManager&) = delete;
  CallManager& operator=(const CallManager&) = delete;

  void setApp(CallApp* app) { app_ = app; }
  /// Numbers calls and legs from `base + 1` (the node run's id << 32, so ids never repeat
  /// across restarts: CDRs, recordings and the API name calls by them). Before the first call.
  void setIdBase(std::uint64_t base) {
    nextLeg_ = base + 1;
    nextCall_ = base + 1;
  }
  void setRequestHandler(RequestHandler h) { requests_ = std::move(h); }

  // ---- control API; kNotFound for an unknown (or ended) leg, kConflict for the wrong state
  /// 180 Ringing on an inbound leg.
  Result<void> ring(LegId leg);
  /// 183 with our SDP answer: prompts play before the call is answered (early media).
  Result<void> earlyMedia(LegId leg);
  /// 200 OK with our SDP answer (inbound leg).
  Result<void> answer(LegId leg);
  /// Plays a prompt to the leg, replacing the current one; `done(true)` when it played to the
  /// end, `done(false)` when stopped, replaced, failed to load or the leg ended.
  Result<void> play(LegId leg, const Prompt& prompt, std::function<void(bool)> done = {});
  Result<void> stopPlay(LegId leg);
  /// Collects digits; `done` once. Digits typed before the call are used unless flushBuffered.
  Result<void> collect(LegId leg, const CollectSpec& spec, std::function<void(CollectResult)> done);
  /// Sends DTMF to the leg (RFC 4733 when negotiated, else in-band).
  Result<void> sendDigits(LegId leg, const std::string& digits);
  /// Records the leg to `path` (stereo WAV: left what the leg says, right what it hears).
  Result<void> startRecording(LegId leg, const std::string& path);
  /// Pause/resume (for card numbers): the pause is silence in the file and an event.
  Result<void> pauseRecording(LegId leg, bool paused);
  Result<void> stopRecording(LegId leg);
  /// Places an outgoing leg; `done` once: answered (the leg is up) or failed (it is gone).
  /// kUnavailable-style failures (trunk full, no media port) are returned at once.
  Result<LegId> originate(const OriginateSpec& spec,
                          std::function<void(LegId, OriginateOutcome)> done);
  /// Connects two answered legs' media both ways. Each side's prompt stops.
  Result<void> bridge(LegId a, LegId b);
  /// Holds the leg's party: re-INVITE with sendonly, music on hold, its bridge paused.
  Result<void> hold(LegId leg);
  /// Takes the party off hold and restores the bridge.
  Result<void> unhold(LegId leg);
  /// Blind transfer: the party bridged to `leg` is connected to a new leg placed by `spec`;
  /// when it answers `leg` is hung up (kTransferred); when it fails the bridge stays.
  Result<void> transfer(LegId leg, const OriginateSpec& spec);
  /// Ends the leg: reject, cancel or BYE depending on its state.
  Result<void> hangup(LegId leg, HangupCause cause = HangupCause::kNormal);
  /// Media id of a leg (for media loop affinity of legs to be bridged to it); 0 if unknown.
  media::SessionId mediaOf(LegId leg) const;
  /// Tenant and call of a leg.
  std::optional<std::pair<std::string, CallId>> callOf(LegId leg) const;
  /// The bridged partner of `leg`, 0 when none.
  LegId peerOf(LegId leg) const;

  /// A media engine event, posted to the control loop by the composition root.
  void onMediaEvent(const media::MediaEvent& e);
  /// Hangs up every leg (graceful shutdown).
  void shutdown();
  std::size_t legCount() const { return legs_.size(); }
  /// The live legs of `tenant`, by leg id (the API's live calls; O(all legs)).
  std::vector<LegSummary> legs(std::string_view tenant) const;
  /// Hangs up every leg of `call` of `tenant` (the API). kNotFound when it has none there.
  Result<void> hangupCall(std::string_view tenant, CallId call);
  /// Inbound legs not yet answered (the admission gate counts them).
  std::size_t pendingInbound() const;
  const CallStats& stats() const { return stats_; }

  // ---- sip::UaHandler
  void onInvite(sip::TxnId txn, const sip::Message& invite) override;
  void onInviteCancelled(sip::TxnId txn) override;
  void onRequest(sip::TxnId txn, const sip::Message& request) override;
  void onDialogRequest(sip::DialogHandle dialog, sip::TxnId txn,
                       const sip::Message& request) override;
  void onDialogAck(sip::DialogHandle dialog, const sip::Message& ack) override;
  void onDialogEnded(sip::DialogHandle dialog, sip::DialogEnd why) override;
  void onOutgoingProgress(sip::OutgoingHandle call, const sip::Message& response) override;
  void onOutgoingAnswered(sip::OutgoingHandle call, sip::DialogHandle dialog,
                          const sip::Message& response) override;
  void onOutgoingFailed(sip::OutgoingHandle call, int status) override;
  void onDialogResponse(sip::DialogHandle dialog, sip::Method method, int status,
                        const sip::Message* response) override;

 private:
  struct Leg;
  Leg* find(LegId id);
  const Leg* find(LegId id) const;
  Leg* byDialog(sip::DialogHandle d);
  Result<void> answerLeg(Leg& leg, bool early);
  /// A digit from the leg: event, app, then collection.
  void onDigit(Leg& leg, char digit);
  /// A digit into the collection (or the type-ahead buffer), without reporting it again.
  void collectDigit(Leg& leg, char digit);
  void finishCollect(Leg& leg, CollectResult::End end);
  void armCollectTimer(Leg& leg, std::chrono::milliseconds after);
  void endLeg(LegId id, HangupCause cause, bool notifyApp = true);
  void emit(CallEvent::Kind kind, const Leg& leg, std::string detail = {}, LegId other = 0);
  void reinviteFor(Leg& leg);
  void handleReinvite(Leg& leg, sip::TxnId txn, const sip::Message& request);
  void handleInfo(Leg& leg, sip::TxnId txn, const sip::Message& request);
  void handleRefer(Leg& leg, sip::TxnId txn, const sip::Message& request);
  void applyMedia(Leg& leg, const media::StreamParams& params);
  void setBridge(Leg& a, Leg& b);

  sip::UserAgent& ua_;
  TimerWheel& timers_;
  media::MediaEngine& media_;
  PromptLoader& prompts_;
  CallEventSink& events_;
  NumberLookup tenantOfNumber_;
  CallConfig config_;
  CallApp* app_ = nullptr;
  RequestHandler requests_;
  LegId nextLeg_ = 1;
  CallId nextCall_ = 1;
  std::uint64_t nextPlay_ = 1;
  std::uint64_t nextSdpSession_;
  std::unordered_map<LegId, std::unique_ptr<Leg>> legs_;
  std::unordered_map<sip::TxnId, LegId> byTxn_;
  std::unordered_map<sip::OutgoingHandle, LegId> byOutgoing_;
  std::unordered_map<sip::DialogHandle, LegId> byDialog_;
  std::unordered_map<media::SessionId, LegId> byMedia_;
  /// A recording still being closed by the media loop after its leg ended: its
  /// kRecordingClosed is logged for the leg that was (the CDR's recording index needs it).
  struct Closing {
    std::string tenant;
    CallId call = 0;
    LegId leg = 0;
  };
  std::unordered_map<media::SessionId, Closing> closing_;  // until the session's kClosed
  std::unordered_map<CallId, int> callLegs_;  // live legs per call
  std::unordered_map<std::string, int> trunkInUse_;
  CallStats stats_;
};

}  // namespace sb::call
