#include "app/config.h"

#include <gtest/gtest.h>

#include "app/directory.h"

namespace sb::app {
namespace {

constexpr const char* kGood = R"(
sip:
  listen:
    - { transport: udp, address: 127.0.0.1, port: 5090 }
tenants:
  - id: a
    domains: [a.example, 127.0.0.1]
    extensions:
      - { user: "1001", password: "long-enough-1" }
    numbers:
      - { number: "100", answer_after_ms: 50 }
  - id: b
    domains: [b.example]
    extensions:
      - { user: "1001", password: "long-enough-2" }
)";

TEST(ConfigTest, ParsesListenersTenantsAndDefaults) {
  auto c = parseConfig(kGood, "t.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->sip.size(), 1u);
  EXPECT_EQ(c->sip[0].port, 5090);
  EXPECT_EQ(c->httpPort, 8080);
  ASSERT_EQ(c->tenants.size(), 2u);
  EXPECT_EQ(c->tenants[0].numbers[0].answerAfterMs, 50u);
}

TEST(ConfigTest, DirectoryIsolatesTenants) {
  auto c = parseConfig(kGood, "t.yaml");
  ASSERT_TRUE(c.ok());
  Directory d(*c);
  const TenantConfig* a = d.tenantByDomain("A.EXAMPLE");
  const TenantConfig* b = d.tenantByDomain("b.example");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(d.extension(*a, "1001")->password, "long-enough-1");
  EXPECT_EQ(d.extension(*b, "1001")->password, "long-enough-2");
  EXPECT_EQ(d.extension(*b, "1002"), nullptr);
  EXPECT_EQ(d.number("100")->first, a);
  EXPECT_FALSE(d.number("200").has_value());
  EXPECT_EQ(d.tenantByDomain("c.example"), nullptr);
}

struct BadCase {
  const char* yaml;
  const char* expected;
};

TEST(ConfigTest, ErrorsNameTheLine) {
  const BadCase cases[] = {
      {"tenants:\n  - id: a\n    domains: [x]\n    extensions:\n      - { user: u, password: short "
       "}\n",
       "t.yaml:5: extension 'u' needs a password of at least 8 characters"},
      {"tenants:\n  - id: a\n    domains: [x]\n  - id: b\n    domains: [x]\n",
       "t.yaml:5: domain 'x' already belongs to another tenant"},
      {"sip:\n  listen:\n    - { transport: sctp }\n", "t.yaml:3: transport must be udp or tcp"},
      {"bogus: 1\n", "t.yaml:1: unknown key 'bogus'"},
      {"http:\n  port: 99999\n", "t.yaml:2: invalid value for 'port'"},
      {"tenants:\n  - id: a\n    domains: [x]\n    numbers:\n      - { number: '1' }\n  - id: b\n"
       "    domains: [y]\n    numbers:\n      - { number: '1' }\n",
       "t.yaml:9: number '1' is already assigned"},
      {"tenants: [ {id: a, domains: [x]}\n", "t.yaml:"},
      {"media:\n  rtp_ports: [30000]\n", "t.yaml:2: rtp_ports must be [first, last]"},
      {"media:\n  rtp_ports: [80, 90]\n", "t.yaml:2: rtp_ports must be a range"},
      {"media:\n  tone_plan: mars\n", "t.yaml:2: tone_plan must be us, eu or cn"},
      {"tenants:\n  - id: a\n    domains: [x]\n    numbers:\n      - { number: '1', app: fax }\n",
       "t.yaml:5: app must be flow, answer, demo_ivr or connect, got 'fax'"},
      {"tenants:\n  - id: a\n    domains: [x]\n    numbers:\n"
       "      - { number: '1', app: connect, connect_to: '9' }\n",
       "t.yaml:5: connect_to names no extension of this tenant: '9'"},
  };
  for (const auto& c : cases) {
    auto r = parseConfig(c.yaml, "t.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos)
        << "got: " << r.error().message;
  }
}

TEST(ConfigTest, MediaAndNumberApps) {
  auto c = parseConfig(R"(
media:
  address: 127.0.0.2
  rtp_ports: [40000, 40999]
  rtp_timeout_s: 0
  tts_voice: "espeak:zh"
  recordings: /tmp/rec
tenants:
  - id: a
    domains: [x]
    extensions:
      - { user: "1001", password: "long-enough-1" }
    numbers:
      - { number: "1", app: demo_ivr, connect_to: "1001", voice: "flite:kal", record: true }
      - { number: "2", app: connect, connect_to: "1001" }
      - { number: "3", greeting: "hi", hangup_after_ms: 500 }
)",
                       "t.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->media.address, "127.0.0.2");
  EXPECT_EQ(c->media.portMin, 40000);
  EXPECT_EQ(c->media.portMax, 40999);
  EXPECT_EQ(c->media.rtpTimeoutS, 0);
  EXPECT_EQ(c->media.ttsVoice, "espeak:zh");
  EXPECT_EQ(c->media.recordingDir, "/tmp/rec");
  const auto& n = c->tenants[0].numbers;
  EXPECT_EQ(n[0].app, NumberApp::kDemoIvr);
  EXPECT_EQ(n[0].connectTo, "1001");
  EXPECT_EQ(n[0].voice, "flite:kal");
  EXPECT_TRUE(n[0].record);
  EXPECT_EQ(n[1].app, NumberApp::kConnect);
  EXPECT_EQ(n[2].app, NumberApp::kAnswer);
  EXPECT_EQ(n[2].greeting, "hi");
  EXPECT_FALSE(n[2].record);
}

TEST(ConfigTest, EmptyFileIsAnError) {
  EXPECT_FALSE(parseConfig("", "e.yaml").ok());
}

TEST(ConfigTest, ExampleQuickstartIsValid) {
  auto c = loadConfig(std::string(SB_SOURCE_DIR) + "/examples/quickstart.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->tenants.empty());
}

constexpr const char* kContactCenter = R"(
trunks:
  - { name: carrier, address: 127.0.0.1, port: 5080 }
tenants:
  - id: acme
    domains: [acme.example]
    extensions:
      - { user: "1001", password: "long-enough-1" }
    numbers:
      - { number: "100", app: flow, flow: main }
    queues:
      - name: sales
        strategy: skills
        skills: { sales: 3 }
        widening: [ { after_s: 30, lower_by: 1 } ]
        max_wait_s: 120
        overflow: support
      - { name: support, wrap_up_s: 0, assign_owner: true }
    agents:
      - { name: alice, extension: "1001", skills: { sales: 5 }, queues: [sales, support],
          logged_in: true }
      - { name: bob, mobile: "13800000000", trunk: carrier, queues: [support, beta/help] }
    flows:
      - name: main
        definition:
          name: main
          start: bye
          nodes:
            bye: { type: hangup }
    lists: { blacklist: ["666"], vip: ["777", "778"] }
    customers:
      - { number: "777", name: Vera, owner: alice, fields: { tier: gold } }
  - id: beta
    domains: [beta.example]
    shared_agents: [acme/bob]
    queues:
      - { name: help }
)";

TEST(ConfigTest, ContactCenterSections) {
  auto c = parseConfig(kContactCenter, "cc.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const TenantConfig& acme = c->tenants[0];
  ASSERT_EQ(acme.queues.size(), 2u);
  EXPECT_EQ(acme.queues[0].strategy, "skills");
  EXPECT_EQ(acme.queues[0].widening.size(), 1u);
  EXPECT_EQ(acme.queues[0].overflow, "support");
  EXPECT_EQ(acme.queues[1].wrapUpS, 0u);
  EXPECT_TRUE(acme.queues[1].assignOwner);
  EXPECT_FALSE(acme.queues[0].assignOwner);
  ASSERT_EQ(acme.agents.size(), 2u);
  EXPECT_TRUE(acme.agents[0].loggedIn);
  EXPECT_EQ(acme.agents[1].mobile, "13800000000");
  EXPECT_EQ(acme.agents[1].queues[1], "beta/help");
  ASSERT_EQ(acme.flows.size(), 1u);
  EXPECT_NE(acme.flows[0].text.find("hangup"), std::string::npos);
  EXPECT_EQ(acme.lists.at("vip").size(), 2u);
  EXPECT_EQ(acme.customers[0].fields.at("tier"), "gold");
  EXPECT_EQ(acme.numbers[0].app, NumberApp::kFlow);
}

TEST(ConfigTest, ContactCenterErrorsNameTheProblem) {
  const std::string good = kContactCenter;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {with("strategy: skills", "strategy: fastest"), "cc.yaml:13: unknown strategy 'fastest'"},
      {with("queues: [sales, support]", "queues: [sales, nope]"), "no queue 'nope'"},
      {with("owner: alice", "owner: mallory"), "customer owner 'mallory' is not an agent"},
      {with("shared_agents: [acme/bob]", "shared_agents: []"),
       "tenant 'beta' does not list 'acme/bob' in shared_agents"},
      {with("flow: main }", "flow: other }"), "runs flow 'other', which this tenant does not"},
      {with("overflow: support", "overflow: beta"), "overflows to 'beta'"},
      {with("extension: \"1001\", skills", "extension: \"1009\", skills"),
       "no extension '1009' in this tenant"},
      {with("skills: { sales: 5 }", "skills: { sales: 11 }"), "level must be 1..10"},
  };
  for (const auto& [yaml, expected] : cases) {
    auto r = parseConfig(yaml, "cc.yaml");
    ASSERT_FALSE(r.ok()) << expected;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << "got: " << r.error().message;
  }
}

constexpr const char* kRecords = R"(
tenants:
  - id: acme
    domains: [acme.example]
    extensions:
      - { user: "1001", password: "long-enough-1" }
    agents:
      - { name: alice, extension: "1001" }
    reporting: { service_level_s: 30, short_abandon_s: 10, service_level_variant: answered }
    recordings: { retention_days: 90 }
    webhooks:
      - { url: "https://hooks.acme.example/sb", secret: "0123456789abcdef", events: [call_ended] }
api:
  session_hours: 4
  tokens:
    - { name: ops, role: operator,
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }
  users:
    - { name: alice, role: agent, tenant: acme, agent: alice,
        password_hash: "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaA" }
)";

TEST(ConfigTest, ReportingRecordingsWebhooksAndApiCredentials) {
  auto c = parseConfig(kRecords, "r.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const TenantConfig& acme = c->tenants[0];
  EXPECT_EQ(acme.reporting.serviceLevelS, 30u);
  EXPECT_EQ(acme.reporting.shortAbandonS, 10u);
  EXPECT_EQ(acme.reporting.serviceLevelVariant, "answered");
  EXPECT_EQ(acme.recordingRetentionDays, 90u);
  ASSERT_EQ(acme.webhooks.size(), 1u);
  EXPECT_EQ(acme.webhooks[0].kinds, std::vector<std::string>{"call_ended"});
  EXPECT_EQ(c->api.sessionHours, 4u);
  ASSERT_EQ(c->api.tokens.size(), 1u);
  EXPECT_EQ(c->api.tokens[0].role, "operator");
  ASSERT_EQ(c->api.users.size(), 1u);
  EXPECT_EQ(c->api.users[0].agent, "alice");
}

TEST(ConfigTest, RecordsAndApiErrorsNameTheProblem) {
  const std::string good = kRecords;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {with("variant: answered", "variant: most"), "service_level_variant must be"},
      {with("https://hooks", "ftp://hooks"), "webhook url must start with"},
      {with("\"0123456789abcdef\"", "\"short\""), "secret must be at least 16"},
      {with("role: operator", "role: god"), "role must be operator"},
      {with("tenant: acme, agent", "tenant: other, agent"), "needs the id of a tenant"},
      {with("agent: alice,", "agent: mallory,"), "needs an agent of tenant acme"},
      {with("sha256: \"9f86", "sha256: \"XX86"), "sha256 must be 64 lower-case hex"},
      {with("$argon2id$", "plain"), "password_hash must be an argon2 hash"},
  };
  for (const auto& [yaml, expected] : cases) {
    auto r = parseConfig(yaml, "r.yaml");
    ASSERT_FALSE(r.ok()) << expected;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << "got: " << r.error().message;
    EXPECT_EQ(r.error().message.rfind("r.yaml:", 0), 0u) << r.error().message;
  }
}

}  // namespace
}  // namespace sb::app
