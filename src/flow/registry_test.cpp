#include "flow/registry.h"

#include <gtest/gtest.h>

namespace sb::flow {
namespace {

ValidationContext tenantA() {
  ValidationContext ctx;
  ctx.queues = {"sales"};
  return ctx;
}

std::string source(const std::string& greeting) {
  return "name: main\nstart: hi\nnodes:\n  hi: {type: say, text: \"" + greeting +
         "\", next: q}\n  q: {type: queue, queue: sales, next: bye}\n  bye: {type: hangup}\n";
}

FlowDefinition parsed(const std::string& text) {
  auto flow = parseFlow(text, "main.yaml");
  EXPECT_TRUE(flow.ok()) << flow.error().message;
  return flow.ok() ? std::move(*flow) : FlowDefinition{};
}

Result<std::uint32_t> publishText(FlowRegistry& reg, const std::string& tenant,
                                  const std::string& text, const std::string& author,
                                  std::int64_t ms) {
  return reg.publish(tenant, parsed(text), text, author, ms, tenantA());
}

TEST(Registry, PublishKeepsEveryVersionAndHistoryWithDiffs) {
  FlowRegistry reg;
  auto v1 = publishText(reg, "acme", source("Hello"), "alice", 1000);
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  EXPECT_EQ(*v1, 1u);
  auto v2 = publishText(reg, "acme", source("Welcome"), "bob", 2000);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v2, 2u);

  auto cur = reg.current("acme", "main");
  ASSERT_NE(cur, nullptr);
  EXPECT_EQ(cur->version, 2u);
  EXPECT_EQ(cur->author, "bob");
  EXPECT_EQ(cur->tenant, "acme");
  EXPECT_EQ(reg.version("acme", "main", 1)->definition.nodes.at("hi").prompt.value, "Hello");
  EXPECT_EQ(reg.version("acme", "main", 3), nullptr);
  EXPECT_EQ(reg.version("acme", "main", 0), nullptr);

  auto history = reg.history("acme", "main");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].version, 1u);
  EXPECT_EQ(history[0].author, "alice");
  EXPECT_EQ(history[0].unixMs, 1000);
  EXPECT_EQ(history[0].diff.rfind("--- /dev/null\n+++ main v1\n@@ -0,0 +1,6 @@\n", 0), 0u)
      << history[0].diff;
  EXPECT_EQ(history[1].diff,
            "--- main v1\n+++ main v2\n@@ -1,6 +1,6 @@\n name: main\n start: hi\n nodes:\n"
            "-  hi: {type: say, text: \"Hello\", next: q}\n"
            "+  hi: {type: say, text: \"Welcome\", next: q}\n"
            "   q: {type: queue, queue: sales, next: bye}\n   bye: {type: hangup}\n");
}

TEST(Registry, SameSourceIsNotANewVersion) {
  FlowRegistry reg;
  ASSERT_TRUE(publishText(reg, "acme", source("Hello"), "alice", 1).ok());
  auto again = publishText(reg, "acme", source("Hello"), "alice", 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 1u);
  EXPECT_EQ(reg.history("acme", "main").size(), 1u);
}

TEST(Registry, RunningCallKeepsItsVersion) {
  FlowRegistry reg;
  ASSERT_TRUE(publishText(reg, "acme", source("Hello"), "alice", 1).ok());
  std::shared_ptr<const FlowVersion> held = reg.current("acme", "main");
  ASSERT_TRUE(publishText(reg, "acme", source("Welcome"), "bob", 2).ok());
  EXPECT_EQ(held->version, 1u);
  EXPECT_EQ(held->definition.nodes.at("hi").prompt.value, "Hello");
  EXPECT_EQ(reg.current("acme", "main")->definition.nodes.at("hi").prompt.value, "Welcome");
}

TEST(Registry, RefusesInvalidFlowsListingEveryError) {
  FlowRegistry reg;
  std::string bad =
      "name: main\nstart: hi\nnodes:\n  hi: {type: say, text: x, next: nowhere}\n"
      "  q: {type: queue, queue: support, next: hi}\n";
  auto r = publishText(reg, "acme", bad, "eve", 5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidInput);
  EXPECT_NE(r.error().message.find("main.yaml:4: node 'hi': next goes to 'nowhere'"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("main.yaml:5: node 'q': queue 'support' does not exist"),
            std::string::npos);
  EXPECT_EQ(reg.current("acme", "main"), nullptr);
  EXPECT_TRUE(reg.history("acme", "main").empty());
}

TEST(Registry, WarningsAreKeptWithTheVersion) {
  FlowRegistry reg;
  std::string text = source("Hi") + "  spare: {type: hangup}\n";
  ASSERT_TRUE(publishText(reg, "acme", text, "alice", 1).ok());
  ASSERT_EQ(reg.current("acme", "main")->warnings.size(), 1u);
}

TEST(Registry, TenantsAreIsolated) {
  FlowRegistry reg;
  ASSERT_TRUE(publishText(reg, "acme", source("Acme here"), "alice", 1).ok());
  EXPECT_EQ(reg.current("globex", "main"), nullptr);
  EXPECT_TRUE(reg.history("globex", "main").empty());
  auto g = publishText(reg, "globex", source("Globex here"), "gina", 2);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, 1u);  // versions count per tenant
  EXPECT_EQ(reg.current("acme", "main")->definition.nodes.at("hi").prompt.value, "Acme here");
  EXPECT_EQ(reg.current("globex", "main")->definition.nodes.at("hi").prompt.value, "Globex here");
  EXPECT_EQ(reg.flowNames("acme"), std::vector<std::string>{"main"});
  EXPECT_TRUE(reg.flowNames("acm").empty());
  EXPECT_FALSE(publishText(reg, "", source("x"), "x", 3).ok());
}

TEST(Registry, RollbackPublishesAnOldVersionAgain) {
  FlowRegistry reg;
  ASSERT_TRUE(publishText(reg, "acme", source("One"), "alice", 1).ok());
  ASSERT_TRUE(publishText(reg, "acme", source("Two"), "alice", 2).ok());
  auto v3 = reg.rollback("acme", "main", 1, "bob", 3, tenantA());
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(*v3, 3u);
  EXPECT_EQ(reg.current("acme", "main")->definition.nodes.at("hi").prompt.value, "One");
  EXPECT_EQ(reg.history("acme", "main").back().author, "bob");
  auto missing = reg.rollback("acme", "main", 9, "bob", 4, tenantA());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace sb::flow
