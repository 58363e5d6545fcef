// Contacts: abandon at every stage, callback, maxWait and overflow, maxLength, joining and
// leaving without agents, announcements, offer/claim.

#include "acd/internal/acd_fixture.h"

namespace sb::acd::testing {
namespace {

TEST_F(AcdTest, AbandonWhileWaiting) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  ContactId c = enqueue(q);
  ASSERT_TRUE(acd.abandon(c).ok());
  EXPECT_EQ(acd.queueView(q)->waiting, 0u);
  EXPECT_EQ(acd.queueView(q)->abandoned, 1u);
  EXPECT_TRUE(port.lefts.empty());
  EXPECT_EQ(acd.abandon(c).error().code, Errc::kNotFound);
  ASSERT_TRUE(acd.ready(a).ok());
  EXPECT_FALSE(ringing(a));
}

TEST_F(AcdTest, AbandonWhileOfferedRetractsAndKeepsTheAgentsPlace) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  advance(seconds(1));
  AgentId b = addAgent("b", {q});
  ContactId c = enqueue(q);
  OfferId o = offerOf(a).id;
  ASSERT_TRUE(acd.abandon(c).ok());
  EXPECT_EQ(port.retracts.back(), std::pair(o, RetractReason::kAbandoned));
  EXPECT_EQ(stateOf(a), AgentState::kReady);
  EXPECT_EQ(acd.agentView(a)->misses, 0);
  enqueue(q);
  EXPECT_TRUE(ringing(a));  // still the longest idle
  EXPECT_FALSE(ringing(b));
}

TEST_F(AcdTest, AbandonAfterAcceptIsANoOp) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  ContactId c = enqueue(q);
  answer(a);
  ASSERT_TRUE(acd.abandon(c).ok());
  EXPECT_EQ(stateOf(a), AgentState::kOnCall);
  EXPECT_EQ(acd.queueView(q)->abandoned, 0u);
  EXPECT_EQ(acd.queueView(q)->answered, 1u);
  ASSERT_TRUE(acd.callEnded(a).ok());
  EXPECT_EQ(port.eventsOf(AcdEventKind::kContactEnded).size(), 1u);
}

TEST_F(AcdTest, WithdrawLeavesWithoutAbandonOrContactLeft) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  ContactId ringingContact = enqueue(q);
  OfferId o = offerOf(a).id;
  ContactId waiting = enqueue(q);  // a is busy ringing: this one waits
  ASSERT_TRUE(acd.withdraw(waiting).ok());
  ASSERT_TRUE(acd.withdraw(ringingContact).ok());
  EXPECT_EQ(port.retracts.back(), std::pair(o, RetractReason::kWithdrawn));
  EXPECT_EQ(stateOf(a), AgentState::kReady);
  EXPECT_EQ(acd.agentView(a)->misses, 0);
  auto v = acd.queueView(q);
  EXPECT_EQ(v->waiting, 0u);
  EXPECT_EQ(v->left, 2u);
  EXPECT_EQ(v->abandoned, 0u);
  EXPECT_TRUE(port.lefts.empty());  // the app asked: no contactLeft back to it
  EXPECT_EQ(port.eventsOf(AcdEventKind::kContactLeft).size(), 2u);
  EXPECT_EQ(acd.withdraw(waiting).error().code, Errc::kNotFound);
  ContactId c = enqueue(q);
  answer(a);
  EXPECT_EQ(acd.withdraw(c).error().code, Errc::kConflict);
  EXPECT_TRUE(acd.checkInvariants().ok());
}

TEST_F(AcdTest, CallbackKeepsItsPlaceAndIsNotAnAbandon) {
  QueueSpec spec = queueSpec("q");
  spec.maxWait = seconds(60);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  ContactId first = enqueue(q);
  advance(seconds(10));
  ContactId second = enqueue(q);
  ASSERT_TRUE(acd.requestCallback(first).ok());
  ASSERT_TRUE(acd.abandon(first).ok());  // the caller's hang-up after choosing a callback
  advance(seconds(90));                  // no maxWait for a callback
  EXPECT_EQ(port.lefts.size(), 1u);
  EXPECT_EQ(port.lefts[0].first, second);
  ASSERT_TRUE(acd.ready(a).ok());
  Offer o = offerOf(a);
  EXPECT_EQ(o.contact, first);
  EXPECT_TRUE(o.callback);
  auto v = acd.queueView(q).value();
  EXPECT_EQ(v.abandoned, 0u);
  EXPECT_EQ(v.callbacksRequested, 1u);
  EXPECT_EQ(v.callbacks, 1u);
}

TEST_F(AcdTest, CallbackWhileRingingIsOfferedAgainAsACallback) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  ContactId c = enqueue(q);
  EXPECT_FALSE(offerOf(a).callback);
  ASSERT_TRUE(acd.requestCallback(c).ok());
  EXPECT_EQ(port.retracts.back().second, RetractReason::kCallbackRequested);
  Offer o = offerOf(a);
  EXPECT_EQ(o.contact, c);
  EXPECT_TRUE(o.callback);
}

