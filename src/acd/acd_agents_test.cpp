// The agent state machine: login, no-answer, miss delay, auto not-ready, reject, wrap-up,
// next status, logout while offered or on a call.

#include "acd/internal/acd_fixture.h"

namespace sb::acd::testing {
namespace {

TEST_F(AcdTest, LoginReadyOrNotReady) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q}, {}, "t1", false);
  AgentId b = addAgent("b", {q}, {}, "t1", false);
  EXPECT_EQ(stateOf(a), AgentState::kLoggedOut);
  ASSERT_TRUE(acd.login(a, false).ok());
  EXPECT_EQ(stateOf(a), AgentState::kNotReady);
  EXPECT_EQ(acd.agentView(a)->reason, "login");
  ASSERT_TRUE(acd.login(b, true).ok());
  EXPECT_EQ(stateOf(b), AgentState::kReady);
  EXPECT_EQ(acd.login(b).error().code, Errc::kConflict);
  EXPECT_EQ(acd.ready(999).error().code, Errc::kNotFound);
  auto states = port.eventsOf(AcdEventKind::kAgentState);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].from, AgentState::kLoggedOut);
  EXPECT_EQ(states[0].to, AgentState::kNotReady);
  EXPECT_EQ(states[0].tenant, "t1");
  EXPECT_EQ(states[0].time, clock.now());
}

TEST_F(AcdTest, NoAnswerRetractsAndOffersTheNextAgent) {
  QueueSpec spec = queueSpec("q");
  spec.offerTimeout = seconds(15);
  spec.missDelay = seconds(10);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  AgentId b = addAgent("b", {q});
  ContactId c = enqueue(q);
  OfferId first = offerOf(a).id;
  advance(seconds(15));
  ASSERT_EQ(port.retracts.size(), 1u);
  EXPECT_EQ(port.retracts[0], std::pair(first, RetractReason::kTimeout));
  EXPECT_EQ(offerOf(b).contact, c);
  // a is ready but not offered during its miss delay.
  EXPECT_EQ(stateOf(a), AgentState::kReady);
  EXPECT_EQ(acd.agentView(a)->misses, 1);
  ContactId c2 = enqueue(q);
  EXPECT_FALSE(ringing(a));
  advance(seconds(9));
  EXPECT_FALSE(ringing(a));
  advance(seconds(1));
  EXPECT_EQ(offerOf(a).contact, c2);
  EXPECT_EQ(port.eventsOf(AcdEventKind::kOfferFailed).at(0).reason, "timeout");
}

TEST_F(AcdTest, MaxMissesSetsNotReadyNoAnswer) {
  QueueSpec spec = queueSpec("q");
  spec.maxMisses = 2;
  spec.missDelay = seconds(5);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  enqueue(q);
  failOffer(a);
  EXPECT_EQ(stateOf(a), AgentState::kReady);
  advance(seconds(5));
  failOffer(a);
  EXPECT_EQ(stateOf(a), AgentState::kNotReady);
  EXPECT_EQ(acd.agentView(a)->reason, "no_answer");
  EXPECT_EQ(acd.queueView(q)->waiting, 1u);
  // Back to ready: the count starts over.
  ASSERT_TRUE(acd.ready(a).ok());
  EXPECT_EQ(acd.agentView(a)->misses, 0);
  answer(a);
  EXPECT_EQ(stateOf(a), AgentState::kOnCall);
}

TEST_F(AcdTest, AcceptResetsTheMissCount) {
  QueueSpec spec = queueSpec("q");
  spec.maxMisses = 2;
  spec.missDelay = seconds(0);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  enqueue(q);
  failOffer(a);  // zero delay: offered again at once
  answerAndHangUp(a);
  enqueue(q);
  failOffer(a);
  EXPECT_EQ(stateOf(a), AgentState::kOffered);
}

TEST_F(AcdTest, RejectGoesToTheNextAgentAtOnce) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  AgentId b = addAgent("b", {q});
  ContactId c = enqueue(q);
  failOffer(a, OfferFailure::kRejected);
  EXPECT_EQ(offerOf(b).contact, c);
  EXPECT_EQ(port.eventsOf(AcdEventKind::kOfferFailed).at(0).reason, "rejected");
  EXPECT_TRUE(port.retracts.empty());  // the app reported it: nothing to retract
}

