// The registration client against a tiny registrar on loopback UDP that challenges every
// REGISTER without credentials (401), checks the digest answer with the sip::digest functions,
// and grants a short binding so the refresh shows.
#include "crowd/registration_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <functional>
#include <string>
#include <vector>

#include "sip/digest.h"
#include "sip/user_agent.h"
#include "sip/writer.h"

namespace sb::crowd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kRealm = "demo.test";
constexpr std::string_view kNonce = "abc123nonce";

/// What the test registrar saw of one REGISTER.
struct Seen {
  std::string callId;
  std::uint32_t cseq = 0;
  std::string contact;
  std::string expires;
  bool authorized = false;
  bool digestOk = false;
};

/// A registrar made of a bare transport: 401 without credentials, 200 (or 403) with.
struct TinyRegistrar {
  explicit TinyRegistrar(boost::asio::io_context& io) : transport(io) {
    EXPECT_TRUE(transport.listen({sip::Transport::kUdp, "127.0.0.1", 0}).ok());
    local = *transport.localEndpoint(sip::Transport::kUdp);
    transport.setHandler([this](sip::Message&& m) { onMessage(m); });
  }

  void onMessage(const sip::Message& m) {
    if (!m.isRequest() || m.method() != sip::Method::kRegister) return;
    Seen s;
    s.callId = std::string(m.callId());
    s.cseq = m.cseq().number;
    s.contact = std::string(m.header(sip::HeaderId::kContact));
    s.expires = std::string(m.header(sip::HeaderId::kExpires));
    std::string_view auth = m.header(sip::HeaderId::kAuthorization);
    s.authorized = !auth.empty();
    if (s.authorized) {
      auto c = sip::digest::parseCredentials(auth);
      ASSERT_TRUE(c.ok()) << auth;
      std::string expected =
          sip::digest::computeResponse(c->algorithm, c->username, kRealm, password, "REGISTER",
                                       c->uri, kNonce, c->nc, c->cnonce, c->qop);
      s.digestOk = c->username == "1001" && c->realm == kRealm && c->nonce == kNonce &&
                   c->uri == std::string(m.requestUri().raw) && c->qop == "auth" &&
                   c->response == expected;
    }
    seen.push_back(s);
    int status = !s.authorized ? 401 : (s.digestOk ? 200 : 403);
    bool tooBrief = status == 200 && s.expires != "0" && std::stoi(s.expires) < minExpires;
    if (tooBrief) status = 423;
    sip::MessageWriter w = sip::responseTo(m, status, {}, "regtag");
    if (status == 401) {
      w.header("WWW-Authenticate", {"Digest realm=\"", kRealm, "\", nonce=\"", kNonce,
                                    "\", algorithm=MD5, qop=\"auth\""});
    }
    if (tooBrief) w.header("Min-Expires", std::to_string(minExpires));
    if (status == 200 && s.expires != "0") {
      w.header("Contact", {s.contact, ";expires=", std::to_string(grant)});
    }
    transport.send(sip::responseDestination(m), std::move(w).finish());
  }

  std::size_t authorizedOk() const {
    std::size_t n = 0;
    for (const auto& s : seen) n += s.authorized && s.digestOk ? 1 : 0;
    return n;
  }

  sip::TransportLayer transport;
  Endpoint local;
  std::string password = "secret-1001";
  int grant = 2;
  int minExpires = 0;
  std::vector<Seen> seen;
};

/// A client stack: transport, transactions and the router in front of a UA core.
class RegistrationClientTest : public ::testing::Test {
 protected:
  RegistrationClientTest() {
    EXPECT_TRUE(transport.listen({sip::Transport::kUdp, "127.0.0.1", 0}).ok());
    local = *transport.localEndpoint(sip::Transport::kUdp);
    ua.setLocalEndpoint(sip::Transport::kUdp, local);
    transport.setHandler([this](sip::Message&& m) { txns.onMessage(std::move(m)); });
  }

  void runUntil(const std::function<bool()>& done, Duration limit = seconds(5)) {
    auto deadline = clock.now() + limit;
    while (!done()) {
      ASSERT_LT(clock.now(), deadline) << "condition not reached in time";
      io.run_one_for(milliseconds(5));
      wheel.advance(clock.now());
    }
  }