TEST_F(AcdTest, MaxWaitLeavesThroughTheFlowExit) {
  QueueSpec spec = queueSpec("q");
  spec.maxWait = seconds(60);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  ContactId c = enqueue(q);
  advance(seconds(59));
  EXPECT_TRUE(port.lefts.empty());
  advance(seconds(1));
  ASSERT_EQ(port.lefts.size(), 1u);
  EXPECT_EQ(port.lefts[0], std::pair(c, LeaveReason::kMaxWait));
  EXPECT_EQ(acd.queueView(q)->left, 1u);
  EXPECT_EQ(acd.queueView(q)->waiting, 0u);
}

TEST_F(AcdTest, MaxWaitWhileRingingWaitsForTheRingToEnd) {
  QueueSpec spec = queueSpec("q");
  spec.maxWait = seconds(10);
  spec.offerTimeout = seconds(20);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  ContactId c = enqueue(q);
  advance(seconds(15));
  EXPECT_TRUE(port.lefts.empty());
  EXPECT_TRUE(ringing(a));
  failOffer(a);
  ASSERT_EQ(port.lefts.size(), 1u);
  EXPECT_EQ(port.lefts[0], std::pair(c, LeaveReason::kMaxWait));
}

TEST_F(AcdTest, OverflowKeepsTheWait) {
  QueueId q2 = addQueue("second");
  QueueSpec first = queueSpec("first");
  first.maxWait = seconds(30);
  first.overflowQueue = q2;
  QueueId q1 = addQueue(first);
  AgentId a1 = addAgent("a1", {q1});
  AgentId a2 = addAgent("a2", {q2});
  ASSERT_TRUE(acd.notReady(a1, "break").ok());
  ASSERT_TRUE(acd.notReady(a2, "break").ok());
  ContactId moved = enqueue(q1);
  advance(seconds(10));
  ContactId local = enqueue(q2);
  advance(seconds(20));
  EXPECT_TRUE(port.lefts.empty());
  auto over = port.eventsOf(AcdEventKind::kContactOverflowed);
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(over[0].fromQueue, q1);
  EXPECT_EQ(over[0].queue, q2);
  EXPECT_EQ(acd.queueView(q2)->waiting, 2u);
  EXPECT_EQ(acd.queueView(q2)->oldestWait, seconds(30));
  EXPECT_EQ(acd.queueView(q1)->overflowed, 1u);
  ASSERT_TRUE(acd.ready(a2).ok());
  EXPECT_EQ(offerOf(a2).contact, moved);  // it has waited longer than `local`
  answerAndHangUp(a2);
  EXPECT_EQ(offerOf(a2).contact, local);
}

TEST_F(AcdTest, OverflowCrossTenantIsRefused) {
  QueueSpec other = queueSpec("other");
  other.tenant = "t2";
  QueueId q2 = addQueue(other);
  QueueSpec spec = queueSpec("q");
  spec.overflowQueue = q2;
  EXPECT_EQ(acd.addQueue(spec).error().code, Errc::kForbidden);
}

TEST_F(AcdTest, MaxLengthRefusesWhenFull) {
  QueueSpec spec = queueSpec("q");
  spec.maxLength = 2;
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  enqueue(q);  // ringing counts as not answered
  enqueue(q);
  auto r = acd.enqueue(contactSpec(q, "t1"));
  EXPECT_EQ(r.error().code, Errc::kOverloaded);
  answer(a);
  EXPECT_TRUE(acd.enqueue(contactSpec(q, "t1")).ok());
}

TEST_F(AcdTest, JoinWhenNoAgents) {
  QueueId strict = addQueue("strict");
  QueueSpec open = queueSpec("open");
  open.joinWhenNoAgents = true;
  QueueId lenient = addQueue(open);
  AgentId a = addAgent("a", {strict, lenient}, {}, "t1", false);
  EXPECT_EQ(acd.enqueue(contactSpec(strict, "t1")).error().code, Errc::kConflict);
  ContactId c = enqueue(lenient);
  ASSERT_TRUE(acd.login(a, false).ok());
  EXPECT_TRUE(acd.enqueue(contactSpec(strict, "t1")).ok());  // not ready still counts as logged in
  ASSERT_TRUE(acd.ready(a).ok());
  EXPECT_EQ(offerOf(a).contact, c);
  EXPECT_EQ(acd.enqueue(contactSpec(77, "t1")).error().code, Errc::kNotFound);
}

