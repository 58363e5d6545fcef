// Tenancy (shared seats, cross-tenant refusals), owner routing and its fallbacks, and R5:
// removing an agent keeps its customers with the tenant.

#include "acd/internal/acd_fixture.h"

namespace sb::acd::testing {
namespace {

TEST_F(AcdTest, NamesAreUniquePerTenantAndFindable) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  EXPECT_EQ(acd.findAgent("t1", "a"), a);
  EXPECT_EQ(acd.findQueue("t1", "q"), q);
  EXPECT_FALSE(acd.findAgent("t2", "a").has_value());
  EXPECT_EQ(acd.addQueue(queueSpec("q")).error().code, Errc::kConflict);
  EXPECT_EQ(acd.addAgent({"t1", "a", {}, {}}).error().code, Errc::kConflict);
  EXPECT_TRUE(acd.addAgent({"t2", "a", {}, {}}).ok());
  EXPECT_EQ(acd.addAgent({"t1", "bad", {}, {{"x", 11}}}).error().code, Errc::kInvalidInput);
  EXPECT_EQ(acd.addMember(a, q).error().code, Errc::kConflict);
  EXPECT_EQ(acd.skill("x"), acd.skill("x"));
}

TEST_F(AcdTest, CrossTenantMembershipAndContactsAreForbidden) {
  QueueId q1 = addQueue("q");
  QueueSpec other = queueSpec("q");
  other.tenant = "t2";
  QueueId q2 = addQueue(other);
  AgentId a = addAgent("a", {q1});
  EXPECT_EQ(acd.addMember(a, q2).error().code, Errc::kForbidden);
  EXPECT_EQ(acd.enqueue(contactSpec(q1, "t2")).error().code, Errc::kForbidden);
  EXPECT_EQ(acd.enqueue(contactSpec(q1, "nobody")).error().code, Errc::kForbidden);
  (void)acd.addAgent({"t2", "b", {}, {}});
  EXPECT_EQ(acd.setOwner("t2", "cust", a).error().code, Errc::kForbidden);
}

TEST_F(AcdTest, SharedSeatServesSeveralTenantsWithTheTenantOnTheOffer) {
  QueueId q1 = addQueue("q");
  QueueSpec other = queueSpec("q");
  other.tenant = "t2";
  QueueId q2 = addQueue(other);
  AgentId shared = *acd.addAgent({"t1", "shared", {"t2"}, {}});
  ASSERT_TRUE(acd.addMember(shared, q1).ok());
  ASSERT_TRUE(acd.addMember(shared, q2).ok());
  ASSERT_TRUE(acd.login(shared).ok());
  enqueue(contactSpec(q2, "t2"));
  Offer o = offerOf(shared);
  EXPECT_EQ(o.tenant, "t2");
  EXPECT_EQ(o.queue, q2);
  answerAndHangUp(shared);
  enqueue(q1);
  EXPECT_EQ(offerOf(shared).tenant, "t1");
  EXPECT_EQ(acd.agentView(shared)->tenants, (std::vector<std::string>{"t1", "t2"}));
}

TEST_F(AcdTest, OwnerIsOfferedEvenWhenNotLongestIdle) {
  QueueId q = addQueue("q");
  AgentId other = addAgent("other", {q});
  advance(seconds(5));
  AgentId owner = addAgent("owner", {q});
  ASSERT_TRUE(acd.setOwner("t1", "c-1", owner).ok());
  EXPECT_EQ(acd.ownerOf("t1", "c-1"), owner);
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "c-1";
  spec.ownerWait = seconds(30);
  enqueue(spec);
  EXPECT_TRUE(ringing(owner));
  EXPECT_FALSE(ringing(other));
}

TEST_F(AcdTest, OwnerRoutingWaitsForABusyOwner) {
  QueueId q = addQueue("q");
  AgentId owner = addAgent("owner", {q});
  AgentId other = addAgent("other", {q});
  ASSERT_TRUE(acd.setOwner("t1", "c-1", owner).ok());
  enqueue(q);
  answer(owner);  // owner busy; `other` stays ready
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "c-1";
  spec.ownerWait = seconds(30);
  ContactId c = enqueue(spec);
  EXPECT_FALSE(ringing(other));
  advance(seconds(20));
  ASSERT_TRUE(acd.callEnded(owner).ok());
  EXPECT_EQ(offerOf(owner).contact, c);
  EXPECT_FALSE(ringing(other));
}

TEST_F(AcdTest, OwnerWaitExpiresToTheQueue) {
  QueueId q = addQueue("q");
  AgentId owner = addAgent("owner", {q});
  AgentId other = addAgent("other", {q});
  ASSERT_TRUE(acd.setOwner("t1", "c-1", owner).ok());
  ASSERT_TRUE(acd.notReady(owner, "break").ok());
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "c-1";
  spec.ownerWait = seconds(30);
  ContactId c = enqueue(spec);
  advance(seconds(29));
  EXPECT_FALSE(ringing(other));
  advance(seconds(1));
  EXPECT_EQ(offerOf(other).contact, c);
  auto queued = port.eventsOf(AcdEventKind::kContactQueued);
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].reason, "owner_wait");
  EXPECT_EQ(queued[1].reason, "owner_wait_expired");
}

