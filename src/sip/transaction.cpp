#include "sip/transaction.h"

#include <algorithm>

#include "base/log.h"
#include "sip/writer.h"

namespace sb::sip {
namespace {

constexpr std::string_view kMagicCookie = "z9hG4bK";

enum class State : std::uint8_t { kTrying, kProceeding, kCompleted, kAccepted, kConfirmed };

// §17.2.3 matching key. ACK matches the INVITE it acknowledges; CANCEL has its own key.
std::string serverKey(const Message& m, std::string_view method) {
  const Via& via = m.topVia();
  std::string key;
  key.reserve(96);
  if (via.branch.substr(0, kMagicCookie.size()) == kMagicCookie) {
    key.append(via.branch);
  } else {
    // RFC 2543 peers: no unique branch, fall back on the dialog-identifying fields.
    key.append(m.callId()).append("|").append(m.from().tag()).append("|");
    key.append(std::to_string(m.cseq().number));
  }
  key.append("|").append(via.host).append(":").append(std::to_string(via.port));
  key.append("|").append(method);
  return key;
}

std::string clientKey(std::string_view branch, std::string_view method) {
  std::string key(branch);
  key.append("|").append(method);
  return key;
}

}  // namespace

struct TransactionLayer::ServerTxn {
  ServerTxn(TxnId i, std::string k, Message&& m) : id(i), key(std::move(k)), request(std::move(m)) {}
  TxnId id;
  std::string key;
  Message request;
  bool invite = false;
  State state = State::kTrying;
  std::string lastResponse;
  Destination dest;
  TimerId retransmitTimer;
  TimerId endTimer;
  Duration interval{};
};

struct TransactionLayer::ClientTxn {
  ClientTxn(TxnId i, Message&& m) : id(i), request(std::move(m)) {}
  TxnId id;
  std::string key;
  Message request;
  bool invite = false;
  State state = State::kTrying;
  Destination dest;
  TimerId retransmitTimer;
  TimerId endTimer;
  Duration interval{};
  bool cancelRequested = false;
  bool cancelSent = false;
  std::string ack;  // ACK for a non-2xx final, resent on retransmitted finals
};

Destination responseDestination(const Message& request) {
  const Source& src = request.source();
  Destination d;
  d.transport = src.transport;
  d.connection = src.connection;
  d.remote = src.remote;
  if (src.transport == Transport::kUdp) {
    const Via& via = request.topVia();
    if (src.remote.port == 0) {
      if (auto e = Endpoint::parse(via.host, via.port != 0 ? via.port : 5060)) d.remote = *e;
    } else if (!via.rport) {
      d.remote.port = via.port != 0 ? via.port : 5060;
    }
  }
  return d;
}

TransactionLayer::TransactionLayer(Sender& sender, TimerWheel& timers, TransactionUser& user,
                                   TimerConfig config, std::uint64_t seed)
    : sender_(sender), timers_(timers), user_(user), config_(config), rng_(seed) {}

TransactionLayer::~TransactionLayer() {
  for (auto& [id, t] : servers_) {
    timers_.cancel(t->retransmitTimer);
    timers_.cancel(t->endTimer);
  }
  for (auto& [id, t] : clients_) {
    timers_.cancel(t->retransmitTimer);
    timers_.cancel(t->endTimer);
  }
}

std::string TransactionLayer::randomToken(std::size_t hexDigits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(hexDigits);
  while (out.size() < hexDigits) {
    std::uint64_t r = rng_();
    for (int i = 0; i < 16 && out.size() < hexDigits; ++i, r >>= 4) out += kHex[r & 0xf];
  }
  return out;
}

std::string TransactionLayer::newBranch() {
  std::string b(kMagicCookie);
  b.append(randomToken(16)).append(std::to_string(++counter_));
  return b;
}

void TransactionLayer::setAdmission(Admission admission) { admission_ = std::move(admission); }
void TransactionLayer::setMaxServerTransactions(std::size_t limit) { maxServer_ = limit; }
std::size_t TransactionLayer::serverCount() const { return servers_.size(); }
std::size_t TransactionLayer::clientCount() const { return clients_.size(); }
const TransactionStats& TransactionLayer::stats() const { return stats_; }
const TimerConfig& TransactionLayer::timerConfig() const { return config_; }

void TransactionLayer::onMessage(Message&& message) {
  if (message.isRequest()) {
    onRequestMessage(std::move(message));
  } else {
    onResponseMessage(std::move(message));
  }
}

void TransactionLayer::sendStateless(const Message& request, int status,
                                     std::string_view extraHeader) {
  MessageWriter w = responseTo(request, status);
  if (!extraHeader.empty()) {
    std::size_t colon = extraHeader.find(':');
    w.header(extraHeader.substr(0, colon), trim(extraHeader.substr(colon + 1)));
  }
  sender_.send(responseDestination(request), std::move(w).finish());
}

void TransactionLayer::onRequestMessage(Message&& request) {
  Method method = request.method();
  if (method == Method::kAck) {
    auto it = serverKeys_.find(serverKey(request, "INVITE"));
    if (it == serverKeys_.end()) {
      user_.onAck(request);  // ACK for a 2xx: end-to-end, handled by the dialog layer
      return;
    }
    ServerTxn& t = *servers_.at(it->second);
    if (t.state == State::kCompleted) {
      t.state = State::kConfirmed;
      timers_.cancel(t.retransmitTimer);
      timers_.cancel(t.endTimer);
      // Timer I: absorb ACK retransmissions for T4 on UDP, none on streams (§17.2.1).
      Duration wait = isReliable(t.dest.transport) ? Duration::zero() : config_.t4;
      TxnId id = t.id;
      t.endTimer = timers_.start(wait, [this, id] { onServerTimer(id, false); });
    } else if (t.state == State::kAccepted) {
      user_.onAck(request);  // RFC 6026 §7.1: ACKs in Accepted go to the TU
    } else {
      ++stats_.retransmissionsAbsorbed;
    }
    return;
  }
  if (method == Method::kCancel) {
    handleCancel(std::move(request));
    return;
  }
  std::string key = serverKey(request, request.methodText());
  if (auto it = serverKeys_.find(key); it != serverKeys_.end()) {
    ServerTxn& t = *servers_.at(it->second);
    ++stats_.retransmissionsAbsorbed;
    // A retransmitted request gets the last response again; in Accepted it is absorbed.
    if (!t.lastResponse.empty() && t.state != State::kAccepted) {
      sender_.send(t.dest, t.lastResponse);
      ++stats_.retransmissionsSent;
    }
    return;
  }
  if (method == Method::kInvite && request.to().tag().empty() &&
      (servers_.size() >= maxServer_ || (admission_ && !admission_(request)))) {
    ++stats_.rejectedOverload;
    sendStateless(request, 503, "Retry-After: 5");
    return;
  }
  TxnId id = createServer(std::move(key), std::move(request));
  ServerTxn& t = *servers_.at(id);
  if (t.invite) {
    // §17.2.1: a 100 Trying right away stops the client's INVITE retransmissions.
    t.lastResponse = responseTo(t.request, 100).finish();
    sender_.send(t.dest, t.lastResponse);
    t.state = State::kProceeding;
  } else {
    // Guard against a user that never answers: the client gives up after 64*T1 anyway.
    t.endTimer = timers_.start(64 * config_.t1, [this, id] { onServerTimer(id, false); });
  }
  user_.onRequest(id, t.request);
}

TxnId TransactionLayer::createServer(std::string key, Message&& request) {
  TxnId id = nextId_++;
  auto t = std::make_unique<ServerTxn>(id, key, std::move(request));
  t->invite = t->request.method() == Method::kInvite;
  t->dest = responseDestination(t->request);
  serverKeys_.emplace(std::move(key), id);
  servers_.emplace(id, std::move(t));
  ++stats_.serverCreated;
  return id;
}

void TransactionLayer::handleCancel(Message&& cancel) {
  std::string key = serverKey(cancel, "CANCEL");
  if (auto it = serverKeys_.find(key); it != serverKeys_.end()) {
    ServerTxn& t = *servers_.at(it->second);
    if (!t.lastResponse.empty()) {
      sender_.send(t.dest, t.lastResponse);
      ++stats_.retransmissionsSent;
    }
    return;
  }
  auto inv = serverKeys_.find(serverKey(cancel, "INVITE"));
  TxnId inviteId = inv == serverKeys_.end() ? 0 : inv->second;
  TxnId id = createServer(std::move(key), std::move(cancel));
  ServerTxn& t = *servers_.at(id);
  if (inviteId == 0) {
    respond(id, 481, responseTo(t.request, 481).finish());  // §9.2
    return;
  }
  respond(id, 200, responseTo(t.request, 200).finish());
  if (awaitingFinal(inviteId)) user_.onCancel(inviteId);
}

bool TransactionLayer::respond(TxnId id, int status, std::string response) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return false;
  ServerTxn& t = *it->second;
  if (t.state == State::kCompleted || t.state == State::kAccepted ||
      t.state == State::kConfirmed) {
    return false;
  }
  sender_.send(t.dest, response);
  if (status < 200) {
    t.state = State::kProceeding;
    t.lastResponse = std::move(response);
    return true;
  }
  timers_.cancel(t.endTimer);
  bool reliable = isReliable(t.dest.transport);
  if (t.invite && status < 300) {
    // RFC 6026 §7.1: Accepted absorbs INVITE retransmissions for Timer L; the 2xx itself is
    // retransmitted by the dialog layer until the ACK arrives.
    t.state = State::kAccepted;
    t.lastResponse.clear();
    t.endTimer = timers_.start(64 * config_.t1, [this, id] { onServerTimer(id, false); });
    return true;
  }
  t.state = State::kCompleted;
  t.lastResponse = std::move(response);
  if (t.invite) {
    if (!reliable) {
      t.interval = config_.t1;
      t.retransmitTimer = timers_.start(t.interval, [this, id] { onServerTimer(id, true); });
    }
    t.endTimer = timers_.start(64 * config_.t1, [this, id] { onServerTimer(id, false); });  // H
  } else {
    Duration j = reliable ? Duration::zero() : 64 * config_.t1;  // Timer J
    t.endTimer = timers_.start(j, [this, id] { onServerTimer(id, false); });
  }
  return true;
}

