#include "sip/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdio>

#include "sip/uri.h"

namespace sb::sip::digest {
namespace {

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

std::string hashHex(Algorithm alg, std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, alg == Algorithm::kMd5 ? EVP_md5() : EVP_sha256(),
             nullptr);
  return toHex(md, len);
}

// Parses an auth-param list after the scheme: name=token or name="quoted", comma separated.
Result<std::vector<std::pair<std::string, std::string>>> parseParams(std::string_view v) {
  v = trim(v);
  if (v.size() < 6 || !iequals(v.substr(0, 6), "Digest") || (v.size() > 6 && v[6] != ' ' && v[6] != '\t')) {
    return fail(Errc::kInvalidInput, "not a Digest header");
  }
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 6;
  auto skipWs = [&] {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  };
  while (true) {
    skipWs();
    if (i >= v.size()) break;
    std::size_t start = i;
    while (i < v.size() && v[i] != '=' && v[i] != ',' && v[i] != ' ' && v[i] != '\t') ++i;
    std::string name(v.substr(start, i - start));
    if (name.empty()) return fail(Errc::kInvalidInput, "empty parameter name");
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    skipWs();
    if (i >= v.size() || v[i] != '=') return fail(Errc::kInvalidInput, "parameter without value");
    ++i;
    skipWs();
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        char c = v[i++];
        if (c == '\\' && i < v.size()) {
          value += v[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return fail(Errc::kInvalidInput, "unterminated quoted string");
    } else {
      std::size_t vs = i;
      while (i < v.size() && v[i] != ',' && v[i] != ' ' && v[i] != '\t') ++i;
      value = std::string(v.substr(vs, i - vs));
    }
    for (const auto& [n, x] : out) {
      if (n == name) return fail(Errc::kInvalidInput, "duplicate parameter " + name);
    }
    if (out.size() >= 32) return fail(Errc::kInvalidInput, "too many parameters");
    out.emplace_back(std::move(name), std::move(value));
    skipWs();
    if (i < v.size()) {
      if (v[i] != ',') return fail(Errc::kInvalidInput, "expected ','");
      ++i;
    }
  }
  return out;
}

Result<Algorithm> parseAlgorithm(std::string_view a) {
  if (a.empty() || iequals(a, "MD5")) return Algorithm::kMd5;
  if (iequals(a, "SHA-256")) return Algorithm::kSha256;
  return fail(Errc::kUnsupported, "unsupported algorithm");
}

std::string_view algorithmName(Algorithm a) { return a == Algorithm::kMd5 ? "MD5" : "SHA-256"; }

}  // namespace

Result<Challenge> parseChallenge(std::string_view headerValue) {
  auto params = parseParams(headerValue);
  if (!params) return params.error();
  Challenge c;
  for (auto& [n, v] : *params) {
    if (n == "realm") c.realm = v;
    if (n == "nonce") c.nonce = v;
    if (n == "opaque") c.opaque = v;
    if (n == "stale") c.stale = iequals(v, "true");
    if (n == "qop") {
      std::string_view q = v;
      while (!q.empty()) {
        std::size_t comma = q.find(',');
        if (iequals(trim(q.substr(0, comma)), "auth")) c.qopAuth = true;
        if (comma == std::string_view::npos) break;
        q.remove_prefix(comma + 1);
      }
    }
    if (n == "algorithm") {
      auto a = parseAlgorithm(v);
      if (!a) return a.error();
      c.algorithm = *a;
    }
  }
  if (c.realm.empty() || c.nonce.empty()) {
    return fail(Errc::kInvalidInput, "challenge without realm or nonce");
  }
  return c;
}

Result<Credentials> parseCredentials(std::string_view headerValue) {
  auto params = parseParams(headerValue);
  if (!params) return params.error();
  Credentials c;
  for (auto& [n, v] : *params) {
    if (n == "username") c.username = v;
    if (n == "realm") c.realm = v;
    if (n == "nonce") c.nonce = v;
    if (n == "uri") c.uri = v;
    if (n == "response") c.response = v;
    if (n == "cnonce") c.cnonce = v;
    if (n == "nc") c.nc = v;
    if (n == "qop") c.qop = v;
    if (n == "opaque") c.opaque = v;
    if (n == "algorithm") {
      auto a = parseAlgorithm(v);
      if (!a) return a.error();
      c.algorithm = *a;
    }
  }
  if (c.username.empty() || c.realm.empty() || c.nonce.empty() || c.uri.empty() ||
      c.response.empty()) {
    return fail(Errc::kInvalidInput, "credentials miss a mandatory parameter");
  }
  if (!c.qop.empty() && (!iequals(c.qop, "auth") || c.cnonce.empty() || c.nc.empty())) {
    return fail(Errc::kInvalidInput, "qop=auth needs cnonce and nc");
  }
  return c;
}

std::string computeResponse(Algorithm alg, std::string_view username, std::string_view realm,
                            std::string_view password, std::string_view method,
                            std::string_view uri, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop) {
  std::string ha1 = hashHex(alg, std::string(username) + ":" + std::string(realm) + ":" +
                                     std::string(password));
  std::string ha2 = hashHex(alg, std::string(method) + ":" + std::string(uri));
  std::string kd = ha1 + ":" + std::string(nonce) + ":";
  if (!qop.empty()) {
    kd.append(nc).append(":").append(cnonce).append(":").append(qop).append(":");
  }
  kd += ha2;
  return hashHex(alg, kd);
}

std::string answerChallenge(const Challenge& ch, std::string_view method, std::string_view uri,
                            std::string_view username, std::string_view password,
                            std::string_view cnonce, std::uint32_t nc) {
  char ncText[9];
  std::snprintf(ncText, sizeof(ncText), "%08x", nc);
  std::string_view qop = ch.qopAuth ? "auth" : "";
  std::string response =
      computeResponse(ch.algorithm, username, ch.realm, password, method, uri, ch.nonce,
                      ch.qopAuth ? ncText : "", ch.qopAuth ? cnonce : "", qop);
  std::string v = "Digest username=\"" + std::string(username) + "\", realm=\"" + ch.realm +
                  "\", nonce=\"" + ch.nonce + "\", uri=\"" + std::string(uri) +
                  "\", response=\"" + response + "\", algorithm=" +
                  std::string(algorithmName(ch.algorithm));
  if (ch.qopAuth) {
    v += ", qop=auth, nc=" + std::string(ncText) + ", cnonce=\"" + std::string(cnonce) + "\"";
  }
  if (!ch.opaque.empty()) v += ", opaque=\"" + ch.opaque + "\"";
  return v;
}

}  // namespace sb::sip::digest

