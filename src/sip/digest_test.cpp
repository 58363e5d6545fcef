#include "sip/digest.h"

#include <gtest/gtest.h>

#include "sip/auth_guard.h"

namespace sb::sip {
namespace {

using digest::Algorithm;

TEST(DigestTest, Rfc2617Vector) {
  // RFC 2617 §3.5.
  EXPECT_EQ(digest::computeResponse(Algorithm::kMd5, "Mufasa", "testrealm@host.com",
                                    "Circle Of Life", "GET", "/dir/index.html",
                                    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                                    "auth"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(DigestTest, Rfc7616Sha256Vector) {
  // RFC 7616 §3.9.1.
  EXPECT_EQ(digest::computeResponse(
                Algorithm::kSha256, "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
                "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestTest, ParsesChallengeAndCredentials) {
  auto c = digest::parseChallenge(
      "Digest realm=\"a \\\"q\\\" b\",  nonce=\"n1\" ,algorithm=SHA-256, qop=\"auth,auth-int\", stale=TRUE");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->realm, "a \"q\" b");
  EXPECT_EQ(c->algorithm, Algorithm::kSha256);
  EXPECT_TRUE(c->qopAuth);
  EXPECT_TRUE(c->stale);
  EXPECT_FALSE(digest::parseChallenge("Basic realm=\"x\"").ok());
  EXPECT_FALSE(digest::parseChallenge("Digest realm=\"x\", realm=\"y\", nonce=1").ok());
  EXPECT_FALSE(digest::parseChallenge("Digest realm=\"x").ok());
  EXPECT_FALSE(digest::parseChallenge("Digest nonce=1, algorithm=SHA-512").ok());
  EXPECT_FALSE(digest::parseCredentials("Digest username=\"u\", realm=\"r\"").ok());
}

class DigestServerTest : public ::testing::Test {
 protected:
  ManualClock clock;
  DigestServer server{"secret", clock};
  std::function<std::optional<std::string>(std::string_view)> lookup =
      [](std::string_view u) -> std::optional<std::string> {
    if (u == "1001") return std::string("right-password");
    return std::nullopt;
  };
  std::string answer(std::size_t which, std::string_view user, std::string_view pass) {
    auto ch = digest::parseChallenge(server.challenges("demo", false).at(which));
    EXPECT_TRUE(ch.ok());
    return digest::answerChallenge(*ch, "REGISTER", "sip:127.0.0.1", user, pass, "cn0nce", 1);
  }
};

TEST_F(DigestServerTest, ChallengesOfferSha256ThenMd5) {
  auto c = server.challenges("demo", false);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NE(c[0].find("algorithm=SHA-256"), std::string::npos);
  EXPECT_NE(c[1].find("algorithm=MD5"), std::string::npos);
  EXPECT_NE(c[0].find("qop=\"auth\""), std::string::npos);
}

TEST_F(DigestServerTest, RoundTripBothAlgorithms) {
  for (std::size_t i = 0; i < 2; ++i) {
    auto v = server.verify(answer(i, "1001", "right-password"), "REGISTER", "demo", lookup);
    EXPECT_EQ(v.kind, DigestServer::Verdict::Kind::kOk) << v.reason;
    EXPECT_EQ(v.username, "1001");
  }
}

TEST_F(DigestServerTest, UnknownUserAndWrongPasswordLookAlike) {
  auto wrong = server.verify(answer(1, "1001", "bad"), "REGISTER", "demo", lookup);
  auto unknown = server.verify(answer(1, "9999", "bad"), "REGISTER", "demo", lookup);
  EXPECT_EQ(wrong.kind, DigestServer::Verdict::Kind::kFailed);
  EXPECT_EQ(unknown.kind, wrong.kind);
  EXPECT_EQ(unknown.reason, wrong.reason);
}

TEST_F(DigestServerTest, WrongMethodRealmOrTamperedNonceFail) {
  std::string a = answer(1, "1001", "right-password");
  EXPECT_EQ(server.verify(a, "INVITE", "demo", lookup).kind, DigestServer::Verdict::Kind::kFailed);
  EXPECT_EQ(server.verify(a, "REGISTER", "other", lookup).reason, "realm_mismatch");
  std::string tampered = a;
  auto pos = tampered.find("nonce=\"") + 7;
  tampered[pos] = tampered[pos] == '1' ? '2' : '1';
  EXPECT_EQ(server.verify(tampered, "REGISTER", "demo", lookup).reason, "bad_nonce");
  DigestServer otherKey{"other-secret", clock};
  EXPECT_EQ(otherKey.verify(a, "REGISTER", "demo", lookup).reason, "bad_nonce");
  EXPECT_EQ(server.verify("garbage", "REGISTER", "demo", lookup).reason, "malformed");
}

TEST_F(DigestServerTest, ExpiredNonceIsStaleOnlyWithRightPassword) {
  std::string good = answer(1, "1001", "right-password");
  std::string bad = answer(1, "1001", "nope");
  clock.advance(std::chrono::minutes(6));
  EXPECT_EQ(server.verify(good, "REGISTER", "demo", lookup).kind,
            DigestServer::Verdict::Kind::kStale);
  EXPECT_EQ(server.verify(bad, "REGISTER", "demo", lookup).kind,
            DigestServer::Verdict::Kind::kFailed);
}

TEST(AuthGuardTest, BansAtLimitForBanDurationWithSlidingWindow) {
  ManualClock clock;
  AuthGuard guard(clock, {3, std::chrono::seconds(60), std::chrono::seconds(300), 100});
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));
  EXPECT_FALSE(guard.isBanned("10.0.0.1"));
  EXPECT_TRUE(guard.recordFailure("10.0.0.1"));
  EXPECT_TRUE(guard.isBanned("10.0.0.1"));
  EXPECT_FALSE(guard.isBanned("10.0.0.2"));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1"));  // already banned: no second ban event
  clock.advance(std::chrono::seconds(301));
  EXPECT_FALSE(guard.isBanned("10.0.0.1"));
  // Failures spread wider than the window never ban.
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(guard.recordFailure("10.0.0.3"));
    EXPECT_FALSE(guard.recordFailure("10.0.0.3"));
    clock.advance(std::chrono::seconds(61));
  }
}

TEST(AuthGuardTest, SuccessResetsAndMemoryIsBounded) {
  ManualClock clock;
  AuthGuard guard(clock, {2, std::chrono::seconds(60), std::chrono::seconds(300), 50});
  EXPECT_FALSE(guard.recordFailure("a"));
  guard.recordSuccess("a");
  EXPECT_FALSE(guard.recordFailure("a"));
  for (int i = 0; i < 1000; ++i) (void)guard.recordFailure("src" + std::to_string(i));
  EXPECT_LE(guard.trackedSources(), 50u);
}

}  // namespace
}  // namespace sb::sip
