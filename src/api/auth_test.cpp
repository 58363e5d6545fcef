#include "api/auth.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "base/log.h"

namespace sb::api {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kAlicePassword = "correct horse battery";
constexpr std::string_view kBobPassword = "hunter2";

std::string base64(std::string_view text) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                    text.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

std::string basic(std::string_view user, std::string_view password) {
  return "Basic " + base64(std::string(user) + ":" + std::string(password));
}

/// Captures the lines of the "security" logger while alive.
class SecurityLog {
 public:
  SecurityLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64)) {
    sink_->set_pattern("%v");
    log::securityEvent("test_probe", {});  // makes sure the logger exists
    logger_ = spdlog::get("security");
    logger_->sinks().push_back(sink_);
  }
  ~SecurityLog() { logger_->sinks().pop_back(); }
  SecurityLog(const SecurityLog&) = delete;
  SecurityLog& operator=(const SecurityLog&) = delete;

  /// The captured lines, without their line ends.
  std::vector<std::string> lines() const {
    std::vector<std::string> out = sink_->last_formatted();
    for (std::string& line : out) {
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    }
    return out;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> logger_;
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  // argon2id is slow on purpose: hash the test passwords once for the whole suite.
  static void SetUpTestSuite() {
    aliceHash_ = new std::string(Authenticator::hashPassword(kAlicePassword).value());
    bobHash_ = new std::string(Authenticator::hashPassword(kBobPassword).value());
  }
  static void TearDownTestSuite() {
    delete aliceHash_;
    delete bobHash_;
  }

  static AuthConfig testConfig() {
    AuthConfig c;
    c.tokens = {
        {"ops", Role::kOperator, "", "", Authenticator::hashToken("ops-token")},
        {"acme-admin", Role::kTenantAdmin, "acme", "", Authenticator::hashToken("acme-token")},
        {"globex-1001", Role::kAgent, "globex", "1001", Authenticator::hashToken("globex-token")},
    };
    c.users = {
        {"alice", Role::kSupervisor, "acme", "", *aliceHash_},
        {"bob", Role::kAgent, "globex", "1002", *bobHash_},
    };
    c.maxFailedLogins = 3;
    return c;
  }

  void SetUp() override { ASSERT_TRUE(auth_.configure(testConfig()).ok()); }

  static void expectUnauthorized(const Result<Principal>& r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kUnauthorized);
    EXPECT_EQ(r.error().message, "authentication failed");
  }

  static inline std::string* aliceHash_ = nullptr;
  static inline std::string* bobHash_ = nullptr;
  ManualClock clock_;
  Authenticator auth_{clock_};
};

TEST(Roles, NamesRoundTrip) {
  for (Role r : {Role::kOperator, Role::kTenantAdmin, Role::kSupervisor, Role::kAgent}) {
    EXPECT_EQ(parseRole(roleName(r)).value(), r);
  }
  EXPECT_EQ(roleName(Role::kTenantAdmin), "tenant_admin");
  EXPECT_EQ(parseRole("admin").error().code, Errc::kInvalidInput);
}

