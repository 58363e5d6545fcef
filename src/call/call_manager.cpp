#include "call/call_manager.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "base/log.h"
#include "call/negotiation.h"
#include "media/dtmf_event.h"
#include "sip/sdp.h"

namespace sb::call {
namespace sdp = sip::sdp;

enum class LegState : std::uint8_t {
  kOffered,   ///< inbound INVITE not answered yet
  kEarly,     ///< inbound, 183 with SDP sent
  kDialling,  ///< outbound INVITE sent, no final response
  kUp,        ///< answered (dialog confirmed or 2xx sent)
};

struct CallManager::Leg {
  LegId id = 0;
  CallId call = 0;
  std::string tenant;
  bool inbound = true;
  LegState state = LegState::kOffered;
  std::int64_t createdMs = 0;  // wall clock
  std::string party;           // the caller's number (inbound) or the URI dialled (outbound)
  bool endedByUs = false;      // hangup() by the app rather than the party's BYE/CANCEL
  sip::TxnId inviteTxn = 0;
  sip::OutgoingHandle outgoing = 0;
  sip::DialogHandle dialog = 0;
  media::SessionId media = 0;
  LocalMedia local;
  std::optional<Negotiated> negotiated;   // our answer to the INVITE's offer, used on answer()
  std::optional<sdp::Session> answerSdp;  // our answer (kept for 183 -> 200)
  bool sdpInAck = false;                  // the INVITE had no offer: ours went in the 2xx
  LegId peer = 0;                         // bridged partner
  LegId heldPeer = 0;                     // partner while on hold (bridge paused)
  bool holding = false;                   // we hold this party
  bool reinviting = false;
  bool recording = false;
  std::string recordingPath;
  std::string trunk;
  // Playback: the current play and the callbacks of plays not reported yet.
  std::uint64_t currentPlay = 0;
  std::unordered_map<std::uint64_t, std::function<void(bool)>> plays;
  // Digit collection.
  std::string buffered;  // digits with no collector (type-ahead), at most kTypeAhead
  bool collecting = false;
  CollectSpec collectSpec;
  std::string collected;
  std::function<void(CollectResult)> collectDone;
  TimerId collectTimer;
  // Outgoing.
  std::function<void(LegId, OriginateOutcome)> originateDone;
  TimerId ringTimer;
  // Blind transfer in progress: the new leg that will replace this one.
  LegId transferTo = 0;
};

namespace {

constexpr std::size_t kTypeAhead = 32;

std::int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool hasSdp(const sip::Message& m) {
  return !m.body().empty() &&
         sip::iequals(sip::trim(m.header(sip::HeaderId::kContentType)), "application/sdp");
}

sip::Body sdpBody(const sdp::Session& s) {
  return {"application/sdp", sdp::serialize(s)};
}

/// The SIP final response for rejecting an unanswered inbound leg, by cause.
int rejectStatus(HangupCause c) {
  switch (c) {
    case HangupCause::kBusy:
      return 486;
    case HangupCause::kNoAnswer:
      return 480;
    case HangupCause::kRejected:
      return 603;
    case HangupCause::kUnavailable:
      return 480;
    case HangupCause::kShutdown:
      return 503;
    case HangupCause::kError:
    case HangupCause::kMediaTimeout:
      return 500;
    default:
      return 480;
  }
}

/// The cause of a failed outgoing INVITE, by SIP status.
HangupCause causeOfStatus(int status) {
  switch (status) {
    case 486:
    case 600:
      return HangupCause::kBusy;
    case 408:
    case 480:
      return HangupCause::kNoAnswer;
    case 487:
      return HangupCause::kCancelled;
    case 404:
    case 410:
    case 503:
      return HangupCause::kUnavailable;
    default:
      return HangupCause::kRejected;
  }
}

/// Digit of a SIP INFO body: application/dtmf-relay ("Signal=5") or application/dtmf ("5").
std::optional<char> infoDigit(const sip::Message& m) {
  std::string_view type = sip::trim(m.header(sip::HeaderId::kContentType));
  std::string_view body = sip::trim(m.body());
  if (sip::iequals(type, "application/dtmf-relay")) {
    auto at = body.find("Signal=");
    if (at == std::string_view::npos) at = body.find("signal=");
    if (at == std::string_view::npos) return std::nullopt;
    body = sip::trim(body.substr(at + 7));
  } else if (!sip::iequals(type, "application/dtmf")) {
    return std::nullopt;
  }
  if (body.empty()) return std::nullopt;
  char d = body.front();
  if (media::dtmfCharEvent(d) < 0) return std::nullopt;
  return d >= 'a' && d <= 'd' ? static_cast<char>(d - 'a' + 'A') : d;
}

}  // namespace

std::string_view hangupCauseName(HangupCause c) {
  switch (c) {
    case HangupCause::kNormal:
      return "normal";
    case HangupCause::kCancelled:
      return "cancelled";
    case HangupCause::kBusy:
      return "busy";
    case HangupCause::kNoAnswer:
      return "no_answer";
    case HangupCause::kRejected:
      return "rejected";
    case HangupCause::kUnavailable:
      return "unavailable";
    case HangupCause::kMediaTimeout:
      return "media_timeout";
    case HangupCause::kPeerGone:
      return "peer_hung_up";
    case HangupCause::kTransferred:
      return "transferred";
    case HangupCause::kShutdown:
      return "shutdown";
    case HangupCause::kError:
      return "error";
  }
  return "unknown";
}

std::string_view callEventName(CallEvent::Kind k) {
  using K = CallEvent::Kind;
  switch (k) {
    case K::kCallCreated:
      return "call_created";
    case K::kLegCreated:
      return "leg_created";
    case K::kRinging:
      return "ringing";
    case K::kAnswered:
      return "answered";
    case K::kBridged:
      return "bridged";
    case K::kUnbridged:
      return "unbridged";
    case K::kDtmf:
      return "dtmf";
    case K::kHold:
      return "hold";
    case K::kUnhold:
      return "unhold";
    case K::kRecordingStarted:
      return "recording_started";
    case K::kRecordingPaused:
      return "recording_paused";
    case K::kRecordingResumed:
      return "recording_resumed";
    case K::kRecordingStopped:
      return "recording_stopped";
    case K::kTransferred:
      return "transferred";
    case K::kLegEnded:
      return "leg_ended";
    case K::kCallEnded:
      return "call_ended";
  }
  return "unknown";
}

CallManager::CallManager(sip::UserAgent& ua, TimerWheel& timers, media::MediaEngine& media,
                         PromptLoader& prompts, CallEventSink& events, NumberLookup tenantOfNumber,
                         CallConfig config)
    : ua_(ua),
      timers_(timers),
      media_(media),
      prompts_(prompts),
      events_(events),
      tenantOfNumber_(std::move(tenantOfNumber)),
      config_(std::move(config)),
      nextSdpSession_(std::random_device{}() & 0xffffffU) {}

CallManager::~CallManager() {
  for (auto& [id, leg] : legs_) {
    timers_.cancel(leg->collectTimer);
    timers_.cancel(leg->ringTimer);
    media_.destroy(leg->media);
  }
}

CallManager::Leg* CallManager::find(LegId id) {
  auto it = legs_.find(id);
  return it == legs_.end() ? nullptr : it->second.get();
}

const CallManager::Leg* CallManager::find(LegId id) const {
  auto it = legs_.find(id);
  return it == legs_.end() ? nullptr : it->second.get();
}

CallManager::Leg* CallManager::byDialog(sip::DialogHandle d) {
  auto it = byDialog_.find(d);
  return it == byDialog_.end() ? nullptr : find(it->second);
}

void CallManager::emit(CallEvent::Kind kind, const Leg& leg, std::string detail, LegId other) {
  CallEvent e;
  e.kind = kind;
  e.timeMs = wallMs();
  e.tenant = leg.tenant;
  e.call = leg.call;
  e.leg = leg.id;
  e.otherLeg = other;
  e.detail = std::move(detail);
  e.byUs = kind == CallEvent::Kind::kLegEnded && leg.endedByUs;
  events_.onCallEvent(e);
}

media::SessionId CallManager::mediaOf(LegId leg) const {
  const Leg* l = find(leg);
  return l == nullptr ? 0 : l->media;
}

std::optional<std::pair<std::string, CallId>> CallManager::callOf(LegId leg) const {
  const Leg* l = find(leg);
  if (l == nullptr) return std::nullopt;
  return std::make_pair(l->tenant, l->call);
}

LegId CallManager::peerOf(LegId leg) const {
  const Leg* l = find(leg);
  return l == nullptr ? 0 : l->peer;
}

std::vector<LegSummary> CallManager::legs(std::string_view tenant) const {
  std::vector<LegSummary> out;
  for (const auto& [id, l] : legs_) {
    if (l->tenant != tenant) continue;
    static constexpr const char* kStates[] = {"offered", "early", "dialling", "up"};
    out.push_back({l->id, l->call, l->inbound, kStates[static_cast<int>(l->state)], l->party,
                   l->peer, l->holding, l->recording, l->createdMs});
  }
  std::sort(out.begin(), out.end(),
            [](const LegSummary& a, const LegSummary& b) { return a.leg < b.leg; });
  return out;
}

Result<void> CallManager::hangupCall(std::string_view tenant, CallId call) {
  std::vector<LegId> ids;
  for (const auto& [id, l] : legs_) {
    if (l->tenant == tenant && l->call == call) ids.push_back(id);
  }
  if (ids.empty()) return fail(Errc::kNotFound, "no such call");
  for (LegId id : ids) (void)hangup(id, HangupCause::kNormal);
  return {};
}

std::size_t CallManager::pendingInbound() const {
  return byTxn_.size();
}

// ---------------------------------------------------------------- inbound

void CallManager::onInvite(sip::TxnId txn, const sip::Message& invite) {
  std::string number = sip::unescape(invite.requestUri().user);
  auto tenant = tenantOfNumber_(number, invite.requestUri().host);
  if (!tenant) {
    ++stats_.rejected;
    (void)ua_.respond(txn, 404);
    return;
  }
  std::optional<sdp::Session> offer;
  if (hasSdp(invite)) {
    auto parsed = sdp::parse(invite.body());
    if (!parsed) {
      ++stats_.rejected;
      (void)ua_.respond(txn, 400, {}, {}, "Bad SDP");
      return;
    }
    offer = std::move(parsed).value();
  } else if (!invite.body().empty()) {
    ++stats_.rejected;
    (void)ua_.respond(txn, 415, {{"Accept", "application/sdp"}});
    return;
  }
  auto session = media_.create();
  if (!session) {
    ++stats_.rejected;
    spdlog::warn("call: rejecting INVITE {}: {}", invite.callId(), session.error().message);
    (void)ua_.respond(txn, 503, {{"Retry-After", "5"}});
    return;
  }
  auto leg = std::make_unique<Leg>();
  leg->id = nextLeg_++;
  leg->call = nextCall_++;
  leg->tenant = *tenant;
  leg->createdMs = wallMs();
  leg->inviteTxn = txn;
  leg->media = session->id;
  leg->local = LocalMedia{media_.address(), session->port, ++nextSdpSession_, 1};
  if (offer) {
    // Negotiate now: what we cannot answer is rejected before the app spends anything on it.
    auto n = answerOffer(*offer, leg->local);
    if (!n) {
      ++stats_.rejected;
      media_.destroy(session->id);
      (void)ua_.respond(txn, 488);
      return;
    }
    leg->negotiated = std::move(n).value();
  }
  IncomingCall info;
  info.call = leg->call;
  info.leg = leg->id;
  info.tenant = leg->tenant;
  info.number = number;
  info.sipCallId = std::string(invite.callId());
  info.domain = std::string(invite.requestUri().host);
  info.source = invite.source().remote;
  if (auto from = sip::parseNameAddr(invite.header(sip::HeaderId::kFrom))) {
    info.fromUser = sip::unescape(from->uri.user);
    info.fromDisplay = std::string(from->displayName);
  }
  Leg& l = *leg;
  byTxn_[txn] = l.id;
  byMedia_[l.media] = l.id;
  callLegs_[l.call] = 1;
  legs_.emplace(l.id, std::move(leg));
  ++stats_.inbound;
  emit(CallEvent::Kind::kCallCreated, l, number);
  l.party = info.fromUser;
  emit(CallEvent::Kind::kLegCreated, l, "inbound from " + info.fromUser);
  if (app_ != nullptr) {
    app_->onIncoming(info);
  } else {
    (void)hangup(info.leg, HangupCause::kUnavailable);
  }
}

void CallManager::onInviteCancelled(sip::TxnId txn) {
  auto it = byTxn_.find(txn);
  if (it == byTxn_.end()) return;
  LegId id = it->second;
  byTxn_.erase(it);
  if (Leg* l = find(id)) l->inviteTxn = 0;  // the UA already answered 487
  endLeg(id, HangupCause::kCancelled);
}

Result<void> CallManager::ring(LegId id) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  if (!l->inbound || l->state != LegState::kOffered) return fail(Errc::kConflict, "not offered");
  auto r = ua_.provisional(l->inviteTxn, 180);
  if (r) emit(CallEvent::Kind::kRinging, *l);
  return r;
}

