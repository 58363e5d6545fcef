#include "api/auth.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <unordered_set>

#include "base/log.h"

namespace sb::api {
namespace {

constexpr std::string_view kFailed = "authentication failed";
constexpr std::string_view kEvent = "api_auth_failed";
// Failure counts are kept for at most this many remote addresses; beyond it the address whose
// last failure is oldest is forgotten, so a flood from many addresses cannot grow memory.
constexpr std::size_t kMaxTrackedAddresses = 10000;
constexpr std::size_t kSessionTokenBytes = 32;

void ensureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) {
    std::fprintf(stderr, "sb::api::Authenticator: libsodium failed to initialise\n");
    std::abort();
  }
}

std::string toHex(const unsigned char* bytes, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.pop_back();
  return out;
}

std::string sha256(std::string_view text) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return out;
}

std::optional<std::string> fromHex(std::string_view hex) {
  std::string out(hex.size() / 2 + 1, '\0');
  std::size_t n = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &n, &end) != 0 ||
      end != hex.data() + hex.size()) {
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

std::optional<std::string> fromBase64(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t n = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &n, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 §11.2 token68, the syntax of a bearer token (RFC 6750 §2.1).
bool isToken68(std::string_view s) {
  std::size_t end = s.find_last_not_of('=');
  if (end == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(end) + 1, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("-._~+/").find(c) != std::string_view::npos;
  });
}

Error unauthorized() {
  return fail(Errc::kUnauthorized, std::string(kFailed));
}

/// Emits `api_auth_failed`; `user` only when it names a configured user (an unknown "user" may
/// be a password typed into the wrong field).
void reportFailure(std::string_view remote, std::string_view scheme, std::string_view reason,
                   std::string_view user = {}) {
  if (user.empty()) {
    log::securityEvent(kEvent, {{"source", remote}, {"scheme", scheme}, {"reason", reason}});
  } else {
    log::securityEvent(
        kEvent, {{"source", remote}, {"scheme", scheme}, {"reason", reason}, {"user", user}});
  }
}

/// "" when `role`, `tenant` and `agent` fit together, else why not.
std::string checkScope(Role role, const std::string& tenant, const std::string& agent) {
  if ((role == Role::kOperator) != tenant.empty()) {
    return "tenant must be empty exactly for role operator";
  }
  if (role != Role::kAgent && !agent.empty()) return "agent is only for role agent";
  return {};
}

// A hash to verify against when the user does not exist, so that an unknown user costs as
// much time as a wrong password and response times do not reveal which names exist.
const std::string& dummyHash() {
  static const std::string hash = [] {
    Result<std::string> h = Authenticator::hashPassword("switchboard-dummy-password");
    return h.ok() ? h.value() : std::string();
  }();
  return hash;
}

bool sameScope(const Principal& p, const UserAccount& u) {
  return p.role == u.role && p.tenant == u.tenant && p.agent == u.agent;
}

}  // namespace

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kOperator:
      return "operator";
    case Role::kTenantAdmin:
      return "tenant_admin";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kAgent:
      return "agent";
  }
  return "agent";
}

Result<Role> parseRole(std::string_view name) {
  for (Role r : {Role::kOperator, Role::kTenantAdmin, Role::kSupervisor, Role::kAgent}) {
    if (name == roleName(r)) return r;
  }
  return fail(Errc::kInvalidInput,
              "unknown role (expected operator, tenant_admin, supervisor or agent)");
}

Result<void> requireTenant(const Principal& principal, std::string_view tenant) {
  if (principal.role == Role::kOperator || (!tenant.empty() && principal.tenant == tenant)) {
    return {};
  }
  return fail(Errc::kForbidden, "not allowed for this tenant");
}

Authenticator::Authenticator(const Clock& clock) : clock_(clock) {
  ensureSodium();
}

std::string Authenticator::hashToken(std::string_view token) {
  ensureSodium();
  std::string digest = sha256(token);
  return toHex(reinterpret_cast<const unsigned char*>(digest.data()), digest.size());
}

Result<std::string> Authenticator::hashPassword(std::string_view password) {
  ensureSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(),
                                 crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0) {
    return fail(Errc::kOverloaded, "not enough memory to hash a password");
  }
  return std::string(out);
}

bool Authenticator::verifyPassword(std::string_view hash, std::string_view password) {
  ensureSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string text(hash);  // libsodium wants it NUL-terminated
  return crypto_pwhash_str_verify(text.c_str(), password.data(), password.size()) == 0;
}

