#include "flow/run.h"

#include <gtest/gtest.h>

namespace sb::flow {
namespace {

class FakeEnv final : public FlowEnv {
 public:
  std::int64_t unixMs() const override { return nowMs; }
  bool inList(std::string_view list, std::string_view number) const override {
    auto it = lists.find(std::string(list));
    return it != lists.end() && it->second.count(std::string(number));
  }
  std::string tenantName() const override { return "Acme"; }
  std::optional<bool> tenantCalendarOpen(std::string_view name) const override {
    if (name == "always") return true;
    return std::nullopt;
  }

  std::int64_t nowMs = 1780304400000;  // Monday 2026-06-01 09:00 UTC = 17:00 Shanghai
  std::map<std::string, std::set<std::string>> lists;
};

std::shared_ptr<const FlowVersion> versionOf(const std::string& nodes,
                                             const std::string& extra = {}) {
  auto flow = parseFlow("name: t\nstart: a\nnodes:\n" + nodes + extra, "t.yaml");
  EXPECT_TRUE(flow.ok()) << flow.error().message;
  auto v = std::make_shared<FlowVersion>();
  v->tenant = "acme";
  v->version = 1;
  if (flow.ok()) v->definition = std::move(*flow);
  return v;
}

CallFacts facts(std::string caller = "+8613800000001") {
  return CallFacts{"acme", std::move(caller), "4008001234", "call-1"};
}

class RunTest : public ::testing::Test {
 protected:
  FakeEnv env;
};

TEST_F(RunTest, SayWithTemplateThenHangup) {
  FlowRun run(versionOf("  a: {type: say, text: \"Welcome to ${tenant_name}, ${caller}.\", "
                        "voice: \"espeak:en\", next: b}\n  b: {type: hangup, reason: bye}\n"),
              env, facts());
  Action a = run.start();
  ASSERT_NE(a.as<Play>(), nullptr);
  EXPECT_EQ(a.node, "a");
  EXPECT_EQ(a.as<Play>()->prompt.value, "Welcome to Acme, +8613800000001.");
  EXPECT_EQ(a.as<Play>()->prompt.voice, "espeak:en");
  Action h = run.resume(PlayOutcome{});
  ASSERT_NE(h.as<Hangup>(), nullptr);
  EXPECT_EQ(h.as<Hangup>()->reason, "bye");
  EXPECT_EQ(h.node, "b");
  EXPECT_TRUE(run.finished());
  EXPECT_NE(run.resume(PlayOutcome{}).as<Done>(), nullptr);
}

constexpr const char* kMenu =
    "  a:\n"
    "    type: menu\n"
    "    prompt: \"Press 1 for sales\"\n"
    "    invalid_prompt: \"Sorry.\"\n"
    "    timeout_prompt: {file: prompts/nothing.wav}\n"
    "    options: {\"1\": sales, \"2\": support}\n"
    "    retries: 2\n"
    "    var: choice\n"
    "    next_invalid: bad\n"
    "    next_timeout: quiet\n"
    "  sales: {type: hangup, reason: sales}\n"
    "  support: {type: hangup, reason: support}\n"
    "  bad: {type: hangup, reason: invalid}\n"
    "  quiet: {type: hangup, reason: timeout}\n";

TEST_F(RunTest, MenuValidChoice) {
  FlowRun run(versionOf(kMenu), env, facts());
  Action a = run.start();
  const Collect* c = a.as<Collect>();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->prompts.size(), 1u);
  EXPECT_EQ(c->prompts[0].value, "Press 1 for sales");
  EXPECT_EQ(c->maxDigits, 1);
  EXPECT_EQ(c->firstDigitTimeoutMs, 5000);
  EXPECT_FALSE(c->flush);
  Action h = run.resume(CollectOutcome{"2", CollectOutcome::End::kMaxDigits});
  ASSERT_NE(h.as<Hangup>(), nullptr);
  EXPECT_EQ(h.as<Hangup>()->reason, "support");
  EXPECT_EQ(run.vars().at("choice"), "2");
}

TEST_F(RunTest, MenuInvalidRetriesThenExit) {
  FlowRun run(versionOf(kMenu), env, facts());
  run.start();
  for (int retry = 0; retry < 2; ++retry) {
    Action again = run.resume(CollectOutcome{"7", CollectOutcome::End::kMaxDigits});
    const Collect* c = again.as<Collect>();
    ASSERT_NE(c, nullptr) << retry;
    ASSERT_EQ(c->prompts.size(), 2u);
    EXPECT_EQ(c->prompts[0].value, "Sorry.");
    EXPECT_TRUE(c->flush);
  }
  Action h = run.resume(CollectOutcome{"7", CollectOutcome::End::kMaxDigits});
  ASSERT_NE(h.as<Hangup>(), nullptr);
  EXPECT_EQ(h.as<Hangup>()->reason, "invalid");
}

TEST_F(RunTest, MenuTimeoutRetriesThenSucceeds) {
  FlowRun run(versionOf(kMenu), env, facts());
  run.start();
  Action again = run.resume(CollectOutcome{"", CollectOutcome::End::kTimeout});
  ASSERT_NE(again.as<Collect>(), nullptr);
  EXPECT_EQ(again.as<Collect>()->prompts[0].kind, Prompt::Kind::kFile);
  Action h = run.resume(CollectOutcome{"1", CollectOutcome::End::kMaxDigits});
  ASSERT_NE(h.as<Hangup>(), nullptr);
  EXPECT_EQ(h.as<Hangup>()->reason, "sales");
}

TEST_F(RunTest, MenuTimeoutExhausted) {
  FlowRun run(versionOf(kMenu), env, facts());
  run.start();
  run.resume(CollectOutcome{});
  run.resume(CollectOutcome{});
  Action h = run.resume(CollectOutcome{});
  ASSERT_NE(h.as<Hangup>(), nullptr);
  EXPECT_EQ(h.as<Hangup>()->reason, "timeout");
}

TEST_F(RunTest, MenuWithLongOptionsUsesTerminator) {
  FlowRun run(versionOf("  a: {type: menu, options: {\"1\": b, \"10\": b}}\n  b: {type: hangup}\n"),
              env, facts());
  Action a = run.start();
  ASSERT_NE(a.as<Collect>(), nullptr);
  EXPECT_EQ(a.as<Collect>()->maxDigits, 2);
  EXPECT_EQ(a.as<Collect>()->terminator, '#');
}

TEST_F(RunTest, CollectDigitsIntoVariable) {
  FlowRun run(versionOf("  a: {type: collect, prompt: {file: prompts/account.wav}, var: account, "
                        "max_digits: 8, min_digits: 4, terminator: \"#\", timeout: 7, "
                        "inter_digit_timeout: 2, retries: 1, next: b, next_timeout: c}\n"
                        "  b: {type: say, text: \"Account ${account}\", next: d}\n"
                        "  c: {type: hangup, reason: none}\n  d: {type: hangup}\n"),
              env, facts());
  Action a = run.start();
  const Collect* c = a.as<Collect>();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->maxDigits, 8);
  EXPECT_EQ(c->terminator, '#');
  EXPECT_EQ(c->firstDigitTimeoutMs, 7000);
  EXPECT_EQ(c->interDigitTimeoutMs, 2000);
  Action retry = run.resume(CollectOutcome{"12", CollectOutcome::End::kTerminator});
  ASSERT_NE(retry.as<Collect>(), nullptr);  // too few digits: one retry
  EXPECT_TRUE(retry.as<Collect>()->flush);
  Action say = run.resume(CollectOutcome{"123456", CollectOutcome::End::kTerminator});
  ASSERT_NE(say.as<Play>(), nullptr);
  EXPECT_EQ(say.as<Play>()->prompt.value, "Account 123456");
}

