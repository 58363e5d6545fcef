#include "sip/user_agent.h"

#include <algorithm>

#include "base/log.h"
#include "sip/digest.h"
#include "sip/writer.h"

namespace sb::sip {
namespace {

constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE";
constexpr std::string_view kSupported = "replaces";

std::string dialogKey(std::string_view callId, std::string_view localTag,
                      std::string_view remoteTag) {
  std::string k;
  k.reserve(callId.size() + localTag.size() + remoteTag.size() + 2);
  k.append(callId).append("\n").append(localTag).append("\n").append(remoteTag);
  return k;
}

// The URI inside a Contact/Route value ("<sip:a@b;lr>" -> "sip:a@b;lr").
std::string uriOf(std::string_view nameAddr) {
  auto na = parseNameAddr(nameAddr);
  return na ? std::string(na->uri.raw) : std::string();
}

// Resolves a SIP URI with an IP-literal host to a destination; DNS is not used (RFC 3263 is
// the trunk layer's job).
std::optional<Destination> destinationOf(std::string_view uriText, Transport fallback) {
  auto uri = parseUri(uriText);
  if (!uri || !uri->isSip()) return std::nullopt;
  Destination d;
  d.transport = fallback;
  if (auto t = uri->param("transport")) {
    d.transport = iequals(*t, "tcp") ? Transport::kTcp : Transport::kUdp;
  }
  auto e = Endpoint::parse(uri->host, uri->port != 0 ? uri->port : 5060);
  if (!e) return std::nullopt;
  d.remote = *e;
  return d;
}

}  // namespace

std::string_view dialogEndName(DialogEnd e) {
  switch (e) {
    case DialogEnd::kRemoteBye: return "remote_bye";
    case DialogEnd::kLocalBye: return "local_bye";
    case DialogEnd::kAckTimeout: return "ack_timeout";
    case DialogEnd::kPeerGone: return "peer_gone";
    case DialogEnd::kShutdown: return "shutdown";
  }
  return "unknown";
}

struct UserAgent::Dialog {
  DialogHandle handle = 0;
  bool uas = false;
  std::string key;
  std::string callId;
  std::string localTag;
  std::string remoteTag;
  std::string localUri;   // our From/To header value, with our tag
  std::string remoteUri;  // the peer's, with its tag
  std::string remoteTarget;
  std::vector<std::string> routeSet;
  std::uint32_t localCSeq = 0;
  std::uint32_t remoteCSeq = 0;
  bool remoteCSeqSet = false;
  Destination flow;
  std::string pending2xx;  // UAS: our 2xx, resent until the ACK
  std::uint32_t pending2xxCSeq = 0;
  TimerId retransmitTimer;
  TimerId ackTimer;
  Duration interval{};
  std::string lastAck;     // UAC: ACK of the latest 2xx, resent on its retransmissions
  TxnId inviteOut = 0;     // our INVITE transaction in progress in this dialog
  TxnId inviteIn = 0;      // the peer's INVITE transaction awaiting our answer
  bool byeSent = false;
  TimerId glareTimer;
  Body glareOffer;
};

struct UserAgent::Outgoing {
  OutgoingHandle handle = 0;
  OutgoingInvite req;
  std::string callId;
  std::string localTag;
  std::string fromHeader;
  std::uint32_t cseq = 1;
  TxnId txn = 0;
  bool authTried = false;
  bool answered = false;
  DialogHandle dialog = 0;
};

struct UserAgent::Pending {
  enum class Kind : std::uint8_t { kInvite, kReinvite, kBye, kOther } kind;
  DialogHandle dialog = 0;
  OutgoingHandle outgoing = 0;
  Method method = Method::kUnknown;
  std::uint32_t cseq = 0;
};

UserAgent::UserAgent(TransactionLayer& txns, Sender& sender, TimerWheel& timers, UaConfig config)
    : txns_(txns), sender_(sender), timers_(timers), config_(std::move(config)) {}

UserAgent::~UserAgent() {
  for (auto& [h, d] : dialogs_) {
    timers_.cancel(d->retransmitTimer);
    timers_.cancel(d->ackTimer);
    timers_.cancel(d->glareTimer);
  }
}

void UserAgent::setHandler(UaHandler* handler) { handler_ = handler; }

void UserAgent::setLocalEndpoint(Transport t, const Endpoint& e) {
  local_[static_cast<int>(t)] = e;
}

std::size_t UserAgent::dialogCount() const { return dialogs_.size(); }
const UaStats& UserAgent::stats() const { return stats_; }

std::string UserAgent::contactFor(Transport t) const {
  auto it = local_.find(static_cast<int>(t));
  std::string host = "127.0.0.1:5060";
  if (it != local_.end()) host = it->second.toString();
  std::string c = "<sip:" + config_.contactUser + "@" + host;
  if (t == Transport::kTcp) c += ";transport=tcp";
  return c + ">";
}

UserAgent::Dialog* UserAgent::dialog(DialogHandle h) {
  auto it = dialogs_.find(h);
  return it == dialogs_.end() ? nullptr : it->second.get();
}

UserAgent::Dialog* UserAgent::findDialog(const Message& m) {
  // For requests from the peer our tag is in To; for responses to our requests, in From.
  std::string key = m.isRequest() ? dialogKey(m.callId(), m.to().tag(), m.from().tag())
                                  : dialogKey(m.callId(), m.from().tag(), m.to().tag());
  auto it = dialogKeys_.find(key);
  return it == dialogKeys_.end() ? nullptr : dialog(it->second);
}

std::string& UserAgent::toTagFor(TxnId txn) {
  auto& tag = toTags_[txn];
  if (tag.empty()) tag = txns_.randomToken(12);
  return tag;
}

std::optional<UserAgent::DialogInfo> UserAgent::dialogInfo(DialogHandle h) const {
  auto it = dialogs_.find(h);
  if (it == dialogs_.end()) return std::nullopt;
  const Dialog& d = *it->second;
  return DialogInfo{d.callId, d.localTag, d.remoteTag, d.remoteUri, d.remoteTarget, d.uas};
}

// ---------------------------------------------------------------- incoming requests

void UserAgent::onRequest(TxnId id, const Message& request) {
  if (!request.requestUri().isSip() && !iequals(request.requestUri().scheme, "tel")) {
    (void)respond(id, 416, {{"Accept", "sip, sips, tel"}});  // §8.2.2.1
    return;
  }
  if (std::string_view req = request.header(HeaderId::kRequire); !req.empty()) {
    (void)respond(id, 420, {{"Unsupported", std::string(req)}});  // §8.2.2.3: we require nothing
    return;
  }
  if (!request.to().tag().empty()) {
    handleInDialog(id, request);
    return;
  }
  if (request.maxForwards() == 0 && request.method() != Method::kOptions) {
    (void)respond(id, 483);
    return;
  }
  switch (request.method()) {
    case Method::kInvite:
      if (handler_ == nullptr) {
        (void)respond(id, 480);
        return;
      }
      handler_->onInvite(id, request);
      return;
    case Method::kOptions:
      (void)respond(id, 200, {{"Allow", std::string(kAllow)},
                        {"Accept", "application/sdp"},
                        {"Supported", std::string(kSupported)}});
      return;
    case Method::kBye:
    case Method::kInfo:
    case Method::kUpdate:
    case Method::kPrack:
      (void)respond(id, 481);
      ++stats_.noDialog481;
      return;
    default:
      if (handler_ == nullptr) {
        (void)respond(id, 501);
        return;
      }
      handler_->onRequest(id, request);
  }
}

void UserAgent::handleInDialog(TxnId id, const Message& request) {
  Dialog* d = findDialog(request);
  if (d == nullptr) {
    ++stats_.noDialog481;
    (void)respond(id, 481);  // §12.2.2
    return;
  }
  std::uint32_t cseq = request.cseq().number;
  if (d->remoteCSeqSet && cseq <= d->remoteCSeq) {
    (void)respond(id, 500, {}, {}, "CSeq Out of Order");  // §12.2.2
    return;
  }
  d->remoteCSeq = cseq;
  d->remoteCSeqSet = true;
  DialogHandle h = d->handle;
  switch (request.method()) {
    case Method::kBye:
      (void)respond(id, 200);
      endDialog(h, DialogEnd::kRemoteBye);
      return;
    case Method::kInvite:
      if (d->inviteOut != 0) {
        ++stats_.glare491;
        (void)respond(id, 491);  // §14.2: our own re-INVITE is pending
        return;
      }
      if (d->inviteIn != 0 || !d->pending2xx.empty()) {
        (void)respond(id, 500, {{"Retry-After", "1"}});  // §14.2: previous INVITE still open
        return;
      }
      d->inviteIn = id;
      reinviteTxns_[id] = h;
      [[fallthrough]];
    case Method::kUpdate:
      if (std::string_view c = request.header(HeaderId::kContact); !c.empty()) {
        if (std::string target = uriOf(c); !target.empty()) d->remoteTarget = target;  // §12.2.2
      }
      break;
    default:
      break;
  }
  if (handler_ == nullptr) {
    (void)respond(id, 501);
    return;
  }
  handler_->onDialogRequest(h, id, request);
}

void UserAgent::onAck(const Message& ack) {
  Dialog* d = findDialog(ack);
  if (d == nullptr) return;  // ACKs are never answered
  if (!d->pending2xx.empty() && ack.cseq().number == d->pending2xxCSeq) {
    d->pending2xx.clear();
    d->pending2xx.shrink_to_fit();
    timers_.cancel(d->retransmitTimer);
    timers_.cancel(d->ackTimer);
  }
  if (handler_ != nullptr) handler_->onDialogAck(d->handle, ack);
}

void UserAgent::onCancel(TxnId invite) {
  (void)respond(invite, 487);
  if (handler_ != nullptr) handler_->onInviteCancelled(invite);
}

// ---------------------------------------------------------------- UAS answers

Result<void> UserAgent::provisional(TxnId txn, int status, const Body& body) {
  const Message* req = txns_.serverRequest(txn);
  if (req == nullptr || !txns_.awaitingFinal(txn)) {
    return fail(Errc::kNotFound, "no INVITE awaiting an answer");
  }
  MessageWriter w = responseTo(*req, status, {}, toTagFor(txn), true);
  w.header("Contact", contactFor(req->source().transport));
  txns_.respond(txn, status, std::move(w).finish(body.contentType, body.content));
  return {};
}

UserAgent::Dialog& UserAgent::createUasDialog(TxnId txn, const Message& invite,
                                              std::string_view localTag) {
  auto d = std::make_unique<Dialog>();
  d->handle = nextHandle_++;
  d->uas = true;
  d->callId = invite.callId();
  d->localTag = localTag;
  d->remoteTag = invite.from().tag();
  d->localUri = std::string(invite.header(HeaderId::kTo));
  if (invite.to().tag().empty()) d->localUri.append(";tag=").append(localTag);
  d->remoteUri = invite.header(HeaderId::kFrom);
  d->remoteTarget = uriOf(invite.header(HeaderId::kContact));
  if (d->remoteTarget.empty()) d->remoteTarget = invite.from().uri.raw;
  invite.forEach(HeaderId::kRecordRoute, [&](std::string_view r) { d->routeSet.emplace_back(r); });
  d->remoteCSeq = invite.cseq().number;
  d->remoteCSeqSet = true;
  d->flow = responseDestination(invite);
  d->key = dialogKey(d->callId, d->localTag, d->remoteTag);
  (void)txn;
  Dialog& ref = *d;
  dialogKeys_[d->key] = d->handle;
  dialogs_.emplace(d->handle, std::move(d));
  ++stats_.dialogsCreated;
  return ref;
}

Result<DialogHandle> UserAgent::answer(TxnId txn, const Body& body, const HeaderList& headers) {
  const Message* req = txns_.serverRequest(txn);
  if (req == nullptr || !txns_.awaitingFinal(txn) || req->method() != Method::kInvite) {
    return fail(Errc::kNotFound, "no INVITE awaiting an answer");
  }
  Dialog* d = nullptr;
  if (auto re = reinviteTxns_.find(txn); re != reinviteTxns_.end()) {
    d = dialog(re->second);
    reinviteTxns_.erase(re);
    if (d == nullptr) return fail(Errc::kNotFound, "dialog ended");
    d->inviteIn = 0;
  } else {
    std::string tag = std::move(toTagFor(txn));
    toTags_.erase(txn);
    d = &createUasDialog(txn, *req, tag);
  }
  MessageWriter w = responseTo(*req, 200, {}, d->localTag, true);
  w.header("Contact", contactFor(req->source().transport));
  w.header("Allow", kAllow);
  w.header("Supported", kSupported);
  w.header("Server", config_.product);
  for (const auto& [n, v] : headers) w.header(n, v);
  std::string resp = std::move(w).finish(body.contentType, body.content);
  txns_.respond(txn, 200, resp);
  // §13.3.1.4: the UAS core retransmits the 2xx (T1 doubling to T2) until the ACK, for 64*T1.
  DialogHandle h = d->handle;
  d->pending2xx = std::move(resp);
  d->pending2xxCSeq = req->cseq().number;
  const TimerConfig& tc = txns_.timerConfig();
  if (!isReliable(d->flow.transport)) {
    d->interval = tc.t1;
    d->retransmitTimer = timers_.start(d->interval, [this, h] { retransmit2xx(h); });
  }
  d->ackTimer = timers_.start(64 * tc.t1, [this, h] {
    Dialog* dd = dialog(h);
    if (dd == nullptr || dd->pending2xx.empty()) return;
    ++stats_.ackTimeouts;
    SPDLOG_INFO("sip: no ACK for 2xx, ending dialog Call-ID {}", dd->callId);
    dd->pending2xx.clear();
    timers_.cancel(dd->retransmitTimer);
    std::uint32_t cseq = ++dd->localCSeq;
    txns_.sendRequest(buildInDialogRequest(*dd, "BYE", {}, {}, cseq, txns_.newBranch()),
                      dialogDestination(*dd));
    endDialog(h, DialogEnd::kAckTimeout);
  });
  return h;
}

void UserAgent::retransmit2xx(DialogHandle h) {
  Dialog* d = dialog(h);
  if (d == nullptr || d->pending2xx.empty()) return;
  sender_.send(d->flow, d->pending2xx);
  d->interval = std::min(2 * d->interval, txns_.timerConfig().t2);
  d->retransmitTimer = timers_.start(d->interval, [this, h] { retransmit2xx(h); });
}

Result<void> UserAgent::respond(TxnId txn, int status, const HeaderList& headers,
                                const Body& body, std::string_view reason) {
  const Message* req = txns_.serverRequest(txn);
  if (req == nullptr || !txns_.awaitingFinal(txn)) {
    return fail(Errc::kNotFound, "no request awaiting an answer");
  }
  std::string_view tag;
  if (req->to().tag().empty() && status > 100) tag = toTagFor(txn);  // §8.2.6.2
  MessageWriter w = responseTo(*req, status, reason, tag);
  if (status >= 200 && status < 300 && req->method() != Method::kRegister) {
    w.header("Server", config_.product);
  }
  for (const auto& [n, v] : headers) w.header(n, v);
  txns_.respond(txn, status, std::move(w).finish(body.contentType, body.content));
  if (status >= 200) {
    toTags_.erase(txn);
    if (auto re = reinviteTxns_.find(txn); re != reinviteTxns_.end()) {
      if (Dialog* d = dialog(re->second)) d->inviteIn = 0;
      reinviteTxns_.erase(re);
    }
  }
  return {};
}

// ---------------------------------------------------------------- requests we send

Destination UserAgent::dialogDestination(const Dialog& d) const {
  if (!d.routeSet.empty()) {
    if (auto dest = destinationOf(uriOf(d.routeSet.front()), d.flow.transport)) {
      if (dest->transport == d.flow.transport) dest->connection = d.flow.connection;
      return *dest;
    }
  }
  if (d.uas) return d.flow;  // symmetric: answer the flow the peer used (NAT-friendly)
  if (auto dest = destinationOf(d.remoteTarget, d.flow.transport)) {
    if (dest->remote == d.flow.remote) dest->connection = d.flow.connection;
    return *dest;
  }
  return d.flow;
}

std::string UserAgent::buildInDialogRequest(Dialog& d, std::string_view method, const Body& body,
                                            const HeaderList& headers, std::uint32_t cseq,
                                            std::string_view branch) {
  Destination dest = dialogDestination(d);
  MessageWriter w = MessageWriter::request(method, d.remoteTarget);
  auto local = local_.find(static_cast<int>(dest.transport));
  std::string sentBy = local != local_.end() ? local->second.toString() : "127.0.0.1:5060";
  w.header("Via", {"SIP/2.0/", transportName(dest.transport), " ", sentBy, ";branch=", branch,
                   ";rport"});
  w.header("Max-Forwards", "70");
  // Loose routing (§12.2.1.1): the route set goes into Route headers as learned.
  for (const auto& r : d.routeSet) w.header("Route", r);
  w.header("From", d.localUri);
  w.header("To", d.remoteUri);
  w.header("Call-ID", d.callId);
  w.header("CSeq", {std::to_string(cseq), " ", method});
  if (method == "INVITE" || method == "UPDATE") w.header("Contact", contactFor(dest.transport));
  w.header("User-Agent", config_.product);
  for (const auto& [n, v] : headers) w.header(n, v);
  return std::move(w).finish(body.contentType, body.content);
}

Result<void> UserAgent::bye(DialogHandle h) {
  Dialog* d = dialog(h);
  if (d == nullptr) return fail(Errc::kNotFound, "no such dialog");
  if (d->byeSent) return {};
  d->byeSent = true;
  timers_.cancel(d->retransmitTimer);
  timers_.cancel(d->glareTimer);
  std::uint32_t cseq = ++d->localCSeq;
  TxnId id = txns_.sendRequest(buildInDialogRequest(*d, "BYE", {}, {}, cseq, txns_.newBranch()),
                               dialogDestination(*d));
  pending_[id] = Pending{Pending::Kind::kBye, h, 0, Method::kBye, cseq};
  return {};
}

Result<void> UserAgent::reinvite(DialogHandle h, const Body& offer) {
  Dialog* d = dialog(h);
  if (d == nullptr) return fail(Errc::kNotFound, "no such dialog");
  if (d->byeSent) return fail(Errc::kConflict, "dialog is ending");
  if (d->inviteOut != 0 || d->inviteIn != 0 || !d->pending2xx.empty()) {
    return fail(Errc::kConflict, "an INVITE transaction is pending in this dialog");
  }
  std::uint32_t cseq = ++d->localCSeq;
  TxnId id = txns_.sendRequest(
      buildInDialogRequest(*d, "INVITE", offer, {}, cseq, txns_.newBranch()),
      dialogDestination(*d));
  d->inviteOut = id;
  d->glareOffer = offer;
  pending_[id] = Pending{Pending::Kind::kReinvite, h, 0, Method::kInvite, cseq};
  return {};
}

Result<void> UserAgent::request(DialogHandle h, Method method, const Body& body,
                                const HeaderList& headers) {
  Dialog* d = dialog(h);
  if (d == nullptr) return fail(Errc::kNotFound, "no such dialog");
  if (method == Method::kInvite || method == Method::kAck || method == Method::kCancel ||
      method == Method::kBye || method == Method::kUnknown) {
    return fail(Errc::kInvalidInput, "use reinvite()/bye() for this method");
  }
  std::uint32_t cseq = ++d->localCSeq;
  TxnId id = txns_.sendRequest(
      buildInDialogRequest(*d, methodName(method), body, headers, cseq, txns_.newBranch()),
      dialogDestination(*d));
  pending_[id] = Pending{Pending::Kind::kOther, h, 0, method, cseq};
  return {};
}

void UserAgent::sendAck(Dialog& d, std::uint32_t cseq) {
  // §13.2.2.4: the ACK for a 2xx is a new transaction-less request with the INVITE's CSeq.
  std::string ack = buildInDialogRequest(d, "ACK", {}, {}, cseq, txns_.newBranch());
  sender_.send(dialogDestination(d), ack);
  d.lastAck = std::move(ack);
}

OutgoingHandle UserAgent::invite(const OutgoingInvite& request) {
  auto out = std::make_unique<Outgoing>();
  out->handle = nextHandle_++;
  out->req = request;
  out->callId = txns_.randomToken(20) + "@switchboard";
  out->localTag = txns_.randomToken(12);
  std::string from;
  if (!request.fromDisplay.empty()) from = "\"" + request.fromDisplay + "\" ";
  out->fromHeader = from + "<" + request.fromUri + ">;tag=" + out->localTag;
  OutgoingHandle h = out->handle;
  Outgoing& ref = *out;
  outgoing_.emplace(h, std::move(out));
  ref.txn = sendOutgoingInvite(ref, {});
  return h;
}

TxnId UserAgent::sendOutgoingInvite(Outgoing& out, std::string_view authorization) {
  const OutgoingInvite& r = out.req;
  auto local = local_.find(static_cast<int>(r.destination.transport));
  std::string sentBy = local != local_.end() ? local->second.toString() : "127.0.0.1:5060";
  MessageWriter w = MessageWriter::request("INVITE", r.requestUri);
  w.header("Via", {"SIP/2.0/", transportName(r.destination.transport), " ", sentBy,
                   ";branch=", txns_.newBranch(), ";rport"});
  w.header("Max-Forwards", "70");
  w.header("From", out.fromHeader);
  w.header("To", {"<", r.toUri, ">"});
  w.header("Call-ID", out.callId);
  w.header("CSeq", {std::to_string(out.cseq), " INVITE"});
  w.header("Contact", contactFor(r.destination.transport));
  w.header("Allow", kAllow);
  w.header("Supported", kSupported);
  w.header("User-Agent", config_.product);
  for (const auto& [n, v] : r.headers) w.header(n, v);
  if (!authorization.empty()) {
    std::size_t colon = authorization.find(':');
    w.header(authorization.substr(0, colon), trim(authorization.substr(colon + 1)));
  }
  TxnId id = txns_.sendRequest(std::move(w).finish(r.body.contentType, r.body.content),
                               r.destination);
  pending_[id] = Pending{Pending::Kind::kInvite, 0, out.handle, Method::kInvite, out.cseq};
  return id;
}

void UserAgent::cancel(OutgoingHandle call) {
  auto it = outgoing_.find(call);
  if (it == outgoing_.end() || it->second->answered) return;
  txns_.cancel(it->second->txn);
}

// ---------------------------------------------------------------- responses to our requests

void UserAgent::onResponse(TxnId id, const Message& response) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // e.g. the response to a CANCEL
  Pending p = it->second;
  int status = response.status();
  if (p.kind == Pending::Kind::kInvite) {
    auto out = outgoing_.find(p.outgoing);
    if (out != outgoing_.end()) onOutgoingResponse(id, *out->second, response);
    return;
  }
  if (status < 200) return;
  Dialog* d = dialog(p.dialog);
  if (p.kind == Pending::Kind::kReinvite) {
    if (d != nullptr && status < 300) sendAck(*d, p.cseq);  // also re-ACKs retransmitted 2xx
    if (d == nullptr || d->inviteOut != id) return;
    d->inviteOut = 0;
    // Keep the entry through Timer M so 2xx retransmissions are re-ACKed, then drop it.
    timers_.start(64 * txns_.timerConfig().t1, [this, id] { pending_.erase(id); });
    if (status == 491) {
      // §14.1: retry after a random wait; the Call-ID owner waits 2.1–4 s, the other 0–2 s.
      ++stats_.glare491;
      auto r = static_cast<std::int64_t>(txns_.random() % 1000);
      auto wait = d->uas ? std::chrono::milliseconds(r * 2)
                         : std::chrono::milliseconds(2100 + r * 19 / 10);
      DialogHandle h = d->handle;
      d->glareTimer = timers_.start(wait, [this, h] {
        Dialog* dd = dialog(h);
        if (dd == nullptr) return;
        Body offer = dd->glareOffer;
        if (auto again = reinvite(h, offer); !again && handler_ != nullptr) {
          handler_->onDialogResponse(h, Method::kInvite, 491, nullptr);
        }
      });
      return;
    }
  }
  if (p.kind == Pending::Kind::kBye) {
    pending_.erase(id);
    if (d != nullptr) endDialog(p.dialog, DialogEnd::kLocalBye);
    return;
  }
  if (p.kind == Pending::Kind::kOther) pending_.erase(id);
  if (d == nullptr) return;
  if (handler_ != nullptr) handler_->onDialogResponse(p.dialog, p.method, status, &response);
  if (status == 481 || status == 408) endDialog(p.dialog, DialogEnd::kPeerGone);  // §12.2.1.2
}