Result<void> Authenticator::configure(AuthConfig config) {
  if (config.sessionLifetime <= std::chrono::nanoseconds::zero() ||
      config.failedLoginWindow <= std::chrono::nanoseconds::zero() || config.maxFailedLogins == 0 ||
      config.maxSessions == 0) {
    return fail(Errc::kInvalidInput, "auth limits must be positive");
  }
  std::vector<std::string> digests;
  std::unordered_set<std::string> names;
  for (const ApiToken& t : config.tokens) {
    std::string where = "API token '" + t.name + "': ";
    if (t.name.empty()) return fail(Errc::kInvalidInput, "API token without a name");
    if (!names.insert(t.name).second) return fail(Errc::kInvalidInput, where + "name used twice");
    if (std::string why = checkScope(t.role, t.tenant, t.agent); !why.empty()) {
      return fail(Errc::kInvalidInput, where + why);
    }
    std::optional<std::string> raw = fromHex(t.sha256Hex);
    if (t.sha256Hex.size() != 2 * crypto_hash_sha256_BYTES || !raw) {
      return fail(Errc::kInvalidInput, where + "sha256 must be 64 hex digits");
    }
    digests.push_back(std::move(*raw));
  }
  names.clear();
  for (const UserAccount& u : config.users) {
    std::string where = "user '" + u.name + "': ";
    if (u.name.empty() || u.name.find(':') != std::string::npos) {
      return fail(Errc::kInvalidInput, where + "name must be non-empty and without ':'");
    }
    if (!names.insert(u.name).second) return fail(Errc::kInvalidInput, where + "name used twice");
    if (std::string why = checkScope(u.role, u.tenant, u.agent); !why.empty()) {
      return fail(Errc::kInvalidInput, where + why);
    }
    if (u.passwordHash.rfind(crypto_pwhash_argon2id_STRPREFIX, 0) != 0 ||
        u.passwordHash.size() >= crypto_pwhash_STRBYTES) {
      return fail(Errc::kInvalidInput,
                  where + "password hash must be an argon2id crypto_pwhash_str");
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const Principal& p = it->second.principal;
    auto user = std::find_if(config.users.begin(), config.users.end(),
                             [&](const UserAccount& u) { return u.name == p.subject; });
    it = user == config.users.end() || !sameScope(p, *user) ? sessions_.erase(it) : std::next(it);
  }
  config_ = std::move(config);
  tokenDigests_ = std::move(digests);
  return {};
}

Result<Principal> Authenticator::authenticate(std::string_view authorization,
                                              std::string_view remoteAddress) {
  std::string_view value = trim(authorization);
  std::size_t space = value.find_first_of(" \t");
  std::string_view scheme = value.substr(0, space);
  std::string_view credentials =
      space == std::string_view::npos ? std::string_view() : trim(value.substr(space));
  if (iequals(scheme, "Bearer")) return authenticateToken(credentials, remoteAddress);
  if (iequals(scheme, "Basic")) {
    std::optional<std::string> decoded = fromBase64(credentials);
    std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      reportFailure(remoteAddress, "basic", "malformed_header");
      return unauthorized();
    }
    std::string_view pair(*decoded);
    Result<Principal> r =
        checkPassword(pair.substr(0, colon), pair.substr(colon + 1), remoteAddress, "basic");
    sodium_memzero(decoded->data(), decoded->size());
    return r;
  }
  reportFailure(remoteAddress, scheme.empty() ? "none" : "unknown",
                value.empty() ? "missing_credentials" : "malformed_header");
  return unauthorized();
}

Result<Principal> Authenticator::authenticateToken(std::string_view token,
                                                   std::string_view remoteAddress) {
  if (!isToken68(token)) {
    reportFailure(remoteAddress, "bearer", "malformed_header");
    return unauthorized();
  }
  std::string digest = sha256(token);
  std::lock_guard<std::mutex> lock(mu_);
  // Every configured digest is compared, in constant time, so timing does not tell how many
  // or which tokens were tried before the match.
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < tokenDigests_.size(); ++i) {
    if (sodium_memcmp(tokenDigests_[i].data(), digest.data(), digest.size()) == 0) found = i;
  }
  if (found) {
    const ApiToken& t = config_.tokens[*found];
    return Principal{t.role, t.tenant, t.name, t.agent};
  }
  // Sessions are found by their digest's hex text. A hash-map lookup is not constant-time, but
  // what it could leak is a prefix of a SHA-256, which does not help to find a token.
  auto it =
      sessions_.find(toHex(reinterpret_cast<const unsigned char*>(digest.data()), digest.size()));
  if (it == sessions_.end()) {
    reportFailure(remoteAddress, "bearer", "unknown_token");
    return unauthorized();
  }
  if (clock_.now() >= it->second.expires) {
    std::string user = it->second.principal.subject;
    sessions_.erase(it);
    reportFailure(remoteAddress, "bearer", "session_expired", user);
    return unauthorized();
  }
  return it->second.principal;
}