const Message* TransactionLayer::serverRequest(TxnId id) const {
  auto it = servers_.find(id);
  return it == servers_.end() ? nullptr : &it->second->request;
}

bool TransactionLayer::awaitingFinal(TxnId id) const {
  auto it = servers_.find(id);
  return it != servers_.end() &&
         (it->second->state == State::kTrying || it->second->state == State::kProceeding);
}

void TransactionLayer::onServerTimer(TxnId id, bool retransmit) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return;
  ServerTxn& t = *it->second;
  if (retransmit) {
    if (t.state != State::kCompleted) return;
    sender_.send(t.dest, t.lastResponse);  // Timer G
    ++stats_.retransmissionsSent;
    t.interval = std::min(2 * t.interval, config_.t2);
    t.retransmitTimer = timers_.start(t.interval, [this, id] { onServerTimer(id, true); });
    return;
  }
  if (t.invite && t.state == State::kCompleted) {
    ++stats_.timeouts;  // Timer H: the ACK never came
    SPDLOG_DEBUG("sip: no ACK for final response, Call-ID {}", t.request.callId());
  }
  eraseServer(id);
}

void TransactionLayer::eraseServer(TxnId id) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return;
  timers_.cancel(it->second->retransmitTimer);
  timers_.cancel(it->second->endTimer);
  serverKeys_.erase(it->second->key);
  servers_.erase(it);
}