TEST_F(AcdTest, WrapUpEndsOnTimeOrEarly) {
  QueueSpec spec = queueSpec("q");
  spec.wrapUp = seconds(30);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  enqueue(q);
  answerAndHangUp(a, seconds(60));
  EXPECT_EQ(stateOf(a), AgentState::kWrapUp);
  EXPECT_EQ(acd.agentView(a)->talkTime, seconds(60));
  EXPECT_EQ(acd.agentView(a)->callsTaken, 1u);
  ContactId next = enqueue(q);
  advance(seconds(29));
  EXPECT_EQ(stateOf(a), AgentState::kWrapUp);
  advance(seconds(1));
  EXPECT_EQ(offerOf(a).contact, next);
  answerAndHangUp(a);
  EXPECT_EQ(stateOf(a), AgentState::kWrapUp);
  ASSERT_TRUE(acd.wrapUpDone(a).ok());
  EXPECT_EQ(stateOf(a), AgentState::kReady);
  EXPECT_EQ(acd.agentView(a)->reason, "wrap_up_done");
  EXPECT_EQ(acd.wrapUpDone(a).error().code, Errc::kConflict);
  advance(seconds(60));  // the old wrap-up timer is dead
  EXPECT_EQ(stateOf(a), AgentState::kReady);
}

TEST_F(AcdTest, RequestNextWhileBusyAppliesWhenWorkEnds) {
  QueueSpec spec = queueSpec("q");
  spec.wrapUp = seconds(10);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  enqueue(q);
  ASSERT_TRUE(acd.requestNext(a, AgentState::kNotReady, "lunch").ok());
  answer(a);
  EXPECT_EQ(acd.agentView(a)->next, AgentState::kNotReady);
  ASSERT_TRUE(acd.callEnded(a).ok());
  EXPECT_EQ(stateOf(a), AgentState::kWrapUp);
  advance(seconds(10));
  EXPECT_EQ(stateOf(a), AgentState::kNotReady);
  EXPECT_EQ(acd.agentView(a)->reason, "lunch");
  EXPECT_EQ(acd.requestNext(a, AgentState::kOnCall, "").error().code, Errc::kInvalidInput);
}

TEST_F(AcdTest, NotReadyWhileOfferedWaitsForTheOfferToEnd) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  AgentId b = addAgent("b", {q});
  ContactId c = enqueue(q);
  ASSERT_TRUE(acd.notReady(a, "meeting").ok());
  EXPECT_EQ(stateOf(a), AgentState::kOffered);
  failOffer(a, OfferFailure::kRejected);
  EXPECT_EQ(stateOf(a), AgentState::kNotReady);
  EXPECT_EQ(acd.agentView(a)->reason, "meeting");
  EXPECT_EQ(offerOf(b).contact, c);
}

TEST_F(AcdTest, LogoutWhileOfferedRetractsAndReroutes) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  AgentId b = addAgent("b", {q});
  ContactId c = enqueue(q);
  OfferId o = offerOf(a).id;
  ASSERT_TRUE(acd.logout(a).ok());
  EXPECT_EQ(stateOf(a), AgentState::kLoggedOut);
  ASSERT_EQ(port.retracts.size(), 1u);
  EXPECT_EQ(port.retracts[0], std::pair(o, RetractReason::kAgentLoggedOut));
  EXPECT_EQ(offerOf(b).contact, c);
  EXPECT_EQ(acd.offerAccepted(o).error().code, Errc::kNotFound);
}

TEST_F(AcdTest, LogoutWhileOnCallHappensWhenTheCallEnds) {
  QueueSpec spec = queueSpec("q");
  spec.wrapUp = seconds(30);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  enqueue(q);
  answer(a);
  ASSERT_TRUE(acd.logout(a).ok());
  EXPECT_EQ(stateOf(a), AgentState::kOnCall);
  EXPECT_EQ(acd.agentView(a)->next, AgentState::kLoggedOut);
  ASSERT_TRUE(acd.callEnded(a).ok());
  EXPECT_EQ(stateOf(a), AgentState::kLoggedOut);
  EXPECT_EQ(acd.callEnded(a).error().code, Errc::kConflict);
}

TEST_F(AcdTest, ReadyDuringWrapUpEndsIt) {
  QueueSpec spec = queueSpec("q");
  spec.wrapUp = seconds(30);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  enqueue(q);
  answerAndHangUp(a);
  ASSERT_TRUE(acd.notReady(a, "paperwork").ok());
  EXPECT_EQ(stateOf(a), AgentState::kNotReady);
  ASSERT_TRUE(acd.ready(a).ok());
  EXPECT_EQ(stateOf(a), AgentState::kReady);
  advance(seconds(30));
  EXPECT_EQ(stateOf(a), AgentState::kReady);
}

}  // namespace
}  // namespace sb::acd::testing
