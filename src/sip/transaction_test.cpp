#include "sip/transaction.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/writer.h"

namespace sb::sip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Sent {
  Destination to;
  std::string bytes;
};

class FakeSender : public Sender {
 public:
  bool send(const Destination& to, std::string_view bytes) override {
    sent.push_back({to, std::string(bytes)});
    return ok;
  }
  std::vector<Sent> sent;
  bool ok = true;
  std::size_t count(std::string_view startLine) const {
    std::size_t n = 0;
    for (const auto& s : sent) n += s.bytes.rfind(startLine, 0) == 0 ? 1 : 0;
    return n;
  }
};

class RecordingUser : public TransactionUser {
 public:
  void onRequest(TxnId id, const Message& r) override {
    requests.emplace_back(id, std::string(r.methodText()));
  }
  void onAck(const Message&) override { ++acks; }
  void onCancel(TxnId invite) override { cancelled.push_back(invite); }
  void onResponse(TxnId id, const Message& r) override { responses.emplace_back(id, r.status()); }
  void onTimeout(TxnId id) override { timeouts.push_back(id); }

  std::vector<std::pair<TxnId, std::string>> requests;
  std::vector<std::pair<TxnId, int>> responses;
  std::vector<TxnId> cancelled;
  std::vector<TxnId> timeouts;
  int acks = 0;
};

constexpr const char* kInvite =
    "INVITE sip:4000@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-abc;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:caller@127.0.0.1>;tag=from1\r\n"
    "To: <sip:4000@127.0.0.1>\r\n"
    "Call-ID: call-1@test\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:caller@127.0.0.1:5062>\r\n"
    "Content-Length: 0\r\n\r\n";

std::string withMethod(std::string_view method, std::string_view toTag = {}) {
  std::string m = kInvite;
  auto replace = [&](std::string_view from, std::string_view to) {
    m.replace(m.find(from), from.size(), to);
  };
  replace("INVITE sip", std::string(method) + " sip");
  replace("1 INVITE", "1 " + std::string(method));
  if (!toTag.empty()) replace("To: <sip:4000@127.0.0.1>", "To: <sip:4000@127.0.0.1>;tag=" + std::string(toTag));
  return m;
}

Message incoming(std::string_view bytes, Transport t = Transport::kUdp) {
  auto m = Message::parse(bytes);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  Message msg = std::move(m).value();
  Source src;
  src.transport = t;
  src.remote = *Endpoint::parse("127.0.0.1", 5062);
  src.connection = t == Transport::kUdp ? 0 : 7;
  msg.setSource(src);
  return msg;
}

class TransactionTest : public ::testing::Test {
 protected:
  ManualClock clock;
  TimerWheel wheel{clock.now()};
  FakeSender sender;
  RecordingUser user;
  TransactionLayer txns{sender, wheel, user, TimerConfig{}, 42};

  void advance(Duration d) {
    // Step in ticks so retransmission timers fire where they are due.
    for (Duration done{}; done < d; done += milliseconds(10)) {
      clock.advance(milliseconds(10));
      wheel.advance(clock.now());
    }
  }
  std::string response(const Message& req, int status, std::string_view tag = "srv") {
    return responseTo(req, status, {}, tag).finish();
  }
};

TEST_F(TransactionTest, InviteGets100AndReachesUserOnce) {
  txns.onMessage(incoming(kInvite));
  txns.onMessage(incoming(kInvite));  // retransmission
  ASSERT_EQ(user.requests.size(), 1u);
  EXPECT_EQ(user.requests[0].second, "INVITE");
  EXPECT_EQ(sender.count("SIP/2.0 100"), 2u);  // the retransmission got the 100 again
  EXPECT_EQ(txns.stats().retransmissionsAbsorbed, 1u);
}

TEST_F(TransactionTest, ResponseGoesToSourceAddressAndRport) {
  txns.onMessage(incoming(kInvite));
  ASSERT_FALSE(sender.sent.empty());
  EXPECT_EQ(sender.sent[0].to.remote.toString(), "127.0.0.1:5062");
  EXPECT_NE(sender.sent[0].bytes.find("rport=5062"), std::string::npos);
}

TEST_F(TransactionTest, FailureResponseRetransmittedUntilAckThenAbsorbed) {
  txns.onMessage(incoming(kInvite));
  TxnId id = user.requests.at(0).first;
  ASSERT_TRUE(txns.respond(id, 486, response(*txns.serverRequest(id), 486)));
  EXPECT_EQ(sender.count("SIP/2.0 486"), 1u);
  advance(milliseconds(500));  // Timer G = T1
  EXPECT_EQ(sender.count("SIP/2.0 486"), 2u);
  advance(seconds(1));  // 2*T1
  EXPECT_EQ(sender.count("SIP/2.0 486"), 3u);
  txns.onMessage(incoming(withMethod("ACK", "srv")));
  EXPECT_EQ(user.acks, 0);  // absorbed by the transaction
  advance(seconds(10));
  EXPECT_EQ(sender.count("SIP/2.0 486"), 3u);  // no more retransmissions after the ACK
  EXPECT_EQ(txns.serverCount(), 0u);          // Timer I removed it
}