TEST_F(RunTest, CollectTimeoutExit) {
  FlowRun run(versionOf("  a: {type: collect, var: v, next: b, next_timeout: c}\n"
                        "  b: {type: hangup, reason: got}\n  c: {type: hangup, reason: none}\n"),
              env, facts());
  run.start();
  Action h = run.resume(CollectOutcome{"", CollectOutcome::End::kTimeout});
  ASSERT_NE(h.as<Hangup>(), nullptr);
  EXPECT_EQ(h.as<Hangup>()->reason, "none");
  EXPECT_EQ(run.vars().at("v"), "");
}

constexpr const char* kBranches =
    "  a:\n"
    "    type: branch\n"
    "    conditions:\n"
    "      - {if: {in_list: blacklist}, next: blocked}\n"
    "      - {if: {caller: \"+8613800000009\"}, next: exact}\n"
    "      - {if: {all: [{caller_prefix: \"+1\"}, {dialled_prefix: \"400\"}]}, next: us}\n"
    "      - {if: {time_in: office}, next: open}\n"
    "    else: closed\n"
    "  blocked: {type: hangup, reason: blocked}\n"
    "  exact: {type: hangup, reason: exact}\n"
    "  us: {type: hangup, reason: us}\n"
    "  open: {type: hangup, reason: open}\n"
    "  closed: {type: hangup, reason: closed}\n"
    "calendars:\n"
    "  office: {timezone: Asia/Shanghai, weekly: {mon-fri: \"09:00-18:00\"}}\n";

