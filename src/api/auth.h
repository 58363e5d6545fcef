#pragma once
// Authentication of API requests: API tokens, user passwords (argon2id) and login sessions.
// Pure logic on libsodium, which stays inside auth.cpp; no sockets, time from a Clock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace sb::api {

/// What a principal may do. The API decides per route which roles it admits.
enum class Role { kOperator, kTenantAdmin, kSupervisor, kAgent };

/// The configuration name of `role`: "operator", "tenant_admin", "supervisor", "agent".
std::string_view roleName(Role role);
/// The role called `name`; kInvalidInput for any other text.
Result<Role> parseRole(std::string_view name);

/// Who a request acts as.
struct Principal {
  Role role = Role::kAgent;
  std::string tenant;   ///< empty only for kOperator (all tenants)
  std::string subject;  ///< token name or user name
  std::string agent;    ///< the agent a kAgent principal is; may be empty
};

/// kForbidden unless `principal` may act on `tenant`: an operator on any, others on their own.
Result<void> requireTenant(const Principal& principal, std::string_view tenant);

/// A configured API token. Only the token's digest is stored, never the token.
struct ApiToken {
  std::string name;  ///< unique; the Principal's subject
  Role role = Role::kAgent;
  std::string tenant;     ///< empty exactly for kOperator
  std::string agent;      ///< only for kAgent
  std::string sha256Hex;  ///< Authenticator::hashToken(token): 64 hex digits
};

/// A configured user who logs in with a password.
struct UserAccount {
  std::string name;  ///< unique across tenants, without ':' (RFC 7617); the subject
  Role role = Role::kAgent;
  std::string tenant;  ///< empty exactly for kOperator
  std::string agent;   ///< only for kAgent
  std::string
      passwordHash;  ///< crypto_pwhash_str text, argon2id ("$argon2id$..."), see hashPassword()
};

/// Credentials and limits, replaced as a whole by configure().
struct AuthConfig {
  std::vector<ApiToken> tokens;
  std::vector<UserAccount> users;
  std::chrono::nanoseconds sessionLifetime = std::chrono::hours(8);  ///< from login, not sliding
  std::size_t maxSessions = 10000;   ///< login beyond it: kOverloaded
  std::size_t maxFailedLogins = 10;  ///< password failures per remote address per window
  std::chrono::nanoseconds failedLoginWindow = std::chrono::minutes(1);
};

/// Checks `Authorization` values and issues login sessions.
///
/// Threads: every method may be called from any thread; one mutex guards the configuration,
/// the sessions and the failure counts, so login/logout may race with configure() (reload).
/// The mutex is not held while a password is verified. Meant for the api thread, where a
/// password check (argon2id, interactive limits: tens of milliseconds and 64 MiB) stalls the
/// loop: clients should log in once and use the session token, and the failed-login limit
/// bounds what an attacker can make it spend.
///
/// Failures: kUnauthorized with one generic message for every credential problem (unknown
/// token or user, wrong password, expired session, malformed header), kOverloaded when the
/// remote address is over its failed-login limit. Each failure emits the security event
/// `api_auth_failed` (source, scheme, reason; the user only when it exists), never a secret.
class Authenticator {
 public:
  /// Starts with no tokens and no users. `clock` must outlive the authenticator.
  explicit Authenticator(const Clock& clock);
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  /// SHA-256 of `token` as 64 lowercase hex digits: what ApiToken::sha256Hex holds.
  static std::string hashToken(std::string_view token);
  /// An argon2id crypto_pwhash_str text of `password` (interactive limits, random salt).
  /// kOverloaded when memory for the hash is not available. Slow by design; any thread.
  static Result<std::string> hashPassword(std::string_view password);
  /// True when `password` matches `hash` (a crypto_pwhash_str text). Slow by design.
  static bool verifyPassword(std::string_view hash, std::string_view password);

  /// Replaces tokens, users and limits. kInvalidInput naming the first bad entry (nothing
  /// changes then). Sessions of users that are gone or whose role, tenant or agent changed end.
  Result<void> configure(AuthConfig config);

  /// Authenticates an `Authorization` field value: `Bearer <API or session token>` or
  /// `Basic <base64 user:password>` (scheme case-insensitive). `remoteAddress` is for the
  /// rate limit and the security event.
  Result<Principal> authenticate(std::string_view authorization, std::string_view remoteAddress);
  /// Authenticates a bare bearer token (e.g. from an `access_token` query parameter).
  Result<Principal> authenticateToken(std::string_view token, std::string_view remoteAddress);
  /// Checks a user's password and starts a session: returns its token (64 hex digits of 32
  /// random bytes), valid for sessionLifetime. kOverloaded also when maxSessions are open.
  Result<std::string> login(std::string_view user, std::string_view password,
                            std::string_view remoteAddress);
  /// Ends the session of `sessionToken`; unknown tokens are ignored.
  void logout(std::string_view sessionToken);
  /// Open sessions, expired ones not yet purged included.
  std::size_t sessionCount() const;

 private:
  struct Session {
    Principal principal;
    TimePoint expires;
  };
  struct Failures {
    std::deque<TimePoint> times;  // within the window, oldest first
    bool reported = false;        // the limit's security event was emitted
  };

  Result<Principal> checkPassword(std::string_view user, std::string_view password,
                                  std::string_view remoteAddress, std::string_view scheme);
  bool overLimit(const std::string& remote, TimePoint now);      // needs mu_
  void recordFailure(const std::string& remote, TimePoint now);  // needs mu_
  void purgeExpiredSessions(TimePoint now);                      // needs mu_

  const Clock& clock_;
  mutable std::mutex mu_;
  AuthConfig config_;                                   // GUARDED_BY(mu_)
  std::vector<std::string> tokenDigests_;               // GUARDED_BY(mu_): raw, per config_.tokens
  std::unordered_map<std::string, Session> sessions_;   // GUARDED_BY(mu_): by token SHA-256 hex
  std::unordered_map<std::string, Failures> failures_;  // GUARDED_BY(mu_): by remote address
};

}  // namespace sb::api
