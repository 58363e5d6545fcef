#include <gtest/gtest.h>

#include "flow/flow.h"

namespace sb::flow {
namespace {

ValidationContext tenant() {
  ValidationContext ctx;
  ctx.queues = {"sales", "support"};
  ctx.lists = {"blacklist", "vip"};
  ctx.agents = {"agent7"};
  ctx.extensions = {"1002"};
  ctx.promptExists = [](const std::string& path) { return path == "prompts/hello.wav"; };
  return ctx;
}

FlowDefinition parsed(const std::string& nodes, const std::string& extra = {}) {
  auto flow = parseFlow("name: f\nstart: a\nnodes:\n" + nodes + extra, "f.yaml");
  EXPECT_TRUE(flow.ok()) << flow.error().message;
  return flow.ok() ? std::move(*flow) : FlowDefinition{};
}

// The issues whose message contains `needle`.
std::vector<Issue> matching(const std::vector<Issue>& issues, const std::string& needle) {
  std::vector<Issue> out;
  for (const auto& i : issues) {
    if (i.message.find(needle) != std::string::npos) out.push_back(i);
  }
  return out;
}

void expectOnly(const std::vector<Issue>& issues, Issue::Severity sev, const std::string& needle,
                const std::string& node, int line) {
  auto found = matching(issues, needle);
  ASSERT_EQ(found.size(), 1u) << needle << "\n"
                              << [&] {
                                   std::string all;
                                   for (const auto& i : issues) all += i.message + "\n";
                                   return all;
                                 }();
  EXPECT_EQ(found[0].severity, sev);
  EXPECT_EQ(found[0].node, node);
  EXPECT_EQ(found[0].line, line);
  std::string prefix = "f.yaml:" + std::to_string(line) + ": ";
  if (!node.empty()) prefix += "node '" + node + "': ";
  EXPECT_EQ(found[0].message.rfind(prefix, 0), 0u) << found[0].message;
}

constexpr const char* kGood =
    "  a: {type: say, text: hi, next: m}\n"
    "  m: {type: menu, options: {\"1\": q}, next_invalid: bye, next_timeout: bye}\n"
    "  q: {type: queue, queue: sales, next: bye}\n"
    "  bye: {type: hangup}\n";

TEST(Validate, CleanFlowHasNoIssues) {
  auto issues = validate(parsed(kGood), tenant());
  EXPECT_TRUE(issues.empty()) << issues.front().message;
  EXPECT_FALSE(hasErrors(issues));
}

TEST(Validate, UnknownStartNode) {
  auto flow = parsed(kGood);
  flow.start = "welcom";
  flow.startLine = 2;
  auto issues = validate(flow, tenant());
  expectOnly(issues, Issue::Severity::kError, "start node 'welcom' is not a node", "", 2);
  EXPECT_TRUE(hasErrors(issues));
}

TEST(Validate, DanglingExitNamesOptionLineAndSuggestion) {
  auto flow = parsed(
      "  a: {type: say, text: hi, next: m}\n"
      "  m:\n"
      "    type: menu\n"
      "    options:\n"
      "      \"1\": salse\n"
      "    next_invalid: bye\n"
      "    next_timeout: bye\n"
      "  sales: {type: queue, queue: sales, next: bye}\n"
      "  bye: {type: hangup}\n");
  auto issues = validate(flow, tenant());
  expectOnly(issues, Issue::Severity::kError,
             "option '1' goes to 'salse', which is not a node (did you mean 'sales'?)", "m", 8);
}

TEST(Validate, UnreachableNodeIsAWarning) {
  auto issues = validate(parsed(std::string(kGood) + "  orphan: {type: hangup}\n"), tenant());
  expectOnly(issues, Issue::Severity::kWarning, "cannot be reached", "orphan", 8);
  EXPECT_FALSE(hasErrors(issues));
}

TEST(Validate, MissingPromptFile) {
  auto ok =
      validate(parsed("  a: {type: play, file: prompts/hello.wav, next: b}\n  b: {type: hangup}\n"),
               tenant());
  EXPECT_TRUE(ok.empty());
  auto issues = validate(
      parsed("  a: {type: play, file: prompts/missing.wav, next: b}\n  b: {type: hangup}\n"),
      tenant());
  expectOnly(issues, Issue::Severity::kError, "prompt file 'prompts/missing.wav' does not exist",
             "a", 4);
}

TEST(Validate, UnknownToneIsAnError) {
  auto issues =
      validate(parsed("  a: {type: play, tone: bep, next: b}\n  b: {type: hangup}\n"), tenant());
  expectOnly(issues, Issue::Severity::kError, "unknown tone 'bep'", "a", 4);
}

TEST(Validate, UnknownQueueListAndCalendar) {
  auto issues = validate(
      parsed("  a: {type: branch, conditions: [{if: {in_list: blaklist}, next: q}, {if: {time_in: "
             "hours}, next: q}], else: q}\n"
             "  q: {type: queue, queue: sale, next: cb}\n"
             "  cb: {type: callback, queue: nowhere, next: bye}\n"
             "  bye: {type: hangup}\n"),
      tenant());
  expectOnly(issues, Issue::Severity::kError,
             "list 'blaklist' does not exist (did you mean 'blacklist'?)", "a", 4);
  expectOnly(issues, Issue::Severity::kError, "calendar 'hours' does not exist", "a", 4);
  expectOnly(issues, Issue::Severity::kError, "queue 'sale' does not exist (did you mean 'sales'?)",
             "q", 5);
  expectOnly(issues, Issue::Severity::kError, "queue 'nowhere' does not exist", "cb", 6);
}

TEST(Validate, TenantCalendarFromContextIsKnown) {
  auto ctx = tenant();
  ctx.calendars = {"hours"};
  auto issues = validate(
      parsed("  a: {type: branch, conditions: [{if: {time_in: hours}, next: b}], else: b}\n"
             "  b: {type: hangup}\n"),
      ctx);
  EXPECT_TRUE(issues.empty());
}

TEST(Validate, LoopWithoutInputIsAnError) {
  auto issues = validate(parsed("  a: {type: set, var: x, value: \"1\", next: b}\n"
                                "  b: {type: say, text: hi, next: c}\n"
                                "  c: {type: branch, conditions: [{if: {var: x, equals: \"2\"}, "
                                "next: bye}], else: a}\n"
                                "  bye: {type: hangup}\n"),
                         tenant());
  expectOnly(issues, Issue::Severity::kError, "loop 'a' -> 'b' -> 'c' -> 'a' never waits", "a", 4);
}

TEST(Validate, LoopThroughAMenuIsFine) {
  auto issues = validate(parsed("  a: {type: say, text: hi, next: m}\n"
                                "  m: {type: menu, options: {\"1\": a, \"9\": m}, next_invalid: m, "
                                "next_timeout: bye}\n"
                                "  bye: {type: hangup}\n"),
                         tenant());
  EXPECT_TRUE(issues.empty()) << issues.front().message;
}

TEST(Validate, SelfLoopIsAnError) {
  auto issues = validate(parsed("  a: {type: http, url: \"https://x/\", next: a}\n"), tenant());
  expectOnly(issues, Issue::Severity::kError, "loop 'a' -> 'a'", "a", 4);
}

TEST(Validate, NodesWithoutExit) {
  auto flow = parsed(
      "  a: {type: say, text: hi}\n"
      "  b: {type: branch, conditions: [{if: {caller: \"1\"}, next: a}]}\n"
      "  c: {type: queue, queue: sales}\n"
      "  d: {type: set, var: x, value: y}\n");
  flow.start = "a";
  auto issues = validate(flow, tenant());
  expectOnly(issues, Issue::Severity::kError, "a say node must say where", "a", 4);
  expectOnly(issues, Issue::Severity::kError, "has no 'else'", "b", 5);
  expectOnly(issues, Issue::Severity::kError, "has no exit: give next_timeout", "c", 6);
  expectOnly(issues, Issue::Severity::kError, "a set node must say where", "d", 7);
}

TEST(Validate, PartialQueueExitsWarn) {
  auto issues = validate(parsed("  a: {type: queue, queue: sales, next_timeout: b}\n"
                                "  b: {type: hangup}\n"),
                         tenant());
  EXPECT_FALSE(hasErrors(issues));
  EXPECT_EQ(matching(issues, "no 'next_no_agents'").size(), 1u);
  EXPECT_EQ(matching(issues, "no 'next_full'").size(), 1u);
}

TEST(Validate, BadCalendarSpecs) {
  auto issues = validate(
      parsed("  a: {type: branch, conditions: [{if: {time_in: c}, next: b}], else: b}\n"
             "  b: {type: hangup}\n",
             "calendars:\n"
             "  c:\n"
             "    timezone: Asia/Shanghia\n"
             "    weekly: {mon: [\"09:00-25:00\", \"10:00-10:00\"], tue: [\"09:00-12:00\", "
             "\"11:00-13:00\"], wed: [\"09:75-10:00\"]}\n"
             "    holidays: [\"2026-02-30\"]\n"),
      tenant());
  expectOnly(issues, Issue::Severity::kError, "unknown time zone 'Asia/Shanghia'", "", 7);
  expectOnly(issues, Issue::Severity::kError, "'09:00-25:00' is outside 00:00-24:00", "", 7);
  expectOnly(issues, Issue::Severity::kError, "'10:00-10:00' is empty", "", 7);
  expectOnly(issues, Issue::Severity::kError, "'09:00-12:00' and '11:00-13:00' overlap", "", 7);
  expectOnly(issues, Issue::Severity::kError, "'09:75-10:00' has minutes over 59", "", 7);
  expectOnly(issues, Issue::Severity::kError, "holiday '2026-02-30' is not a real date", "", 7);
  for (const auto& i : matching(issues, "calendar 'c'"))
    EXPECT_EQ(i.message.rfind("f.yaml:7: calendar 'c': ", 0), 0u);
}

TEST(Validate, InvalidTemplates) {
  auto issues = validate(parsed("  a: {type: say, text: \"Hi ${name\", next: b}\n"
                                "  b: {type: set, var: x, value: \"${}\", next: c}\n"
                                "  c: {type: http, url: \"https://x/${account id}\", next: d}\n"
                                "  d: {type: hangup}\n"),
                         tenant());
  expectOnly(issues, Issue::Severity::kError, "'${' at column 4 is not closed", "a", 4);
  expectOnly(issues, Issue::Severity::kError, "'${}' has no name", "b", 5);
  expectOnly(issues, Issue::Severity::kError, "'${account id}' is not a variable name", "c", 6);
}

TEST(Validate, VariableNothingSetsIsAWarning) {
  auto issues =
      validate(parsed("  a: {type: say, text: \"Hi ${custmer.name}\", next: b}\n"
                      "  b: {type: lookup, next: c}\n"
                      "  c: {type: say, text: \"Hi ${customer.name} ${caller}\", next: d}\n"
                      "  d: {type: hangup}\n"),
               tenant());
  expectOnly(issues, Issue::Severity::kWarning, "uses '${custmer.name}', which no node sets", "a",
             4);
  EXPECT_FALSE(hasErrors(issues));
}

TEST(Validate, TransferTargets) {
  auto issues =
      validate(parsed("  a: {type: transfer, to: {agent: agent8}, next_failed: b}\n"
                      "  b: {type: transfer, to: {extension: \"1003\"}, next_failed: c}\n"
                      "  c: {type: transfer, to: {number: \"call me\"}, next_failed: d}\n"
                      "  d: {type: transfer, to: {number: \"+8613800000000\"}, next_failed: e}\n"
                      "  e: {type: transfer, to: {agent: \"${customer.owner}\"}}\n"
                      "  f: {type: lookup, next: e}\n"),
               tenant());
  expectOnly(issues, Issue::Severity::kError, "agent 'agent8' does not exist", "a", 4);
  expectOnly(issues, Issue::Severity::kError, "extension '1003' does not exist", "b", 5);
  expectOnly(issues, Issue::Severity::kError, "'call me' is not a phone number", "c", 6);
  expectOnly(issues, Issue::Severity::kWarning, "no 'next_failed'", "e", 8);
  EXPECT_TRUE(matching(issues, "node 'd'").empty());
}

TEST(Validate, HttpAndQueueDetails) {
  auto issues =
      validate(parsed("  a: {type: http, url: \"ftp://x\", next: q}\n"
                      "  q: {type: queue, queue: sales, priority: high, next: c}\n"
                      "  c: {type: collect, var: v, min_digits: 5, max_digits: 4, next: d}\n"
                      "  d: {type: hangup}\n"),
               tenant());
  expectOnly(issues, Issue::Severity::kError, "url must start with https://", "a", 4);
  expectOnly(issues, Issue::Severity::kError, "priority must be a whole number", "q", 5);
  expectOnly(issues, Issue::Severity::kError, "min_digits is above max_digits", "c", 6);
}

TEST(Validate, MenuWithoutFallbackExitsWarns) {
  auto issues =
      validate(parsed("  a: {type: menu, options: {\"1\": b}}\n  b: {type: hangup}\n"), tenant());
  EXPECT_FALSE(hasErrors(issues));
  EXPECT_EQ(matching(issues, "no 'next_invalid'").size(), 1u);
  EXPECT_EQ(matching(issues, "no 'next_timeout'").size(), 1u);
}

TEST(Validate, FlowBuiltInCodeWithoutLines) {
  FlowDefinition flow;
  flow.name = "coded";
  flow.start = "x";
  Node n;
  n.id = "x";
  n.type = NodeType::kSay;
  n.prompt = Prompt{Prompt::Kind::kText, "hi", "", 0};
  n.next = "y";
  flow.nodes["x"] = n;
  auto issues = validate(flow, tenant());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message, "flow: node 'x': next goes to 'y', which is not a node");
}

}  // namespace
}  // namespace sb::flow
