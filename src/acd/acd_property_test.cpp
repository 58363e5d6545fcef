// Randomized property test: seeded sequences of thousands of operations with every invariant
// checked after each step, then a drain after which no agent may be left offered or on a call.
// Also: a port that calls back into the engine from inside its callbacks.

#include <random>
#include <set>

#include "acd/internal/acd_fixture.h"

namespace sb::acd::testing {
namespace {

class Property : public AcdTest {
 protected:
  void build(std::mt19937_64& rng) {
    QueueSpec specs[9];
    Strategy strategies[] = {
        Strategy::kLongestIdle,   Strategy::kRoundRobin,  Strategy::kRingAll,
        Strategy::kSkills,        Strategy::kRandom,      Strategy::kFewestCalls,
        Strategy::kLeastTalkTime, Strategy::kLongestIdle, Strategy::kRingAll};
    for (int i = 0; i < 9; ++i) {
      QueueSpec& s = specs[i];
      s = queueSpec("q" + std::to_string(i), strategies[i]);
      if (i >= 7) s.tenant = "t2";
      s.offerTimeout = seconds(10 + static_cast<int>(rng() % 10));
      s.missDelay = seconds(static_cast<int>(rng() % 6));
      s.maxMisses = 2 + static_cast<int>(rng() % 2);
      s.wrapUp = seconds(static_cast<int>(rng() % 3) * 5);
      s.joinWhenNoAgents = rng() % 2 == 0;
      s.leaveWhenNoAgents = rng() % 3 != 0;
      s.weight = 1.0 + static_cast<double>(rng() % 3);
      if (rng() % 2) s.maxWait = seconds(60 + static_cast<int>(rng() % 120));
      if (rng() % 3 == 0) s.maxLength = 4;
      if (rng() % 2) s.announceEvery = seconds(30);
      if (i == 1 || i == 3 || i == 5) {
        s.requiredSkills = {{"x", 5}, {i == 3 ? "y" : "z", 3}};
        s.widening = {{seconds(20), 2}, {seconds(40), 3}};
      }
    }
    for (int i = 0; i < 9; ++i) {
      if (i == 2 || i == 4) {
        specs[i].overflowQueue = queues_[0];
        specs[i].maxWait = seconds(30);
      }
      queues_.push_back(addQueue(specs[i]));
    }
    for (int i = 0; i < 14; ++i) addRandomAgent(rng, "a" + std::to_string(i));
  }

  void addRandomAgent(std::mt19937_64& rng, std::string name) {
    bool t2 = rng() % 4 == 0;
    AgentSpec spec{t2 ? "t2" : "t1", std::move(name), {}, {}};
    if (!t2 && rng() % 3 == 0) spec.extraTenants.push_back("t2");
    for (const char* sk : {"x", "y", "z"}) {
      if (rng() % 3) spec.skills.emplace_back(sk, 1 + static_cast<int>(rng() % 10));
    }
    AgentId a = *acd.addAgent(spec);
    agents_.push_back(a);
    for (int k = 0; k < 4; ++k) (void)acd.addMember(a, queues_[rng() % queues_.size()]);
  }

  void trackEvents() {
    for (; seen_ < port.events.size(); ++seen_) {
      const AcdEvent& e = port.events[seen_];
      if (e.kind == AcdEventKind::kContactAbandoned || e.kind == AcdEventKind::kContactLeft ||
          e.kind == AcdEventKind::kContactEnded) {
        contacts_.erase(e.contact);
      }
    }
  }

  template <class T>
  T pick(std::mt19937_64& rng, const std::vector<T>& v) {
    return v[rng() % v.size()];
  }
  OfferId liveOffer(std::mt19937_64& rng) {
    if (port.live.empty()) return 0;
    auto it = port.live.begin();
    std::advance(it, static_cast<long>(rng() % port.live.size()));
    return *it;
  }
  std::vector<AgentId> onCall() {
    std::vector<AgentId> out;
    for (AgentId a : agents_) {
      auto v = acd.agentView(a);
      if (v.ok() && v->state == AgentState::kOnCall) out.push_back(a);
    }
    return out;
  }