void UserAgent::onOutgoingResponse(TxnId id, Outgoing& out, const Message& response) {
  int status = response.status();
  OutgoingHandle h = out.handle;
  if (status < 200) {
    // 100 Trying is hop-by-hop (§8.2.6.1): only 101-199 say something about the callee.
    if (status > 100 && handler_ != nullptr) handler_->onOutgoingProgress(h, response);
    return;
  }
  if (status < 300) {
    if (out.answered) {
      if (Dialog* d = dialog(out.dialog)) sender_.send(dialogDestination(*d), d->lastAck);
      return;
    }
    out.answered = true;
    auto d = std::make_unique<Dialog>();
    d->handle = nextHandle_++;
    d->callId = out.callId;
    d->localTag = out.localTag;
    d->remoteTag = response.to().tag();
    d->localUri = out.fromHeader;
    d->remoteUri = response.header(HeaderId::kTo);
    d->remoteTarget = uriOf(response.header(HeaderId::kContact));
    if (d->remoteTarget.empty()) d->remoteTarget = out.req.requestUri;
    response.forEach(HeaderId::kRecordRoute, [&](std::string_view r) { d->routeSet.emplace_back(r); });
    std::reverse(d->routeSet.begin(), d->routeSet.end());  // §12.1.2
    d->localCSeq = out.cseq;
    d->flow = out.req.destination;
    if (isReliable(response.source().transport)) d->flow.connection = response.source().connection;
    d->key = dialogKey(d->callId, d->localTag, d->remoteTag);
    DialogHandle dh = d->handle;
    out.dialog = dh;
    Dialog& ref = *d;
    dialogKeys_[d->key] = dh;
    dialogs_.emplace(dh, std::move(d));
    ++stats_.dialogsCreated;
    sendAck(ref, out.cseq);
    // Keep the outgoing record for Timer M so 2xx retransmissions are re-ACKed, then drop it.
    timers_.start(64 * txns_.timerConfig().t1, [this, h, id] {
      pending_.erase(id);
      outgoing_.erase(h);
    });
    if (handler_ != nullptr) handler_->onOutgoingAnswered(h, dh, response);
    return;
  }
  if ((status == 401 || status == 407) && out.req.credentials && !out.authTried) {
    HeaderId which = status == 401 ? HeaderId::kWwwAuthenticate : HeaderId::kProxyAuthenticate;
    std::optional<digest::Challenge> challenge;
    response.forEach(which, [&](std::string_view v) {
      if (challenge) return;
      if (auto c = digest::parseChallenge(v)) challenge = *c;
    });
    if (challenge) {
      out.authTried = true;
      ++out.cseq;
      std::string value = digest::answerChallenge(
          *challenge, "INVITE", out.req.requestUri, out.req.credentials->username,
          out.req.credentials->password, txns_.randomToken(16), 1);
      pending_.erase(id);
      std::string header = (status == 401 ? "Authorization: " : "Proxy-Authorization: ") + value;
      out.txn = sendOutgoingInvite(out, header);
      return;
    }
  }
  pending_.erase(id);
  outgoing_.erase(h);
  if (handler_ != nullptr) handler_->onOutgoingFailed(h, status);
}

