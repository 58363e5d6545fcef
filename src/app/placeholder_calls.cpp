#include "app/placeholder_calls.h"

#include "base/log.h"
#include "sip/sdp.h"

namespace sb::app {
namespace {

constexpr int kPortBase = 20000;
constexpr int kPortSpan = 10000;

bool hasSdp(const sip::Message& m) {
  return !m.body().empty() &&
         sip::iequals(sip::trim(m.header(sip::HeaderId::kContentType)), "application/sdp");
}

}  // namespace

PlaceholderCalls::PlaceholderCalls(sip::UserAgent& ua, TimerWheel& timers,
                                   const Directory& directory, Registration& registration,
                                   std::string mediaAddress)
    : ua_(ua),
      timers_(timers),
      directory_(directory),
      registration_(registration),
      mediaAddress_(std::move(mediaAddress)) {}

PlaceholderCalls::~PlaceholderCalls() {
  for (auto& [txn, r] : ringing_) timers_.cancel(r.timer);
  for (auto& [d, t] : hangups_) timers_.cancel(t);
}

Result<sip::Body> PlaceholderCalls::negotiate(const sip::Message& request, const Origin& origin,
                                              int& failStatus) {
  sip::sdp::AnswerOptions opt;
  opt.address = mediaAddress_;
  opt.port = origin.port;
  opt.sessionId = origin.sessionId;
  opt.sessionVersion = origin.version;
  if (!hasSdp(request)) {
    if (!request.body().empty()) {
      failStatus = 415;
      return fail(Errc::kUnsupported, "body is not application/sdp");
    }
    return sip::Body{"application/sdp", sip::sdp::serialize(sip::sdp::makeOffer(opt))};
  }
  auto offer = sip::sdp::parse(request.body());
  if (!offer) {
    failStatus = 400;
    return offer.error();
  }
  auto answer = sip::sdp::answer(*offer, opt);
  if (!answer) {
    failStatus = 488;
    return answer.error();
  }
  return sip::Body{"application/sdp", sip::sdp::serialize(*answer)};
}

void PlaceholderCalls::onInvite(sip::TxnId txn, const sip::Message& invite) {
  ++stats_.offered;
  auto number = directory_.number(sip::unescape(invite.requestUri().user));
  if (!number) {
    ++stats_.rejected;
    (void)ua_.respond(txn, 404);
    return;
  }
  int status = 0;
  Origin origin{++sessionCounter_, 1, kPortBase + (nextPort_ += 2) % kPortSpan};
  auto body = negotiate(invite, origin, status);
  if (!body) {
    ++stats_.rejected;
    SPDLOG_DEBUG("call: rejecting INVITE {}: {}", invite.callId(), body.error().message);
    (void)ua_.respond(txn, status, {}, {}, status == 400 ? "Bad SDP" : "");
    return;
  }
  const NumberConfig& cfg = *number->second;
  Ringing r{std::move(body).value(), origin, cfg.hangupAfterMs, {}};
  (void)ua_.provisional(txn, 180);
  if (cfg.answerAfterMs == 0) {
    ringing_.emplace(txn, std::move(r));
    answerNow(txn);
    return;
  }
  r.timer = timers_.start(std::chrono::milliseconds(cfg.answerAfterMs),
                          [this, txn] { answerNow(txn); });
  ringing_.emplace(txn, std::move(r));
}

void PlaceholderCalls::answerNow(sip::TxnId txn) {
  auto it = ringing_.find(txn);
  if (it == ringing_.end()) return;
  Ringing r = std::move(it->second);
  ringing_.erase(it);
  auto dialog = ua_.answer(txn, r.answer);
  if (!dialog) return;  // the caller went away meanwhile
  ++stats_.answered;
  origins_[*dialog] = r.origin;
  if (r.hangupAfterMs > 0) {
    sip::DialogHandle d = *dialog;
    hangups_[d] = timers_.start(std::chrono::milliseconds(r.hangupAfterMs), [this, d] {
      hangups_.erase(d);
      (void)ua_.bye(d);
    });
  }
}

void PlaceholderCalls::onInviteCancelled(sip::TxnId txn) {
  auto it = ringing_.find(txn);
  if (it == ringing_.end()) return;
  timers_.cancel(it->second.timer);
  ringing_.erase(it);
  ++stats_.cancelled;
}

void PlaceholderCalls::onRequest(sip::TxnId txn, const sip::Message& request) {
  if (request.method() == sip::Method::kRegister) {
    registration_.onRegister(txn, request);
    return;
  }
  (void)ua_.respond(txn, 405, {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REGISTER"}});
}

void PlaceholderCalls::onDialogRequest(sip::DialogHandle dialog, sip::TxnId txn,
                                       const sip::Message& request) {
  switch (request.method()) {
    case sip::Method::kInvite: {
      // RFC 3264 §8: same o= line, version raised by one.
      auto o = origins_.find(dialog);
      if (o == origins_.end()) {
        (void)ua_.respond(txn, 500);
        return;
      }
      ++o->second.version;
      int status = 0;
      auto body = negotiate(request, o->second, status);
      if (!body) {
        (void)ua_.respond(txn, status);
        return;
      }
      (void)ua_.answer(txn, *body);
      return;
    }
    case sip::Method::kInfo:
    case sip::Method::kOptions:
      (void)ua_.respond(txn, 200);
      return;
    default:
      (void)ua_.respond(txn, 501);
  }
}

void PlaceholderCalls::onDialogEnded(sip::DialogHandle dialog, sip::DialogEnd why) {
  ++stats_.ended;
  origins_.erase(dialog);
  if (auto it = hangups_.find(dialog); it != hangups_.end()) {
    timers_.cancel(it->second);
    hangups_.erase(it);
  }
  SPDLOG_DEBUG("call: dialog {} ended ({})", dialog, sip::dialogEndName(why));
}

void PlaceholderCalls::onOutgoingAnswered(sip::OutgoingHandle, sip::DialogHandle dialog,
                                          const sip::Message&) {
  (void)ua_.bye(dialog);  // nothing originates calls yet
}

void PlaceholderCalls::onOutgoingFailed(sip::OutgoingHandle, int) {}

}  // namespace sb::app
