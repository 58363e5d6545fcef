// Events and port delivery, read-only views, and the invariant checker.

#include <algorithm>
#include <string>

#include "acd/acd.h"

namespace sb::acd {

using internal::Stage;

namespace {

struct Deliver {
  AcdPort& port;
  void operator()(const Offer& o) { port.offer(o); }
  void operator()(const internal::RetractCall& r) { port.retract(r.offer, r.reason); }
  void operator()(const internal::LeftCall& l) { port.contactLeft(l.contact, l.reason); }
  void operator()(const internal::AnnounceCall& a) {
    port.announce(a.contact, a.position, a.expectedWait);
  }
  void operator()(const AcdEvent& e) { port.onEvent(e); }
};

Result<void> broken(const std::string& what) {
  return fail(Errc::kConflict, what);
}

}  // namespace

AcdEvent Acd::event(AcdEventKind kind, TenantIdx tenant) const {
  AcdEvent e;
  e.kind = kind;
  e.tenant = tenantNames_[tenant];
  e.time = clock_.now();
  return e;
}

void Acd::emitContact(AcdEventKind kind, const Contact& c, AgentId agent, std::string_view reason) {
  AcdEvent e = event(kind, c.tenant);
  e.agent = agent;
  e.queue = c.queue;
  e.contact = c.id;
  e.customer = c.customer;
  e.ref = c.ref;
  e.reason = std::string(reason);
  outbox_.emplace_back(std::move(e));
}

// Port calls run after the engine is consistent; calls back into the Acd made from them
// append to the outbox, which this loop keeps draining in order.
void Acd::flush() {
  if (flushing_) return;
  flushing_ = true;
  Deliver deliver{port_};
  while (flushPos_ < outbox_.size()) {
    internal::PortCall call = std::move(outbox_[flushPos_++]);
    std::visit(deliver, call);
  }
  outbox_.clear();
  flushPos_ = 0;
  flushing_ = false;
}

Result<QueueView> Acd::queueView(QueueId id) const {
  const Queue* q = liveQueue(id);
  if (!q) return fail(Errc::kNotFound, "unknown queue");
  QueueView v;
  v.id = id;
  v.tenant = tenantNames_[q->tenant];
  v.name = q->spec.name;
  v.waiting = q->contacts.size();
  TimePoint now = clock_.now();
  for (ContactId cid : q->contacts) {
    const Contact& c = contacts_.at(cid);
    if (c.callback) ++v.callbacks;
    v.oldestWait = std::max(v.oldestWait, now - c.enqueuedAt);
  }
  for (AgentId a : q->members) ++v.agentsByState[static_cast<std::size_t>(agents_[a - 1].state)];
  v.offered = q->offered;
  v.answered = q->answered;
  v.abandoned = q->abandoned;
  v.callbacksRequested = q->callbacks;
  v.left = q->left;
  v.overflowed = q->overflowed;
  return v;
}

Result<AgentView> Acd::agentView(AgentId id) const {
  const Agent* a = liveAgent(id);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  AgentView v;
  v.id = id;
  v.name = a->name;
  for (TenantIdx t : a->tenants) v.tenants.push_back(tenantNames_[t]);
  v.state = a->state;
  v.since = a->since;
  v.reason = a->reason;
  if (a->next) v.next = a->next->state;
  v.availableAt = a->availableAt;
  v.misses = a->misses;
  v.callsTaken = a->callsTaken;
  v.talkTime = a->talkTime;
  v.ownedCustomers = a->owned.size();
  return v;
}

// --- invariants ----------------------------------------------------------------------------

Result<void> Acd::checkAgent(const Agent& a) const {
  std::string who = "agent " + std::to_string(a.id) + ": ";
  if (a.removed) {
    if (a.state != AgentState::kLoggedOut || !a.memberships.empty() || !a.owned.empty()) {
      return broken(who + "removed but still in use");
    }
    return {};
  }
  bool offered = a.state == AgentState::kOffered;
  auto offer = offers_.find(a.offer);
  if (offered != (a.offer != 0) ||
      (offered && (offer == offers_.end() || offer->second.agent != a.id))) {
    return broken(who + "offered state and live offer disagree");
  }
  bool onCall = a.state == AgentState::kOnCall;
  auto contact = contacts_.find(a.contact);
  if (onCall != (a.contact != 0) ||
      (onCall && (contact == contacts_.end() || contact->second.stage != Stage::kAccepted ||
                  contact->second.agent != a.id))) {
    return broken(who + "on call without its accepted contact");
  }
  if (a.indexed && (a.state != AgentState::kReady || a.availableAt > clock_.now())) {
    return broken(who + "routable but not ready");
  }
  if (a.state == AgentState::kReady && !a.indexed && a.availTimer == 0) {
    return broken(who + "ready, not routable, and no timer to make it so");
  }
  if (a.state == AgentState::kWrapUp && a.wrapTimer == 0) return broken(who + "wrap-up never ends");
  if (a.state == AgentState::kLoggedOut && (!a.ownerWaiting.empty() || a.next)) {
    return broken(who + "logged out with pending work");
  }
  if (a.indexed && !a.ownerWaiting.empty())
    return broken(who + "routable owner with contacts waiting");
  for (const internal::WaitKey& k : a.ownerWaiting) {
    auto it = contacts_.find(k.contact);
    if (it == contacts_.end() || it->second.stage != Stage::kOwnerWait ||
        it->second.ownerWaitFor != a.id || it->second.key() != k) {
      return broken(who + "owner-wait entry without its contact");
    }
  }
  for (const Membership& m : a.memberships) {
    const Queue& q = queues_[m.queue - 1];
    if (std::find(q.members.begin(), q.members.end(), a.id) == q.members.end()) {
      return broken(who + "membership missing from the queue");
    }
    bool inIndex = q.ready[static_cast<std::size_t>(m.deficit)].count(m.key) && m.key.agent == a.id;
    if (inIndex != a.indexed) return broken(who + "ready index disagrees with routable");
    if (a.indexed && q.spec.strategy == Strategy::kRandom &&
        q.readyRandom[static_cast<std::size_t>(m.deficit)].at(m.randomPos) != a.id) {
      return broken(who + "random index position wrong");
    }
  }
  for (const auto& [tenant, customer] : a.owned) {
    if (ownerIdOf(tenant, customer) != a.id) return broken(who + "owned customer not in owners");
  }
  return {};
}

Result<void> Acd::checkQueue(const Queue& q) const {
  std::string which = "queue " + std::to_string(q.id) + ": ";
  std::size_t loggedIn = 0;
  std::size_t indexed = 0;
  for (AgentId id : q.members) {
    const Agent& a = agents_[id - 1];
    if (a.state != AgentState::kLoggedOut) ++loggedIn;
    if (a.indexed) ++indexed;
  }
  if (loggedIn != q.loggedIn) return broken(which + "logged-in count wrong");
  std::size_t inSets = 0;
  for (std::size_t b = 0; b < internal::kBuckets; ++b) {
    inSets += q.ready[b].size();
    bool random = q.spec.strategy == Strategy::kRandom;
    if (q.readyRandom[b].size() != (random ? q.ready[b].size() : 0)) {
      return broken(which + "random index size wrong");
    }
    for (const internal::WaitKey& k : q.waiting[b]) {
      auto it = contacts_.find(k.contact);
      if (it == contacts_.end() || it->second.stage != Stage::kWaiting ||
          it->second.queue != q.id || it->second.widen != static_cast<int>(b) ||
          it->second.key() != k) {
        return broken(which + "waiting entry without its contact");
      }
    }
    // Routing is quiescent: no routable agent is eligible for a waiting contact.
    if (!q.waiting[b].empty()) {
      for (std::size_t d = 0; d <= b; ++d) {
        if (!q.ready[d].empty()) return broken(which + "eligible agent idle while a contact waits");
      }
    }
  }
  if (inSets != indexed) return broken(which + "ready index size wrong");
  for (ContactId id : q.contacts) {
    auto it = contacts_.find(id);
    if (it == contacts_.end() || it->second.queue != q.id || it->second.stage == Stage::kAccepted) {
      return broken(which + "contact list wrong");
    }
  }
  return {};
}

Result<void> Acd::checkContact(const Contact& c) const {
  std::string which = "contact " + std::to_string(c.id) + ": ";
  const Queue& q = queues_[c.queue - 1];
  bool listed = q.contacts.count(c.id) != 0;
  switch (c.stage) {
    case Stage::kWaiting:
      if (!listed || !q.waiting[static_cast<std::size_t>(c.widen)].count(c.key())) {
        return broken(which + "waiting but not indexed");
      }
      break;
    case Stage::kOwnerWait: {
      const Agent& owner = agents_[c.ownerWaitFor - 1];
      if (!listed || !owner.ownerWaiting.count(c.key()) || owner.state == AgentState::kLoggedOut) {
        return broken(which + "owner wait inconsistent");
      }
      break;
    }
    case Stage::kOffered:
      if (!listed || c.offers.empty()) return broken(which + "offered without live offers");
      for (OfferId o : c.offers) {
        auto it = offers_.find(o);
        if (it == offers_.end() || it->second.contact != c.id) {
          return broken(which + "offer list wrong");
        }
      }
      break;
    case Stage::kAccepted: {
      const Agent& a = agents_[c.agent - 1];
      if (listed || !c.offers.empty() || a.state != AgentState::kOnCall || a.contact != c.id) {
        return broken(which + "accepted but also waiting, or agent not on call");
      }
      break;
    }
  }
  return {};
}

Result<void> Acd::checkInvariants() const {
  if (!outbox_.empty()) return broken("port calls not delivered");
  for (const Agent& a : agents_) {
    if (auto r = checkAgent(a); !r) return r;
  }
  for (const Queue& q : queues_) {
    if (auto r = checkQueue(q); !r) return r;
  }
  for (const auto& [id, c] : contacts_) {
    if (auto r = checkContact(c); !r) return r;
  }
  for (const auto& [id, o] : offers_) {
    const Agent& a = agents_[o.agent - 1];
    auto it = contacts_.find(o.contact);
    if (a.state != AgentState::kOffered || a.offer != id || it == contacts_.end() ||
        std::find(it->second.offers.begin(), it->second.offers.end(), id) ==
            it->second.offers.end()) {
      return broken("offer " + std::to_string(id) + " dangling");
    }
  }
  for (const auto& [key, agent] : owners_) {
    const Agent* a = liveAgent(agent);
    if (!a || !a->owned.count(key)) return broken("owner map names a missing agent");
  }
  return {};
}

}  // namespace sb::acd
