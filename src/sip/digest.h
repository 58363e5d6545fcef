#pragma once
// SIP digest authentication (RFC 3261 §22, RFC 2617, RFC 7616 / RFC 8760 for SHA-256): header
// parsing, response computation, the client answer to a challenge, and the server verifier with
// stateless HMAC-signed nonces (ADR 0003). OpenSSL stays in digest.cpp.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace sb::sip::digest {

/// Hash algorithm of a challenge or credentials; the "-sess" variants are not supported.
enum class Algorithm { kMd5, kSha256 };

/// The token for `alg` as written in headers: "MD5" or "SHA-256".
std::string_view algorithmName(Algorithm alg);

/// Parsed WWW-Authenticate / Proxy-Authenticate value ("Digest realm=..., nonce=..., ...").
struct Challenge {
  std::string realm, nonce, opaque;
  Algorithm algorithm = Algorithm::kMd5;
  bool stale = false;
  bool qopAuth = false;  ///< "auth" is among the offered qop values
};

/// Parses a challenge; quoted strings unescaped, unknown parameters ignored. Errors:
/// kInvalidInput (syntax, duplicate parameter, missing realm or nonce), kUnsupported (scheme
/// other than Digest, unknown or "-sess" algorithm).
Result<Challenge> parseChallenge(std::string_view headerValue);

/// Parsed Authorization / Proxy-Authorization value. Quoted strings unescaped.
struct Credentials {
  std::string username, realm, nonce, uri, response, cnonce, nc, qop, opaque;
  Algorithm algorithm = Algorithm::kMd5;
};

/// Parses credentials. Errors: kInvalidInput (syntax, duplicate parameter, a missing mandatory
/// parameter, `response` not hex of the algorithm's length, qop=auth without an 8-hex-digit nc
/// and a cnonce, or nc/cnonce without qop), kUnsupported (scheme other than Digest, unknown
/// algorithm, qop other than auth, userhash=true).
Result<Credentials> parseCredentials(std::string_view headerValue);

/// Lower-case hex response per RFC 2617/7616 (qop=auth when qop non-empty, else legacy RFC 2069
/// form, where nc and cnonce are ignored).
std::string computeResponse(Algorithm alg, std::string_view username, std::string_view realm,
                            std::string_view password, std::string_view method,
                            std::string_view uri, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop);

/// Client side (answering a trunk's 401/407): the Authorization header value to send. Uses
/// qop=auth with `cnonce` (a fresh random token) and `nc` when the challenge offers it; quoted
/// values are escaped.
std::string answerChallenge(const Challenge& challenge, std::string_view method,
                            std::string_view uri, std::string_view username,
                            std::string_view password, std::string_view cnonce, std::uint32_t nc);

}  // namespace sb::sip::digest

namespace sb::sip {

/// Server-side verifier with stateless, HMAC-SHA256-signed, time-limited nonces: a nonce carries
/// its issue time and is bound to the realm; valid for `nonceLifetime`; expired but authentic ->
/// stale. Holds no per-request state; const methods may run on any thread.
class DigestServer {
 public:
  /// Outcome of a verification.
  struct Verdict {
    /// kOk: authenticated; kStale: answer again with a fresh nonce (401 stale=true); kFailed.
    enum class Kind { kOk, kStale, kFailed } kind = Kind::kFailed;
    std::string username;  ///< as sent (empty when the value did not parse)
    /// Short machine reason for a security event, never a secret: "ok", "stale_nonce",
    /// "malformed", "unsupported", "realm_mismatch", "qop_required", "bad_nonce",
    /// "unknown_or_bad_password".
    std::string reason;
  };

  /// `secret` keys the nonce HMAC (non-empty; share it between nodes that share a clock);
  /// `nonceLifetime` must be positive; `clock` must outlive the server.
  DigestServer(std::string secret, const Clock& clock,
               Duration nonceLifetime = std::chrono::minutes(5));

  /// Algorithms offered in a 401, in order (default MD5 only); empty keeps the current list.
  void setAlgorithms(std::vector<digest::Algorithm> algorithms);

  /// WWW-Authenticate values for a 401, one per offered algorithm in order, qop="auth", one
  /// shared nonce. Put MD5 first: SIPp and sipsak read only the topmost challenge; baresip 1.0
  /// (libre) fails on any algorithm it does not know, so SHA-256 is opt-in (RFC 8760).
  std::vector<std::string> challenges(std::string_view realm, bool stale) const;

  /// Checks an Authorization value for `method` in `realm`. `passwordOf(user)` returns the
  /// password or std::nullopt for an unknown user; an unknown user and a wrong password give the
  /// same verdict after the same work (a dummy password is hashed; constant-time compare).
  /// kStale only when the response is right for an authentic expired nonce.
  Verdict verify(
      std::string_view authorizationValue, std::string_view method, std::string_view realm,
      const std::function<std::optional<std::string>(std::string_view user)>& passwordOf) const;

 private:
  enum class NonceState { kValid, kStale, kInvalid };
  std::string issueNonce(std::string_view realm) const;
  std::string nonceTag(std::string_view body, std::string_view realm) const;
  NonceState checkNonce(std::string_view nonce, std::string_view realm) const;

  std::string secret_;
  const Clock& clock_;
  Duration lifetime_;
  std::vector<digest::Algorithm> algorithms_{digest::Algorithm::kMd5};
};

}  // namespace sb::sip
