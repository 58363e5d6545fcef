#include "sip/digest.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <optional>
#include <string>

namespace sb::sip {
namespace {

using digest::Algorithm;
using Kind = DigestServer::Verdict::Kind;

// RFC 2617 §3.5, folded as in the RFC.
constexpr std::string_view kRfc2617Authorization =
    "Digest username=\"Mufasa\",\r\n"
    "                 realm=\"testrealm@host.com\",\r\n"
    "                 nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
    "                 uri=\"/dir/index.html\",\r\n"
    "                 qop=auth,\r\n"
    "                 nc=00000001,\r\n"
    "                 cnonce=\"0a4f113b\",\r\n"
    "                 response=\"6629fae49393a05397450978507c4ef1\",\r\n"
    "                 opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

TEST(DigestParseTest, Rfc2617Challenge) {
  auto c = digest::parseChallenge(
      "Digest\r\n realm=\"testrealm@host.com\",\r\n qop=\"auth,auth-int\",\r\n"
      " nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
      " opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->realm, "testrealm@host.com");
  EXPECT_EQ(c->nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  EXPECT_EQ(c->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_EQ(c->algorithm, Algorithm::kMd5);
  EXPECT_TRUE(c->qopAuth);
  EXPECT_FALSE(c->stale);
}

TEST(DigestParseTest, Rfc7616Sha256Challenge) {
  auto c = digest::parseChallenge(
      "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, "
      "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
      "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->algorithm, Algorithm::kSha256);
  EXPECT_TRUE(c->qopAuth);
  EXPECT_EQ(c->nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
}

TEST(DigestParseTest, Rfc2617CredentialsMatchTheirResponse) {
  auto c = digest::parseCredentials(kRfc2617Authorization);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->username, "Mufasa");
  EXPECT_EQ(c->uri, "/dir/index.html");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->nc, "00000001");
  EXPECT_EQ(c->cnonce, "0a4f113b");
  EXPECT_EQ(c->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_EQ(digest::computeResponse(c->algorithm, c->username, c->realm, "Circle Of Life", "GET",
                                    c->uri, c->nonce, c->nc, c->cnonce, c->qop),
            c->response);
}

TEST(DigestParseTest, SchemeAndNamesAreCaseInsensitive) {
  auto c = digest::parseChallenge(
      "dIgEsT REALM=\"r\", Nonce=abc, ALGORITHM=sha-256, QOP=AUTH, "
      "Stale=TRUE");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->realm, "r");
  EXPECT_EQ(c->nonce, "abc");
  EXPECT_EQ(c->algorithm, Algorithm::kSha256);
  EXPECT_TRUE(c->qopAuth);
  EXPECT_TRUE(c->stale);
}

TEST(DigestParseTest, QuotedStringsAreUnescaped) {
  auto c = digest::parseChallenge(R"(Digest realm="a \"q\" b\\c\x, d", nonce="n")");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->realm, "a \"q\" b\\cx, d");
}

TEST(DigestParseTest, OddSpacingAndEmptyElements) {
  auto c = digest::parseChallenge(
      "  Digest \t realm = \"r\" ,nonce=\t\"n\"  , ,  opaque =  \"\","
      " qop=auth-int ,");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->realm, "r");
  EXPECT_EQ(c->nonce, "n");
  EXPECT_EQ(c->opaque, "");
  EXPECT_FALSE(c->qopAuth);  // auth-int alone is not auth
}

TEST(DigestParseTest, EmptyValues) {
  auto c = digest::parseChallenge("Digest realm=\"\", nonce=n, opaque=, domain=\"\"");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->realm, "");
  EXPECT_EQ(c->opaque, "");
  EXPECT_FALSE(digest::parseChallenge("Digest realm=\"r\", nonce=\"\"").ok());
  EXPECT_FALSE(digest::parseChallenge("Digest realm=\"r\", nonce=").ok());
}

TEST(DigestParseTest, RejectsDuplicatesWhateverTheCase) {
  EXPECT_FALSE(digest::parseChallenge("Digest realm=\"x\", realm=\"x\", nonce=1").ok());
  EXPECT_FALSE(digest::parseChallenge("Digest realm=\"x\", REALM=\"y\", nonce=1").ok());
  std::string dup(kRfc2617Authorization);
  dup += ", Response=\"6629fae49393a05397450978507c4ef1\"";
  EXPECT_FALSE(digest::parseCredentials(dup).ok());
}

TEST(DigestParseTest, RejectsMalformedLists) {
  for (std::string_view bad : {"",
                               "   ",
                               "Digest",
                               "Digest ",
                               "Digestrealm=\"r\", nonce=n",
                               "Digest realm",
                               "Digest realm \"r\", nonce=n",
                               "Digest =\"r\", nonce=n",
                               "Digest realm=\"r",
                               "Digest realm=\"r\\",
                               "Digest realm=\"r\"x, nonce=n",
                               "Digest realm=\"r\" nonce=n",
                               "Digest realm=r nonce=n",
                               "Digest nonce=n",
                               "Digest realm=\"a\rb\", nonce=n",
                               "Digest realm=\"a\\\nb\", nonce=n",
                               "Digest realm=\"a\x7f\", nonce=n",
                               "Digest realm=\"r\", nonce=n, x=\"\xff\"\"",
                               "Digest realm=\"r\"; nonce=n",
                               "Dig\xc3\xa9st realm=\"r\", nonce=n"}) {
    EXPECT_FALSE(digest::parseChallenge(bad).ok()) << bad;
  }
  EXPECT_FALSE(
      digest::parseChallenge(std::string("Digest realm=\"a") + '\0' + "b\", nonce=n").ok());
  std::string tooMany = "Digest realm=r, nonce=n";
  for (int i = 0; i < 40; ++i) tooMany += ", p" + std::to_string(i) + "=1";
  EXPECT_FALSE(digest::parseChallenge(tooMany).ok());
  EXPECT_FALSE(
      digest::parseChallenge("Digest realm=\"" + std::string(9000, 'a') + "\", nonce=n").ok());
}

TEST(DigestParseTest, UnsupportedSchemeAndAlgorithms) {
  EXPECT_EQ(digest::parseChallenge("Basic realm=\"x\"").error().code, Errc::kUnsupported);
  for (std::string_view alg : {"MD5-sess", "SHA-256-sess", "SHA-512-256", "AKAv1-MD5", "\"\""}) {
    auto c = digest::parseChallenge("Digest realm=r, nonce=n, algorithm=" + std::string(alg));
    ASSERT_FALSE(c.ok()) << alg;
    EXPECT_EQ(c.error().code, Errc::kUnsupported) << alg;
  }
  auto quoted = digest::parseChallenge("Digest realm=r, nonce=n, algorithm=\"SHA-256\"");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->algorithm, Algorithm::kSha256);
}

// Replaces the first `name=...` parameter of an RFC 2617 example with `replacement` (or drops it).
std::string rfcCredentialsWith(std::string_view name, std::string_view replacement) {
  std::string v(kRfc2617Authorization);
  std::size_t start = v.find(std::string(name) + "=");
  std::size_t end = v.find(",\r\n", start);
  if (end == std::string::npos) end = v.size();
  std::string repl(replacement);
  if (repl.empty()) repl = "x-ignored=1";
  return v.replace(start, end - start, repl);
}

TEST(DigestParseTest, CredentialsNeedMandatoryParameters) {
  ASSERT_TRUE(digest::parseCredentials(rfcCredentialsWith("opaque", "")).ok());
  for (std::string_view name : {"username", "realm", "nonce", "uri", "response"}) {
    EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith(name, "")).ok()) << name;
  }
  EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith("uri", "uri=\"\"")).ok());
  EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith("cnonce", "")).ok());
  EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith("nc", "")).ok());
  EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith("nc", "nc=1")).ok());
  EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith("nc", "nc=0000000g")).ok());
  // nc/cnonce without qop (RFC 2617 §3.2.2).
  EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith("qop", "")).ok());
}