std::string reasonOf(const Action& a) {
  return a.as<Hangup>() ? a.as<Hangup>()->reason : "?";
}

TEST_F(RunTest, BranchOnListCallerPrefixAndTime) {
  auto v = versionOf(kBranches);
  env.lists["blacklist"] = {"+8613800000666"};
  EXPECT_EQ(reasonOf(FlowRun(v, env, facts("+8613800000666")).start()), "blocked");
  EXPECT_EQ(reasonOf(FlowRun(v, env, facts("+8613800000009")).start()), "exact");
  EXPECT_EQ(reasonOf(FlowRun(v, env, facts("+12125550100")).start()), "us");
  EXPECT_EQ(reasonOf(FlowRun(v, env, facts()).start()), "open");  // 17:00 Shanghai
  env.nowMs += 3600000;                                           // 18:00 Shanghai
  EXPECT_EQ(reasonOf(FlowRun(v, env, facts()).start()), "closed");
}

TEST_F(RunTest, BranchStepsAreRecorded) {
  FlowRun run(versionOf(kBranches), env, facts());
  run.start();
  auto steps = run.takeSteps();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].node, "a");
  EXPECT_EQ(steps[0].type, NodeType::kBranch);
  EXPECT_EQ(steps[0].detail, "condition 4");
  EXPECT_EQ(steps[1].node, "open");
  EXPECT_TRUE(run.takeSteps().empty());
  EXPECT_EQ(run.lastNode(), "open");
}

TEST_F(RunTest, SetWithTemplatesAndVarConditions) {
  FlowRun run(
      versionOf("  a: {type: set, var: greeting, value: \"Hi ${name} from ${tenant_name}\", "
                "next: b}\n"
                "  b:\n    type: branch\n    conditions:\n"
                "      - {if: {var: greeting, equals: \"Hi ${name} from Acme\"}, next: c}\n"
                "    else: x\n"
                "  c:\n    type: branch\n    conditions:\n"
                "      - {if: {any: [{var: nothing, exists: true}, {var: name, not_equals: "
                "Lin}]}, next: x}\n"
                "      - {if: {not: {var: missing, exists: true}}, next: y}\n"
                "    else: x\n"
                "  x: {type: hangup, reason: x}\n  y: {type: hangup, reason: y}\n",
                "variables: {name: Lin}\n"),
      env, facts());
  EXPECT_EQ(reasonOf(run.start()), "y");
  EXPECT_EQ(run.vars().at("greeting"), "Hi Lin from Acme");
}

constexpr const char* kLookup =
    "  a: {type: lookup, next: b, next_not_found: n, next_error: e}\n"
    "  b:\n    type: branch\n    conditions:\n"
    "      - {if: {var: customer.found, equals: \"true\"}, next: q}\n"
    "    else: n\n"
    "  q: {type: queue, queue: sales, owner_wait: 15, priority: \"${prio}\", claim: true, "
    "max_wait: 120, next: n}\n"
    "  n: {type: hangup, reason: unknown}\n  e: {type: hangup, reason: error}\n";