void UserAgent::onTimeout(TxnId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending p = it->second;
  pending_.erase(it);
  switch (p.kind) {
    case Pending::Kind::kInvite: {
      auto out = outgoing_.find(p.outgoing);
      if (out == outgoing_.end() || out->second->answered) return;
      outgoing_.erase(out);
      if (handler_ != nullptr) handler_->onOutgoingFailed(p.outgoing, 408);
      return;
    }
    case Pending::Kind::kBye:
      endDialog(p.dialog, DialogEnd::kLocalBye);
      return;
    case Pending::Kind::kReinvite:
    case Pending::Kind::kOther: {
      Dialog* d = dialog(p.dialog);
      if (d == nullptr) return;
      if (d->inviteOut == id) d->inviteOut = 0;
      if (handler_ != nullptr) handler_->onDialogResponse(p.dialog, p.method, 408, nullptr);
      endDialog(p.dialog, DialogEnd::kPeerGone);
      return;
    }
  }
}

void UserAgent::endDialog(DialogHandle h, DialogEnd why) {
  auto it = dialogs_.find(h);
  if (it == dialogs_.end()) return;
  Dialog& d = *it->second;
  timers_.cancel(d.retransmitTimer);
  timers_.cancel(d.ackTimer);
  timers_.cancel(d.glareTimer);
  dialogKeys_.erase(d.key);
  if (d.inviteIn != 0) reinviteTxns_.erase(d.inviteIn);
  dialogs_.erase(it);
  ++stats_.dialogsEnded;
  if (handler_ != nullptr) handler_->onDialogEnded(h, why);
}

void UserAgent::shutdown() {
  std::vector<DialogHandle> all;
  all.reserve(dialogs_.size());
  for (const auto& [h, d] : dialogs_) all.push_back(h);
  for (DialogHandle h : all) (void)bye(h);
}

}  // namespace sb::sip
