// Contacts and offers: enqueue, owner wait, offers and their outcomes, abandon, callback,
// leaving and overflow.

#include <algorithm>

#include "acd/acd.h"

namespace sb::acd {

using internal::Stage;

// --- waiting indexes -----------------------------------------------------------------------

void Acd::insertWaiting(Contact& c) {
  auto& bucket = queueRef(c.queue).waiting[static_cast<std::size_t>(c.widen)];
  c.slot = bucket.insert(bucket.end(), c.key());
}

void Acd::eraseWaiting(Contact& c) {
  queueRef(c.queue).waiting[static_cast<std::size_t>(c.widen)].erase(c.slot);
}

void Acd::joinWaiting(Contact& c) {
  c.stage = Stage::kWaiting;
  c.ownerWaitFor = 0;
  insertWaiting(c);
  dispatchContact(c);
}

// Detaches a contact from every index of its queue; offers must be gone already.
void Acd::removeContact(Contact& c) {
  if (c.stage == Stage::kWaiting) {
    eraseWaiting(c);
  } else if (c.stage == Stage::kOwnerWait) {
    agentRef(c.ownerWaitFor).ownerWaiting.erase(c.key());
  }
  queueRef(c.queue).contacts.erase(c.id);
  c.ownerTimer = c.widenTimer = c.maxWaitTimer = c.announceTimer = 0;
}

void Acd::contactGone(Contact& c, AcdEventKind kind, std::string_view reason) {
  removeContact(c);
  emitContact(kind, c, 0, reason);
  contacts_.erase(c.id);
}

void Acd::leave(Contact& c, LeaveReason reason) {
  ++queueRef(c.queue).left;
  ContactId id = c.id;
  contactGone(c, AcdEventKind::kContactLeft, leaveReasonName(reason));
  outbox_.emplace_back(internal::LeftCall{id, reason});
}

// Moves a contact whose maxWait passed to the overflow queue, keeping its first-enqueue time
// (so its wait and fairness carry over); widening and maxWait restart in the new queue.
bool Acd::tryOverflow(Contact& c) {
  Queue& from = queueRef(c.queue);
  Queue* to = liveQueue(from.spec.overflowQueue);
  if (!to || to == &from) return false;
  if (to->spec.maxLength != 0 && to->contacts.size() >= to->spec.maxLength) return false;
  if (to->loggedIn == 0 && !to->spec.joinWhenNoAgents) return false;
  removeContact(c);
  ++from.overflowed;
  c.queue = to->id;
  c.joinedAt = clock_.now();
  c.widen = 0;
  c.nextStep = 0;
  c.ownerWaitFor = 0;
  c.stage = Stage::kOffered;  // detached until joinWaiting
  to->contacts.insert(c.id);
  AcdEvent e = event(AcdEventKind::kContactOverflowed, c.tenant);
  e.contact = c.id;
  e.queue = to->id;
  e.fromQueue = from.id;
  e.customer = c.customer;
  e.ref = c.ref;
  e.reason = "max_wait";
  outbox_.emplace_back(std::move(e));
  armContactTimers(c);
  joinWaiting(c);
  return true;
}

// --- owner routing -------------------------------------------------------------------------

void Acd::startOwnerWait(Contact& c, Agent& owner) {
  c.stage = Stage::kOwnerWait;
  c.ownerWaitFor = owner.id;
  owner.ownerWaiting.insert(c.key());
  emitContact(AcdEventKind::kContactQueued, c, owner.id, "owner_wait");
  if (owner.indexed) {
    dispatchAgent(owner);
  } else if (c.ownerWait.count() > 0) {
    c.ownerTimer = arm(c.joinedAt + c.ownerWait, TimerKind::kOwnerWait, c.id);
  } else {
    fallBackToQueue(c, "owner_busy");
  }
}

void Acd::fallBackToQueue(Contact& c, std::string_view reason) {
  agentRef(c.ownerWaitFor).ownerWaiting.erase(c.key());
  c.ownerTimer = 0;
  c.stage = Stage::kOffered;  // detached until joinWaiting
  emitContact(AcdEventKind::kContactQueued, c, 0, reason);
  joinWaiting(c);
}

// --- offers --------------------------------------------------------------------------------

void Acd::makeOffer(Contact& c, Agent& a, bool claim, bool owner) {
  if (c.stage == Stage::kWaiting) {
    eraseWaiting(c);
  } else if (c.stage == Stage::kOwnerWait) {
    agentRef(c.ownerWaitFor).ownerWaiting.erase(c.key());
    c.ownerTimer = 0;
  }
  c.stage = Stage::kOffered;
  Queue& q = queueRef(c.queue);
  unindexAgent(a);
  if (Membership* m = membership(a, q.id)) m->rrSeq = ++q.rrCounter;
  OfferId id = ++nextOffer_;
  std::uint64_t timer = arm(clock_.now() + q.spec.offerTimeout, TimerKind::kOfferTimeout, id);
  offers_.emplace(id, OfferRecord{id, c.id, a.id, q.id, claim, owner, timer});
  c.offers.push_back(id);
  a.offer = id;
  ++q.offered;
  setState(a, AgentState::kOffered, "offer");
  emitContact(AcdEventKind::kContactOffered, c, a.id,
              owner ? "owner" : (claim ? "claim" : (c.callback ? "callback" : "queue")));
  outbox_.emplace_back(Offer{id, c.id, a.id, q.id, tenantNames_[c.tenant], claim, c.callback});
}

// Ends one offer on the engine's side; the agent is released by the caller.
void Acd::retractOffer(OfferId id, RetractReason reason, bool redispatch) {
  auto it = offers_.find(id);
  if (it == offers_.end()) return;
  OfferRecord o = it->second;
  offers_.erase(it);
  outbox_.emplace_back(internal::RetractCall{id, reason});
  agentRef(o.agent).offer = 0;
  auto cit = contacts_.find(o.contact);
  if (cit == contacts_.end()) return;
  auto& offers = cit->second.offers;
  offers.erase(std::remove(offers.begin(), offers.end(), id), offers.end());
  if (redispatch) offerEnded(cit->second);
}

// The last offer of a contact ended without an answer: back to waiting (the owner's offer
// falls back to the queue), or out if maxWait passed while it rang.
void Acd::offerEnded(Contact& c) {
  if (!c.offers.empty() || c.stage != Stage::kOffered) return;
  c.ownerWaitFor = 0;
  if (c.maxWaitDue) {
    c.maxWaitDue = false;
    if (!tryOverflow(c)) leave(c, LeaveReason::kMaxWait);
    return;
  }
  joinWaiting(c);
}

void Acd::failOffer(OfferId id, std::string_view reason, bool timedOut) {
  auto it = offers_.find(id);
  OfferRecord o = it->second;
  if (timedOut) {
    retractOffer(id, RetractReason::kTimeout, false);
  } else {
    offers_.erase(it);
    agentRef(o.agent).offer = 0;
    auto& offers = contacts_.at(o.contact).offers;
    offers.erase(std::remove(offers.begin(), offers.end(), id), offers.end());
  }
  Contact& c = contacts_.at(o.contact);
  emitContact(AcdEventKind::kOfferFailed, c, o.agent, reason);
  const QueueSpec& spec = queueRef(o.queue).spec;
  offerEnded(c);  // first, so a zero miss delay does not hand the contact straight back
  missed(agentRef(o.agent), spec);
}

// --- public --------------------------------------------------------------------------------

Result<ContactId> Acd::enqueue(ContactSpec spec) {
  Batch batch(*this);
  Queue* q = liveQueue(spec.queue);
  if (!q) return fail(Errc::kNotFound, "unknown queue");
  auto tenant = findTenant(spec.tenant);
  if (!tenant || *tenant != q->tenant) return fail(Errc::kForbidden, "queue of another tenant");
  if (q->spec.maxLength != 0 && q->contacts.size() >= q->spec.maxLength) {
    return fail(Errc::kOverloaded, "queue full");
  }
  Agent* owner = nullptr;
  if (AgentId o = ownerIdOf(*tenant, spec.customer)) {
    owner = &agentRef(o);
    if (owner->state == AgentState::kLoggedOut) owner = nullptr;
  }
  if (q->loggedIn == 0 && !q->spec.joinWhenNoAgents && !owner) {
    return fail(Errc::kConflict, "no agent logged in");
  }
  ContactId id = ++nextContact_;
  Contact& c = contacts_[id];
  c.id = id;
  c.queue = q->id;
  c.tenant = *tenant;
  c.priority = spec.priority;
  c.customer = std::move(spec.customer);
  c.ref = std::move(spec.ref);
  c.ownerWait = spec.ownerWait;
  c.claim = spec.claim;
  c.claimFanout = std::max<std::size_t>(1, spec.claimFanout);
  c.enqueuedAt = c.joinedAt = clock_.now();
  c.stage = Stage::kOffered;  // detached until placed
  q->contacts.insert(id);
  armContactTimers(c);
  if (owner) {
    startOwnerWait(c, *owner);
  } else {
    emitContact(AcdEventKind::kContactQueued, c, 0, "queued");
    joinWaiting(c);
  }
  return id;
}

Result<void> Acd::abandon(ContactId id) {
  Batch batch(*this);
  auto it = contacts_.find(id);
  if (it == contacts_.end()) return fail(Errc::kNotFound, "unknown contact");
  Contact& c = it->second;
  // After answer the call's end comes through callEnded; a callback's caller is gone anyway.
  if (c.stage == Stage::kAccepted || c.callback) return {};
  std::vector<AgentId> ringing;
  for (OfferId o : std::vector<OfferId>(c.offers)) {
    ringing.push_back(offers_.at(o).agent);
    retractOffer(o, RetractReason::kAbandoned, false);
  }
  ++queueRef(c.queue).abandoned;
  contactGone(c, AcdEventKind::kContactAbandoned, "caller_hangup");
  for (AgentId a : ringing) releaseFromOffer(agentRef(a), "abandoned");
  return {};
}

Result<void> Acd::withdraw(ContactId id) {
  Batch batch(*this);
  auto it = contacts_.find(id);
  if (it == contacts_.end()) return fail(Errc::kNotFound, "unknown contact");
  Contact& c = it->second;
  if (c.stage == Stage::kAccepted || c.callback) {
    return fail(Errc::kConflict, "the contact is answered or a callback");
  }
  std::vector<AgentId> ringing;
  for (OfferId o : std::vector<OfferId>(c.offers)) {
    ringing.push_back(offers_.at(o).agent);
    retractOffer(o, RetractReason::kWithdrawn, false);
  }
  ++queueRef(c.queue).left;
  contactGone(c, AcdEventKind::kContactLeft, "withdrawn");
  for (AgentId a : ringing) releaseFromOffer(agentRef(a), "withdrawn");
  return {};
}

Result<void> Acd::requestCallback(ContactId id) {
  Batch batch(*this);
  auto it = contacts_.find(id);
  if (it == contacts_.end()) return fail(Errc::kNotFound, "unknown contact");
  Contact& c = it->second;
  if (c.stage == Stage::kAccepted) return fail(Errc::kConflict, "already answered");
  if (c.callback) return {};
  c.callback = true;
  c.maxWaitTimer = c.announceTimer = 0;
  c.maxWaitDue = false;
  ++queueRef(c.queue).callbacks;
  emitContact(AcdEventKind::kContactCallback, c, 0, "callback");
  if (c.stage != Stage::kOffered) return {};
  // Ringing agents were offered a live caller; offer again as a callback.
  std::vector<AgentId> ringing;
  for (OfferId o : std::vector<OfferId>(c.offers)) {
    ringing.push_back(offers_.at(o).agent);
    retractOffer(o, RetractReason::kCallbackRequested, false);
  }
  c.ownerWaitFor = 0;
  joinWaiting(c);
  for (AgentId a : ringing) releaseFromOffer(agentRef(a), "callback_requested");
  return {};
}

Result<void> Acd::offerAccepted(OfferId id) {
  Batch batch(*this);
  auto it = offers_.find(id);
  if (it == offers_.end()) return fail(Errc::kNotFound, "offer is not live");
  OfferRecord o = it->second;
  offers_.erase(it);
  Contact& c = contacts_.at(o.contact);
  Agent& a = agentRef(o.agent);
  Queue& q = queueRef(o.queue);
  std::erase(c.offers, id);
  std::vector<AgentId> others;
  for (OfferId other : std::vector<OfferId>(c.offers)) {
    others.push_back(offers_.at(other).agent);
    retractOffer(other, RetractReason::kAnsweredElsewhere, false);
  }
  removeContact(c);
  c.stage = Stage::kAccepted;
  c.agent = a.id;
  a.offer = 0;
  a.contact = c.id;
  a.workQueue = q.id;
  a.callStart = clock_.now();
  a.misses = 0;
  ++a.callsTaken;
  ++q.answered;
  setState(a, AgentState::kOnCall, "accepted");
  emitContact(AcdEventKind::kContactAccepted, c, a.id, c.callback ? "callback" : "answered");
  if (o.claim && !c.customer.empty()) {
    AgentId previous = ownerIdOf(c.tenant, c.customer);
    if (previous != a.id) assignOwner(c.tenant, c.customer, a.id, previous, "claim");
  }
  for (AgentId other : others) releaseFromOffer(agentRef(other), "answered_elsewhere");
  return {};
}

Result<void> Acd::offerFailed(OfferId id, OfferFailure failure) {
  Batch batch(*this);
  if (!offers_.count(id)) return fail(Errc::kNotFound, "offer is not live");
  failOffer(id, offerFailureName(failure), false);
  return {};
}

}  // namespace sb::acd
