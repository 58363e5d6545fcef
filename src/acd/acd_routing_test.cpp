// Strategies, skills and widening, caller priority, cross-queue fairness.

#include <map>

#include "acd/internal/acd_fixture.h"

namespace sb::acd::testing {
namespace {

TEST_F(AcdTest, LongestIdleOffersTheAgentIdleLongest) {
  QueueId q = addQueue("sales");
  AgentId a = addAgent("a", {q});
  advance(seconds(1));
  AgentId b = addAgent("b", {q});
  advance(seconds(1));
  AgentId c = addAgent("c", {q});
  enqueue(q);
  answerAndHangUp(a, seconds(5));  // a is now the most recently idle
  enqueue(q);
  EXPECT_TRUE(ringing(b));
  answerAndHangUp(b);
  enqueue(q);
  EXPECT_TRUE(ringing(c));
  EXPECT_EQ(stateOf(c), AgentState::kOffered);
}

TEST_F(AcdTest, RoundRobinRotatesInJoinOrder) {
  QueueId q = addQueue("rr", Strategy::kRoundRobin);
  AgentId a = addAgent("a", {q});
  AgentId b = addAgent("b", {q});
  AgentId c = addAgent("c", {q});
  std::vector<AgentId> order;
  for (int i = 0; i < 6; ++i) {
    enqueue(q);
    for (AgentId x : {a, b, c}) {
      if (ringing(x)) {
        order.push_back(x);
        answerAndHangUp(x);
      }
    }
  }
  EXPECT_EQ(order, (std::vector<AgentId>{a, b, c, a, b, c}));
}

TEST_F(AcdTest, FewestCallsPrefersTheLeastBusyAgent) {
  QueueId warm = addQueue("warm");
  QueueId q = addQueue("fewest", Strategy::kFewestCalls);
  AgentId a = addAgent("a", {warm, q});
  AgentId b = addAgent("b", {q}, {}, "t1", false);
  // a takes two calls through another queue; b logs in later, so a has been idle longer.
  for (int i = 0; i < 2; ++i) {
    enqueue(warm);
    answerAndHangUp(a);
  }
  advance(seconds(1));
  ASSERT_TRUE(acd.login(b).ok());
  enqueue(q);
  EXPECT_TRUE(ringing(b));
  EXPECT_FALSE(ringing(a));
}

TEST_F(AcdTest, LeastTalkTimePrefersTheAgentWhoTalkedLeast) {
  QueueId q = addQueue("talk", Strategy::kLeastTalkTime);
  AgentId a = addAgent("a", {q});
  AgentId b = addAgent("b", {q});
  enqueue(q);
  answerAndHangUp(a, seconds(100));
  enqueue(q);
  answerAndHangUp(b, seconds(10));
  // a has been idle longer, but talked more.
  enqueue(q);
  EXPECT_TRUE(ringing(b));
  EXPECT_FALSE(ringing(a));
}

TEST_F(AcdTest, RingAllOffersEveryoneAndTheFirstAnswerWins) {
  QueueId q = addQueue("all", Strategy::kRingAll);
  AgentId a = addAgent("a", {q});
  AgentId b = addAgent("b", {q});
  AgentId c = addAgent("c", {q});
  enqueue(q);
  ASSERT_EQ(port.live.size(), 3u);
  answer(b);
  EXPECT_EQ(stateOf(b), AgentState::kOnCall);
  EXPECT_EQ(stateOf(a), AgentState::kReady);
  EXPECT_EQ(stateOf(c), AgentState::kReady);
  EXPECT_TRUE(port.live.empty());
  std::size_t elsewhere = 0;
  for (auto& [id, why] : port.retracts) elsewhere += why == RetractReason::kAnsweredElsewhere;
  EXPECT_EQ(elsewhere, 2u);
  // A late answer to a retracted offer is refused.
  EXPECT_EQ(acd.offerAccepted(port.offers.front().id).error().code, Errc::kNotFound);
}

TEST_F(AcdTest, RandomIsSeededAndSpreadsCalls) {
  auto run = [](std::uint64_t seed) {
    ManualClock manual;
    RecordingPort recorder;
    Acd engine(manual, recorder, seed);
    QueueId q = *engine.addQueue([] {
      QueueSpec s = queueSpec("rand", Strategy::kRandom);
      return s;
    }());
    for (int i = 0; i < 5; ++i) {
      AgentId a = *engine.addAgent({"t1", "a" + std::to_string(i), {}, {}});
      (void)engine.addMember(a, q);
      (void)engine.login(a);
    }
    std::vector<AgentId> picks;
    for (int i = 0; i < 200; ++i) {
      (void)engine.enqueue(contactSpec(q, "t1"));
      const Offer& o = recorder.offers.back();
      picks.push_back(o.agent);
      (void)engine.offerAccepted(o.id);
      (void)engine.callEnded(o.agent);
    }
    EXPECT_TRUE(engine.checkInvariants().ok());
    return picks;
  };
  auto first = run(7);
  EXPECT_EQ(first, run(7));
  EXPECT_NE(first, run(8));
  std::map<AgentId, int> counts;
  for (AgentId a : first) ++counts[a];
  EXPECT_EQ(counts.size(), 5u);
  for (auto& [a, n] : counts) EXPECT_GT(n, 15) << "agent " << a;
}

TEST_F(AcdTest, SkillsPicksTheHighestLevel) {
  QueueSpec spec = queueSpec("tech", Strategy::kSkills);
  spec.requiredSkills = {{"linux", 3}};
  QueueId q = addQueue(spec);
  AgentId low = addAgent("low", {q}, {{"linux", 2}});
  AgentId mid = addAgent("mid", {q}, {{"linux", 5}});
  AgentId high = addAgent("high", {q}, {{"linux", 9}});
  enqueue(q);
  EXPECT_TRUE(ringing(high));
  enqueue(q);
  EXPECT_TRUE(ringing(mid));
  enqueue(q);  // low is below the required level: it waits
  EXPECT_FALSE(ringing(low));
  EXPECT_EQ(acd.queueView(q)->waiting, 3u);
}

TEST_F(AcdTest, EveryStrategyRequiresTheSkills) {
  for (Strategy s : {Strategy::kLongestIdle, Strategy::kRoundRobin, Strategy::kFewestCalls,
                     Strategy::kLeastTalkTime, Strategy::kRingAll, Strategy::kRandom}) {
    QueueSpec spec = queueSpec(std::string(strategyName(s)), s);
    spec.requiredSkills = {{"fr", 4}, {"billing", 2}};
    QueueId q = addQueue(spec);
    std::string n(strategyName(s));
    AgentId none = addAgent(n + "-none", {q});
    AgentId partial = addAgent(n + "-partial", {q}, {{"fr", 5}});
    AgentId weak = addAgent(n + "-weak", {q}, {{"fr", 3}, {"billing", 9}});
    AgentId good = addAgent(n + "-good", {q}, {{"fr", 4}, {"billing", 2}});
    enqueue(q);
    EXPECT_FALSE(ringing(none)) << n;
    EXPECT_FALSE(ringing(partial)) << n;
    EXPECT_FALSE(ringing(weak)) << n;
    EXPECT_TRUE(ringing(good)) << n;
    answerAndHangUp(good);
    for (AgentId a : {none, partial, weak, good}) EXPECT_TRUE(acd.logout(a).ok());
  }
}

TEST_F(AcdTest, WideningLowersTheRequiredLevelOverWaitTime) {
  QueueSpec spec = queueSpec("widen");
  spec.requiredSkills = {{"sales", 8}};
  spec.widening = {{seconds(20), 2}, {seconds(10), 2}};  // sorted by the engine
  QueueId q = addQueue(spec);
  AgentId five = addAgent("five", {q}, {{"sales", 5}});
  AgentId none = addAgent("none", {q});
  enqueue(q);
  advance(seconds(10));  // required 6
  EXPECT_FALSE(ringing(five));
  advance(seconds(9));
  EXPECT_FALSE(ringing(five));
  advance(seconds(1));  // required 4
  EXPECT_TRUE(ringing(five));
  EXPECT_FALSE(ringing(none));
}

TEST_F(AcdTest, FullWideningDropsTheRequirement) {
  QueueSpec spec = queueSpec("drop");
  spec.requiredSkills = {{"de", 3}};
  spec.widening = {{seconds(30), 5}};
  QueueId q = addQueue(spec);
  AgentId none = addAgent("none", {q});
  enqueue(q);
  EXPECT_FALSE(ringing(none));
  advance(seconds(30));
  EXPECT_TRUE(ringing(none));
}

TEST_F(AcdTest, HigherPriorityIsServedFirst) {
  QueueId q = addQueue("prio");
  AgentId a = addAgent("a", {q});
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  ContactId old = enqueue(q, 0);
  advance(seconds(30));
  ContactId vip = enqueue(q, 5);
  ASSERT_TRUE(acd.ready(a).ok());
  EXPECT_EQ(offerOf(a).contact, vip);
  answerAndHangUp(a);
  EXPECT_EQ(offerOf(a).contact, old);
}

TEST_F(AcdTest, AgentInSeveralQueuesTakesTheLongestWeightedWait) {
  QueueId q1 = addQueue("q1");
  QueueSpec s2 = queueSpec("q2");
  s2.weight = 3.0;
  QueueId q2 = addQueue(s2);
  QueueId q3 = addQueue("q3");
  AgentId a = addAgent("a", {q1, q2, q3});
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  ContactId c1 = enqueue(q1);  // waits 30 s x 1
  advance(seconds(10));
  ContactId c3 = enqueue(q3);  // waits 20 s x 1
  advance(seconds(5));
  ContactId c2 = enqueue(q2);  // waits 15 s x 3 = 45
  advance(seconds(15));
  ASSERT_TRUE(acd.ready(a).ok());
  EXPECT_EQ(offerOf(a).contact, c2);
  answerAndHangUp(a);
  EXPECT_EQ(offerOf(a).contact, c1);
  answerAndHangUp(a);
  EXPECT_EQ(offerOf(a).contact, c3);
}

TEST_F(AcdTest, PriorityBeatsWaitAcrossQueues) {
  QueueId q1 = addQueue("q1");
  QueueId q2 = addQueue("q2");
  AgentId a = addAgent("a", {q1, q2});
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  enqueue(q1, 0);
  advance(seconds(100));
  ContactId urgent = enqueue(q2, 1);
  ASSERT_TRUE(acd.ready(a).ok());
  EXPECT_EQ(offerOf(a).contact, urgent);
}

TEST_F(AcdTest, SkillDeficitPerQueueWhenChoosingAcrossQueues) {
  QueueSpec hard = queueSpec("hard");
  hard.requiredSkills = {{"x", 9}};
  QueueId qh = addQueue(hard);
  QueueId qe = addQueue("easy");
  AgentId a = addAgent("a", {qh, qe}, {{"x", 4}});
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  enqueue(qh);  // older, but a is not skilled enough
  advance(seconds(60));
  ContactId easy = enqueue(qe);
  ASSERT_TRUE(acd.ready(a).ok());
  EXPECT_EQ(offerOf(a).contact, easy);
}

TEST(StrategyNames, RoundTrip) {
  for (Strategy s :
       {Strategy::kLongestIdle, Strategy::kRoundRobin, Strategy::kFewestCalls,
        Strategy::kLeastTalkTime, Strategy::kRingAll, Strategy::kRandom, Strategy::kSkills}) {
    EXPECT_EQ(parseStrategy(strategyName(s)), s);
  }
  EXPECT_FALSE(parseStrategy("leastrecent").has_value());
  EXPECT_EQ(agentStateName(AgentState::kWrapUp), "wrap_up");
}

}  // namespace
}  // namespace sb::acd::testing