TEST_F(RunTest, LookupResultIntoVariablesAndOwnerQueue) {
  FlowRun run(versionOf(kLookup, "variables: {prio: \"7\"}\n"), env, facts());
  Action a = run.start();
  ASSERT_NE(a.as<Lookup>(), nullptr);
  EXPECT_EQ(a.as<Lookup>()->key, "+8613800000001");
  Action q = run.resume(LookupOutcome{true,
                                      false,
                                      {{"name", "Li Lei"},
                                       {"owner", "agent7"},
                                       {"id", "c42"},
                                       {"level", "gold"},
                                       {"bad key", "dropped"}}});
  EXPECT_EQ(run.vars().at("customer.found"), "true");
  EXPECT_EQ(run.vars().at("customer.name"), "Li Lei");
  EXPECT_EQ(run.vars().at("customer.level"), "gold");
  EXPECT_EQ(run.vars().count("customer.bad key"), 0u);
  const Queue* qa = q.as<Queue>();
  ASSERT_NE(qa, nullptr);
  EXPECT_EQ(qa->queue, "sales");
  EXPECT_EQ(qa->ownerAgent, "agent7");
  EXPECT_EQ(qa->ownerWaitS, 15);
  EXPECT_EQ(qa->customerId, "c42");
  EXPECT_EQ(qa->priority, 7);
  EXPECT_TRUE(qa->claim);
  EXPECT_EQ(qa->maxWaitS, 120);
  Action d = run.resume(QueueOutcome{QueueOutcome::Kind::kAnswered, "agent7"});
  ASSERT_NE(d.as<Done>(), nullptr);
  EXPECT_EQ(d.as<Done>()->reason, "answered by agent agent7");
  EXPECT_TRUE(run.finished());
}

TEST_F(RunTest, LookupNotFoundAndFailed) {
  auto v = versionOf(kLookup);
  FlowRun miss(v, env, facts());
  miss.start();
  EXPECT_EQ(reasonOf(miss.resume(LookupOutcome{false, false, {}})), "unknown");
  EXPECT_EQ(miss.vars().at("customer.found"), "false");
  FlowRun broken(v, env, facts());
  broken.start();
  EXPECT_EQ(reasonOf(broken.resume(LookupOutcome{false, true, {}})), "error");
}

constexpr const char* kHttp =
    "  a: {type: http, method: POST, url: \"https://crm.example/acc/${caller}\", "
    "headers: {Authorization: \"Bearer ${token}\"}, body: '{\"n\":\"${caller}\"}', "
    "timeout_ms: 2000, result_var: acc, next: b, next_error: e}\n"
    "  b: {type: say, text: \"Status ${acc.status}, tier ${acc.plan.tier}\", next: z}\n"
    "  e: {type: hangup, reason: \"${acc.error}\"}\n  z: {type: hangup}\n";

TEST_F(RunTest, HttpSuccessFlattensJson) {
  FlowRun run(versionOf(kHttp, "variables: {token: s3cret}\n"), env, facts("123"));
  Action a = run.start();
  const Http* h = a.as<Http>();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->method, "POST");
  EXPECT_EQ(h->url, "https://crm.example/acc/123");
  EXPECT_EQ(h->headers.at("Authorization"), "Bearer s3cret");
  EXPECT_EQ(h->body, "{\"n\":\"123\"}");
  EXPECT_EQ(h->timeoutMs, 2000);
  Action say = run.resume(HttpOutcome{
      200, R"({"status":"active","balance":12.5,"vip":true,"plan":{"tier":"gold"},"tags":[1]})",
      HttpOutcome::Error::kNone});
  ASSERT_NE(say.as<Play>(), nullptr);
  EXPECT_EQ(say.as<Play>()->prompt.value, "Status active, tier gold");
  EXPECT_EQ(run.vars().at("acc.balance"), "12.5");
  EXPECT_EQ(run.vars().at("acc.vip"), "true");
  EXPECT_EQ(run.vars().at("acc.http_status"), "200");
  EXPECT_EQ(run.vars().count("acc.tags"), 0u);
}