TEST_F(AcdTest, OwnerLoggedOutFallsBackAtOnce) {
  QueueId q = addQueue("q");
  AgentId owner = addAgent("owner", {q});
  AgentId other = addAgent("other", {q});
  ASSERT_TRUE(acd.setOwner("t1", "c-1", owner).ok());
  ASSERT_TRUE(acd.logout(owner).ok());
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "c-1";
  spec.ownerWait = seconds(30);
  ContactId c = enqueue(spec);
  EXPECT_EQ(offerOf(other).contact, c);
}

TEST_F(AcdTest, OwnerLoggingOutDuringTheWaitFallsBack) {
  QueueId q = addQueue("q");
  AgentId owner = addAgent("owner", {q});
  AgentId other = addAgent("other", {q});
  ASSERT_TRUE(acd.setOwner("t1", "c-1", owner).ok());
  ASSERT_TRUE(acd.notReady(owner, "break").ok());
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "c-1";
  spec.ownerWait = seconds(60);
  ContactId c = enqueue(spec);
  EXPECT_FALSE(ringing(other));
  ASSERT_TRUE(acd.logout(owner).ok());
  EXPECT_EQ(offerOf(other).contact, c);
}

TEST_F(AcdTest, OwnerMissFallsBackToTheQueue) {
  QueueId q = addQueue("q");
  AgentId owner = addAgent("owner", {q});
  AgentId other = addAgent("other", {q});
  ASSERT_TRUE(acd.setOwner("t1", "c-1", owner).ok());
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "c-1";
  spec.ownerWait = seconds(60);
  ContactId c = enqueue(spec);
  failOffer(owner);
  EXPECT_EQ(offerOf(other).contact, c);
}

TEST_F(AcdTest, OwnerOutsideTheQueueIsStillOffered) {
  QueueId q = addQueue("q");
  QueueId elsewhere = addQueue("elsewhere");
  AgentId owner = addAgent("owner", {elsewhere});
  ASSERT_TRUE(acd.setOwner("t1", "c-1", owner).ok());
  ContactSpec spec = contactSpec(q, "t1");
  spec.customer = "c-1";
  spec.ownerWait = seconds(10);
  ContactId c = enqueue(spec);  // no member of q is logged in, but the owner is
  EXPECT_EQ(offerOf(owner).contact, c);
}

TEST_F(AcdTest, RemoveAgentReassignsOwnedCustomersWithinEachTenant) {
  QueueId q = addQueue("q");
  AgentId leaving = *acd.addAgent({"t1", "leaving", {"t2"}, {}});
  AgentId y = addAgent("y", {q});
  AgentId z = addAgent("z", {q});
  AgentId t2agent = *acd.addAgent({"t2", "w", {}, {}});
  ASSERT_TRUE(acd.setOwner("t1", "old", y).ok());
  for (const char* c : {"c1", "c2", "c3", "c4"}) ASSERT_TRUE(acd.setOwner("t1", c, leaving).ok());
  ASSERT_TRUE(acd.setOwner("t2", "x1", leaving).ok());
  ASSERT_TRUE(acd.addMember(leaving, q).ok());
  ASSERT_TRUE(acd.login(leaving).ok());
  std::size_t before = port.eventsOf(AcdEventKind::kOwnerReassigned).size();
  ASSERT_TRUE(acd.removeAgent(leaving).ok());
  auto moved = port.eventsOf(AcdEventKind::kOwnerReassigned);
  EXPECT_EQ(moved.size() - before, 5u);
  EXPECT_EQ(acd.agentView(y)->ownedCustomers, 3u);  // 1 + 2
  EXPECT_EQ(acd.agentView(z)->ownedCustomers, 2u);  // z had fewest, so it went first
  EXPECT_EQ(acd.ownerOf("t1", "c1"), z);
  EXPECT_EQ(acd.ownerOf("t2", "x1"), t2agent);
  for (const AcdEvent& e : moved) EXPECT_EQ(e.previousAgent, leaving);
  EXPECT_FALSE(acd.findAgent("t1", "leaving").has_value());
  EXPECT_EQ(acd.agentView(leaving).error().code, Errc::kNotFound);
  EXPECT_EQ(acd.login(leaving).error().code, Errc::kNotFound);
}

TEST_F(AcdTest, RemoveAgentOnACallIsRefusedAndLastAgentLeavesCustomersUnowned) {
  QueueId q = addQueue("q");
  AgentId a = addAgent("a", {q});
  ASSERT_TRUE(acd.setOwner("t1", "c", a).ok());
  enqueue(q);
  answer(a);
  EXPECT_EQ(acd.removeAgent(a).error().code, Errc::kConflict);
  ASSERT_TRUE(acd.callEnded(a).ok());
  ASSERT_TRUE(acd.removeAgent(a).ok());
  EXPECT_FALSE(acd.ownerOf("t1", "c").has_value());
  auto moved = port.eventsOf(AcdEventKind::kOwnerReassigned);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].agent, 0u);
}

}  // namespace
}  // namespace sb::acd::testing
