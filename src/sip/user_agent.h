#pragma once
// The UA core of the B2BUA (RFC 3261 §8, §12–§15): dialogs on both sides, 2xx retransmission
// until ACK, ACK for our 2xx-answered INVITEs, in-dialog request routing with CSeq checks,
// target refresh, re-INVITE glare (491 with the §14.1 retry), BYE, OPTIONS, and the digest
// answer to a 401/407 from a trunk. Calls are built on top of it by `call/` (and today by the
// placeholder answering service in `app/`). Control loop only.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/timer_wheel.h"
#include "sip/message.h"
#include "sip/transaction.h"
#include "sip/writer.h"

namespace sb::sip {

/// Numeric handle of a dialog; stable for its life, never reused.
using DialogHandle = std::uint64_t;
/// Numeric handle of an outgoing INVITE (before and after it creates a dialog).
using OutgoingHandle = std::uint64_t;

/// Why a dialog ended.
enum class DialogEnd : std::uint8_t {
  kRemoteBye,    ///< the peer sent BYE
  kLocalBye,     ///< our BYE completed (or timed out)
  kAckTimeout,   ///< our 2xx was never acknowledged (§13.3.1.4); a BYE was sent
  kPeerGone,     ///< an in-dialog request got 481/408 or timed out (§12.2.1.2)
  kShutdown,     ///< the UA was stopped
};
std::string_view dialogEndName(DialogEnd e);

/// What the UA reports to the call layer. Every callback runs on the control loop; the
/// referenced message is valid only during the call.
class UaHandler {
 public:
  virtual ~UaHandler() = default;
  /// A new out-of-dialog INVITE on server transaction `txn`. Answer with provisional(),
  /// answer() or reject().
  virtual void onInvite(TxnId txn, const Message& invite) = 0;
  /// The caller cancelled INVITE `txn`; the UA already answered 487.
  virtual void onInviteCancelled(TxnId txn) = 0;
  /// Any other out-of-dialog request (REGISTER, MESSAGE, SUBSCRIBE, ...); answer with
  /// respond(). OPTIONS is answered by the UA itself.
  virtual void onRequest(TxnId txn, const Message& request) = 0;
  /// In-dialog re-INVITE, UPDATE, INFO, REFER, NOTIFY, OPTIONS; answer with respond()
  /// (re-INVITE: answer() keeps the 2xx retransmission machinery).
  virtual void onDialogRequest(DialogHandle dialog, TxnId txn, const Message& request) = 0;
  /// The ACK for our 2xx arrived (it may carry the SDP answer).
  virtual void onDialogAck(DialogHandle dialog, const Message& ack) { (void)dialog, (void)ack; }
  /// The dialog is gone; no further callbacks name it.
  virtual void onDialogEnded(DialogHandle dialog, DialogEnd why) = 0;
  /// Outgoing INVITE `call` got a provisional response.
  virtual void onOutgoingProgress(OutgoingHandle call, const Message& response) {
    (void)call, (void)response;
  }
  /// Outgoing INVITE `call` was answered; dialog `dialog` exists and was ACKed.
  virtual void onOutgoingAnswered(OutgoingHandle call, DialogHandle dialog,
                                  const Message& response) = 0;
  /// Outgoing INVITE `call` failed with `status` (408 on timeout, 487 when cancelled).
  virtual void onOutgoingFailed(OutgoingHandle call, int status) = 0;
  /// Result of a re-INVITE/INFO we sent in `dialog` (`response` null on timeout).
  virtual void onDialogResponse(DialogHandle dialog, Method method, int status,
                                const Message* response) {
    (void)dialog, (void)method, (void)status, (void)response;
  }
};

/// Credentials used when a peer challenges us (trunks).
struct ClientCredentials {
  std::string username;
  std::string password;
};

/// Parameters of an outgoing INVITE.
struct OutgoingInvite {
  std::string requestUri;       ///< "sip:1001@10.0.0.5:5062"
  std::string fromUri;          ///< our identity, "sip:switchboard@host"
  std::string fromDisplay;      ///< caller-ID display name, may be empty
  std::string toUri;            ///< usually the request URI
  Destination destination;      ///< where to send (transport + address)
  Body body;                    ///< SDP offer
  HeaderList headers;           ///< extra headers
  std::optional<ClientCredentials> credentials;  ///< answer one 401/407 challenge with these
};

/// Configuration of the UA core.
struct UaConfig {
  std::string product = "Switchboard/0.1";  ///< User-Agent / Server header
  std::string contactUser = "switchboard";
};

/// Counters, read on the control loop.
struct UaStats {
  std::uint64_t dialogsCreated = 0;
  std::uint64_t dialogsEnded = 0;
  std::uint64_t ackTimeouts = 0;
  std::uint64_t glare491 = 0;
  std::uint64_t noDialog481 = 0;
};

/// The UA core. Implements TransactionUser; reports to one UaHandler.
class UserAgent final : public TransactionUser {
 public:
  UserAgent(TransactionLayer& txns, Sender& sender, TimerWheel& timers, UaConfig config = {});
  ~UserAgent() override;
  UserAgent(const UserAgent&) = delete;
  UserAgent& operator=(const UserAgent&) = delete;

