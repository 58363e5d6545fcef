#pragma once
// The client side of SIP registration (RFC 3261 §10.2) for simulated phones: REGISTER with a
// digest answer to the registrar's 401/407 (§22), refresh before the binding expires, and
// Expires: 0 on the way out. Built on TransactionLayer::sendRequest; TransactionRouter hands
// the responses of these client transactions to the client and everything else to the UA core.
// Control loop only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "base/timer_wheel.h"
#include "sip/message.h"
#include "sip/transaction.h"
#include "sip/transport.h"

namespace sb::crowd {

/// One address-of-record to keep registered.
struct RegistrationSpec {
  std::string user;                   ///< AOR user and digest username
  std::string password;               ///< digest password
  std::string domain;                 ///< AOR host (To/From) and Request-URI "sip:<domain>"
  sip::Destination registrar;         ///< where the REGISTERs go
  Endpoint contact;                   ///< our transport address: Contact sip:<user>@<contact>
  std::chrono::seconds expires{300};  ///< requested binding lifetime
};

/// The outcome of one registration attempt, reported to the owner.
struct RegistrationEvent {
  std::string user;                 ///< the AOR user
  bool registered = false;          ///< the binding exists after this answer
  int status = 0;                   ///< final SIP status (408 for a timeout)
  std::chrono::seconds expires{0};  ///< granted lifetime when registered
  bool removed = false;             ///< the answer to our Expires: 0
};

/// Keeps a set of bindings registered. Control loop only.
class RegistrationClient {
 public:
  /// Called on the control loop after every final answer (and timeout).
  using Observer = std::function<void(const RegistrationEvent&)>;

  /// `txns` sends the REGISTERs; `timers` drives refreshes and retries.
  RegistrationClient(sip::TransactionLayer& txns, TimerWheel& timers, Observer observer = {});
  ~RegistrationClient();
  RegistrationClient(const RegistrationClient&) = delete;
  RegistrationClient& operator=(const RegistrationClient&) = delete;

  /// Sends the first REGISTER of `spec` now; refreshes at half the granted lifetime, retries
  /// after failures (5 s after a timeout, 60 s after a refusal, to stay clear of auth bans).
  void add(RegistrationSpec spec);
  /// Removes every binding (REGISTER with Expires: 0) and stops refreshing.
  void removeAll();
  /// True when client transaction `id` is a REGISTER of ours.
  bool owns(sip::TxnId id) const { return byTxn_.count(id) != 0; }
  /// A response on one of our transactions (owns(id)).
  void onResponse(sip::TxnId id, const sip::Message& response);
  /// One of our transactions timed out or could not be sent.
  void onTimeout(sip::TxnId id);
  /// Bindings currently registered.
  std::size_t registeredCount() const;
  /// REGISTER transactions in flight.
  std::size_t pendingCount() const { return byTxn_.size(); }

 private:
  struct Binding;
  static std::string requestUri(const Binding& b);
  void send(Binding& b, std::string_view authHeader = {}, std::string_view authValue = {});
  void onFinal(Binding& b, const sip::Message& response);
  bool answerChallenge(Binding& b, const sip::Message& response, bool authorized);
  void succeeded(Binding& b, const sip::Message& response);
  void failed(Binding& b, int status, std::chrono::seconds retryAfter);
  void report(const Binding& b, int status);
  Binding* take(sip::TxnId id);

  sip::TransactionLayer& txns_;
  TimerWheel& timers_;
  Observer observer_;
  std::vector<std::unique_ptr<Binding>> bindings_;
  std::unordered_map<sip::TxnId, Binding*> byTxn_;
};

/// The TransactionUser of a stack that registers: responses and timeouts of the
/// RegistrationClient's transactions go to it, everything else to `next` (the UA core, which
/// ignores responses it did not ask for).
class TransactionRouter final : public sip::TransactionUser {
 public:
  /// Both must outlive the router (they may be constructed after it).
  TransactionRouter(sip::TransactionUser& next, RegistrationClient& registrations)
      : next_(next), registrations_(registrations) {}

  // sip::TransactionUser: requests, ACKs and CANCELs always go to `next`.
  void onRequest(sip::TxnId id, const sip::Message& request) override;
  void onAck(const sip::Message& ack) override;
  void onCancel(sip::TxnId invite) override;
  void onResponse(sip::TxnId id, const sip::Message& response) override;
  void onTimeout(sip::TxnId id) override;

 private:
  sip::TransactionUser& next_;
  RegistrationClient& registrations_;
};

}  // namespace sb::crowd