Result<void> CallManager::earlyMedia(LegId id) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  return answerLeg(*l, true);
}

Result<void> CallManager::answer(LegId id) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  return answerLeg(*l, false);
}

Result<void> CallManager::answerLeg(Leg& l, bool early) {
  if (!l.inbound || (l.state != LegState::kOffered && l.state != LegState::kEarly))
    return fail(Errc::kConflict, "leg is not waiting for an answer");
  if (early && l.state == LegState::kEarly) return {};
  if (!l.answerSdp) {
    if (l.negotiated) {
      l.answerSdp = std::move(l.negotiated->sdp);
      applyMedia(l, l.negotiated->params);
      l.negotiated.reset();
    } else {
      if (early) return fail(Errc::kConflict, "no offer: early media needs one");
      l.answerSdp = makeOffer(l.local);  // the caller answers in the ACK (§13.2.1)
      l.sdpInAck = true;
    }
  }
  if (early) {
    auto r = ua_.provisional(l.inviteTxn, 183, sdpBody(*l.answerSdp));
    if (!r) return r;
    l.state = LegState::kEarly;
    emit(CallEvent::Kind::kRinging, l, "early media");
    return {};
  }
  auto dialog = ua_.answer(l.inviteTxn, sdpBody(*l.answerSdp));
  if (!dialog) return dialog.error();
  byTxn_.erase(l.inviteTxn);
  l.inviteTxn = 0;
  l.dialog = *dialog;
  byDialog_[l.dialog] = l.id;
  l.state = LegState::kUp;
  ++stats_.answered;
  emit(CallEvent::Kind::kAnswered, l);
  return {};
}

