// Replays a real event stream of the demo (340 events, testdata/demo_events.txt, see its README):
// 13 calls — answered with wrap-up, an owner wait that expires, IVR-only refusal, missed offers,
// and the node stopping with calls talking, ringing and queued. Totals checked by hand.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "report/cdr_builder.h"
#include "report/metrics.h"

namespace sb::report {
namespace {

using store::Disposition;

struct Replay {
  CdrBuilder builder{[](std::string_view) { return Thresholds{}; }};
  store::Derived out;
  std::int64_t lastMs = 0;
  std::size_t events = 0;
  // CDRs emitted by the time event `id` was applied, by call.
  std::map<std::uint64_t, std::uint64_t> emittedAt;
};

// Lines are "id time_ms tenant source kind body"; the body (JSON) may contain spaces.
Replay replay() {
  Replay r;
  std::ifstream in(std::string(SB_REPORT_TESTDATA) + "/demo_events.txt");
  EXPECT_TRUE(in.good());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::uint64_t id = 0;
    store::Event e;
    s >> id >> e.timeMs >> e.tenant >> e.source >> e.kind;
    std::getline(s >> std::ws, e.body);
    std::size_t before = r.out.cdrs.size();
    r.builder.apply(1, e, r.out);
    for (std::size_t i = before; i < r.out.cdrs.size(); ++i) r.emittedAt[r.out.cdrs[i].call] = id;
    r.lastMs = e.timeMs;
    ++r.events;
  }
  return r;
}

TEST(DemoReplay, CdrsOfTheDemoRun) {
  Replay r = replay();
  EXPECT_EQ(r.events, 340u);
  EXPECT_EQ(r.builder.malformed(), 0u);
  // Before the stop: IVR-only call 3, calls 1 and 2 once their agents' wrap-up ended, and the
  // six abandons once the ACD reported them.
  EXPECT_EQ(r.out.cdrs.size(), 9u);
  EXPECT_EQ(r.emittedAt[3], 65u);
  EXPECT_EQ(r.emittedAt[1], 135u);  // sim1 wrap_up -> ready
  EXPECT_EQ(r.emittedAt[2], 224u);  // sim3 wrap_up -> ready
  EXPECT_EQ(r.emittedAt[13], 288u);
  EXPECT_EQ(r.builder.openCalls(), 4u);  // 4, 5, 7, 8: ended, agents in wrap-up
  r.builder.interruptAll(r.lastMs, r.out);
  EXPECT_EQ(r.builder.openCalls(), 0u);
  ASSERT_EQ(r.out.cdrs.size(), 13u);

  std::map<std::uint64_t, const store::Cdr*> byCall;
  for (const auto& c : r.out.cdrs) byCall[c.call] = &c;
  ASSERT_EQ(byCall.size(), 13u);
  struct Want {
    Disposition d;
    const char* agent;
    const char* caller;
    const char* side;
    const char* cause;
    std::int64_t waitMs;
    bool isShort;
  };
  const std::map<std::uint64_t, Want> want = {
      {1, {Disposition::kAnswered, "sim1", "13800000010", "agent", "normal", 1035, false}},
      {2, {Disposition::kAnswered, "sim3", "13800000003", "caller", "normal", 18377, false}},
      {3, {Disposition::kSelfService, "", "13800000012", "system", "normal", 0, false}},
      {4, {Disposition::kAnswered, "sim2", "13800000009", "system", "shutdown", 3346, false}},
      {5, {Disposition::kAnswered, "sim5", "13800000011", "system", "shutdown", 1154, false}},
      {6, {Disposition::kInterrupted, "", "13800000007", "system", "shutdown", 8761, false}},
      {7, {Disposition::kAnswered, "sim1", "13800000008", "system", "shutdown", 1475, false}},
      {8, {Disposition::kAnswered, "sim3", "13800000002", "system", "shutdown", 4500, false}},
      {9, {Disposition::kInterrupted, "", "13800000004", "system", "shutdown", 6023, false}},
      {10, {Disposition::kInterrupted, "", "13800000001", "system", "shutdown", 3663, false}},
      {11, {Disposition::kInterrupted, "", "13800000010", "system", "shutdown", 3523, false}},
      {12, {Disposition::kInterrupted, "", "13800000005", "system", "shutdown", 3301, false}},
      {13, {Disposition::kInterrupted, "", "13800000006", "system", "shutdown", 3241, false}},
  };
  int answered = 0, abandoned = 0, selfService = 0, shortAbandons = 0;
  for (const auto& [call, w] : want) {
    SCOPED_TRACE(call);
    const store::Cdr& c = *byCall.at(call);
    EXPECT_EQ(c.disposition, w.d);
    EXPECT_EQ(c.agent, w.agent);
    EXPECT_EQ(c.caller, w.caller);
    EXPECT_EQ(c.hangupSide, w.side);
    EXPECT_EQ(c.hangupCause, w.cause);
    EXPECT_EQ(c.waitMs, w.waitMs);
    EXPECT_EQ(c.shortAbandon, w.isShort);
    EXPECT_EQ(c.tenant, "demo");
    EXPECT_EQ(c.number, "5100");
    EXPECT_EQ(c.queue, call == 3 ? "" : "sales");
    answered += c.disposition == Disposition::kAnswered;
    abandoned += c.disposition == Disposition::kAbandoned;
    selfService += c.disposition == Disposition::kSelfService;
    shortAbandons += c.shortAbandon;
  }
  EXPECT_EQ(answered, 6);
  // The callers still waiting when the demo stopped were cut off by the node, not abandoned.
  EXPECT_EQ(abandoned, 0);
  EXPECT_EQ(selfService, 1);
  EXPECT_EQ(shortAbandons, 0);

  // Wrap-up: ended by wrap_up_end for calls 1 and 2, by the stop for the others.
  EXPECT_EQ(byCall[1]->wrapUpMs, 1796133524995 - 1796133519987);
  EXPECT_EQ(byCall[1]->talkMs, 1796133519987 - 1796133499912);
  EXPECT_EQ(byCall[1]->ivrMs, 1796133498877 - 1796133496261);
  EXPECT_EQ(byCall[2]->wrapUpMs, 1796133530181 - 1796133525178);
  EXPECT_EQ(byCall[7]->wrapUpEndMs, r.lastMs);
  EXPECT_EQ(byCall[3]->ivrMs, 1796133515136 - 1796133512567);
  // Offer legs carry the agent rung; sim4's owner offer failed, the call was abandoned.
  ASSERT_EQ(byCall[12]->legs.size(), 2u);
  EXPECT_EQ(byCall[12]->legs[1].role, "agent");
  EXPECT_EQ(byCall[12]->legs[1].agent, "sim4");
  EXPECT_EQ(byCall[12]->legs[1].cause, "shutdown");
  EXPECT_EQ(byCall[9]->legs[1].agent, "sim6");
  EXPECT_EQ(byCall[2]->legs[1].agent, "sim3");
}

TEST(DemoReplay, AgentIntervalsOfSim1) {
  Replay r = replay();
  r.builder.interruptAll(r.lastMs, r.out);
  std::vector<store::AgentStateInterval> sim1;
  for (const auto& a : r.out.agentStates) {
    EXPECT_GT(a.endMs, a.startMs);
    if (a.agent == "sim1") sim1.push_back(a);
  }
  // login, offer 1, accept, wrap-up, ready, offer 6, accept; the final wrap_up starts at the
  // last event's millisecond, so its interval is empty and not emitted.
  const std::vector<std::pair<const char*, std::int64_t>> want = {
      {"ready", 1796133495656},   {"offered", 1796133498877}, {"on_call", 1796133499912},
      {"wrap_up", 1796133519987}, {"ready", 1796133524995},   {"offered", 1796133527156},
      {"on_call", 1796133528631}};
  ASSERT_EQ(sim1.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(sim1[i].state, want[i].first);
    EXPECT_EQ(sim1[i].startMs, want[i].second);
    EXPECT_EQ(sim1[i].endMs, i + 1 < want.size() ? want[i + 1].second : 1796133535659);
    EXPECT_EQ(sim1[i].tenant, "demo");
  }
  auto figures = agentFigures(r.out.agentStates, 1796133495656, 1796133535659);
  ASSERT_EQ(figures.size(), 6u);
  EXPECT_EQ(figures[0].agent, "sim1");
  // on_call 20075 + 7028, wrap_up 5008; ready 3221 + 2161, offered 1035 + 1475.
  EXPECT_EQ(figures[0].stateMs["on_call"], 20075 + 7028);
  EXPECT_EQ(figures[0].stateMs["wrap_up"], 5008);
  EXPECT_EQ(figures[0].loggedInMs, 1796133535659 - 1796133495656);
  countHandled(r.out.cdrs, figures);
  EXPECT_EQ(figures[0].handled, 2);
}

TEST(DemoReplay, RollUpOfTheDemoIsOneInterval) {
  Replay r = replay();
  r.builder.interruptAll(r.lastMs, r.out);
  auto rows = rollUp(r.out.cdrs);
  ASSERT_EQ(rows.size(), 1u);  // every call was queued in 13:45-14:00 UTC
  const store::IntervalSums& s = rows[0];
  EXPECT_EQ(s.intervalStartMs, 1796132700000);
  EXPECT_EQ(s.queue, "sales");
  EXPECT_EQ(s.offered, 12);  // all but the IVR-only call
  EXPECT_EQ(s.answered, 6);
  EXPECT_EQ(s.abandoned, 0);  // the six still waiting were cut off by the stop: interrupted
  EXPECT_EQ(s.shortAbandoned, 0);
  EXPECT_EQ(s.answeredInSl, 6);
  EXPECT_EQ(s.abandonedInSl, 0);
  EXPECT_EQ(s.maxWaitMs, 18377);
  EXPECT_EQ(s.waitAnsweredMs, 1035 + 18377 + 3346 + 1154 + 1475 + 4500);
  QueueFigures f = queueFigures(s, SlVariant::kAnsweredOverOffered);
  ASSERT_TRUE(f.serviceLevel.value);
  // Interrupted calls stay offered: a call the node cut off was not served in time.
  EXPECT_DOUBLE_EQ(*f.serviceLevel.value, 50.0);  // 6 / (12 - 0 - 0)
}

}  // namespace
}  // namespace sb::report