  RegistrationSpec spec(std::string password) const {
    RegistrationSpec s;
    s.user = "1001";
    s.password = std::move(password);
    s.domain = std::string(kRealm);
    s.registrar = {sip::Transport::kUdp, registrar.local, 0};
    s.contact = local;
    s.expires = seconds(60);
    return s;
  }

  SteadyClock clock;
  boost::asio::io_context io;
  TimerWheel wheel{clock.now()};
  TinyRegistrar registrar{io};
  std::vector<RegistrationEvent> events;
  sip::TransportLayer transport{io};
  TransactionRouter router{ua, client};
  sip::TransactionLayer txns{transport, wheel, router};
  sip::UserAgent ua{txns, transport, wheel};
  RegistrationClient client{txns, wheel,
                            [this](const RegistrationEvent& e) { events.push_back(e); }};
  Endpoint local;
};

TEST_F(RegistrationClientTest, AnswersTheChallengeAndRefreshesBeforeExpiry) {
  client.add(spec("secret-1001"));
  runUntil([&] { return client.registeredCount() == 1; });
  ASSERT_EQ(registrar.seen.size(), 2u);
  EXPECT_FALSE(registrar.seen[0].authorized);
  EXPECT_TRUE(registrar.seen[1].authorized);
  EXPECT_TRUE(registrar.seen[1].digestOk);
  EXPECT_EQ(registrar.seen[0].callId, registrar.seen[1].callId);
  EXPECT_EQ(registrar.seen[1].cseq, registrar.seen[0].cseq + 1);
  EXPECT_EQ(registrar.seen[0].contact, "<sip:1001@" + local.toString() + ">");
  EXPECT_EQ(registrar.seen[0].expires, "60");
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().registered);
  EXPECT_EQ(events.back().expires, seconds(2));

  // Granted 2 s: the refresh goes out after about 1 s, challenged and answered again.
  runUntil([&] { return registrar.authorizedOk() >= 2; });
  EXPECT_EQ(registrar.seen.back().callId, registrar.seen.front().callId);
  runUntil([&] { return client.pendingCount() == 0; });
  EXPECT_EQ(client.registeredCount(), 1u);

  client.removeAll();
  runUntil([&] { return client.pendingCount() == 0 && client.registeredCount() == 0; });
  EXPECT_EQ(registrar.seen.back().expires, "0");
  EXPECT_TRUE(registrar.seen.back().digestOk);
  EXPECT_TRUE(events.back().removed);
}

TEST_F(RegistrationClientTest, IntervalTooBriefAsksAgainForMinExpires) {
  registrar.minExpires = 120;  // we ask for 60
  client.add(spec("secret-1001"));
  runUntil([&] { return client.registeredCount() == 1; });
  // 401, 423 to the authorised request, then a fresh 401 and the accepted REGISTER.
  ASSERT_EQ(registrar.seen.size(), 4u);
  EXPECT_EQ(registrar.seen[1].expires, "60");
  EXPECT_EQ(registrar.seen[3].expires, "120");
  EXPECT_TRUE(registrar.seen[3].digestOk);
}

TEST_F(RegistrationClientTest, WrongPasswordFailsWithoutRetryingAtOnce) {
  client.add(spec("wrong"));
  runUntil([&] { return !events.empty(); });
  EXPECT_FALSE(events.back().registered);
  EXPECT_EQ(events.back().status, 403);
  EXPECT_EQ(client.registeredCount(), 0u);
  // One challenge, one answer: no burst of failures that would get the address banned.
  auto settle = clock.now() + milliseconds(300);
  runUntil([&] { return clock.now() >= settle; });
  EXPECT_EQ(registrar.seen.size(), 2u);
}

TEST_F(RegistrationClientTest, SecondChallengeToCredentialsIsAFailure) {
  registrar.password = "something-else";  // our answers never verify...
  client.add(spec("secret-1001"));
  runUntil([&] { return !events.empty(); });
  EXPECT_EQ(events.back().status, 403);
  EXPECT_EQ(registrar.seen.size(), 2u);
}

TEST_F(RegistrationClientTest, UnsendableRegisterIsReportedAsTimeout) {
  // A REGISTER that cannot be sent (port 0) ends like a Timer F expiry: reported as 408.
  RegistrationSpec s = spec("secret-1001");
  s.registrar.remote.port = 0;
  client.add(s);
  runUntil([&] { return !events.empty(); });
  EXPECT_EQ(events.back().status, 408);
  EXPECT_FALSE(events.back().registered);
}

}  // namespace
}  // namespace sb::crowd