TEST_F(RunTest, HttpErrorsTakeTheErrorExit) {
  auto v = versionOf(kHttp);
  FlowRun timeout(v, env, facts());
  timeout.start();
  EXPECT_EQ(reasonOf(timeout.resume(HttpOutcome{0, "", HttpOutcome::Error::kTimeout})), "timeout");
  FlowRun status(v, env, facts());
  status.start();
  EXPECT_EQ(reasonOf(status.resume(HttpOutcome{503, "down", HttpOutcome::Error::kNone})),
            "status 503");
  FlowRun notJson(v, env, facts());
  notJson.start();
  ASSERT_NE(notJson.resume(HttpOutcome{200, "plain", HttpOutcome::Error::kNone}).as<Play>(),
            nullptr);
  EXPECT_EQ(notJson.vars().at("acc.body"), "plain");
}

constexpr const char* kQueue =
    "  a: {type: queue, queue: sales, next_timeout: t, next_no_agents: n, next_full: f}\n"
    "  t: {type: voicemail, prompt: \"Leave a message\", max_seconds: 30, mailbox: "
    "\"sales-${dialled}\", next: z}\n"
    "  n: {type: callback, prompt: \"We will call you\", queue: sales, next: z, next_failed: f}\n"
    "  f: {type: hangup, reason: full}\n  z: {type: hangup, reason: end}\n";

TEST_F(RunTest, QueueTimeoutToVoicemail) {
  FlowRun run(versionOf(kQueue), env, facts());
  run.start();
  Action vm = run.resume(QueueOutcome{QueueOutcome::Kind::kTimeout, ""});
  const Voicemail* v = vm.as<Voicemail>();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->maxSeconds, 30);
  EXPECT_EQ(v->mailbox, "sales-4008001234");
  EXPECT_EQ(v->prompt.value, "Leave a message");
  EXPECT_EQ(reasonOf(run.resume(VoicemailOutcome{true, "/rec/vm1.wav"})), "end");
  EXPECT_EQ(run.vars().at("voicemail.path"), "/rec/vm1.wav");
  EXPECT_EQ(run.vars().at("queue.result"), "timeout");
}

TEST_F(RunTest, QueueNoAgentsToCallback) {
  FlowRun run(versionOf(kQueue), env, facts());
  run.start();
  Action cb = run.resume(QueueOutcome{QueueOutcome::Kind::kNoAgents, ""});
  const Callback* c = cb.as<Callback>();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->queue, "sales");
  EXPECT_EQ(c->number, "+8613800000001");
  EXPECT_EQ(c->prompt.value, "We will call you");
  EXPECT_EQ(reasonOf(run.resume(CallbackOutcome{true})), "end");
}

TEST_F(RunTest, QueueFullAndCallbackRefused) {
  auto v = versionOf(kQueue);
  FlowRun full(v, env, facts());
  full.start();
  EXPECT_EQ(reasonOf(full.resume(QueueOutcome{QueueOutcome::Kind::kFull, ""})), "full");
  FlowRun refused(v, env, facts());
  refused.start();
  refused.resume(QueueOutcome{QueueOutcome::Kind::kNoAgents, ""});
  EXPECT_EQ(reasonOf(refused.resume(CallbackOutcome{false})), "full");
  FlowRun abandoned(v, env, facts());
  abandoned.start();
  Action d = abandoned.resume(QueueOutcome{QueueOutcome::Kind::kAbandoned, ""});
  ASSERT_NE(d.as<Done>(), nullptr);
  EXPECT_EQ(d.as<Done>()->reason, "caller hung up");
}

