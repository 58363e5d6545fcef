#include "crowd/registration_client.h"

#include <algorithm>
#include <optional>

#include "base/log.h"
#include "sip/digest.h"
#include "sip/uri.h"
#include "sip/writer.h"

namespace sb::crowd {
namespace {

using std::chrono::seconds;

constexpr seconds kRetryAfterTimeout{5};
constexpr seconds kRetryAfterRefusal{60};
constexpr seconds kMinRefresh{1};

}  // namespace

struct RegistrationClient::Binding {
  RegistrationSpec spec;
  std::string callId;  // one Call-ID and From tag per binding (§10.2.4)
  std::string fromTag;
  std::uint32_t cseq = 0;
  std::uint32_t expires = 0;  // what the next REGISTER asks for
  sip::TxnId txn = 0;
  bool authTried = false;  // the request in flight already carries credentials
  bool registered = false;
  bool removing = false;
  seconds granted{0};
  TimerId timer;
};

RegistrationClient::RegistrationClient(sip::TransactionLayer& txns, TimerWheel& timers,
                                       Observer observer)
    : txns_(txns), timers_(timers), observer_(std::move(observer)) {}

RegistrationClient::~RegistrationClient() {
  for (auto& b : bindings_) timers_.cancel(b->timer);
}

void RegistrationClient::add(RegistrationSpec spec) {
  auto b = std::make_unique<Binding>();
  b->spec = std::move(spec);
  b->callId = txns_.randomToken(20) + "@crowd";
  b->fromTag = txns_.randomToken(12);
  b->expires = static_cast<std::uint32_t>(b->spec.expires.count());
  Binding& ref = *b;
  bindings_.push_back(std::move(b));
  send(ref);
}

void RegistrationClient::removeAll() {
  for (auto& b : bindings_) {
    timers_.cancel(b->timer);
    b->timer = {};
    if (b->removing) continue;
    b->removing = true;
    b->expires = 0;
    if (b->txn != 0) {
      byTxn_.erase(b->txn);  // its answer no longer matters
      b->txn = 0;
    }
    if (b->registered) send(*b);
  }
}

std::size_t RegistrationClient::registeredCount() const {
  return static_cast<std::size_t>(std::count_if(bindings_.begin(), bindings_.end(),
                                                [](const auto& b) { return b->registered; }));
}

std::string RegistrationClient::requestUri(const Binding& b) {
  return "sip:" + b.spec.domain;
}

void RegistrationClient::send(Binding& b, std::string_view authHeader, std::string_view authValue) {
  const RegistrationSpec& s = b.spec;
  std::string aor = "sip:" + s.user + "@" + s.domain;
  sip::MessageWriter w = sip::MessageWriter::request("REGISTER", requestUri(b));
  w.header("Via", {"SIP/2.0/", sip::transportName(s.registrar.transport), " ", s.contact.toString(),
                   ";branch=", txns_.newBranch(), ";rport"});
  w.header("Max-Forwards", "70");
  w.header("From", {"<", aor, ">;tag=", b.fromTag});
  w.header("To", {"<", aor, ">"});
  w.header("Call-ID", b.callId);
  w.header("CSeq", {std::to_string(++b.cseq), " REGISTER"});
  w.header("Contact", {"<sip:", s.user, "@", s.contact.toString(), ">"});
  w.header("Expires", std::to_string(b.expires));
  b.authTried = !authHeader.empty();
  if (b.authTried) w.header(authHeader, authValue);
  w.header("User-Agent", "Switchboard-Crowd/0.1");
  b.txn = txns_.sendRequest(std::move(w).finish(), s.registrar);
  byTxn_[b.txn] = &b;
}

RegistrationClient::Binding* RegistrationClient::take(sip::TxnId id) {
  auto it = byTxn_.find(id);
  if (it == byTxn_.end()) return nullptr;
  Binding* b = it->second;
  byTxn_.erase(it);
  b->txn = 0;
  return b;
}

void RegistrationClient::onResponse(sip::TxnId id, const sip::Message& response) {
  if (response.status() < 200 || !owns(id)) return;
  Binding* b = take(id);
  onFinal(*b, response);
}

void RegistrationClient::onTimeout(sip::TxnId id) {
  Binding* b = take(id);
  if (b == nullptr) return;
  failed(*b, 408, kRetryAfterTimeout);
}

void RegistrationClient::onFinal(Binding& b, const sip::Message& response) {
  int status = response.status();
  bool authorized = b.authTried;
  if (status >= 200 && status < 300) {
    succeeded(b, response);
    return;
  }
  if ((status == 401 || status == 407) && answerChallenge(b, response, authorized)) return;
  if (status == 423) {
    // §10.2.8: Interval Too Brief; ask again for at least Min-Expires.
    auto min = sip::parseNumber(sip::trim(response.header(sip::HeaderId::kMinExpires)));
    if (min && *min > b.expires) {
      b.expires = *min;
      send(b);
      return;
    }
  }
  failed(b, status, kRetryAfterRefusal);
}

bool RegistrationClient::answerChallenge(Binding& b, const sip::Message& response,
                                         bool authorized) {
  int status = response.status();
  sip::HeaderId which =
      status == 401 ? sip::HeaderId::kWwwAuthenticate : sip::HeaderId::kProxyAuthenticate;
  std::optional<sip::digest::Challenge> challenge;
  response.forEach(which, [&](std::string_view v) {
    if (challenge) return;  // the topmost challenge we understand
    if (auto c = sip::digest::parseChallenge(v)) challenge = std::move(c).value();
  });
  if (!challenge) return false;
  // A challenge to credentials we just sent means they were wrong, unless it only says the
  // nonce went stale (RFC 2617 §3.2.1); answering again would count as another auth failure.
  if (authorized && !challenge->stale) return false;
  std::string value =
      sip::digest::answerChallenge(*challenge, "REGISTER", requestUri(b), b.spec.user,
                                   b.spec.password, txns_.randomToken(16), 1);
  // §22.2 / §22.3: Authorization answers a 401, Proxy-Authorization a 407.
  send(b, status == 401 ? "Authorization" : "Proxy-Authorization", value);
  return true;
}

void RegistrationClient::succeeded(Binding& b, const sip::Message& response) {
  if (b.removing) {
    b.registered = false;
    b.granted = seconds(0);
    report(b, response.status());
    return;
  }
  // The granted lifetime: our Contact's expires parameter, else Expires, else what we asked.
  std::optional<std::uint32_t> granted;
  response.forEach(sip::HeaderId::kContact, [&](std::string_view v) {
    auto na = sip::parseNameAddr(v);
    if (granted || !na || sip::unescape(na->uri.user) != b.spec.user) return;
    if (auto e = na->param("expires")) granted = sip::parseNumber(*e);
  });
  if (!granted) granted = sip::parseNumber(sip::trim(response.header(sip::HeaderId::kExpires)));
  b.granted = seconds(granted.value_or(b.expires));
  b.registered = b.granted.count() > 0;
  report(b, response.status());
  Binding* bp = &b;
  seconds refresh = std::max(kMinRefresh, b.granted / 2);
  b.timer = timers_.start(refresh, [this, bp] {
    bp->timer = {};
    send(*bp);
  });
}

void RegistrationClient::failed(Binding& b, int status, seconds retryAfter) {
  b.registered = false;
  b.granted = seconds(0);
  report(b, status);
  if (b.removing) return;
  spdlog::debug("crowd: REGISTER of {} failed with {}, retrying in {} s", b.spec.user, status,
                retryAfter.count());
  Binding* bp = &b;
  b.timer = timers_.start(retryAfter, [this, bp] {
    bp->timer = {};
    send(*bp);
  });
}

void RegistrationClient::report(const Binding& b, int status) {
  if (!observer_) return;
  RegistrationEvent e;
  e.user = b.spec.user;
  e.registered = b.registered;
  e.status = status;
  e.expires = b.granted;
  e.removed = b.removing;
  observer_(e);
}

// ---------------------------------------------------------------- TransactionRouter

void TransactionRouter::onRequest(sip::TxnId id, const sip::Message& request) {
  next_.onRequest(id, request);
}

void TransactionRouter::onAck(const sip::Message& ack) {
  next_.onAck(ack);
}

void TransactionRouter::onCancel(sip::TxnId invite) {
  next_.onCancel(invite);
}

void TransactionRouter::onResponse(sip::TxnId id, const sip::Message& response) {
  if (registrations_.owns(id)) {
    registrations_.onResponse(id, response);
    return;
  }
  next_.onResponse(id, response);
}

void TransactionRouter::onTimeout(sip::TxnId id) {
  if (registrations_.owns(id)) {
    registrations_.onTimeout(id);
    return;
  }
  next_.onTimeout(id);
}

}  // namespace sb::crowd
