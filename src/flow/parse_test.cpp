#include <gtest/gtest.h>

#include "flow/flow.h"

namespace sb::flow {
namespace {

constexpr const char* kMainYaml = R"(name: main
start: welcome
nodes:
  welcome: {type: say, text: "Welcome to ${tenant_name}.", next: hours}
  hours: {type: branch, conditions: [{if: {time_in: office_hours}, next: blocked_check}], else: closed}
  closed: {type: say, prompt: {text: "We are closed.", voice: "espeak:en"}, next: voicemail}
  blocked_check: {type: branch, conditions: [{if: {in_list: blacklist}, next: bye}, {if: {in_list: vip}, next: set_prio}], else: lookup}
  lookup: {type: lookup, next: known}
  known: {type: branch, conditions: [{if: {var: customer.found, equals: "true"}, next: owner}], else: menu}
  owner: {type: queue, queue: sales, owner_wait: 20, next_timeout: voicemail, next_no_agents: voicemail, next_full: voicemail}
  menu: {type: menu, prompt: {text: "For sales press 1, for support press 2."}, options: {"1": sales, "2": collect_account}, timeout: 5, retries: 2, next_invalid: voicemail, next_timeout: voicemail}
  collect_account: {type: collect, prompt: {file: "prompts/account.wav"}, var: account, max_digits: 8, terminator: "#", timeout: 5, next: http_check}
  http_check: {type: http, method: GET, url: "https://crm.example/acc/${account}", timeout_ms: 2000, result_var: acc, next: sales, next_error: sales}
  set_prio: {type: set, var: priority, value: "5", next: sales}
  sales: {type: queue, queue: sales, priority: "${priority}", next_timeout: callback, next_no_agents: voicemail, next_full: voicemail}
  transfer_owner: {type: transfer, to: {agent: "${customer.owner}"}, next_failed: sales}
  voicemail: {type: voicemail, prompt: {text: "Leave a message after the tone."}, max_seconds: 60, next: bye}
  callback: {type: callback, prompt: {text: "We will call you back."}, queue: sales, next: bye}
  bye: {type: hangup}
calendars:
  office_hours: {timezone: "Asia/Shanghai", weekly: {mon-fri: ["09:00-18:00"], sat: ["10:00-14:00"]}, holidays: ["2026-10-01", "2026-10-02"]}
)";

TEST(ParseFlow, ReadsTheYamlExample) {
  auto flow = parseFlow(kMainYaml, "main.yaml");
  ASSERT_TRUE(flow.ok()) << flow.error().message;
  EXPECT_EQ(flow->name, "main");
  EXPECT_EQ(flow->start, "welcome");
  EXPECT_EQ(flow->nodes.size(), 16u);
  const Node& menu = flow->nodes.at("menu");
  EXPECT_EQ(menu.type, NodeType::kMenu);
  EXPECT_EQ(menu.options.at("1"), "sales");
  EXPECT_EQ(menu.retries, 2);
  EXPECT_EQ(menu.line, 11);
  EXPECT_EQ(menu.prompt.kind, Prompt::Kind::kText);
  const Node& owner = flow->nodes.at("owner");
  EXPECT_EQ(owner.owner, "${customer.owner}");
  EXPECT_EQ(owner.ownerWaitS, 20);
  const Node& collect = flow->nodes.at("collect_account");
  EXPECT_EQ(collect.prompt.kind, Prompt::Kind::kFile);
  EXPECT_EQ(collect.maxDigits, 8);
  EXPECT_EQ(collect.terminator, "#");
  EXPECT_EQ(flow->nodes.at("closed").prompt.voice, "espeak:en");
  EXPECT_EQ(flow->nodes.at("transfer_owner").transferKind, TransferKind::kAgent);
  EXPECT_EQ(flow->nodes.at("http_check").resultVar, "acc");
  EXPECT_EQ(flow->nodes.at("http_check").timeoutMs, 2000);
  const Calendar& cal = flow->calendars.at("office_hours");
  EXPECT_EQ(cal.timezone, "Asia/Shanghai");
  EXPECT_EQ(cal.weekly[1].size(), 1u);  // Monday
  EXPECT_EQ(cal.weekly[0].size(), 0u);  // Sunday
  EXPECT_EQ(cal.weekly[6][0].startMin, 600);
  EXPECT_EQ(cal.holidays.size(), 2u);
}

TEST(ParseFlow, ReadsTheSameFlowAsJson) {
  constexpr const char* kJson = R"({
  "name": "main",
  "start": "menu",
  "nodes": {
    "menu": {"type": "menu", "prompt": "Press 1", "options": {"1": "bye"},
             "next_invalid": "bye", "next_timeout": "bye"},
    "bye": {"type": "hangup", "reason": "done"}
  },
  "calendars": {"h": {"timezone": "UTC", "weekly": {"daily": "00:00-24:00"}}}
})";
  auto flow = parseFlow(kJson, "main.json");
  ASSERT_TRUE(flow.ok()) << flow.error().message;
  EXPECT_EQ(flow->nodes.at("menu").options.at("1"), "bye");
  EXPECT_EQ(flow->nodes.at("menu").prompt.value, "Press 1");
  EXPECT_EQ(flow->nodes.at("menu").line, 5);
  EXPECT_EQ(flow->nodes.at("bye").reason, "done");
  EXPECT_EQ(flow->calendars.at("h").weekly[3][0].endMin, 1440);
}