TEST_F(RunTest, TransferSuccessAndFailureExit) {
  auto v = versionOf(
      "  a: {type: transfer, to: {number: \"+86${caller}\"}, next_failed: b}\n"
      "  b: {type: transfer, to: {extension: \"1002\"}}\n");
  FlowRun ok(v, env, facts("1380"));
  Action t = ok.start();
  ASSERT_NE(t.as<Transfer>(), nullptr);
  EXPECT_EQ(t.as<Transfer>()->kind, TransferKind::kNumber);
  EXPECT_EQ(t.as<Transfer>()->target, "+861380");
  EXPECT_NE(ok.resume(TransferOutcome{true}).as<Done>(), nullptr);

  FlowRun failing(v, env, facts());
  failing.start();
  Action second = failing.resume(TransferOutcome{false});
  ASSERT_NE(second.as<Transfer>(), nullptr);
  EXPECT_EQ(second.as<Transfer>()->kind, TransferKind::kExtension);
  Action h = failing.resume(TransferOutcome{false});
  EXPECT_EQ(reasonOf(h), "transfer failed");
}

TEST_F(RunTest, CallerHangsUpAtAnyStep) {
  auto v = versionOf(std::string(kMenu));
  for (int steps = 0; steps < 3; ++steps) {
    FlowRun run(v, env, facts());
    run.start();
    for (int i = 0; i < steps; ++i)
      run.resume(CollectOutcome{"9", CollectOutcome::End::kMaxDigits});
    Action d = run.resume(CallerHungUp{});
    ASSERT_NE(d.as<Done>(), nullptr) << steps;
    EXPECT_EQ(d.as<Done>()->reason, "caller hung up");
    EXPECT_EQ(d.node, "a");
    EXPECT_TRUE(run.finished());
    auto recorded = run.takeSteps();
    EXPECT_EQ(recorded.back().detail, "caller hung up");
  }
  for (const char* nodes : {kQueue, kHttp, kLookup}) {
    FlowRun run(versionOf(nodes), env, facts());
    run.start();
    EXPECT_NE(run.resume(CallerHungUp{}).as<Done>(), nullptr);
  }
}

TEST_F(RunTest, WrongOutcomeHangsUpWithFlowError) {
  FlowRun run(versionOf(kMenu), env, facts());
  run.start();
  Action h = run.resume(PlayOutcome{});
  ASSERT_NE(h.as<Hangup>(), nullptr);
  EXPECT_EQ(h.as<Hangup>()->reason, "flow error: unexpected outcome for a menu node");
}

TEST_F(RunTest, StepBudgetStopsInternalLoops) {
  // Validation rejects this flow; the interpreter must still not spin.
  FlowRun run(versionOf("  a: {type: set, var: x, value: \"${x}1\", next: b}\n"
                        "  b: {type: branch, conditions: [{if: {var: x, equals: never}, next: a}], "
                        "else: a}\n"),
              env, facts());
  Action h = run.start();
  ASSERT_NE(h.as<Hangup>(), nullptr);
  EXPECT_EQ(h.as<Hangup>()->reason, "flow loop");
  EXPECT_TRUE(run.finished());
  EXPECT_EQ(run.takeSteps().size(), static_cast<std::size_t>(kStepBudget));
}

TEST_F(RunTest, ActionBudgetStopsPromptLoops) {
  FlowRun run(versionOf("  a: {type: say, text: again, next: a}\n"), env, facts());
  Action a = run.start();
  int plays = 0;
  while (a.as<Play>()) {
    ++plays;
    a = run.resume(PlayOutcome{});
  }
  EXPECT_EQ(plays, kActionBudget);
  EXPECT_EQ(reasonOf(a), "flow loop");
}

TEST_F(RunTest, TenantCalendarThroughEnv) {
  FlowRun run(versionOf("  a: {type: branch, conditions: [{if: {time_in: always}, next: y}, "
                        "{if: {time_in: unknown}, next: x}], else: x}\n"
                        "  x: {type: hangup, reason: x}\n  y: {type: hangup, reason: y}\n"),
              env, facts());
  EXPECT_EQ(reasonOf(run.start()), "y");
}

TEST_F(RunTest, RunKeepsItsVersionAlive) {
  auto v = versionOf("  a: {type: say, text: one, next: b}\n  b: {type: hangup}\n");
  std::weak_ptr<const FlowVersion> weak = v;
  FlowRun run(std::move(v), env, facts());
  run.start();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(run.flow().version, 1u);
  EXPECT_NE(run.resume(PlayOutcome{false}).as<Hangup>(), nullptr);
}

}  // namespace
}  // namespace sb::flow