Result<std::string> Authenticator::login(std::string_view user, std::string_view password,
                                         std::string_view remoteAddress) {
  Result<Principal> principal = checkPassword(user, password, remoteAddress, "login");
  if (!principal.ok()) return principal.error();
  unsigned char bytes[kSessionTokenBytes];
  randombytes_buf(bytes, sizeof bytes);
  std::string token = toHex(bytes, sizeof bytes);
  sodium_memzero(bytes, sizeof bytes);

  std::lock_guard<std::mutex> lock(mu_);
  TimePoint now = clock_.now();
  purgeExpiredSessions(now);
  if (sessions_.size() >= config_.maxSessions) {
    return fail(Errc::kOverloaded, "too many open sessions");
  }
  sessions_[hashToken(token)] =
      Session{std::move(principal.value()), now + config_.sessionLifetime};
  return token;
}

void Authenticator::logout(std::string_view sessionToken) {
  std::string digest = hashToken(sessionToken);
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(digest);
}

std::size_t Authenticator::sessionCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

Result<Principal> Authenticator::checkPassword(std::string_view user, std::string_view password,
                                               std::string_view remoteAddress,
                                               std::string_view scheme) {
  std::string remote(remoteAddress);
  std::string hash;
  std::optional<Principal> principal;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (overLimit(remote, clock_.now())) {
      Failures& f = failures_[remote];
      if (!f.reported) {  // once per limited stretch, not once per refused attempt
        f.reported = true;
        log::securityEvent("api_auth_rate_limited",
                           {{"source", remoteAddress}, {"scheme", scheme}});
      }
      return fail(Errc::kOverloaded, "too many failed logins; try again later");
    }
    for (const UserAccount& u : config_.users) {
      if (u.name != user) continue;
      hash = u.passwordHash;
      principal = Principal{u.role, u.tenant, u.name, u.agent};
    }
  }
  // Verified without the lock: argon2id is slow on purpose.
  bool ok = verifyPassword(principal ? hash : dummyHash(), password) && principal.has_value();
  if (ok) return std::move(*principal);
  {
    std::lock_guard<std::mutex> lock(mu_);
    recordFailure(remote, clock_.now());
  }
  if (principal) {
    reportFailure(remoteAddress, scheme, "bad_password", principal->subject);
  } else {
    reportFailure(remoteAddress, scheme, "unknown_user");
  }
  return unauthorized();
}

bool Authenticator::overLimit(const std::string& remote, TimePoint now) {
  auto it = failures_.find(remote);
  if (it == failures_.end()) return false;
  std::deque<TimePoint>& times = it->second.times;
  while (!times.empty() && times.front() + config_.failedLoginWindow <= now) times.pop_front();
  if (times.size() >= config_.maxFailedLogins) return true;
  if (times.empty()) {
    failures_.erase(it);
  } else {
    it->second.reported = false;
  }
  return false;
}

void Authenticator::recordFailure(const std::string& remote, TimePoint now) {
  if (failures_.find(remote) == failures_.end() && failures_.size() >= kMaxTrackedAddresses) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      bool expired =
          it->second.times.empty() || it->second.times.back() + config_.failedLoginWindow <= now;
      it = expired ? failures_.erase(it) : std::next(it);
    }
    if (failures_.size() >= kMaxTrackedAddresses) {
      auto oldest = std::min_element(failures_.begin(), failures_.end(), [](auto& a, auto& b) {
        return a.second.times.back() < b.second.times.back();
      });
      failures_.erase(oldest);
    }
  }
  std::deque<TimePoint>& times = failures_[remote].times;
  times.push_back(now);
  while (times.size() > config_.maxFailedLogins) times.pop_front();
}

void Authenticator::purgeExpiredSessions(TimePoint now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = now >= it->second.expires ? sessions_.erase(it) : std::next(it);
  }
}

}  // namespace sb::api
