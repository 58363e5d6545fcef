#include "sip/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <utility>

namespace sb::sip::digest {
namespace {

// Bounds on what a peer can make us parse; real values are a few hundred bytes.
constexpr std::size_t kMaxHeaderValue = 8192;
constexpr std::size_t kMaxParams = 32;

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool isControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// RFC 3261 §25.1 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

char toLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) return false;
  }
  return true;
}

bool isHex(std::string_view s) {
  for (char c : s) {
    char l = toLower(c);
    if (!((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f'))) return false;
  }
  return true;
}

std::string toHex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out;
}

std::size_t hexLength(Algorithm alg) {
  return alg == Algorithm::kMd5 ? 32 : 64;
}

// H(part1 ":" part2 ":" ...) in lower-case hex, hashing the parts in place so the password is
// never copied into a temporary. Empty on an OpenSSL failure (e.g. MD5 refused in FIPS mode),
// which makes every comparison fail closed.
std::string hashHex(Algorithm alg, std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const EVP_MD* md = alg == Algorithm::kMd5 ? EVP_md5() : EVP_sha256();
  bool ok = ctx != nullptr && md != nullptr && EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1;
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) ok = ok && EVP_DigestUpdate(ctx.get(), ":", 1) == 1;
    first = false;
    ok = ok && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1;
  if (!ok) return {};
  return toHex(out.data(), len);
}

struct Param {
  std::string name;   // lower-cased
  std::string value;  // unescaped
};

void skipSpace(std::string_view v, std::size_t& i) {
  while (i < v.size() && isSpace(v[i])) ++i;
}

std::string_view readToken(std::string_view v, std::size_t& i) {
  std::size_t start = i;
  while (i < v.size() && isTokenChar(v[i])) ++i;
  return v.substr(start, i - start);
}

// RFC 3261 §25.1 quoted-string starting at v[i] == '"'. Control characters other than HTAB are
// refused, escaped or not, so a parsed value can always be quoted again (and never carries a
// line break into a header we write).
Result<void> readQuoted(std::string_view v, std::size_t& i, std::string& out) {
  ++i;
  while (i < v.size()) {
    char c = v[i];
    if (c == '"') {
      ++i;
      return {};
    }
    if (c == '\\') {
      if (i + 1 >= v.size()) break;
      c = v[i + 1];
      i += 2;
    } else {
      ++i;
    }
    if (isControl(c) && c != '\t')
      return fail(Errc::kInvalidInput, "control character in quoted string");
    out += c;
  }
  return fail(Errc::kInvalidInput, "unterminated quoted string");
}

// Unquoted value: lenient beyond RFC token (clients send e.g. uri=sip:a@b unquoted); it ends at
// whitespace or ','. May be empty ("opaque=").
std::string readBare(std::string_view v, std::size_t& i) {
  std::size_t start = i;
  while (i < v.size()) {
    auto u = static_cast<unsigned char>(v[i]);
    if (u <= 0x20 || u >= 0x7f || v[i] == ',' || v[i] == '"') break;
    ++i;
  }
  return std::string(v.substr(start, i - start));
}

// "Digest" 1*LWS auth-param *("," auth-param), RFC 3261 §25.1 / RFC 7235 §2.1. Scheme and names
// are case-insensitive; empty list elements are skipped (RFC 7230 §7); duplicates are refused.
Result<std::vector<Param>> parseDigestParams(std::string_view v) {
  if (v.size() > kMaxHeaderValue) return fail(Errc::kInvalidInput, "authentication value too long");
  std::size_t i = 0;
  skipSpace(v, i);
  std::string_view scheme = readToken(v, i);
  if (scheme.empty()) return fail(Errc::kInvalidInput, "missing authentication scheme");
  if (i < v.size() && !isSpace(v[i])) return fail(Errc::kInvalidInput, "bad authentication scheme");
  if (!iequals(scheme, "Digest")) return fail(Errc::kUnsupported, "scheme is not Digest");
  std::vector<Param> out;
  while (true) {
    skipSpace(v, i);
    if (i >= v.size()) break;
    if (v[i] == ',') {
      ++i;
      continue;
    }
    Param p;
    p.name = std::string(readToken(v, i));
    if (p.name.empty()) return fail(Errc::kInvalidInput, "expected a parameter name");
    for (char& c : p.name) c = toLower(c);
    skipSpace(v, i);
    if (i >= v.size() || v[i] != '=') return fail(Errc::kInvalidInput, "parameter without '='");
    ++i;
    skipSpace(v, i);
    if (i < v.size() && v[i] == '"') {
      if (auto r = readQuoted(v, i, p.value); !r) return r.error();
    } else {
      p.value = readBare(v, i);
    }
    for (const Param& q : out) {
      if (q.name == p.name) return fail(Errc::kInvalidInput, "duplicate parameter " + p.name);
    }
    if (out.size() >= kMaxParams) return fail(Errc::kInvalidInput, "too many parameters");
    out.push_back(std::move(p));
    skipSpace(v, i);
    if (i < v.size() && v[i] != ',')
      return fail(Errc::kInvalidInput, "expected ',' after a parameter");
  }
  return out;
}

Result<Algorithm> parseAlgorithm(std::string_view a) {
  if (iequals(a, "MD5")) return Algorithm::kMd5;
  if (iequals(a, "SHA-256")) return Algorithm::kSha256;
  return fail(Errc::kUnsupported, "unsupported digest algorithm");
}

// True when `item` is one of the comma-separated values in `list` (qop-options).
bool listContains(std::string_view list, std::string_view item) {
  while (true) {
    std::size_t comma = list.find(',');
    std::string_view e = list.substr(0, comma);
    while (!e.empty() && isSpace(e.front())) e.remove_prefix(1);
    while (!e.empty() && isSpace(e.back())) e.remove_suffix(1);
    if (iequals(e, item)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

// Appends `"value"` with '"' and '\' escaped (RFC 3261 §25.1 quoted-pair). Control characters
// cannot be carried in a quoted string and are dropped; the response then simply fails.
void appendQuoted(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    if (isControl(c) && c != '\t') continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

Result<void> validateCredentials(const Credentials& c, unsigned present) {
  constexpr unsigned kMandatory = 0x1f;  // username, realm, nonce, uri, response
  if ((present & kMandatory) != kMandatory || c.nonce.empty() || c.uri.empty()) {
    return fail(Errc::kInvalidInput, "credentials miss a mandatory parameter");
  }
  if (c.response.size() != hexLength(c.algorithm) || !isHex(c.response)) {
    return fail(Errc::kInvalidInput, "response is not a digest of the algorithm's length");
  }
  if (c.qop.empty()) {
    // RFC 2617 §3.2.2: cnonce and nc only accompany a qop.
    constexpr unsigned kCnonceOrNc = 0x60;
    if ((present & kCnonceOrNc) != 0) return fail(Errc::kInvalidInput, "cnonce or nc without qop");
    return {};
  }
  if (!iequals(c.qop, "auth")) return fail(Errc::kUnsupported, "unsupported qop");
  if (c.cnonce.empty() || c.nc.size() != 8 || !isHex(c.nc)) {
    return fail(Errc::kInvalidInput, "qop=auth needs a cnonce and an 8-digit hex nc");
  }
  return {};
}

}  // namespace

std::string_view algorithmName(Algorithm alg) {
  return alg == Algorithm::kMd5 ? "MD5" : "SHA-256";
}

Result<Challenge> parseChallenge(std::string_view headerValue) {
  auto params = parseDigestParams(headerValue);
  if (!params) return params.error();
  Challenge c;
  bool haveRealm = false;
  // Unknown parameters (domain, charset, userhash, ...) are ignored, RFC 7616 §3.3.
  for (Param& p : *params) {
    if (p.name == "realm") {
      c.realm = std::move(p.value);
      haveRealm = true;
    } else if (p.name == "nonce") {
      c.nonce = std::move(p.value);
    } else if (p.name == "opaque") {
      c.opaque = std::move(p.value);
    } else if (p.name == "stale") {
      c.stale = iequals(p.value, "true");
    } else if (p.name == "qop") {
      c.qopAuth = listContains(p.value, "auth");
    } else if (p.name == "algorithm") {
      auto a = parseAlgorithm(p.value);
      if (!a) return a.error();
      c.algorithm = *a;
    }
  }
  if (!haveRealm || c.nonce.empty()) {
    return fail(Errc::kInvalidInput, "challenge without realm or nonce");
  }
  return c;
}

Result<Credentials> parseCredentials(std::string_view headerValue) {
  auto params = parseDigestParams(headerValue);
  if (!params) return params.error();
  // Bit i of `present` is set when kFields[i] was sent.
  static constexpr std::pair<std::string_view, std::string Credentials::*> kFields[] = {
      {"username", &Credentials::username},
      {"realm", &Credentials::realm},
      {"nonce", &Credentials::nonce},
      {"uri", &Credentials::uri},
      {"response", &Credentials::response},
      {"cnonce", &Credentials::cnonce},
      {"nc", &Credentials::nc},
      {"qop", &Credentials::qop},
      {"opaque", &Credentials::opaque},
  };
  Credentials c;
  unsigned present = 0;
  for (Param& p : *params) {
    if (p.name == "algorithm") {
      auto a = parseAlgorithm(p.value);
      if (!a) return a.error();
      c.algorithm = *a;
      continue;
    }
    if (p.name == "userhash" && iequals(p.value, "true")) {
      return fail(Errc::kUnsupported, "userhash is not supported");
    }
    for (std::size_t f = 0; f < std::size(kFields); ++f) {
      if (p.name == kFields[f].first) {
        c.*(kFields[f].second) = std::move(p.value);
        present |= 1u << f;
        break;
      }
    }
  }
  if (auto r = validateCredentials(c, present); !r) return r.error();
  return c;
}

std::string computeResponse(Algorithm alg, std::string_view username, std::string_view realm,
                            std::string_view password, std::string_view method,
                            std::string_view uri, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop) {
  // RFC 2617 §3.2.2.1-3 (RFC 7616 §3.4.1-3 with H = SHA-256).
  std::string ha1 = hashHex(alg, {username, realm, password});
  std::string ha2 = hashHex(alg, {method, uri});
  std::string response = qop.empty() ? hashHex(alg, {ha1, nonce, ha2})
                                     : hashHex(alg, {ha1, nonce, nc, cnonce, qop, ha2});
  OPENSSL_cleanse(ha1.data(), ha1.size());  // HA1 is password-equivalent
  return response;
}

std::string answerChallenge(const Challenge& challenge, std::string_view method,
                            std::string_view uri, std::string_view username,
                            std::string_view password, std::string_view cnonce, std::uint32_t nc) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string ncText(8, '0');
  for (std::size_t i = 0; i < 8; ++i) ncText[7 - i] = kHex[(nc >> (4 * i)) & 0xf];
  std::string_view qop = challenge.qopAuth ? "auth" : "";
  std::string response = computeResponse(challenge.algorithm, username, challenge.realm, password,
                                         method, uri, challenge.nonce, ncText, cnonce, qop);
  std::string v = "Digest username=";
  appendQuoted(v, username);
  v += ", realm=";
  appendQuoted(v, challenge.realm);
  v += ", nonce=";
  appendQuoted(v, challenge.nonce);
  v += ", uri=";
  appendQuoted(v, uri);
  v += ", response=\"" + response + "\", algorithm=";
  v += algorithmName(challenge.algorithm);
  if (challenge.qopAuth) {
    v += ", qop=auth, nc=" + ncText + ", cnonce=";
    appendQuoted(v, cnonce);
  }
  if (!challenge.opaque.empty()) {
    v += ", opaque=";
    appendQuoted(v, challenge.opaque);
  }
  return v;
}

}  // namespace sb::sip::digest

namespace sb::sip {
namespace {

// Nonce layout (64 lower-case hex digits): issue time in ms on the server clock (16), random
// (16), then the first 16 bytes of HMAC-SHA256(secret, time|random "|" realm) (32).
constexpr std::size_t kNonceBody = 32;
constexpr std::size_t kNonceSize = 64;

// Hashed for an unknown user so the work matches a wrong password (ADR 0003).
constexpr std::string_view kDummyPassword = "no-such-user-dummy-password";

std::int64_t millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

DigestServer::DigestServer(std::string secret, const Clock& clock, Duration nonceLifetime)
    : secret_(std::move(secret)), clock_(clock), lifetime_(nonceLifetime) {
  assert(!secret_.empty() && "a DigestServer needs a nonce secret");
  assert(lifetime_ > Duration::zero());
}

std::string DigestServer::nonceTag(std::string_view body, std::string_view realm) const {
  std::string input;
  input.reserve(body.size() + 1 + realm.size());
  input.append(body).append("|").append(realm);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(),
           &len) == nullptr ||
      len < 16) {
    return {};  // fails closed: an empty tag never matches
  }
  return digest::toHex(mac.data(), 16);
}

std::string DigestServer::issueNonce(std::string_view realm) const {
  auto issued = static_cast<std::uint64_t>(millis(clock_.now()));
  std::array<unsigned char, 16> raw{};
  for (std::size_t i = 0; i < 8; ++i) raw[i] = static_cast<unsigned char>(issued >> (56 - 8 * i));
  // The random half only makes nonces unique; their authenticity rests on the HMAC, so a
  // RAND_bytes failure (zeros) is harmless.
  if (RAND_bytes(raw.data() + 8, 8) != 1) std::fill(raw.begin() + 8, raw.end(), 0);
  std::string body = digest::toHex(raw.data(), raw.size());
  return body + nonceTag(body, realm);
}

DigestServer::NonceState DigestServer::checkNonce(std::string_view nonce,
                                                  std::string_view realm) const {
  if (nonce.size() != kNonceSize || !digest::isHex(nonce)) return NonceState::kInvalid;
  std::string expected = nonceTag(nonce.substr(0, kNonceBody), realm);
  std::string_view tag = nonce.substr(kNonceBody);
  if (expected.size() != tag.size() ||
      CRYPTO_memcmp(tag.data(), expected.data(), expected.size()) != 0) {
    return NonceState::kInvalid;
  }
  std::uint64_t issued = 0;
  for (char c : nonce.substr(0, 16)) {
    char l = digest::toLower(c);
    issued = issued * 16 + static_cast<std::uint64_t>(l <= '9' ? l - '0' : l - 'a' + 10);
  }
  auto now = static_cast<std::uint64_t>(millis(clock_.now()));
  auto life = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(lifetime_).count());
  // Authentic but from the future (clock restarted) or too old: the client retries silently.
  if (static_cast<std::int64_t>(issued) > static_cast<std::int64_t>(now)) return NonceState::kStale;
  if (now - issued > life) return NonceState::kStale;
  return NonceState::kValid;
}

void DigestServer::setAlgorithms(std::vector<digest::Algorithm> algorithms) {
  if (!algorithms.empty()) algorithms_ = std::move(algorithms);
}

std::vector<std::string> DigestServer::challenges(std::string_view realm, bool stale) const {
  std::string nonce = issueNonce(realm);
  std::vector<std::string> out;
  for (digest::Algorithm alg : algorithms_) {
    std::string c = "Digest realm=";
    digest::appendQuoted(c, realm);
    c += ", nonce=\"" + nonce + "\", algorithm=";
    c += digest::algorithmName(alg);
    c += ", qop=\"auth\"";
    if (stale) c += ", stale=true";
    out.push_back(std::move(c));
  }
  return out;
}

DigestServer::Verdict DigestServer::verify(
    std::string_view authorizationValue, std::string_view method, std::string_view realm,
    const std::function<std::optional<std::string>(std::string_view user)>& passwordOf) const {
  Verdict v;
  auto creds = digest::parseCredentials(authorizationValue);
  if (!creds) {
    v.reason = creds.error().code == Errc::kUnsupported ? "unsupported" : "malformed";
    return v;
  }
  v.username = creds->username;
  if (creds->realm != realm) {
    v.reason = "realm_mismatch";
    return v;
  }
  // We always offer qop="auth"; the RFC 2069 form has no client nonce and is refused.
  if (creds->qop.empty()) {
    v.reason = "qop_required";
    return v;
  }
  NonceState nonce = checkNonce(creds->nonce, realm);
  if (nonce == NonceState::kInvalid) {
    v.reason = "bad_nonce";
    return v;
  }
  // From here an unknown user and a wrong password take the same path and the same work.
  std::optional<std::string> password = passwordOf(creds->username);
  std::string_view candidate = password ? std::string_view(*password) : kDummyPassword;
  std::string expected =
      digest::computeResponse(creds->algorithm, creds->username, creds->realm, candidate, method,
                              creds->uri, creds->nonce, creds->nc, creds->cnonce, creds->qop);
  std::string got = creds->response;
  for (char& c : got) c = digest::toLower(c);
  bool match = got.size() == expected.size() &&
               CRYPTO_memcmp(got.data(), expected.data(), expected.size()) == 0;
  if (!match || !password) {
    v.reason = "unknown_or_bad_password";
    return v;
  }
  if (nonce == NonceState::kStale) {
    v.kind = Verdict::Kind::kStale;
    v.reason = "stale_nonce";
    return v;
  }
  v.kind = Verdict::Kind::kOk;
  v.reason = "ok";
  return v;
}

}  // namespace sb::sip