TEST(ParseFlow, DayListsAndCombinedConditions) {
  auto flow = parseFlow(R"(name: f
start: b
nodes:
  b:
    type: branch
    conditions:
      - if: {all: [{caller_prefix: "+86"}, {not: {in_list: blacklist}}, {any: [{var: x, exists: true}, {dialled: "4001"}]}]}
        next: e
    else: e
  e: {type: hangup}
calendars:
  c:
    timezone: UTC
    weekly: {"fri-mon": "22:00-06:00", "tue,wed": ["09:00-12:00", "13:00-18:00"], thu: closed}
    special_days: {"2026-09-27": ["09:00-18:00"]}
)",
                        "f.yaml");
  ASSERT_TRUE(flow.ok()) << flow.error().message;
  const auto& cond = flow->nodes.at("b").cases.at(0).when;
  EXPECT_EQ(cond.kind, Condition::Kind::kAll);
  ASSERT_EQ(cond.children.size(), 3u);
  EXPECT_EQ(cond.children[1].kind, Condition::Kind::kNot);
  EXPECT_EQ(cond.children[2].children[1].kind, Condition::Kind::kDialled);
  const auto& cal = flow->calendars.at("c");
  for (int d : {5, 6, 0, 1}) EXPECT_EQ(cal.weekly[static_cast<std::size_t>(d)].size(), 1u) << d;
  EXPECT_EQ(cal.weekly[2].size(), 2u);
  EXPECT_TRUE(cal.weekly[4].empty());
  ASSERT_EQ(cal.specialDays.size(), 1u);
  EXPECT_EQ(cal.specialDays[0].date.month, 9);
}

struct BadCase {
  const char* text;
  const char* expected;  // substring of the message, which must start with "bad.yaml:<line>:"
  int line;
};

class ParseErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseErrors, NameSourceLineAndNode) {
  auto flow = parseFlow(GetParam().text, "bad.yaml");
  ASSERT_FALSE(flow.ok());
  EXPECT_EQ(flow.error().code, Errc::kInvalidInput);
  const std::string& msg = flow.error().message;
  std::string prefix = "bad.yaml:" + std::to_string(GetParam().line) + ":";
  EXPECT_EQ(msg.rfind(prefix, 0), 0u) << msg;
  EXPECT_NE(msg.find(GetParam().expected), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Flow, ParseErrors,
    ::testing::Values(
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: sya, next: a}\n",
                "node 'a': unknown type 'sya'", 4},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: say, text: hi, nxt: b}\n",
                "node 'a': unknown key 'nxt'", 4},
        BadCase{"name: f\nstart: a\nnodes:\n  a:\n    type: menu\n    options: {x: b}\n",
                "node 'a': option 'x' is not keypad digits", 6},
        BadCase{"name: f\nstart: a\nnodes:\n  a:\n    type: collect\n    max_digits: 100\n    "
                "var: v\n",
                "node 'a': 'max_digits' must be a whole number from 1 to 64", 6},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: say, next: b}\n",
                "node 'a': needs exactly one of 'text', 'file', 'tone'", 4},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: transfer, to: {agent: x, number: y}}\n",
                "node 'a': 'to' needs exactly one of agent, extension, number", 4},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: transfer, to: {phone: x}}\n",
                "node 'a': unknown key 'phone'", 4},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: queue}\n", "node 'a': needs 'queue'", 4},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: http, url: x, method: FETCH}\n",
                "node 'a': 'method' must be GET", 4},
        BadCase{"name: f\nstart: a\nnodes:\n  a:\n    type: branch\n    conditions:\n      - if: "
                "{var: x}\n        next: a\n",
                "node 'a': 'var' needs exactly one of equals", 7},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: hangup}\ncalendars:\n  c: {timezone: UTC, "
                "weekly: {mon: [\"9-18\"]}}\n",
                "calendar 'c': time range '9-18' is not of the form HH:MM-HH:MM", 6},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: hangup}\ncalendars:\n  c: {timezone: UTC, "
                "weekly: {monday: \"09:00-10:00\"}}\n",
                "calendar 'c': 'monday' is not a day list", 6},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: hangup}\n  a: {type: hangup}\n",
                "node 'a' is defined twice", 5},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: say, text: [1, 2], next: a}\n",
                "node 'a': 'text' must be a single value", 4},
        BadCase{"name: f\nstart: a\nnodes:\n  a: {type: say, text: \"unclosed\n", "not valid YAML",
                5},
        BadCase{"name: f\nstart: a\nnodes: {}\n", "'nodes' must map node ids", 3},
        BadCase{"name: f\nnodes:\n  a: {type: hangup}\n", "flow: needs a 'start' node", 1}));

TEST(ParseFlow, EmptyAndGarbageInputs) {
  for (const char* text : {"", "   \n", "[1, 2", "- a\n- b\n", "just text", "{\"name\": 1}"}) {
    auto flow = parseFlow(text, "x.json");
    ASSERT_FALSE(flow.ok()) << text;
    EXPECT_EQ(flow.error().message.rfind("x.json", 0), 0u) << flow.error().message;
  }
}

TEST(ParseFlow, EmbeddedFlowReportsLinesOfTheEnclosingFile) {
  // A flow that starts on line 20 of the app's provisioning file.
  auto flow = parseFlow("name: f\nstart: a\nnodes:\n  a: {type: sya}\n", "switchboard.yaml", 20);
  ASSERT_FALSE(flow.ok());
  EXPECT_EQ(flow.error().message.rfind("switchboard.yaml:23: node 'a': unknown type", 0), 0u)
      << flow.error().message;
  auto good = parseFlow("name: f\nstart: a\nnodes:\n  a: {type: hangup}\n", "s.yaml", 20);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->nodes.at("a").line, 23);
  auto syntax = parseFlow("name: f\nstart: [\n", "s.yaml", 20);
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().message.rfind("s.yaml:2", 0), 0u) << syntax.error().message;
}

TEST(ParseFlow, ExitsOfListsEveryEdgeWithLines) {
  auto flow = parseFlow(kMainYaml, "main.yaml");
  ASSERT_TRUE(flow.ok());
  auto exits = exitsOf(flow->nodes.at("menu"));
  ASSERT_EQ(exits.size(), 4u);
  EXPECT_EQ(exits[0].label, "option '1'");
  EXPECT_EQ(exits[0].target, "sales");
  EXPECT_EQ(exits[0].line, 11);
  EXPECT_EQ(exits[2].label, "next_invalid");
}

}  // namespace
}  // namespace sb::flow
