// libFuzzer entry point for the digest header parsers (WWW-Authenticate / Authorization values)
// and the server verifier. Beyond "no crash", it checks that an answer to any challenge we accept
// parses back to the same values, so escaping and unescaping agree.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "sip/digest.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "digest_fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

void roundTripChallenge(const sb::sip::digest::Challenge& ch) {
  using namespace sb::sip::digest;
  std::string value =
      answerChallenge(ch, "REGISTER", "sip:fuzz.example", "u\"ser\\", "pw", "c\"nonce", 7);
  auto creds = parseCredentials(value);
  check(creds.ok(), "answerChallenge output does not parse");
  check(creds->realm == ch.realm && creds->nonce == ch.nonce && creds->opaque == ch.opaque,
        "realm/nonce/opaque changed in the round trip");
  check(creds->username == "u\"ser\\" && creds->uri == "sip:fuzz.example",
        "username/uri changed in the round trip");
  check(creds->algorithm == ch.algorithm, "algorithm changed in the round trip");
  check(creds->qop == (ch.qopAuth ? "auth" : ""), "qop changed in the round trip");
  check(creds->response == computeResponse(ch.algorithm, creds->username, ch.realm, "pw",
                                           "REGISTER", creds->uri, ch.nonce, creds->nc,
                                           creds->cnonce, creds->qop),
        "response does not match");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sb::sip;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto ch = digest::parseChallenge(input); ch.ok()) {
    check(!ch->nonce.empty(), "challenge accepted without a nonce");
    roundTripChallenge(*ch);
  }

  if (auto creds = digest::parseCredentials(input); creds.ok()) {
    check(!creds->nonce.empty() && !creds->uri.empty(), "credentials without nonce or uri");
    std::size_t want = creds->algorithm == digest::Algorithm::kMd5 ? 32 : 64;
    check(creds->response.size() == want, "response of the wrong length accepted");
  }

  static sb::ManualClock clock;
  static const DigestServer server("fuzz-secret", clock);
  auto verdict = server.verify(input, "REGISTER", "fuzz.example",
                               [](std::string_view user) -> std::optional<std::string> {
                                 if (user == "1001") return std::string("pw");
                                 return std::nullopt;
                               });
  // A random input can only pass by forging an HMAC-signed nonce.
  check(verdict.kind == DigestServer::Verdict::Kind::kFailed, "fuzz input authenticated");
  check(!verdict.reason.empty(), "verdict without a reason");
  return 0;
}
