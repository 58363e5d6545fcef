#pragma once
// SIP transactions (RFC 3261 §17 with the RFC 6026 "Accepted" states): matching, the four
// state machines, retransmissions and timeouts on the hashed timer wheel, CANCEL matching and
// the stateless 503 admission gate. Pure logic over a Sender and a TimerWheel: no sockets, so
// it is tested with a fake sender and a manual clock.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "base/timer_wheel.h"
#include "sip/message.h"
#include "sip/transport.h"

namespace sb::sip {

/// Identifies one transaction for its whole life; never reused.
using TxnId = std::uint64_t;

/// RFC 3261 timer base values (§17.1.1.1, Table 4).
struct TimerConfig {
  Duration t1 = std::chrono::milliseconds(500);
  Duration t2 = std::chrono::seconds(4);
  Duration t4 = std::chrono::seconds(5);
};

/// Callbacks from the transaction layer to its user (the UA core). Control loop only.
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  /// A new request (not ACK, not CANCEL) with its server transaction `id`; answer through
  /// TransactionLayer::respond. The request stays readable through serverRequest(id).
  virtual void onRequest(TxnId id, const Message& request) = 0;
  /// An ACK that matched no transaction: the ACK of a 2xx, for the dialog layer (§17.2.3).
  virtual void onAck(const Message& ack) = 0;
  /// A CANCEL matched INVITE server transaction `invite`, which has no final response yet.
  /// The CANCEL was answered 200; the user should now answer the INVITE with 487 (§9.2).
  virtual void onCancel(TxnId invite) = 0;
  /// A response for client transaction `id` (including 2xx retransmissions to an INVITE).
  virtual void onResponse(TxnId id, const Message& response) = 0;
  /// Client transaction `id` got no final response (Timer B/F) or could not be sent: treat as
  /// a 408 (§8.1.3.1).
  virtual void onTimeout(TxnId id) = 0;
};

/// Counters, read on the control loop.
struct TransactionStats {
  std::uint64_t serverCreated = 0;
  std::uint64_t clientCreated = 0;
  std::uint64_t retransmissionsSent = 0;
  std::uint64_t retransmissionsAbsorbed = 0;
  std::uint64_t rejectedOverload = 0;
  std::uint64_t strayResponses = 0;
  std::uint64_t timeouts = 0;
};

/// The transaction layer. Confined to the control loop.
class TransactionLayer {
 public:
  /// Decides whether a new out-of-dialog INVITE is admitted; false answers 503 statelessly.
  using Admission = std::function<bool(const Message&)>;

  TransactionLayer(Sender& sender, TimerWheel& timers, TransactionUser& user,
                   TimerConfig config = {}, std::uint64_t seed = std::random_device{}());
  ~TransactionLayer();
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  /// Entry point for every parsed message from the transport.
  void onMessage(Message&& message);

  /// Sends `response` (status `status`) on server transaction `id`. Final responses move the
  /// state machine (2xx to INVITE: Accepted; others: Completed). False when `id` is gone or
  /// already has a final response.
  bool respond(TxnId id, int status, std::string response);
  /// The request of a live server transaction, or nullptr.
  const Message* serverRequest(TxnId id) const;
  /// True while server transaction `id` exists and has no final response.
  bool awaitingFinal(TxnId id) const;

  /// Starts a client transaction for `request` (serialised, its top Via carrying `branch`).
  /// Returns its id; failures are reported through onTimeout.
  TxnId sendRequest(std::string request, const Destination& to);
  /// Cancels INVITE client transaction `invite` (§9.1): a CANCEL goes out as soon as a
  /// provisional response has arrived. No effect once a final response arrived.
  void cancel(TxnId invite);
  /// Destination of client transaction `id` (for follow-up requests such as ACK).
  const Destination* clientDestination(TxnId id) const;

  /// A fresh RFC 3261 branch ("z9hG4bK" + 16 random hex digits + counter).
  std::string newBranch();
  /// A random number from the layer's seeded generator.
  std::uint64_t random() { return rng_(); }
  /// A fresh random token (tags, Call-IDs), `hexDigits` long.
  std::string randomToken(std::size_t hexDigits = 16);

  void setAdmission(Admission admission);
  /// Limit of concurrent server transactions; new INVITEs beyond it get a stateless 503.
  void setMaxServerTransactions(std::size_t limit);
  std::size_t serverCount() const;
  std::size_t clientCount() const;
  const TransactionStats& stats() const;
  const TimerConfig& timerConfig() const;

 private:
  struct ServerTxn;
  struct ClientTxn;
  void onRequestMessage(Message&& request);
  void onResponseMessage(Message&& response);
  void handleCancel(Message&& cancel);
  TxnId createServer(std::string key, Message&& request);
  void sendStateless(const Message& request, int status, std::string_view extraHeader);
  void armServerTimer(ServerTxn& t, Duration delay, bool retransmit);
  void onServerTimer(TxnId id, bool retransmit);
  void onClientTimer(TxnId id, bool retransmit);
  void finishClient(ClientTxn& t, const Message& response);
  void sendCancel(ClientTxn& invite);
  void sendAckForFailure(ClientTxn& t, const Message& response);
  void eraseServer(TxnId id);
  void eraseClient(TxnId id);

  Sender& sender_;
  TimerWheel& timers_;
  TransactionUser& user_;
  TimerConfig config_;
  Admission admission_;
  std::size_t maxServer_ = 200000;
  std::mt19937_64 rng_;
  std::uint64_t counter_ = 0;
  TxnId nextId_ = 1;
  std::unordered_map<TxnId, std::unique_ptr<ServerTxn>> servers_;
  std::unordered_map<std::string, TxnId> serverKeys_;
  std::unordered_map<TxnId, std::unique_ptr<ClientTxn>> clients_;
  std::unordered_map<std::string, TxnId> clientKeys_;
  TransactionStats stats_;
};

/// Where a response to `request` goes (§18.2.2, RFC 3581): the same stream connection, or
/// the packet's source address with the Via port (the source port when rport was asked for).
Destination responseDestination(const Message& request);

}  // namespace sb::sip