  void step(std::mt19937_64& rng) {
    unsigned op = static_cast<unsigned>(rng() % 20);
    if (op >= 7 && op <= 16) {
      contactStep(rng, op);
    } else {
      agentStep(rng, op);
    }
    trackEvents();
  }

  void agentStep(std::mt19937_64& rng, unsigned op) {
    AgentId a = pick(rng, agents_);
    switch (op) {
      case 0:
        (void)acd.login(a, rng() % 2 == 0);
        break;
      case 1:
        (void)acd.logout(a);
        break;
      case 2:
        (void)acd.ready(a);
        break;
      case 3:
        (void)acd.notReady(a, "break");
        break;
      case 4: {
        AgentState targets[] = {AgentState::kReady, AgentState::kNotReady, AgentState::kLoggedOut};
        (void)acd.requestNext(a, targets[rng() % 3], "next");
        break;
      }
      case 5:
        (void)acd.wrapUpDone(a);
        break;
      case 6: {
        auto busy = onCall();
        if (!busy.empty()) (void)acd.callEnded(pick(rng, busy));
        break;
      }
      case 17: {
        std::string tenant = rng() % 4 ? "t1" : "t2";
        (void)acd.setOwner(tenant, "c" + std::to_string(rng() % 20), rng() % 5 ? a : 0);
        break;
      }
      case 18:
        if (rng() % 2) {
          (void)acd.addMember(a, pick(rng, queues_));
        } else {
          (void)acd.removeMember(a, pick(rng, queues_));
        }
        break;
      default:
        if (rng() % 10 == 0 && acd.removeAgent(a).ok()) {
          std::erase(agents_, a);
          addRandomAgent(rng, "r" + std::to_string(replaced_++));
        }
        break;
    }
  }

  void contactStep(std::mt19937_64& rng, unsigned op) {
    switch (op) {
      case 7:
      case 8:
      case 9: {
        std::size_t qi = rng() % queues_.size();
        ContactSpec spec = contactSpec(queues_[qi], qi >= 7 ? "t2" : "t1");
        spec.priority = static_cast<int>(rng() % 3);
        if (rng() % 2) spec.customer = "c" + std::to_string(rng() % 20);
        spec.ownerWait = seconds(static_cast<int>(rng() % 4) * 10);
        spec.claim = rng() % 5 == 0;
        spec.claimFanout = 1 + rng() % 3;
        if (auto r = acd.enqueue(spec)) contacts_.insert(*r);
        break;
      }
      case 10:
        if (!contacts_.empty()) (void)acd.abandon(*contacts_.begin());
        break;
      case 11:
        if (!contacts_.empty()) (void)acd.requestCallback(*contacts_.rbegin());
        break;
      case 12:
      case 13:
        if (OfferId o = liveOffer(rng)) {
          port.live.erase(o);
          EXPECT_TRUE(acd.offerAccepted(o).ok());
        }
        break;
      case 14:
        if (OfferId o = liveOffer(rng)) {
          port.live.erase(o);
          EXPECT_TRUE(acd.offerFailed(o, static_cast<OfferFailure>(rng() % 3)).ok());
        }
        break;
      case 15:
      case 16:
        advance(std::chrono::milliseconds(rng() % 15000));
        break;
      default:
        break;
    }
  }

  // Everyone works until every contact is gone.
  void drain() {
    for (int round = 0; round < 100 && (!contacts_.empty() || !port.live.empty()); ++round) {
      for (AgentId a : agents_) {
        (void)acd.login(a);
        (void)acd.ready(a);
      }
      for (OfferId o : std::vector<OfferId>(port.live.begin(), port.live.end())) {
        port.live.erase(o);
        (void)acd.offerAccepted(o);
      }
      for (AgentId a : onCall()) (void)acd.callEnded(a);
      for (ContactId c : std::vector<ContactId>(contacts_.begin(), contacts_.end())) {
        (void)acd.abandon(c);
      }
      trackEvents();
      advance(seconds(60));
      trackEvents();
    }
  }