  void setHandler(UaHandler* handler);
  /// Our contact address per transport (set by the composition root after binding).
  void setLocalEndpoint(Transport t, const Endpoint& e);

  // ---- UAS side ----
  /// Sends a provisional response (with our To tag) on INVITE `txn`.
  Result<void> provisional(TxnId txn, int status, const Body& body = {});
  /// Sends 200 OK with `body` on INVITE `txn` (new call or re-INVITE); for a new call creates
  /// the dialog and returns its handle. The 2xx is retransmitted until the ACK (§13.3.1.4).
  Result<DialogHandle> answer(TxnId txn, const Body& body, const HeaderList& headers = {});
  /// Sends a final non-2xx response on INVITE `txn` (or any response on another request).
  Result<void> respond(TxnId txn, int status, const HeaderList& headers = {},
                       const Body& body = {}, std::string_view reason = {});

  // ---- UAC side ----
  /// Sends an out-of-dialog INVITE; results come through the handler.
  OutgoingHandle invite(const OutgoingInvite& request);
  /// Cancels an outgoing INVITE that has not been answered yet (§9.1).
  void cancel(OutgoingHandle call);

  // ---- either side ----
  /// Ends the dialog with BYE; onDialogEnded(kLocalBye) follows.
  Result<void> bye(DialogHandle dialog);
  /// Sends a re-INVITE with a new offer (hold/unhold). kConflict while another INVITE
  /// transaction of this dialog is pending (§14.1).
  Result<void> reinvite(DialogHandle dialog, const Body& offer);
  /// Sends INFO (or another non-INVITE method) in the dialog.
  Result<void> request(DialogHandle dialog, Method method, const Body& body = {},
                       const HeaderList& headers = {});
  /// Call-ID, tags and remote target of a dialog (for logs and CDRs); nullptr when gone.
  struct DialogInfo {
    std::string callId;
    std::string localTag;
    std::string remoteTag;
    std::string remoteUri;
    std::string remoteTarget;
    bool uas = false;
  };
  std::optional<DialogInfo> dialogInfo(DialogHandle dialog) const;
  std::size_t dialogCount() const;
  const UaStats& stats() const;
  /// Ends every dialog with BYE (graceful shutdown).
  void shutdown();

  // TransactionUser
  void onRequest(TxnId id, const Message& request) override;
  void onAck(const Message& ack) override;
  void onCancel(TxnId invite) override;
  void onResponse(TxnId id, const Message& response) override;
  void onTimeout(TxnId id) override;

 private:
  struct Dialog;
  struct Outgoing;
  struct Pending;
  Dialog* findDialog(const Message& m);
  Dialog* dialog(DialogHandle h);
  std::string contactFor(Transport t) const;
  std::string& toTagFor(TxnId txn);
  void handleInDialog(TxnId id, const Message& request);
  Dialog& createUasDialog(TxnId txn, const Message& invite, std::string_view localTag);
  void retransmit2xx(DialogHandle h);
  void endDialog(DialogHandle h, DialogEnd why);
  std::string buildInDialogRequest(Dialog& d, std::string_view method, const Body& body,
                                   const HeaderList& headers, std::uint32_t cseq,
                                   std::string_view branch);
  Destination dialogDestination(const Dialog& d) const;
  void onOutgoingResponse(TxnId id, Outgoing& out, const Message& response);
  void sendAck(Dialog& d, std::uint32_t cseq);
  TxnId sendOutgoingInvite(Outgoing& out, std::string_view authorization);

  TransactionLayer& txns_;
  Sender& sender_;
  TimerWheel& timers_;
  UaConfig config_;
  UaHandler* handler_ = nullptr;
  std::unordered_map<int, Endpoint> local_;
  DialogHandle nextHandle_ = 1;
  std::unordered_map<DialogHandle, std::unique_ptr<Dialog>> dialogs_;
  std::unordered_map<std::string, DialogHandle> dialogKeys_;
  std::unordered_map<TxnId, std::string> toTags_;        // INVITE server txn -> our tag
  std::unordered_map<TxnId, DialogHandle> reinviteTxns_;  // in-dialog INVITE server txns
  std::unordered_map<TxnId, Pending> pending_;            // our client transactions
  std::unordered_map<OutgoingHandle, std::unique_ptr<Outgoing>> outgoing_;
  UaStats stats_;
};

}  // namespace sb::sip