namespace sb::sip {
using digest::Algorithm;

DigestServer::DigestServer(std::string secret, const Clock& clock, Duration nonceLifetime)
    : secret_(std::move(secret)), clock_(clock), lifetime_(nonceLifetime) {}

std::string DigestServer::issueNonce() const {
  // nonce = hex(issue-ms) "." hex(random 8 bytes) "." hex(HMAC-SHA256(secret, both)[0..16))
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
                .count();
  unsigned char rnd[8];
  RAND_bytes(rnd, sizeof(rnd));
  char head[64];
  std::snprintf(head, sizeof(head), "%llx.", static_cast<unsigned long long>(ms));
  std::string body = std::string(head) + digest::toHex(rnd, sizeof(rnd));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  return body + "." + digest::toHex(mac, 16);
}

DigestServer::NonceState DigestServer::checkNonce(std::string_view nonce) const {
  std::size_t last = nonce.rfind('.');
  if (last == std::string_view::npos || nonce.size() > 128) return NonceState::kInvalid;
  std::string_view body = nonce.substr(0, last);
  std::string_view tag = nonce.substr(last + 1);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string expected = digest::toHex(mac, 16);
  if (tag.size() != expected.size() ||
      CRYPTO_memcmp(tag.data(), expected.data(), expected.size()) != 0) {
    return NonceState::kInvalid;
  }
  std::size_t dot = body.find('.');
  long long ms = 0;
  for (char c : body.substr(0, dot)) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0 || ms > (1LL << 56)) return NonceState::kInvalid;
    ms = ms * 16 + d;
  }
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
                 .count();
  auto life = std::chrono::duration_cast<std::chrono::milliseconds>(lifetime_).count();
  if (ms > now + 1000 || now - ms > life) return NonceState::kStale;
  return NonceState::kValid;
}

std::vector<std::string> DigestServer::challenges(std::string_view realm, bool stale) const {
  std::vector<std::string> out;
  for (std::string_view alg : {"SHA-256", "MD5"}) {
    std::string c = "Digest realm=\"" + std::string(realm) + "\", nonce=\"" + issueNonce() +
                    "\", algorithm=" + std::string(alg) + ", qop=\"auth\"";
    if (stale) c += ", stale=true";
    out.push_back(std::move(c));
  }
  return out;
}

DigestServer::Verdict DigestServer::verify(
    std::string_view authorizationValue, std::string_view method, std::string_view realm,
    const std::function<std::optional<std::string>(std::string_view)>& passwordOf) const {
  Verdict v;
  auto creds = digest::parseCredentials(authorizationValue);
  if (!creds) {
    v.reason = "malformed";
    return v;
  }
  v.username = creds->username;
  if (creds->realm != realm) {
    v.reason = "realm_mismatch";
    return v;
  }
  NonceState ns = checkNonce(creds->nonce);
  if (ns == NonceState::kInvalid) {
    v.reason = "bad_nonce";
    return v;
  }
  // Same work for unknown users: hash against a dummy password, compare in constant time.
  std::optional<std::string> password = passwordOf(creds->username);
  std::string secret = password ? *password : std::string("\x01unknown-user-dummy\x02");
  std::string expected =
      digest::computeResponse(creds->algorithm, creds->username, creds->realm, secret, method,
                              creds->uri, creds->nonce, creds->nc, creds->cnonce, creds->qop);
  std::string got = creds->response;
  for (auto& c : got) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool match = got.size() == expected.size() &&
               CRYPTO_memcmp(got.data(), expected.data(), expected.size()) == 0;
  if (!match || !password) {
    v.reason = "unknown_or_bad_password";
    return v;
  }
  if (ns == NonceState::kStale) {
    v.kind = Verdict::Kind::kStale;
    v.reason = "stale_nonce";
    return v;
  }
  v.kind = Verdict::Kind::kOk;
  v.reason = "ok";
  return v;
}

}  // namespace sb::sip