TxnId TransactionLayer::sendRequest(std::string request, const Destination& to) {
  TxnId id = nextId_++;
  auto parsed = Message::parse(request, false);
  if (!parsed) {
    SPDLOG_ERROR("sip: refusing to send an invalid request: {}", parsed.error().message);
    timers_.start(Duration::zero(), [this, id] { user_.onTimeout(id); });
    return id;
  }
  auto t = std::make_unique<ClientTxn>(id, std::move(parsed).value());
  ClientTxn& c = *t;
  c.invite = c.request.method() == Method::kInvite;
  c.dest = to;
  c.key = clientKey(c.request.topVia().branch, c.request.methodText());
  c.state = State::kTrying;
  clientKeys_[c.key] = id;
  clients_.emplace(id, std::move(t));
  ++stats_.clientCreated;
  if (!sender_.send(to, c.request.bytes())) {
    c.endTimer = timers_.start(Duration::zero(), [this, id] { onClientTimer(id, false); });
    return id;
  }
  if (!isReliable(to.transport)) {
    c.interval = config_.t1;  // Timer A / Timer E
    c.retransmitTimer = timers_.start(c.interval, [this, id] { onClientTimer(id, true); });
  }
  c.endTimer = timers_.start(64 * config_.t1, [this, id] { onClientTimer(id, false); });  // B/F
  return id;
}

const Destination* TransactionLayer::clientDestination(TxnId id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : &it->second->dest;
}

void TransactionLayer::onClientTimer(TxnId id, bool retransmit) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  ClientTxn& c = *it->second;
  if (retransmit) {
    if (c.state != State::kTrying && !(c.state == State::kProceeding && !c.invite)) return;
    sender_.send(c.dest, c.request.bytes());
    ++stats_.retransmissionsSent;
    // INVITE doubles without cap (Timer A); non-INVITE caps at T2, and at T2 once proceeding.
    c.interval = c.invite ? 2 * c.interval
                          : (c.state == State::kProceeding ? config_.t2
                                                           : std::min(2 * c.interval, config_.t2));
    c.retransmitTimer = timers_.start(c.interval, [this, id] { onClientTimer(id, true); });
    return;
  }
  bool timedOut = c.state == State::kTrying || c.state == State::kProceeding;
  eraseClient(id);
  if (timedOut) {
    ++stats_.timeouts;
    user_.onTimeout(id);
  }
}