  std::vector<QueueId> queues_;
  std::vector<AgentId> agents_;
  std::set<ContactId> contacts_;
  std::size_t seen_ = 0;
  int replaced_ = 0;
};

TEST_F(Property, RandomOperationsKeepEveryInvariant) {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    if (queues_.empty()) build(rng);
    for (int i = 0; i < 3000; ++i) {
      step(rng);
      auto r = acd.checkInvariants();
      ASSERT_TRUE(r.ok()) << "step " << i << ": " << r.error().message;
    }
    drain();
    EXPECT_TRUE(contacts_.empty());
    EXPECT_TRUE(port.live.empty());
    for (AgentId a : agents_) {
      AgentState s = stateOf(a);
      EXPECT_NE(s, AgentState::kOffered) << a;
      EXPECT_NE(s, AgentState::kOnCall) << a;
    }
    for (QueueId q : queues_) EXPECT_EQ(acd.queueView(q)->waiting, 0u);
    ASSERT_TRUE(acd.checkInvariants().ok());
  }
  // The run reached every kind of transition.
  for (AcdEventKind k :
       {AcdEventKind::kContactOffered, AcdEventKind::kOfferFailed, AcdEventKind::kContactAccepted,
        AcdEventKind::kContactAbandoned, AcdEventKind::kContactLeft,
        AcdEventKind::kContactOverflowed, AcdEventKind::kContactCallback,
        AcdEventKind::kOwnerAssigned, AcdEventKind::kOwnerReassigned}) {
    std::size_t n = port.eventsOf(k).size();
    EXPECT_GT(n, 10u) << acdEventKindName(k);
  }
  // With everyone logged out and nothing waiting, no deadline is left.
  for (AgentId a : agents_) (void)acd.logout(a);
  advance(seconds(3600));
  EXPECT_FALSE(acd.nextDeadline().has_value());
}

// A port that answers, fails and ends calls from inside its own callbacks.
class EagerPort : public RecordingPort {
 public:
  void offer(const Offer& o) override {
    RecordingPort::offer(o);
    if (!acd) return;
    live.erase(o.id);
    if (o.agent % 2) {
      (void)acd->offerAccepted(o.id);
      (void)acd->callEnded(o.agent);
    } else {
      (void)acd->offerFailed(o.id, OfferFailure::kRejected);
    }
  }
  Acd* acd = nullptr;
};

TEST(AcdReentrancy, PortMayCallBackIntoTheEngine) {
  ManualClock clock;
  EagerPort port;
  Acd acd(clock, port, 1);
  port.acd = &acd;
  QueueSpec spec;
  spec.tenant = "t";
  spec.name = "q";
  spec.wrapUp = seconds(0);
  spec.missDelay = seconds(0);
  spec.maxMisses = 2;  // the rejecting agents go not ready instead of ringing forever
  QueueId q = *acd.addQueue(spec);
  for (int i = 0; i < 4; ++i) {
    AgentId a = *acd.addAgent({"t", "a" + std::to_string(i), {}, {}});
    ASSERT_TRUE(acd.addMember(a, q).ok());
    ASSERT_TRUE(acd.login(a).ok());
  }
  for (int i = 0; i < 50; ++i) {
    ContactSpec c;
    c.tenant = "t";
    c.queue = q;
    ASSERT_TRUE(acd.enqueue(c).ok());
    auto r = acd.checkInvariants();
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ(acd.queueView(q)->answered, 50u);
  EXPECT_EQ(acd.queueView(q)->waiting, 0u);
}

}  // namespace
}  // namespace sb::acd::testing