void CallManager::applyMedia(Leg& l, const media::StreamParams& params) {
  media_.configure(l.media, params);
}

void CallManager::onDialogAck(sip::DialogHandle dialog, const sip::Message& ack) {
  Leg* l = byDialog(dialog);
  if (l == nullptr || !l->sdpInAck || !hasSdp(ack)) return;
  l->sdpInAck = false;
  auto answer = sdp::parse(ack.body());
  auto params = answer ? acceptAnswer(*answer) : Result<media::StreamParams>(answer.error());
  if (!params) {
    // RFC 3261 §13.3.1.4: an unacceptable answer in the ACK ends the call with BYE.
    spdlog::info("call: leg {}: bad SDP answer in ACK: {}", l->id, params.error().message);
    (void)hangup(l->id, HangupCause::kError);
    return;
  }
  applyMedia(*l, *params);
}

// ---------------------------------------------------------------- in-dialog requests

void CallManager::onRequest(sip::TxnId txn, const sip::Message& request) {
  if (request.method() == sip::Method::kRegister && requests_) {
    requests_(txn, request);
    return;
  }
  (void)ua_.respond(
      txn, 405, {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, REGISTER"}});
}

void CallManager::onDialogRequest(sip::DialogHandle dialog, sip::TxnId txn,
                                  const sip::Message& request) {
  Leg* l = byDialog(dialog);
  if (l == nullptr) {
    (void)ua_.respond(txn, 481);
    return;
  }
  switch (request.method()) {
    case sip::Method::kInvite:
      handleReinvite(*l, txn, request);
      return;
    case sip::Method::kInfo:
      handleInfo(*l, txn, request);
      return;
    case sip::Method::kRefer:
      handleRefer(*l, txn, request);
      return;
    case sip::Method::kOptions:
    case sip::Method::kNotify:
      (void)ua_.respond(txn, 200);
      return;
    default:
      (void)ua_.respond(txn, 501);
  }
}

void CallManager::handleReinvite(Leg& l, sip::TxnId txn, const sip::Message& request) {
  ++l.local.version;  // RFC 3264 §8: same o= line, version + 1
  if (!hasSdp(request)) {
    // Offer-less re-INVITE: we offer in the 2xx, they answer in the ACK.
    l.sdpInAck = true;
    (void)ua_.answer(txn, sdpBody(makeOffer(l.local, l.holding)));
    return;
  }
  auto offer = sdp::parse(request.body());
  if (!offer) {
    --l.local.version;
    (void)ua_.respond(txn, 400, {}, {}, "Bad SDP");
    return;
  }
  auto n = answerOffer(*offer, l.local, l.holding);
  if (!n) {
    --l.local.version;
    (void)ua_.respond(txn, 488);
    return;
  }
  if (!ua_.answer(txn, sdpBody(n->sdp))) return;
  bool holds = offerHolds(*offer);
  applyMedia(l, n->params);
  emit(holds ? CallEvent::Kind::kHold : CallEvent::Kind::kUnhold, l, "by the party");
}

void CallManager::handleInfo(Leg& l, sip::TxnId txn, const sip::Message& request) {
  (void)ua_.respond(txn, 200);
  if (auto d = infoDigit(request)) onDigit(l, *d);
}

void CallManager::handleRefer(Leg& l, sip::TxnId txn, const sip::Message& request) {
  auto target = sip::parseNameAddr(request.header(sip::HeaderId::kReferTo));
  if (!target || target->uri.user.empty()) {
    (void)ua_.respond(txn, 400, {}, {}, "Bad Refer-To");
    return;
  }
  if (l.peer == 0) {
    (void)ua_.respond(txn, 603, {}, {}, "Nothing to transfer");
    return;
  }
  (void)ua_.respond(txn, 202);
  std::string user = sip::unescape(target->uri.user);
  // RFC 3515 §2.4.5: the implicit subscription gets a final NOTIFY; we report acceptance and
  // complete the transfer ourselves (the transferor's leg is hung up once the target answers).
  (void)ua_.request(l.dialog, sip::Method::kNotify, {"message/sipfrag", "SIP/2.0 200 OK\r\n"},
                    {{"Event", "refer"}, {"Subscription-State", "terminated;reason=noresource"}});
  if (app_ != nullptr) app_->onTransferRequest(l.id, user);
}

// ---------------------------------------------------------------- media control

Result<void> CallManager::play(LegId id, const Prompt& prompt, std::function<void(bool)> done) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  std::uint64_t playId = nextPlay_++;
  l->currentPlay = playId;
  if (done) l->plays.emplace(playId, std::move(done));
  prompts_.load(prompt, [this, id, playId, loop = prompt.loop](Result<media::SharedSamples> s) {
    Leg* leg = find(id);
    if (leg == nullptr) return;  // its callbacks ran when it ended
    if (!s || leg->currentPlay != playId) {
      if (!s) spdlog::warn("call: leg {}: prompt failed: {}", id, s.error().message);
      if (auto it = leg->plays.find(playId); it != leg->plays.end()) {
        auto cb = std::move(it->second);
        leg->plays.erase(it);
        cb(false);
      }
      return;
    }
    media_.play(leg->media, playId, *s, loop);
  });
  return {};
}

Result<void> CallManager::stopPlay(LegId id) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  l->currentPlay = 0;
  media_.stopPlay(l->media);
  return {};
}