TEST_F(TransactionTest, NoAckTimerHEndsTransaction) {
  txns.onMessage(incoming(kInvite));
  TxnId id = user.requests.at(0).first;
  txns.respond(id, 404, response(*txns.serverRequest(id), 404));
  advance(seconds(33));
  EXPECT_EQ(txns.serverCount(), 0u);
  EXPECT_EQ(txns.stats().timeouts, 1u);
  // Retransmissions capped at T2 = 4 s: 0.5,1,2,4,4,4,4,4,4 -> 1 + 10 sends in 32 s.
  EXPECT_GE(sender.count("SIP/2.0 404"), 9u);
  EXPECT_LE(sender.count("SIP/2.0 404"), 12u);
}

TEST_F(TransactionTest, TwoHundredMovesToAcceptedAndAbsorbsRetransmissions) {
  txns.onMessage(incoming(kInvite));
  TxnId id = user.requests.at(0).first;
  txns.respond(id, 200, response(*txns.serverRequest(id), 200));
  EXPECT_FALSE(txns.respond(id, 200, "again"));  // only one final response
  std::size_t before = sender.sent.size();
  txns.onMessage(incoming(kInvite));  // retransmitted INVITE: RFC 6026 absorbs it
  EXPECT_EQ(sender.sent.size(), before);
  EXPECT_EQ(user.requests.size(), 1u);
  // The 2xx ACK carries a new branch: not a transaction match, goes to the user.
  std::string ack = withMethod("ACK", "srv");
  ack.replace(ack.find("z9hG4bK-abc"), 11, "z9hG4bK-ack");
  txns.onMessage(incoming(ack));
  EXPECT_EQ(user.acks, 1);
  advance(seconds(33));  // Timer L
  EXPECT_EQ(txns.serverCount(), 0u);
}

TEST_F(TransactionTest, CancelWhileProceedingReachesUserAnd200) {
  txns.onMessage(incoming(kInvite));
  TxnId invite = user.requests.at(0).first;
  txns.onMessage(incoming(withMethod("CANCEL")));
  ASSERT_EQ(user.cancelled.size(), 1u);
  EXPECT_EQ(user.cancelled[0], invite);
  EXPECT_EQ(sender.count("SIP/2.0 200"), 1u);
  EXPECT_NE(sender.sent.back().bytes.find("CSeq: 1 CANCEL"), std::string::npos);
}

TEST_F(TransactionTest, CancelWithoutInviteGets481) {
  txns.onMessage(incoming(withMethod("CANCEL")));
  EXPECT_TRUE(user.cancelled.empty());
  EXPECT_EQ(sender.count("SIP/2.0 481"), 1u);
}

TEST_F(TransactionTest, CancelAfterFinalHasNoEffect) {
  txns.onMessage(incoming(kInvite));
  TxnId id = user.requests.at(0).first;
  txns.respond(id, 200, response(*txns.serverRequest(id), 200));
  txns.onMessage(incoming(withMethod("CANCEL")));
  EXPECT_TRUE(user.cancelled.empty());
  EXPECT_EQ(sender.count("SIP/2.0 200"), 2u);  // the INVITE's and the CANCEL's
}

TEST_F(TransactionTest, NonInviteCompletedResendsFinalOnRetransmission) {
  std::string options = withMethod("OPTIONS");
  txns.onMessage(incoming(options));
  TxnId id = user.requests.at(0).first;
  txns.respond(id, 200, response(*txns.serverRequest(id), 200));
  txns.onMessage(incoming(options));
  EXPECT_EQ(sender.count("SIP/2.0 200"), 2u);
  EXPECT_EQ(user.requests.size(), 1u);
  advance(seconds(33));  // Timer J = 64*T1
  EXPECT_EQ(txns.serverCount(), 0u);
}

TEST_F(TransactionTest, ReliableTransportEndsNonInviteImmediately) {
  txns.onMessage(incoming(withMethod("OPTIONS"), Transport::kTcp));
  TxnId id = user.requests.at(0).first;
  txns.respond(id, 200, response(*txns.serverRequest(id), 200));
  EXPECT_EQ(sender.sent.back().to.connection, 7u);  // same connection
  advance(milliseconds(20));
  EXPECT_EQ(txns.serverCount(), 0u);
}

TEST_F(TransactionTest, OverloadGetsStateless503) {
  txns.setMaxServerTransactions(1);
  txns.onMessage(incoming(kInvite));
  std::string second = kInvite;
  second.replace(second.find("z9hG4bK-abc"), 11, "z9hG4bK-xyz");
  txns.onMessage(incoming(second));
  EXPECT_EQ(user.requests.size(), 1u);
  EXPECT_EQ(sender.count("SIP/2.0 503"), 1u);
  EXPECT_NE(sender.sent.back().bytes.find("Retry-After: 5"), std::string::npos);
  EXPECT_EQ(txns.serverCount(), 1u);  // no state kept for the rejected one
}

