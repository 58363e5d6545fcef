// Two complete stacks (transport + transactions + UA core) talking over real loopback sockets.
#include "sip/user_agent.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <functional>
#include <optional>
#include <vector>

#include "sip/digest.h"
#include "sip/transport.h"

namespace sb::sip {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kOffer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

struct Events : UaHandler {
  UserAgent* ua = nullptr;
  std::function<void(TxnId, const Message&)> inviteAction;
  std::function<void(DialogHandle, TxnId, const Message&)> dialogAction;
  std::vector<TxnId> invites;
  std::vector<TxnId> cancelled;
  std::vector<std::string> dialogRequests;
  std::vector<std::pair<DialogHandle, DialogEnd>> ended;
  std::vector<DialogHandle> acked;
  std::optional<DialogHandle> answered;
  std::optional<int> failed;
  std::vector<int> progress;
  std::vector<std::pair<Method, int>> dialogResponses;
  std::string lastRequestBody;

  void onInvite(TxnId txn, const Message& invite) override {
    invites.push_back(txn);
    lastRequestBody = invite.body();
    if (inviteAction) inviteAction(txn, invite);
  }
  void onInviteCancelled(TxnId txn) override { cancelled.push_back(txn); }
  void onRequest(TxnId txn, const Message&) override { (void)ua->respond(txn, 405); }
  void onDialogRequest(DialogHandle d, TxnId txn, const Message& r) override {
    dialogRequests.emplace_back(r.methodText());
    lastRequestBody = r.body();
    if (dialogAction) {
      dialogAction(d, txn, r);
    } else if (r.method() == Method::kInvite) {
      (void)ua->answer(txn, Body{"application/sdp", std::string(kOffer)});
    } else {
      (void)ua->respond(txn, 200);
    }
  }
  void onDialogAck(DialogHandle d, const Message&) override { acked.push_back(d); }
  void onDialogEnded(DialogHandle d, DialogEnd why) override { ended.emplace_back(d, why); }
  void onOutgoingProgress(OutgoingHandle, const Message& r) override {
    progress.push_back(r.status());
  }
  void onOutgoingAnswered(OutgoingHandle, DialogHandle d, const Message&) override {
    answered = d;
  }
  void onOutgoingFailed(OutgoingHandle, int status) override { failed = status; }
  void onDialogResponse(DialogHandle, Method m, int status, const Message*) override {
    dialogResponses.emplace_back(m, status);
  }
};

struct Stack {
  Stack(boost::asio::io_context& io, TimerWheel& wheel, Transport t)
      : transport(io), txns(transport, wheel, ua), ua(txns, transport, wheel) {
    EXPECT_TRUE(transport.listen({t, "127.0.0.1", 0}).ok());
    local = *transport.localEndpoint(t);
    ua.setLocalEndpoint(t, local);
    transport.setHandler([this](Message&& m) { txns.onMessage(std::move(m)); });
    events.ua = &ua;
    ua.setHandler(&events);
  }
  TransportLayer transport;
  TransactionLayer txns;
  UserAgent ua;
  Events events;
  Endpoint local;
};

class UserAgentTest : public ::testing::TestWithParam<Transport> {
 protected:
  SteadyClock clock;
  boost::asio::io_context io;
  TimerWheel wheel{clock.now()};
  Stack alice{io, wheel, GetParam()};
  Stack bob{io, wheel, GetParam()};

  // Runs the loop until `done` holds; fails the test after `limit`.
  void runUntil(const std::function<bool()>& done, Duration limit = std::chrono::seconds(5)) {
    auto deadline = clock.now() + limit;
    while (!done()) {
      ASSERT_LT(clock.now(), deadline) << "condition not reached in time";
      io.run_one_for(milliseconds(5));
      wheel.advance(clock.now());
    }
  }

  OutgoingHandle call(std::optional<ClientCredentials> creds = std::nullopt) {
    OutgoingInvite inv;
    inv.requestUri = "sip:4000@" + bob.local.toString();
    inv.fromUri = "sip:alice@127.0.0.1";
    inv.toUri = inv.requestUri;
    inv.destination = {GetParam(), bob.local, 0};
    inv.body = {"application/sdp", std::string(kOffer)};
    inv.credentials = std::move(creds);
    return alice.ua.invite(inv);
  }