Result<void> CallManager::sendDigits(LegId id, const std::string& digits) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  media_.sendDigits(l->media, digits);
  return {};
}

Result<void> CallManager::collect(LegId id, const CollectSpec& spec,
                                  std::function<void(CollectResult)> done) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  if (l->collecting) finishCollect(*l, CollectResult::End::kTimeout);
  l->collecting = true;
  l->collectSpec = spec;
  l->collected.clear();
  l->collectDone = std::move(done);
  std::string typed = spec.flushBuffered ? std::string() : l->buffered;
  l->buffered.clear();
  armCollectTimer(*l, spec.firstDigitTimeout);
  for (char d : typed) {  // already reported when they were typed
    Leg* again = find(id);
    if (again == nullptr || !again->collecting) return {};
    collectDigit(*again, d);
  }
  return {};
}

void CallManager::armCollectTimer(Leg& l, std::chrono::milliseconds after) {
  timers_.cancel(l.collectTimer);
  LegId id = l.id;
  l.collectTimer = timers_.start(after, [this, id] {
    if (Leg* leg = find(id); leg != nullptr && leg->collecting)
      finishCollect(*leg, CollectResult::End::kTimeout);
  });
}

void CallManager::finishCollect(Leg& l, CollectResult::End end) {
  timers_.cancel(l.collectTimer);
  l.collecting = false;
  auto done = std::move(l.collectDone);
  l.collectDone = nullptr;
  CollectResult r{std::move(l.collected), end};
  l.collected.clear();
  if (done) done(std::move(r));
}