std::string outgoingInvite(TransactionLayer& txns, std::string& branch) {
  branch = txns.newBranch();
  MessageWriter w = MessageWriter::request("INVITE", "sip:1001@127.0.0.1:5070");
  w.header("Via", {"SIP/2.0/UDP 127.0.0.1:5060;branch=", branch})
      .header("Max-Forwards", "70")
      .header("From", "<sip:sb@127.0.0.1>;tag=a")
      .header("To", "<sip:1001@127.0.0.1>")
      .header("Call-ID", "out-1")
      .header("CSeq", "1 INVITE");
  return std::move(w).finish();
}

Message responseFor(const std::string& request, int status) {
  auto req = Message::parse(request);
  return incoming(responseTo(*req, status, {}, "peer").finish());
}

TEST_F(TransactionTest, ClientInviteRetransmitsWithTimerAUntilProvisional) {
  std::string branch;
  std::string req = outgoingInvite(txns, branch);
  Destination to{Transport::kUdp, *Endpoint::parse("127.0.0.1", 5070), 0};
  TxnId id = txns.sendRequest(req, to);
  advance(milliseconds(1500));  // sends at 0, 0.5, 1.5
  EXPECT_EQ(sender.count("INVITE "), 3u);
  txns.onMessage(responseFor(req, 180));
  advance(seconds(5));
  EXPECT_EQ(sender.count("INVITE "), 3u);
  ASSERT_EQ(user.responses.size(), 1u);
  EXPECT_EQ(user.responses[0], std::make_pair(id, 180));
}

TEST_F(TransactionTest, ClientInviteTimesOutWithTimerB) {
  std::string branch;
  std::string req = outgoingInvite(txns, branch);
  TxnId id = txns.sendRequest(req, {Transport::kUdp, *Endpoint::parse("127.0.0.1", 5070), 0});
  advance(seconds(33));
  ASSERT_EQ(user.timeouts.size(), 1u);
  EXPECT_EQ(user.timeouts[0], id);
  EXPECT_EQ(txns.clientCount(), 0u);
}

TEST_F(TransactionTest, ClientInviteFailureIsAckedByTransaction) {
  std::string branch;
  std::string req = outgoingInvite(txns, branch);
  txns.sendRequest(req, {Transport::kUdp, *Endpoint::parse("127.0.0.1", 5070), 0});
  Message busy = responseFor(req, 486);
  txns.onMessage(responseFor(req, 486));
  EXPECT_EQ(sender.count("ACK "), 1u);
  EXPECT_NE(sender.sent.back().bytes.find("branch=" + branch), std::string::npos);
  EXPECT_NE(sender.sent.back().bytes.find(";tag=peer"), std::string::npos);
  txns.onMessage(responseFor(req, 486));  // retransmitted final: ACK again, user not told
  EXPECT_EQ(sender.count("ACK "), 2u);
  EXPECT_EQ(user.responses.size(), 1u);
}

TEST_F(TransactionTest, CancelWaitsForProvisional) {
  std::string branch;
  std::string req = outgoingInvite(txns, branch);
  TxnId id = txns.sendRequest(req, {Transport::kUdp, *Endpoint::parse("127.0.0.1", 5070), 0});
  txns.cancel(id);
  EXPECT_EQ(sender.count("CANCEL "), 0u);  // §9.1: not before a provisional
  txns.onMessage(responseFor(req, 180));
  EXPECT_EQ(sender.count("CANCEL "), 1u);
  EXPECT_NE(sender.sent.back().bytes.find("branch=" + branch), std::string::npos);
  EXPECT_NE(sender.sent.back().bytes.find("CSeq: 1 CANCEL"), std::string::npos);
}

TEST_F(TransactionTest, NonInviteClientRetransmitsCappedAtT2) {
  std::string branch = txns.newBranch();
  MessageWriter w = MessageWriter::request("OPTIONS", "sip:x@127.0.0.1:5070");
  w.header("Via", {"SIP/2.0/UDP 127.0.0.1:5060;branch=", branch})
                        .header("From", "<sip:sb@127.0.0.1>;tag=a")
                        .header("To", "<sip:x@127.0.0.1>")
                        .header("Call-ID", "opt-1")
                        .header("CSeq", "1 OPTIONS");
  std::string req = std::move(w).finish();
  txns.sendRequest(req, {Transport::kUdp, *Endpoint::parse("127.0.0.1", 5070), 0});
  advance(seconds(16));  // 0, .5, 1.5, 3.5, 7.5, 11.5, 15.5
  EXPECT_EQ(sender.count("OPTIONS "), 7u);
}

TEST_F(TransactionTest, StrayResponseIsCounted) {
  std::string branch;
  std::string req = outgoingInvite(txns, branch);
  txns.onMessage(responseFor(req, 200));
  EXPECT_EQ(txns.stats().strayResponses, 1u);
  EXPECT_TRUE(user.responses.empty());
}

}  // namespace
}  // namespace sb::sip