TEST(DigestParseTest, CredentialsResponseMustFitAlgorithm) {
  EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith("response", "response=\"abc\"")).ok());
  EXPECT_FALSE(digest::parseCredentials(
                   rfcCredentialsWith("response", "response=\"6629fae49393a05397450978507c4efz\""))
                   .ok());
  EXPECT_FALSE(digest::parseCredentials(rfcCredentialsWith("opaque", "algorithm=SHA-256")).ok());
  auto upper = digest::parseCredentials(
      rfcCredentialsWith("response", "response=\"6629FAE49393A05397450978507C4EF1\""));
  EXPECT_TRUE(upper.ok());
}

TEST(DigestParseTest, CredentialsUnsupportedFeatures) {
  auto authInt = digest::parseCredentials(rfcCredentialsWith("qop", "qop=auth-int"));
  ASSERT_FALSE(authInt.ok());
  EXPECT_EQ(authInt.error().code, Errc::kUnsupported);
  auto userhash = digest::parseCredentials(rfcCredentialsWith("opaque", "userhash=true"));
  ASSERT_FALSE(userhash.ok());
  EXPECT_EQ(userhash.error().code, Errc::kUnsupported);
  EXPECT_TRUE(digest::parseCredentials(rfcCredentialsWith("opaque", "userhash=false")).ok());
}