void TransactionLayer::eraseClient(TxnId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  timers_.cancel(it->second->retransmitTimer);
  timers_.cancel(it->second->endTimer);
  clientKeys_.erase(it->second->key);
  clients_.erase(it);
}

void TransactionLayer::onResponseMessage(Message&& response) {
  auto it = clientKeys_.find(clientKey(response.topVia().branch, response.cseq().methodText));
  if (it == clientKeys_.end()) {
    ++stats_.strayResponses;
    return;
  }
  TxnId id = it->second;
  ClientTxn& c = *clients_.at(id);
  int status = response.status();
  if (status < 200) {
    if (c.state == State::kTrying) {
      c.state = State::kProceeding;
      if (c.invite) timers_.cancel(c.retransmitTimer);  // Timer A stops on a provisional
    }
    if (c.state == State::kProceeding) {
      if (c.invite && c.cancelRequested && !c.cancelSent) sendCancel(c);
      user_.onResponse(id, response);
    }
    return;
  }
  if (c.state == State::kCompleted) {
    if (!c.ack.empty()) sender_.send(c.dest, c.ack);  // retransmitted final: ACK again
    ++stats_.retransmissionsAbsorbed;
    return;
  }
  if (c.state == State::kAccepted) {
    if (status < 300) user_.onResponse(id, response);  // 2xx retransmission: TU re-ACKs
    return;
  }
  finishClient(c, response);
  user_.onResponse(id, response);
}

void TransactionLayer::finishClient(ClientTxn& c, const Message& response) {
  timers_.cancel(c.retransmitTimer);
  timers_.cancel(c.endTimer);
  TxnId id = c.id;
  bool reliable = isReliable(c.dest.transport);
  if (c.invite && response.status() < 300) {
    c.state = State::kAccepted;  // RFC 6026 Timer M keeps catching 2xx retransmissions
    c.endTimer = timers_.start(64 * config_.t1, [this, id] { onClientTimer(id, false); });
    return;
  }
  c.state = State::kCompleted;
  Duration wait;
  if (c.invite) {
    sendAckForFailure(c, response);
    wait = reliable ? Duration::zero() : std::chrono::seconds(32);  // Timer D
  } else {
    wait = reliable ? Duration::zero() : config_.t4;  // Timer K
  }
  c.endTimer = timers_.start(wait, [this, id] { onClientTimer(id, false); });
}

void TransactionLayer::sendAckForFailure(ClientTxn& c, const Message& response) {
  // §17.1.1.3: same Request-URI, top Via, From, Call-ID, CSeq number and Route; To from the
  // response (it carries the tag).
  const Message& req = c.request;
  MessageWriter w = MessageWriter::request("ACK", req.requestUri().raw);
  w.header("Via", req.header(HeaderId::kVia));
  req.forEach(HeaderId::kRoute, [&](std::string_view r) { w.header("Route", r); });
  w.header("Max-Forwards", "70");
  w.header("From", req.header(HeaderId::kFrom));
  w.header("To", response.header(HeaderId::kTo));
  w.header("Call-ID", req.callId());
  w.header("CSeq", {std::to_string(req.cseq().number), " ACK"});
  c.ack = std::move(w).finish();
  sender_.send(c.dest, c.ack);
}

void TransactionLayer::cancel(TxnId invite) {
  auto it = clients_.find(invite);
  if (it == clients_.end()) return;
  ClientTxn& c = *it->second;
  if (!c.invite || c.cancelRequested) return;
  if (c.state != State::kTrying && c.state != State::kProceeding) return;
  c.cancelRequested = true;
  if (c.state == State::kProceeding) sendCancel(c);  // §9.1: not before a provisional
}

void TransactionLayer::sendCancel(ClientTxn& c) {
  c.cancelSent = true;
  const Message& req = c.request;
  MessageWriter w = MessageWriter::request("CANCEL", req.requestUri().raw);
  w.header("Via", req.header(HeaderId::kVia));
  req.forEach(HeaderId::kRoute, [&](std::string_view r) { w.header("Route", r); });
  w.header("Max-Forwards", "70");
  w.header("From", req.header(HeaderId::kFrom));
  w.header("To", req.header(HeaderId::kTo));
  w.header("Call-ID", req.callId());
  w.header("CSeq", {std::to_string(req.cseq().number), " CANCEL"});
  Destination dest = c.dest;
  sendRequest(std::move(w).finish(), dest);
}

}  // namespace sb::sip