TEST_F(AcdTest, LeaveWhenTheLastAgentLogsOut) {
  QueueId leaving = addQueue("leaving");
  QueueSpec stay = queueSpec("staying");
  stay.leaveWhenNoAgents = false;
  QueueId staying = addQueue(stay);
  AgentId a = addAgent("a", {leaving, staying});
  AgentId b = addAgent("b", {leaving});
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  ASSERT_TRUE(acd.notReady(b, "break").ok());
  ContactId gone = enqueue(leaving);
  ContactId kept = enqueue(staying);
  ASSERT_TRUE(acd.logout(b).ok());
  EXPECT_TRUE(port.lefts.empty());
  ASSERT_TRUE(acd.logout(a).ok());
  ASSERT_EQ(port.lefts.size(), 1u);
  EXPECT_EQ(port.lefts[0], std::pair(gone, LeaveReason::kNoAgents));
  EXPECT_EQ(acd.queueView(staying)->waiting, 1u);
  ASSERT_TRUE(acd.login(a).ok());
  EXPECT_EQ(offerOf(a).contact, kept);
}

TEST_F(AcdTest, AnnouncesPositionAndExpectedWait) {
  QueueSpec spec = queueSpec("q");
  spec.announceEvery = seconds(30);
  QueueId q = addQueue(spec);
  AgentId a = addAgent("a", {q});
  enqueue(q);
  answerAndHangUp(a, seconds(120));  // average handle time 120 s
  ASSERT_TRUE(acd.notReady(a, "break").ok());
  ContactId c1 = enqueue(q);
  advance(seconds(10));
  ContactId c2 = enqueue(q);
  advance(seconds(20));
  ASSERT_EQ(port.announces.size(), 1u);
  EXPECT_EQ(port.announces[0], std::tuple(c1, std::size_t{1}, seconds(120)));
  advance(seconds(10));
  ASSERT_EQ(port.announces.size(), 2u);
  EXPECT_EQ(port.announces[1], std::tuple(c2, std::size_t{2}, seconds(240)));
}

TEST_F(AcdTest, ClaimRaceFirstAcceptWinsAndOwns) {
  QueueId q = addQueue("leads");
  std::vector<AgentId> agents;
  for (int i = 0; i < 4; ++i) agents.push_back(addAgent("a" + std::to_string(i), {q}));
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "+8613800000000";
  spec.claim = true;
  spec.claimFanout = 3;
  ContactId c = enqueue(spec);
  ASSERT_EQ(port.live.size(), 3u);
  for (const Offer& o : port.offers) EXPECT_TRUE(o.claim);
  EXPECT_FALSE(ringing(agents[3]));
  answer(agents[1]);
  EXPECT_TRUE(port.live.empty());
  EXPECT_EQ(acd.ownerOf("t1", "+8613800000000"), agents[1]);
  auto owned = port.eventsOf(AcdEventKind::kOwnerAssigned);
  ASSERT_EQ(owned.size(), 1u);
  EXPECT_EQ(owned[0].reason, "claim");
  EXPECT_EQ(stateOf(agents[0]), AgentState::kReady);
  EXPECT_EQ(stateOf(agents[2]), AgentState::kReady);
  // The loser's late accept is refused.
  EXPECT_EQ(acd.offerAccepted(port.offers[0].id).error().code, Errc::kNotFound);
  ASSERT_TRUE(acd.callEnded(agents[1]).ok());
  (void)c;
  // A known customer is not claimed again: owner routing.
  ContactId again = enqueue(spec);
  Offer o = offerOf(agents[1]);
  EXPECT_EQ(o.contact, again);
  EXPECT_FALSE(o.claim);
}

TEST_F(AcdTest, ClaimWithEveryoneMissingIsOfferedAgain) {
  QueueSpec qs = queueSpec("leads");
  qs.missDelay = seconds(5);
  QueueId q = addQueue(qs);
  AgentId a = addAgent("a", {q});
  AgentId b = addAgent("b", {q});
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "new";
  spec.claim = true;
  enqueue(spec);
  failOffer(a);
  EXPECT_TRUE(ringing(b));
  failOffer(b);
  advance(seconds(5));
  // The first agent back gets the claim; the second is not added to a ringing claim.
  ASSERT_EQ(port.live.size(), 1u);
  EXPECT_TRUE(offerOf(a).claim);
}

TEST_F(AcdTest, RemoveQueueSendsItsContactsOut) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  ContactId ringingContact = enqueue(q);
  ContactId waitingContact = enqueue(q);
  ASSERT_TRUE(acd.removeQueue(q).ok());
  EXPECT_EQ(port.retracts.back().second, RetractReason::kQueueRemoved);
  ASSERT_EQ(port.lefts.size(), 2u);
  EXPECT_EQ(port.lefts[0], std::pair(ringingContact, LeaveReason::kQueueRemoved));
  EXPECT_EQ(port.lefts[1], std::pair(waitingContact, LeaveReason::kQueueRemoved));
  EXPECT_EQ(stateOf(a), AgentState::kReady);
  EXPECT_FALSE(acd.findQueue("t1", "q").has_value());
  EXPECT_EQ(acd.queueView(q).error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace sb::acd::testing