TEST(Hashes, TokenDigestIsSha256HexAndPasswordHashIsArgon2id) {
  EXPECT_EQ(Authenticator::hashToken("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Result<std::string> h = Authenticator::hashPassword("s3cret");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_TRUE(Authenticator::verifyPassword(*h, "s3cret"));
  EXPECT_FALSE(Authenticator::verifyPassword(*h, "s3cret "));
  EXPECT_FALSE(Authenticator::verifyPassword("not a hash", "s3cret"));
  EXPECT_NE(Authenticator::hashPassword("s3cret").value(), *h);  // salted
}

TEST_F(AuthenticatorTest, ApiTokenIsAcceptedAndSchemeIsCaseInsensitive) {
  Result<Principal> p = auth_.authenticate("Bearer ops-token", "10.0.0.1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->role, Role::kOperator);
  EXPECT_EQ(p->tenant, "");
  EXPECT_EQ(p->subject, "ops");
  p = auth_.authenticate("  bearer   globex-token ", "10.0.0.1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->role, Role::kAgent);
  EXPECT_EQ(p->tenant, "globex");
  EXPECT_EQ(p->agent, "1001");
  EXPECT_EQ(auth_.authenticateToken("acme-token", "10.0.0.1")->subject, "acme-admin");
}

TEST_F(AuthenticatorTest, UnknownTokenAndMalformedHeadersAreUnauthorized) {
  expectUnauthorized(auth_.authenticate("Bearer nope", "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("Bearer ops-token-", "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("Bearer", "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("Bearer a b", "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("ops-token", "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("Digest ops-token", "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("", "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("Basic !!!", "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("Basic " + base64("no-colon"), "10.0.0.1"));
}

TEST_F(AuthenticatorTest, AnotherTenantsTokenIsForbiddenForThisTenant) {
  Principal globex = auth_.authenticate("Bearer globex-token", "10.0.0.1").value();
  EXPECT_EQ(requireTenant(globex, "acme").error().code, Errc::kForbidden);
  EXPECT_TRUE(requireTenant(globex, "globex").ok());
  Principal ops = auth_.authenticate("Bearer ops-token", "10.0.0.1").value();
  EXPECT_TRUE(requireTenant(ops, "acme").ok());
  EXPECT_TRUE(requireTenant(ops, "globex").ok());
}

TEST_F(AuthenticatorTest, BasicChecksThePasswordHash) {
  Result<Principal> p = auth_.authenticate(basic("alice", kAlicePassword), "10.0.0.1");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->role, Role::kSupervisor);
  EXPECT_EQ(p->tenant, "acme");
  EXPECT_EQ(p->subject, "alice");
  // RFC 7617: the password may contain ':'; the user name may not.
  expectUnauthorized(auth_.authenticate(basic("alice", "wrong"), "10.0.0.2"));
  expectUnauthorized(auth_.authenticate(basic("alice", std::string(kBobPassword)), "10.0.0.2"));
  expectUnauthorized(auth_.authenticate(basic("mallory", kAlicePassword), "10.0.0.3"));
}

TEST_F(AuthenticatorTest, SessionLoginExpiryAndLogout) {
  Result<std::string> token = auth_.login("bob", kBobPassword, "10.0.0.1");
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->size(), 64u);
  EXPECT_EQ(token->find_first_not_of("0123456789abcdef"), std::string::npos);
  Result<Principal> p = auth_.authenticate("Bearer " + *token, "10.0.0.1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->subject, "bob");
  EXPECT_EQ(p->agent, "1002");
  EXPECT_EQ(auth_.login("bob", "wrong", "10.0.0.1").error().code, Errc::kUnauthorized);

  clock_.advance(hours(8) - seconds(1));
  EXPECT_TRUE(auth_.authenticate("Bearer " + *token, "10.0.0.1").ok());
  clock_.advance(seconds(1));  // the lifetime counts from login, use does not extend it
  expectUnauthorized(auth_.authenticate("Bearer " + *token, "10.0.0.1"));
  EXPECT_EQ(auth_.sessionCount(), 0u);

  std::string second = auth_.login("bob", kBobPassword, "10.0.0.1").value();
  EXPECT_NE(second, *token);
  EXPECT_TRUE(auth_.authenticate("Bearer " + second, "10.0.0.1").ok());
  auth_.logout(second);
  expectUnauthorized(auth_.authenticate("Bearer " + second, "10.0.0.1"));
  auth_.logout("never issued");
}

TEST_F(AuthenticatorTest, FailedLoginsAreRateLimitedPerAddress) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(auth_.login("alice", "guess", "192.0.2.7").error().code, Errc::kUnauthorized);
  }
  // Over the limit even the right password is refused, for login and Basic alike.
  Result<std::string> limited = auth_.login("alice", kAlicePassword, "192.0.2.7");
  EXPECT_EQ(limited.error().code, Errc::kOverloaded);
  EXPECT_EQ(auth_.authenticate(basic("alice", kAlicePassword), "192.0.2.7").error().code,
            Errc::kOverloaded);
  EXPECT_TRUE(auth_.authenticate("Bearer ops-token", "192.0.2.7").ok());  // tokens unaffected
  EXPECT_TRUE(auth_.login("alice", kAlicePassword, "192.0.2.8").ok());    // other addresses too

  clock_.advance(minutes(1));
  EXPECT_TRUE(auth_.login("alice", kAlicePassword, "192.0.2.7").ok());
}

TEST_F(AuthenticatorTest, FailuresEmitSecurityEventsWithoutSecrets) {
  SecurityLog log;
  std::uint64_t before = log::securityEventCount();
  expectUnauthorized(auth_.authenticate(basic("alice", "pw-SECRET-1"), "10.1.2.3"));
  expectUnauthorized(auth_.authenticate("Bearer tok-SECRET-2", "10.1.2.4"));
  expectUnauthorized(auth_.authenticate(basic("pw-SECRET-3", "x"), "10.1.2.5"));
  EXPECT_FALSE(auth_.login("bob", "pw-SECRET-4", "10.1.2.6").ok());
  EXPECT_EQ(log::securityEventCount(), before + 4);

  std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], log::formatSecurityEvent("api_auth_failed", {{"source", "10.1.2.3"},
                                                                   {"scheme", "basic"},
                                                                   {"reason", "bad_password"},
                                                                   {"user", "alice"}}));
  EXPECT_EQ(lines[1], log::formatSecurityEvent("api_auth_failed", {{"source", "10.1.2.4"},
                                                                   {"scheme", "bearer"},
                                                                   {"reason", "unknown_token"}}));
  // An unknown user name is not logged: it may be a password typed into the wrong field.
  EXPECT_EQ(lines[2], log::formatSecurityEvent("api_auth_failed", {{"source", "10.1.2.5"},
                                                                   {"scheme", "basic"},
                                                                   {"reason", "unknown_user"}}));
  EXPECT_NE(lines[3].find("\"scheme\":\"login\""), std::string::npos) << lines[3];
  for (const std::string& line : lines) EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
}

TEST_F(AuthenticatorTest, ConfigurationIsValidatedAndReloadEndsStaleSessions) {
  auto rejected = [&](auto edit) {
    AuthConfig c = testConfig();
    edit(c);
    Result<void> r = auth_.configure(c);
    return !r.ok() && r.error().code == Errc::kInvalidInput;
  };
  EXPECT_TRUE(rejected([](AuthConfig& c) { c.tokens[0].sha256Hex = "abc"; }));
  EXPECT_TRUE(rejected([](AuthConfig& c) { c.tokens[0].tenant = "acme"; }));  // operator
  EXPECT_TRUE(rejected([](AuthConfig& c) { c.tokens[1].tenant = ""; }));
  EXPECT_TRUE(rejected([](AuthConfig& c) { c.tokens[1].agent = "1001"; }));  // not an agent
  EXPECT_TRUE(rejected([](AuthConfig& c) { c.tokens[2].name = "ops"; }));
  EXPECT_TRUE(rejected([](AuthConfig& c) { c.users[0].passwordHash = "plain"; }));
  EXPECT_TRUE(rejected([](AuthConfig& c) { c.users[1].name = "b:ob"; }));
  EXPECT_TRUE(rejected([](AuthConfig& c) { c.maxFailedLogins = 0; }));
  EXPECT_TRUE(auth_.authenticate("Bearer ops-token", "10.0.0.1").ok());  // unchanged

  std::string alice = auth_.login("alice", kAlicePassword, "10.0.0.1").value();
  std::string bob = auth_.login("bob", kBobPassword, "10.0.0.1").value();
  AuthConfig reload = testConfig();
  reload.users.pop_back();                     // bob is gone
  reload.tokens.erase(reload.tokens.begin());  // and so is the ops token
  ASSERT_TRUE(auth_.configure(reload).ok());
  EXPECT_TRUE(auth_.authenticate("Bearer " + alice, "10.0.0.1").ok());
  expectUnauthorized(auth_.authenticate("Bearer " + bob, "10.0.0.1"));
  expectUnauthorized(auth_.authenticate("Bearer ops-token", "10.0.0.1"));
  reload.users[0].role = Role::kTenantAdmin;  // alice's rights changed: she logs in again
  ASSERT_TRUE(auth_.configure(reload).ok());
  expectUnauthorized(auth_.authenticate("Bearer " + alice, "10.0.0.1"));
}

}  // namespace
}  // namespace sb::api