TEST(DigestResponseTest, Rfc2617Vector) {
  EXPECT_EQ(
      digest::computeResponse(Algorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life",
                              "GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                              "00000001", "0a4f113b", "auth"),
      "6629fae49393a05397450978507c4ef1");
}

TEST(DigestResponseTest, Rfc7616Vectors) {
  // RFC 7616 §3.9.1, both the SHA-256 and the MD5 answer.
  auto response = [](Algorithm alg) {
    return digest::computeResponse(alg, "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
                                   "/dir/index.html",
                                   "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                                   "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth");
  };
  EXPECT_EQ(response(Algorithm::kSha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(response(Algorithm::kMd5), "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestResponseTest, LegacyRfc2069Form) {
  // MD5(HA1 ":" nonce ":" HA2), computed independently with Python's hashlib.
  EXPECT_EQ(digest::computeResponse(Algorithm::kMd5, "Mufasa", "testrealm@host.com",
                                    "Circle Of Life", "GET", "/dir/index.html",
                                    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "ignored", "ignored", ""),
            "670fd8c2df070c60b045671b8b24ff02");
}

TEST(DigestAnswerTest, ReproducesRfc2617Authorization) {
  auto ch = digest::parseChallenge(
      "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_TRUE(ch.ok());
  std::string value = digest::answerChallenge(*ch, "GET", "/dir/index.html", "Mufasa",
                                              "Circle Of Life", "0a4f113b", 1);
  auto sent = digest::parseCredentials(value);
  auto expected = digest::parseCredentials(kRfc2617Authorization);
  ASSERT_TRUE(sent.ok()) << value;
  ASSERT_TRUE(expected.ok());
  for (auto field :
       {&digest::Credentials::username, &digest::Credentials::realm, &digest::Credentials::nonce,
        &digest::Credentials::uri, &digest::Credentials::response, &digest::Credentials::cnonce,
        &digest::Credentials::nc, &digest::Credentials::qop, &digest::Credentials::opaque}) {
    EXPECT_EQ((*sent).*field, (*expected).*field) << value;
  }
  EXPECT_NE(value.find("algorithm=MD5"), std::string::npos);
  EXPECT_NE(value.find("nc=00000001"), std::string::npos);
}

TEST(DigestAnswerTest, EscapesQuotedValuesAndFormatsNc) {
  digest::Challenge ch;
  ch.realm = "re\"alm";
  ch.nonce = "n\\1";
  ch.qopAuth = true;
  ch.algorithm = Algorithm::kSha256;
  std::string value =
      digest::answerChallenge(ch, "INVITE", "sip:a@b", "us\"er\\", "pw", "c\"n", 0x1a2b);
  auto c = digest::parseCredentials(value);
  ASSERT_TRUE(c.ok()) << value;
  EXPECT_EQ(c->username, "us\"er\\");
  EXPECT_EQ(c->realm, "re\"alm");
  EXPECT_EQ(c->nonce, "n\\1");
  EXPECT_EQ(c->cnonce, "c\"n");
  EXPECT_EQ(c->nc, "00001a2b");
  EXPECT_EQ(c->algorithm, Algorithm::kSha256);
  EXPECT_EQ(c->response,
            digest::computeResponse(Algorithm::kSha256, "us\"er\\", "re\"alm", "pw", "INVITE",
                                    "sip:a@b", "n\\1", "00001a2b", "c\"n", "auth"));
}

TEST(DigestAnswerTest, NoQopGivesLegacyAnswer) {
  digest::Challenge ch;
  ch.realm = "r";
  ch.nonce = "n";
  std::string value = digest::answerChallenge(ch, "INVITE", "sip:a@b", "u", "p", "cn", 1);
  auto c = digest::parseCredentials(value);
  ASSERT_TRUE(c.ok()) << value;
  EXPECT_EQ(c->qop, "");
  EXPECT_EQ(c->cnonce, "");
  EXPECT_EQ(c->nc, "");
  EXPECT_EQ(c->response, digest::computeResponse(Algorithm::kMd5, "u", "r", "p", "INVITE",
                                                 "sip:a@b", "n", "", "", ""));
}

TEST(DigestAnswerTest, ControlCharactersCannotInjectHeaders) {
  digest::Challenge ch;
  ch.realm = "r";
  ch.nonce = "n";
  std::string value =
      digest::answerChallenge(ch, "INVITE", "sip:a@b\r\nX-Evil: 1", "u", "p", "cn", 1);
  EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos) << value;
}

class DigestServerTest : public ::testing::Test {
 protected:
  using Lookup = std::function<std::optional<std::string>(std::string_view)>;

  ManualClock clock;
  DigestServer server = withBoth(DigestServer{"node-secret", clock});
  static DigestServer withBoth(DigestServer d) {
    d.setAlgorithms({Algorithm::kMd5, Algorithm::kSha256});
    return d;
  }
  Lookup lookup = [](std::string_view u) -> std::optional<std::string> {
    if (u == "1001") return std::string("right-password");
    return std::nullopt;
  };

  // Challenge `which` (0 = MD5, 1 = SHA-256) for `realm`, as a client sees it.
  digest::Challenge challenge(std::size_t which, std::string_view realm = "demo") {
    auto ch = digest::parseChallenge(server.challenges(realm, false).at(which));
    EXPECT_TRUE(ch.ok());
    return ch.ok() ? *ch : digest::Challenge{};
  }
  std::string answer(std::size_t which, std::string_view user, std::string_view pass) {
    return digest::answerChallenge(challenge(which), "REGISTER", "sip:demo", user, pass, "0a4f113b",
                                   1);
  }
  DigestServer::Verdict verify(std::string_view value, std::string_view method = "REGISTER",
                               std::string_view realm = "demo") {
    return server.verify(value, method, realm, lookup);
  }
};

TEST_F(DigestServerTest, OnlyMd5IsOfferedByDefault) {
  DigestServer plain{"node-secret", clock};
  auto values = plain.challenges("demo", false);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(digest::parseChallenge(values[0])->algorithm, Algorithm::kMd5);
  plain.setAlgorithms({Algorithm::kSha256});
  EXPECT_EQ(digest::parseChallenge(plain.challenges("demo", false).at(0))->algorithm,
            Algorithm::kSha256);
}

TEST_F(DigestServerTest, ChallengesOfferMd5ThenSha256WithQopAuth) {
  auto values = server.challenges("demo", false);
  ASSERT_EQ(values.size(), 2u);
  auto md5 = digest::parseChallenge(values[0]);
  auto sha = digest::parseChallenge(values[1]);
  ASSERT_TRUE(sha.ok() && md5.ok());
  EXPECT_EQ(sha->algorithm, Algorithm::kSha256);
  EXPECT_EQ(md5->algorithm, Algorithm::kMd5);
  EXPECT_NE(values[0].find("qop=\"auth\""), std::string::npos);
  for (const auto& c : {*sha, *md5}) {
    EXPECT_EQ(c.realm, "demo");
    EXPECT_TRUE(c.qopAuth);
    EXPECT_FALSE(c.stale);
  }
  EXPECT_TRUE(digest::parseChallenge(server.challenges("demo", true).at(0))->stale);
  EXPECT_NE(server.challenges("demo", false)[0], values[0]);  // fresh nonce each time
}

TEST_F(DigestServerTest, ClientAnswerRoundTripsForBothAlgorithms) {
  for (std::size_t i = 0; i < 2; ++i) {
    auto v = verify(answer(i, "1001", "right-password"));
    EXPECT_EQ(v.kind, Kind::kOk) << v.reason;
    EXPECT_EQ(v.reason, "ok");
    EXPECT_EQ(v.username, "1001");
  }
}

TEST_F(DigestServerTest, UpperCaseHexResponseIsAccepted) {
  std::string a = answer(1, "1001", "right-password");
  std::size_t at = a.find("response=\"") + 10;
  for (std::size_t i = at; i < at + 32; ++i) a[i] = static_cast<char>(std::toupper(a[i]));
  EXPECT_EQ(verify(a).kind, Kind::kOk);
}

TEST_F(DigestServerTest, UnknownUserAndWrongPasswordGiveTheSameVerdict) {
  for (std::size_t i = 0; i < 2; ++i) {
    auto wrong = verify(answer(i, "1001", "bad"));
    auto unknown = verify(answer(i, "9999", "bad"));
    EXPECT_EQ(wrong.kind, Kind::kFailed);
    EXPECT_EQ(unknown.kind, wrong.kind);
    EXPECT_EQ(unknown.reason, wrong.reason);
    EXPECT_EQ(wrong.reason, "unknown_or_bad_password");
  }
}

TEST_F(DigestServerTest, DummyPasswordDoesNotAuthenticateUnknownUsers) {
  // The literal mirrors the dummy hashed for unknown users in digest.cpp.
  auto v = verify(answer(1, "9999", "no-such-user-dummy-password"));
  EXPECT_EQ(v.kind, Kind::kFailed);
  EXPECT_EQ(v.reason, "unknown_or_bad_password");
}

TEST_F(DigestServerTest, WrongMethodOrTamperedResponseFails) {
  std::string a = answer(0, "1001", "right-password");
  EXPECT_EQ(verify(a, "INVITE").reason, "unknown_or_bad_password");
  std::size_t at = a.find("response=\"") + 10;
  a[at] = a[at] == '0' ? '1' : '0';
  EXPECT_EQ(verify(a).kind, Kind::kFailed);
}

TEST_F(DigestServerTest, TamperedOrForeignNonceFails) {
  std::string a = answer(1, "1001", "right-password");
  for (std::size_t offset : {0u, 20u, 40u, 63u}) {  // time, random and tag parts
    std::string t = a;
    std::size_t at = t.find("nonce=\"") + 7 + offset;
    t[at] = t[at] == '1' ? '2' : '1';
    auto v = verify(t);
    EXPECT_EQ(v.kind, Kind::kFailed);
    EXPECT_EQ(v.reason, "bad_nonce") << offset;
  }
  ManualClock otherClock;
  DigestServer otherKey{"other-secret", otherClock};
  EXPECT_EQ(otherKey.verify(a, "REGISTER", "demo", lookup).reason, "bad_nonce");
  digest::Challenge ch = challenge(1);
  ch.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  auto made = digest::answerChallenge(ch, "REGISTER", "sip:demo", "1001", "right-password", "c", 1);
  EXPECT_EQ(verify(made).reason, "bad_nonce");
}

TEST_F(DigestServerTest, NonceIsBoundToItsRealm) {
  digest::Challenge ch = challenge(1, "tenant-a");
  ch.realm = "demo";  // replay tenant A's nonce against tenant B
  auto v =
      verify(digest::answerChallenge(ch, "REGISTER", "sip:demo", "1001", "right-password", "c", 1));
  EXPECT_EQ(v.reason, "bad_nonce");
}

TEST_F(DigestServerTest, RealmMismatchFails) {
  auto v = verify(answer(0, "1001", "right-password"), "REGISTER", "other");
  EXPECT_EQ(v.kind, Kind::kFailed);
  EXPECT_EQ(v.reason, "realm_mismatch");
  EXPECT_EQ(v.username, "1001");
}

TEST_F(DigestServerTest, MissingUriIsMalformed) {
  std::string a = answer(0, "1001", "right-password");
  std::size_t start = a.find("uri=");
  a.erase(start, a.find(", ", start) + 2 - start);
  ASSERT_EQ(a.find("uri="), std::string::npos);
  auto v = verify(a);
  EXPECT_EQ(v.kind, Kind::kFailed);
  EXPECT_EQ(v.reason, "malformed");
  EXPECT_EQ(verify("Digest garbage").reason, "malformed");
  EXPECT_EQ(verify("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").reason, "unsupported");
  EXPECT_EQ(verify("").username, "");
}

TEST_F(DigestServerTest, LegacyAnswerWithoutQopIsRefused) {
  digest::Challenge ch = challenge(1);
  ch.qopAuth = false;
  auto v =
      verify(digest::answerChallenge(ch, "REGISTER", "sip:demo", "1001", "right-password", "c", 1));
  EXPECT_EQ(v.kind, Kind::kFailed);
  EXPECT_EQ(v.reason, "qop_required");
}

TEST_F(DigestServerTest, UnsupportedAlgorithmIsReported) {
  std::string a = answer(0, "1001", "right-password");
  a.replace(a.find("algorithm=MD5"), 13, "algorithm=MD5-sess");
  EXPECT_EQ(verify(a).reason, "unsupported");
}

TEST_F(DigestServerTest, ExpiredNonceIsStaleOnlyWithTheRightPassword) {
  std::string good = answer(0, "1001", "right-password");
  std::string bad = answer(0, "1001", "nope");
  std::string unknown = answer(0, "9999", "nope");
  clock.advance(std::chrono::minutes(5));
  EXPECT_EQ(verify(good).kind, Kind::kOk);  // the lifetime is inclusive
  clock.advance(std::chrono::milliseconds(1));
  auto stale = verify(good);
  EXPECT_EQ(stale.kind, Kind::kStale);
  EXPECT_EQ(stale.reason, "stale_nonce");
  EXPECT_EQ(verify(bad).reason, "unknown_or_bad_password");
  EXPECT_EQ(verify(unknown).reason, "unknown_or_bad_password");
}

TEST_F(DigestServerTest, NonceFromTheFutureIsStale) {
  // Another node (or this one before a restart) whose clock is ahead, same secret.
  ManualClock ahead;
  ahead.advance(std::chrono::hours(2));
  DigestServer peer = withBoth(DigestServer{"node-secret", ahead});
  auto ch = digest::parseChallenge(peer.challenges("demo", false).at(0));
  ASSERT_TRUE(ch.ok());
  auto v = verify(
      digest::answerChallenge(*ch, "REGISTER", "sip:demo", "1001", "right-password", "c", 1));
  EXPECT_EQ(v.kind, Kind::kStale);
}

TEST_F(DigestServerTest, ShortLifetime) {
  DigestServer quick = withBoth(DigestServer{"node-secret", clock, std::chrono::seconds(10)});
  auto ch = digest::parseChallenge(quick.challenges("demo", false).at(1));
  ASSERT_TRUE(ch.ok());
  auto a = digest::answerChallenge(*ch, "REGISTER", "sip:demo", "1001", "right-password", "c", 1);
  EXPECT_EQ(quick.verify(a, "REGISTER", "demo", lookup).kind, Kind::kOk);
  clock.advance(std::chrono::seconds(11));
  EXPECT_EQ(quick.verify(a, "REGISTER", "demo", lookup).kind, Kind::kStale);
  EXPECT_EQ(server.verify(a, "REGISTER", "demo", lookup).kind, Kind::kOk);  // same key, 5 min
}

}  // namespace
}  // namespace sb::sip