void CallManager::onDigit(Leg& l, char digit) {
  emit(CallEvent::Kind::kDtmf, l, std::string(1, digit));
  LegId id = l.id;
  if (app_ != nullptr) app_->onDigit(id, digit);
  if (Leg* leg = find(id)) collectDigit(*leg, digit);  // the app may have hung up
}

void CallManager::collectDigit(Leg& leg, char digit) {
  if (!leg.collecting) {
    if (leg.buffered.size() < kTypeAhead) leg.buffered.push_back(digit);
    return;
  }
  const CollectSpec& spec = leg.collectSpec;
  if (spec.terminator != 0 && digit == spec.terminator) {
    finishCollect(leg, CollectResult::End::kTerminator);
    return;
  }
  leg.collected.push_back(digit);
  if (leg.collected.size() >= spec.maxDigits) {
    finishCollect(leg, CollectResult::End::kMaxDigits);
    return;
  }
  armCollectTimer(leg, spec.interDigitTimeout);
}

Result<void> CallManager::startRecording(LegId id, const std::string& path) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  media_.startRecording(l->media, path);
  l->recording = true;
  l->recordingPath = path;
  emit(CallEvent::Kind::kRecordingStarted, *l, path);
  return {};
}

Result<void> CallManager::pauseRecording(LegId id, bool paused) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  if (!l->recording) return fail(Errc::kConflict, "not recording");
  media_.pauseRecording(l->media, paused);
  emit(paused ? CallEvent::Kind::kRecordingPaused : CallEvent::Kind::kRecordingResumed, *l,
       l->recordingPath);
  return {};
}

Result<void> CallManager::stopRecording(LegId id) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  if (!l->recording) return fail(Errc::kConflict, "not recording");
  media_.stopRecording(l->media);
  l->recording = false;
  return {};
}

