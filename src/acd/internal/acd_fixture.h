#pragma once
// Test support for acd *_test.cpp: a recording AcdPort and a fixture with a manual clock.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "acd/acd.h"

namespace sb::acd::testing {

using std::chrono::seconds;

/// Records every port call and keeps the set of offers still ringing.
class RecordingPort : public AcdPort {
 public:
  void offer(const Offer& o) override {
    offers.push_back(o);
    live.insert(o.id);
  }
  void retract(OfferId id, RetractReason reason) override {
    retracts.emplace_back(id, reason);
    live.erase(id);
  }
  void contactLeft(ContactId id, LeaveReason reason) override { lefts.emplace_back(id, reason); }
  void announce(ContactId id, std::size_t position, seconds wait) override {
    announces.emplace_back(id, position, wait);
  }
  void onEvent(const AcdEvent& e) override { events.push_back(e); }

  /// Offers made to `agent` that are still ringing.
  std::vector<Offer> liveFor(AgentId agent) const {
    std::vector<Offer> out;
    for (const Offer& o : offers) {
      if (o.agent == agent && live.count(o.id)) out.push_back(o);
    }
    return out;
  }
  /// Events of one kind.
  std::vector<AcdEvent> eventsOf(AcdEventKind kind) const {
    std::vector<AcdEvent> out;
    for (const AcdEvent& e : events) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

  std::vector<Offer> offers;
  std::set<OfferId> live;
  std::vector<std::pair<OfferId, RetractReason>> retracts;
  std::vector<std::pair<ContactId, LeaveReason>> lefts;
  std::vector<std::tuple<ContactId, std::size_t, seconds>> announces;
  std::vector<AcdEvent> events;
};

/// One tenant "t1" by default; wrap-up 0 unless a test sets it, so agents return at once.
class AcdTest : public ::testing::Test {
 protected:
  void TearDown() override {
    auto r = acd.checkInvariants();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  }

  static QueueSpec queueSpec(std::string name, Strategy strategy = Strategy::kLongestIdle) {
    QueueSpec q;
    q.tenant = "t1";
    q.name = std::move(name);
    q.strategy = strategy;
    q.wrapUp = seconds(0);
    return q;
  }
  QueueId addQueue(QueueSpec spec) {
    auto r = acd.addQueue(std::move(spec));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : 0;
  }
  QueueId addQueue(std::string name, Strategy strategy = Strategy::kLongestIdle) {
    return addQueue(queueSpec(std::move(name), strategy));
  }
  /// Adds an agent of "t1" (or `tenant`), member of `queues`, logged in ready.
  AgentId addAgent(std::string name, std::vector<QueueId> queues,
                   std::vector<std::pair<std::string, int>> skills = {}, std::string tenant = "t1",
                   bool login = true) {
    AgentSpec spec{std::move(tenant), std::move(name), {}, std::move(skills)};
    auto r = acd.addAgent(std::move(spec));
    EXPECT_TRUE(r.ok());
    for (QueueId q : queues) EXPECT_TRUE(acd.addMember(*r, q).ok());
    if (login) {
      EXPECT_TRUE(acd.login(*r).ok());
    }
    return *r;
  }
  static ContactSpec contactSpec(QueueId queue, std::string tenant = "t1") {
    ContactSpec spec;
    spec.tenant = std::move(tenant);
    spec.queue = queue;
    return spec;
  }
  ContactId enqueue(QueueId queue, int priority = 0, std::string customer = {}) {
    ContactSpec spec = contactSpec(queue);
    spec.priority = priority;
    spec.customer = std::move(customer);
    return enqueue(std::move(spec));
  }
  ContactId enqueue(ContactSpec spec) {
    auto r = acd.enqueue(std::move(spec));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : 0;
  }
  /// Moves time forward deadline by deadline, running what is due at each.
  void advance(Duration d) {
    TimePoint target = clock.now() + d;
    for (auto next = acd.nextDeadline(); next && *next <= target; next = acd.nextDeadline()) {
      if (*next > clock.now()) clock.advance(*next - clock.now());
      acd.runDue();
    }
    clock.advance(target - clock.now());
    acd.runDue();
  }
  AgentState stateOf(AgentId a) { return acd.agentView(a)->state; }
  /// The one offer ringing `agent`; fails the test if there is not exactly one.
  Offer offerOf(AgentId agent) {
    auto live = port.liveFor(agent);
    EXPECT_EQ(live.size(), 1u) << "agent " << agent;
    return live.empty() ? Offer{} : live.front();
  }
  bool ringing(AgentId agent) { return !port.liveFor(agent).empty(); }
  /// The agent answers its offer, then (optionally after `talk`) hangs up.
  void answer(AgentId agent) {
    Offer o = offerOf(agent);
    port.live.erase(o.id);
    EXPECT_TRUE(acd.offerAccepted(o.id).ok());
  }
  void answerAndHangUp(AgentId agent, Duration talk = seconds(0)) {
    answer(agent);
    advance(talk);
    EXPECT_TRUE(acd.callEnded(agent).ok());
  }
  void failOffer(AgentId agent, OfferFailure f = OfferFailure::kNoAnswer) {
    Offer o = offerOf(agent);
    port.live.erase(o.id);
    EXPECT_TRUE(acd.offerFailed(o.id, f).ok());
  }
  void expectInvariants() {
    auto r = acd.checkInvariants();
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  ManualClock clock;
  RecordingPort port;
  Acd acd{clock, port, 42};
};

}  // namespace sb::acd::testing