  void establish() {
    bob.events.inviteAction = [this](TxnId txn, const Message&) {
      ASSERT_TRUE(bob.ua.provisional(txn, 180).ok());
      ASSERT_TRUE(bob.ua.answer(txn, {"application/sdp", std::string(kOffer)}).ok());
    };
    call();
    runUntil([&] { return alice.events.answered.has_value() && !bob.events.acked.empty(); });
  }
};

TEST_P(UserAgentTest, CallIsAnsweredAckedAndEndedByCaller) {
  establish();
  EXPECT_EQ(bob.ua.dialogCount(), 1u);
  EXPECT_EQ(alice.events.progress, std::vector<int>{180});
  EXPECT_NE(bob.events.lastRequestBody.find("m=audio 30000"), std::string::npos);
  ASSERT_TRUE(alice.ua.bye(*alice.events.answered).ok());
  runUntil([&] { return !alice.events.ended.empty() && !bob.events.ended.empty(); });
  EXPECT_EQ(alice.events.ended[0].second, DialogEnd::kLocalBye);
  EXPECT_EQ(bob.events.ended[0].second, DialogEnd::kRemoteBye);
  EXPECT_EQ(alice.ua.dialogCount(), 0u);
  EXPECT_EQ(bob.ua.dialogCount(), 0u);
}

TEST_P(UserAgentTest, CalleeHangsUp) {
  establish();
  DialogHandle bobDialog = bob.events.acked.front();
  ASSERT_TRUE(bob.ua.bye(bobDialog).ok());
  runUntil([&] { return !alice.events.ended.empty() && !bob.events.ended.empty(); });
  EXPECT_EQ(alice.events.ended[0].second, DialogEnd::kRemoteBye);
}

TEST_P(UserAgentTest, ReinviteHoldAndInfo) {
  establish();
  DialogHandle d = *alice.events.answered;
  std::string hold(kOffer);
  hold += "a=sendonly\r\n";
  ASSERT_TRUE(alice.ua.reinvite(d, {"application/sdp", hold}).ok());
  EXPECT_FALSE(alice.ua.reinvite(d, {"application/sdp", hold}).ok());  // one at a time
  runUntil([&] { return bob.events.acked.size() == 2; });
  ASSERT_EQ(alice.events.dialogResponses.size(), 1u);
  EXPECT_EQ(alice.events.dialogResponses[0], std::make_pair(Method::kInvite, 200));
  EXPECT_NE(bob.events.lastRequestBody.find("a=sendonly"), std::string::npos);
  ASSERT_TRUE(alice.ua.request(d, Method::kInfo, {"application/dtmf-relay", "Signal=5\r\n"}).ok());
  runUntil([&] { return alice.events.dialogResponses.size() == 2; });
  EXPECT_EQ(alice.events.dialogResponses[1], std::make_pair(Method::kInfo, 200));
  EXPECT_EQ(bob.events.dialogRequests, (std::vector<std::string>{"INVITE", "INFO"}));
}

TEST_P(UserAgentTest, ReinviteGlareResolvesWith491AndRetry) {
  establish();
  DialogHandle a = *alice.events.answered;
  DialogHandle b = bob.events.acked.front();
  ASSERT_TRUE(alice.ua.reinvite(a, {"application/sdp", std::string(kOffer)}).ok());
  ASSERT_TRUE(bob.ua.reinvite(b, {"application/sdp", std::string(kOffer)}).ok());
  // Both get 491; each retries after its §14.1 wait (callee 0–2 s, caller 2.1–4 s).
  runUntil(
      [&] {
        auto ok = [](const Events& e) {
          for (auto& r : e.dialogResponses) {
            if (r == std::make_pair(Method::kInvite, 200)) return true;
          }
          return false;
        };
        return ok(alice.events) && ok(bob.events);
      },
      std::chrono::seconds(12));
  EXPECT_GE(alice.ua.stats().glare491 + bob.ua.stats().glare491, 2u);
}

TEST_P(UserAgentTest, CancelWhileRinging) {
  bob.events.inviteAction = [this](TxnId txn, const Message&) {
    ASSERT_TRUE(bob.ua.provisional(txn, 180).ok());
  };
  OutgoingHandle h = call();
  runUntil([&] { return !alice.events.progress.empty(); });
  alice.ua.cancel(h);
  runUntil([&] { return alice.events.failed.has_value(); });
  EXPECT_EQ(*alice.events.failed, 487);
  ASSERT_EQ(bob.events.cancelled.size(), 1u);
  EXPECT_FALSE(bob.ua.answer(bob.events.cancelled[0], {}).ok());  // too late to answer
  EXPECT_EQ(bob.ua.dialogCount(), 0u);
}

TEST_P(UserAgentTest, RejectedCallReportsStatus) {
  bob.events.inviteAction = [this](TxnId txn, const Message&) {
    ASSERT_TRUE(bob.ua.respond(txn, 486).ok());
  };
  call();
  runUntil([&] { return alice.events.failed.has_value(); });
  EXPECT_EQ(*alice.events.failed, 486);
  EXPECT_EQ(alice.ua.dialogCount(), 0u);
}

TEST_P(UserAgentTest, AnswersDigestChallengeFromTrunk) {
  SteadyClock realClock;
  DigestServer digest("trunk-secret", realClock);
  bob.events.inviteAction = [&](TxnId txn, const Message& invite) {
    std::string_view auth = invite.header(HeaderId::kProxyAuthorization);
    if (auth.empty()) {
      HeaderList h;
      for (auto& c : digest.challenges("carrier.example", false)) h.emplace_back("Proxy-Authenticate", c);
      ASSERT_TRUE(bob.ua.respond(txn, 407, h).ok());
      return;
    }
    auto verdict = digest.verify(auth, "INVITE", "carrier.example",
                                 [](std::string_view u) -> std::optional<std::string> {
                                   if (u == "trunkuser") return std::string("trunkpass");
                                   return std::nullopt;
                                 });
    if (verdict.kind != DigestServer::Verdict::Kind::kOk) {
      ASSERT_TRUE(bob.ua.respond(txn, 403).ok());
      return;
    }
    ASSERT_TRUE(bob.ua.answer(txn, {"application/sdp", std::string(kOffer)}).ok());
  };
  call(ClientCredentials{"trunkuser", "trunkpass"});
  runUntil([&] { return alice.events.answered.has_value() || alice.events.failed.has_value(); });
  EXPECT_TRUE(alice.events.answered.has_value());
  EXPECT_EQ(bob.events.invites.size(), 2u);
}

TEST_P(UserAgentTest, WrongTrunkPasswordFailsOnceWithoutLoop) {
  bob.events.inviteAction = [this](TxnId txn, const Message&) {
    ASSERT_TRUE(bob.ua.respond(txn, 401, {{"WWW-Authenticate",
                                          "Digest realm=\"x\", nonce=\"abc\", qop=\"auth\""}})
                    .ok());
  };
  call(ClientCredentials{"u", "p"});
  runUntil([&] { return alice.events.failed.has_value(); });
  EXPECT_EQ(*alice.events.failed, 401);
  EXPECT_EQ(bob.events.invites.size(), 2u);  // one retry with credentials, no more
}

TEST_P(UserAgentTest, RequestsOnAnEndedDialogAreRefused) {
  establish();
  DialogHandle a = *alice.events.answered;
  ASSERT_TRUE(bob.ua.bye(bob.events.acked.front()).ok());
  runUntil([&] { return !alice.events.ended.empty(); });
  EXPECT_FALSE(alice.ua.request(a, Method::kInfo).ok());
  EXPECT_FALSE(alice.ua.reinvite(a, {}).ok());
  EXPECT_FALSE(alice.ua.bye(a).ok());
}

INSTANTIATE_TEST_SUITE_P(Transports, UserAgentTest,
                         ::testing::Values(Transport::kUdp, Transport::kTcp),
                         [](const ::testing::TestParamInfo<Transport>& p) {
                           return std::string(transportName(p.param));
                         });

}  // namespace
}  // namespace sb::sip