void CallManager::onMediaEvent(const media::MediaEvent& e) {
  auto it = byMedia_.find(e.session);
  if (it == byMedia_.end()) {  // the leg ended meanwhile
    auto c = closing_.find(e.session);
    if (c == closing_.end()) return;
    if (e.kind == media::MediaEvent::Kind::kRecordingClosed ||
        e.kind == media::MediaEvent::Kind::kRecordingFailed) {
      CallEvent ev;
      ev.kind = CallEvent::Kind::kRecordingStopped;
      ev.timeMs = wallMs();
      ev.tenant = c->second.tenant;
      ev.call = c->second.call;
      ev.leg = c->second.leg;
      ev.detail = e.kind == media::MediaEvent::Kind::kRecordingClosed
                      ? e.detail + " " + std::to_string(e.frames / 8) + "ms"
                      : "failed: " + e.detail;
      events_.onCallEvent(ev);
    }
    if (e.kind == media::MediaEvent::Kind::kClosed) closing_.erase(c);
    return;
  }
  Leg* l = find(it->second);
  if (l == nullptr) return;
  using K = media::MediaEvent::Kind;
  switch (e.kind) {
    case K::kDtmf:
      onDigit(*l, e.digit);
      return;
    case K::kPlayDone: {
      auto p = l->plays.find(e.playId);
      if (p == l->plays.end()) return;
      auto cb = std::move(p->second);
      l->plays.erase(p);
      cb(e.completed);
      return;
    }
    case K::kRecordingClosed:
      emit(CallEvent::Kind::kRecordingStopped, *l,
           e.detail + " " + std::to_string(e.frames / 8) + "ms");
      return;
    case K::kRecordingFailed:
      spdlog::warn("call: leg {}: recording failed: {}", l->id, e.detail);
      l->recording = false;
      emit(CallEvent::Kind::kRecordingStopped, *l, "failed: " + e.detail);
      return;
    case K::kMediaTimeout:
      spdlog::info("call: leg {}: no RTP, hanging up", l->id);
      (void)hangup(l->id, HangupCause::kMediaTimeout);
      return;
    case K::kClosed:
      return;
  }
}

// ---------------------------------------------------------------- outbound

Result<LegId> CallManager::originate(const OriginateSpec& spec,
                                     std::function<void(LegId, OriginateOutcome)> done) {
  if (!spec.trunk.empty()) {
    auto limit = config_.trunkChannels.find(spec.trunk);
    int inUse = trunkInUse_[spec.trunk];
    if (limit != config_.trunkChannels.end() && inUse >= limit->second)
      return fail(Errc::kOverloaded, "trunk " + spec.trunk + " is at its channel limit");
  }
  auto session = media_.create(spec.nearMedia);
  if (!session) return session.error();
  auto leg = std::make_unique<Leg>();
  Leg& l = *leg;
  l.id = nextLeg_++;
  l.call = spec.call != 0 ? spec.call : nextCall_++;
  l.tenant = spec.tenant;
  l.inbound = false;
  l.state = LegState::kDialling;
  l.createdMs = wallMs();
  l.party = spec.requestUri;
  l.media = session->id;
  l.local = LocalMedia{media_.address(), session->port, ++nextSdpSession_, 1};
  l.trunk = spec.trunk;
  l.originateDone = std::move(done);
  sip::OutgoingInvite inv;
  inv.requestUri = spec.requestUri;
  std::string user = spec.fromUser.empty() ? "switchboard" : spec.fromUser;
  inv.fromUri = "sip:" + user + "@" + config_.domain;
  inv.fromDisplay = spec.fromDisplay;
  inv.toUri = spec.requestUri;
  inv.destination = spec.destination;
  inv.body = sdpBody(makeOffer(l.local));
  inv.credentials = spec.credentials;
  l.outgoing = ua_.invite(inv);
  byOutgoing_[l.outgoing] = l.id;
  byMedia_[l.media] = l.id;
  ++callLegs_[l.call];
  if (!l.trunk.empty()) ++trunkInUse_[l.trunk];
  LegId id = l.id;
  l.ringTimer = timers_.start(spec.ringTimeout, [this, id] {
    if (Leg* x = find(id); x != nullptr && x->state == LegState::kDialling) {
      x->ringTimer = {};
      endLeg(id, HangupCause::kNoAnswer);
    }
  });
  legs_.emplace(id, std::move(leg));
  ++stats_.outbound;
  if (spec.call == 0) emit(CallEvent::Kind::kCallCreated, l, spec.requestUri);
  emit(CallEvent::Kind::kLegCreated, l, "outbound to " + spec.requestUri);
  return id;
}

void CallManager::onOutgoingProgress(sip::OutgoingHandle call, const sip::Message& response) {
  auto it = byOutgoing_.find(call);
  if (it == byOutgoing_.end()) return;
  Leg* l = find(it->second);
  if (l != nullptr && response.status() == 180) emit(CallEvent::Kind::kRinging, *l);
}

void CallManager::onOutgoingAnswered(sip::OutgoingHandle call, sip::DialogHandle dialog,
                                     const sip::Message& response) {
  auto it = byOutgoing_.find(call);
  if (it == byOutgoing_.end()) {
    (void)ua_.bye(dialog);  // answered after we gave up on it
    return;
  }
  LegId id = it->second;
  byOutgoing_.erase(it);
  Leg& l = *find(id);
  timers_.cancel(l.ringTimer);
  l.outgoing = 0;
  l.dialog = dialog;
  byDialog_[dialog] = id;
  auto answer = hasSdp(response) ? sdp::parse(response.body())
                                 : Result<sdp::Session>(fail(Errc::kInvalidInput, "no SDP"));
  auto params = answer ? acceptAnswer(*answer) : Result<media::StreamParams>(answer.error());
  if (!params) {
    spdlog::info("call: leg {}: unusable answer: {}", id, params.error().message);
    l.state = LegState::kUp;
    (void)ua_.bye(dialog);
    auto done = std::move(l.originateDone);
    endLeg(id, HangupCause::kError, false);
    if (done) done(id, {false, HangupCause::kError, 488});
    return;
  }
  applyMedia(l, *params);
  l.state = LegState::kUp;
  ++stats_.answered;
  emit(CallEvent::Kind::kAnswered, l);
  auto done = std::move(l.originateDone);
  l.originateDone = nullptr;
  if (done) done(id, {true, HangupCause::kNormal, response.status()});
}

void CallManager::onOutgoingFailed(sip::OutgoingHandle call, int status) {
  auto it = byOutgoing_.find(call);
  if (it == byOutgoing_.end()) return;
  LegId id = it->second;
  byOutgoing_.erase(it);
  if (Leg* l = find(id)) l->outgoing = 0;
  endLeg(id, causeOfStatus(status));
}

// ---------------------------------------------------------------- bridge, hold, transfer

void CallManager::setBridge(Leg& a, Leg& b) {
  a.peer = b.id;
  b.peer = a.id;
  a.currentPlay = 0;
  b.currentPlay = 0;
}

Result<void> CallManager::bridge(LegId ia, LegId ib) {
  Leg* a = find(ia);
  Leg* b = find(ib);
  if (a == nullptr || b == nullptr) return fail(Errc::kNotFound, "no such leg");
  if (a == b) return fail(Errc::kConflict, "a leg cannot be bridged to itself");
  for (Leg* x : {a, b}) {
    if (x->peer != 0 && x->peer != a->id && x->peer != b->id) {
      if (Leg* old = find(x->peer)) {
        old->peer = 0;
        emit(CallEvent::Kind::kUnbridged, *old, {}, x->id);
      }
    }
  }
  if (auto r = media_.bridge(a->media, b->media); !r) return r;
  setBridge(*a, *b);
  ++stats_.bridged;
  emit(CallEvent::Kind::kBridged, *a, {}, b->id);
  return {};
}

void CallManager::reinviteFor(Leg& l) {
  ++l.local.version;
  if (!ua_.reinvite(l.dialog, sdpBody(makeOffer(l.local, l.holding)))) {
    --l.local.version;  // glare: the peer's re-INVITE wins; ours is retried by the app
    return;
  }
  l.reinviting = true;
}

Result<void> CallManager::hold(LegId id) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  if (l->state != LegState::kUp) return fail(Errc::kConflict, "leg is not up");
  if (l->holding) return {};
  l->holding = true;
  if (l->peer != 0) {
    l->heldPeer = l->peer;
    if (Leg* p = find(l->peer)) p->peer = 0;
    l->peer = 0;
    media_.unbridge(l->media);
  }
  reinviteFor(*l);
  (void)play(id, config_.musicOnHold);
  emit(CallEvent::Kind::kHold, *l, "by us");
  return {};
}

Result<void> CallManager::unhold(LegId id) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  if (!l->holding) return {};
  l->holding = false;
  (void)stopPlay(id);
  reinviteFor(*l);
  emit(CallEvent::Kind::kUnhold, *l, "by us");
  LegId partner = l->heldPeer;
  l->heldPeer = 0;
  if (partner != 0 && find(partner) != nullptr) return bridge(id, partner);
  return {};
}

void CallManager::onDialogResponse(sip::DialogHandle dialog, sip::Method method, int status,
                                   const sip::Message* response) {
  Leg* l = byDialog(dialog);
  if (l == nullptr || method != sip::Method::kInvite) return;
  l->reinviting = false;
  if (status < 200 || status >= 300 || response == nullptr || !hasSdp(*response)) return;
  auto answer = sdp::parse(response->body());
  if (!answer) return;
  if (auto params = acceptAnswer(*answer)) applyMedia(*l, *params);
}

Result<void> CallManager::transfer(LegId id, const OriginateSpec& spec) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  LegId partner = l->peer != 0 ? l->peer : l->heldPeer;
  if (partner == 0) return fail(Errc::kConflict, "the leg has no party to transfer");
  OriginateSpec s = spec;
  s.call = l->call;
  s.nearMedia = mediaOf(partner);
  auto target = originate(s, [this, id, partner](LegId newLeg, OriginateOutcome out) {
    if (Leg* from = find(id)) from->transferTo = 0;
    if (!out.answered) {
      spdlog::info("call: transfer of leg {} failed ({})", partner, hangupCauseName(out.cause));
      return;
    }
    if (find(partner) == nullptr) {
      (void)hangup(newLeg, HangupCause::kPeerGone);
      return;
    }
    if (Leg* from = find(id)) {
      from->peer = 0;
      emit(CallEvent::Kind::kTransferred, *from, {}, newLeg);
      endLeg(id, HangupCause::kTransferred);
    }
    if (Leg* p = find(partner)) p->peer = 0;
    (void)bridge(partner, newLeg);
  });
  if (!target) return target.error();
  l->transferTo = *target;
  (void)play(partner, config_.ringback);
  return {};
}

// ---------------------------------------------------------------- hangup

Result<void> CallManager::hangup(LegId id, HangupCause cause) {
  Leg* l = find(id);
  if (l == nullptr) return fail(Errc::kNotFound, "no such leg");
  l->endedByUs = true;  // the app ends it (hang-up node, timed hang-up, API), not the party
  endLeg(id, cause);
  return {};
}

void CallManager::onDialogEnded(sip::DialogHandle dialog, sip::DialogEnd why) {
  auto it = byDialog_.find(dialog);
  if (it == byDialog_.end()) return;
  LegId id = it->second;
  byDialog_.erase(it);
  if (Leg* l = find(id)) l->dialog = 0;  // nothing left to BYE
  endLeg(id, why == sip::DialogEnd::kShutdown ? HangupCause::kShutdown : HangupCause::kNormal);
}

void CallManager::endLeg(LegId id, HangupCause cause, bool notifyApp) {
  auto node = legs_.extract(id);
  if (node.empty()) return;
  std::unique_ptr<Leg> leg = std::move(node.mapped());
  Leg& l = *leg;
  // Signalling: reject, cancel or BYE, by state.
  if (l.inviteTxn != 0) {
    (void)ua_.respond(l.inviteTxn, rejectStatus(cause));
    byTxn_.erase(l.inviteTxn);
  }
  if (l.outgoing != 0) {
    ua_.cancel(l.outgoing);
    byOutgoing_.erase(l.outgoing);
  }
  if (l.dialog != 0) {
    (void)ua_.bye(l.dialog);
    byDialog_.erase(l.dialog);
  }
  timers_.cancel(l.collectTimer);
  timers_.cancel(l.ringTimer);
  byMedia_.erase(l.media);
  if (l.recording) closing_[l.media] = Closing{l.tenant, l.call, l.id};
  media_.destroy(l.media);
  if (!l.trunk.empty()) --trunkInUse_[l.trunk];
  ++stats_.ended;
  emit(CallEvent::Kind::kLegEnded, l, std::string(hangupCauseName(cause)), l.peer);
  bool lastLeg = --callLegs_[l.call] <= 0;
  if (lastLeg) {
    callLegs_.erase(l.call);
    emit(CallEvent::Kind::kCallEnded, l, std::string(hangupCauseName(cause)));
  }
  // Callbacks last: they may start new work (and end other legs) re-entrantly.
  if (l.collecting) finishCollect(l, CollectResult::End::kHangup);
  for (auto& [playId, cb] : l.plays) cb(false);
  l.plays.clear();
  bool answeredOrInbound = l.inbound || l.state == LegState::kUp;
  if (l.originateDone) {
    auto done = std::move(l.originateDone);
    done(id, {false, cause, 0});
    answeredOrInbound = false;
  }
  if (notifyApp && answeredOrInbound && app_ != nullptr) app_->onLegEnded(id, cause);
  if (l.transferTo != 0) (void)hangup(l.transferTo, HangupCause::kPeerGone);
  LegId partners[] = {l.peer, l.heldPeer};
  for (LegId p : partners) {
    Leg* other = find(p);
    if (other == nullptr) continue;
    if (other->peer == id) other->peer = 0;
    if (other->heldPeer == id) other->heldPeer = 0;
    if (cause != HangupCause::kTransferred) endLeg(p, HangupCause::kPeerGone);
  }
}

void CallManager::shutdown() {
  std::vector<LegId> all;
  all.reserve(legs_.size());
  for (const auto& [id, leg] : legs_) all.push_back(id);
  for (LegId id : all) endLeg(id, HangupCause::kShutdown);
}

}  // namespace sb::call
