// The agent state machine (README.md "Agent states") and the ready indexes it maintains.

#include <algorithm>

#include "acd/acd.h"

namespace sb::acd {

// --- ready indexes -------------------------------------------------------------------------

std::int64_t Acd::primaryKey(const Queue& q, const Agent& a, const Membership& m) const {
  switch (q.spec.strategy) {
    case Strategy::kRoundRobin:
      return static_cast<std::int64_t>(m.rrSeq);
    case Strategy::kFewestCalls:
      return static_cast<std::int64_t>(a.callsTaken);
    case Strategy::kLeastTalkTime:
      return a.talkTime.count();
    case Strategy::kSkills:
      return -m.score;
    default:
      return 0;
  }
}

void Acd::insertReady(Queue& q, Agent& a, Membership& m) {
  auto bucket = static_cast<std::size_t>(m.deficit);
  m.key = internal::ReadyKey{primaryKey(q, a, m), a.idleSince.time_since_epoch().count(), a.id};
  // New idle times are the largest, so the end hint makes longest-idle inserts O(1).
  m.slot = q.ready[bucket].insert(q.ready[bucket].end(), m.key);
  if (q.spec.strategy == Strategy::kRandom) {
    m.randomPos = q.readyRandom[bucket].size();
    q.readyRandom[bucket].push_back(a.id);
  }
}

void Acd::eraseReady(Queue& q, Agent& a, Membership& m) {
  auto bucket = static_cast<std::size_t>(m.deficit);
  q.ready[bucket].erase(m.slot);
  if (q.spec.strategy == Strategy::kRandom) {
    auto& v = q.readyRandom[bucket];
    AgentId last = v.back();
    v[m.randomPos] = last;
    v.pop_back();
    if (last != a.id) membership(agentRef(last), q.id)->randomPos = m.randomPos;
  }
}

void Acd::indexAgent(Agent& a) {
  if (a.indexed) return;
  a.indexed = true;
  for (Membership& m : a.memberships) insertReady(queueRef(m.queue), a, m);
}

void Acd::unindexAgent(Agent& a) {
  if (!a.indexed) return;
  a.indexed = false;
  for (Membership& m : a.memberships) eraseReady(queueRef(m.queue), a, m);
}

// --- transitions ---------------------------------------------------------------------------

void Acd::setState(Agent& a, AgentState to, std::string_view reason) {
  AgentState from = a.state;
  if (from == to && a.reason == reason) return;
  if (to != AgentState::kReady) unindexAgent(a);
  a.state = to;
  a.since = clock_.now();
  a.reason = std::string(reason);
  AcdEvent e = event(AcdEventKind::kAgentState, a.tenants[0]);
  e.agent = a.id;
  e.from = from;
  e.to = to;
  e.reason = a.reason;
  outbox_.emplace_back(std::move(e));
  if (from == AgentState::kLoggedOut && to != AgentState::kLoggedOut) {
    for (const Membership& m : a.memberships) ++queueRef(m.queue).loggedIn;
  } else if (to == AgentState::kLoggedOut && from != AgentState::kLoggedOut) {
    for (const Membership& m : a.memberships) {
      Queue& q = queueRef(m.queue);
      if (--q.loggedIn == 0) queueLostLastAgent(q);
    }
  }
}

// Ready agents are routable once their miss delay is over.
void Acd::makeRoutable(Agent& a) {
  if (a.state != AgentState::kReady || a.indexed) return;
  if (a.availableAt > clock_.now()) {
    a.availTimer = arm(a.availableAt, TimerKind::kAvailable, a.id);
    return;
  }
  a.availTimer = 0;
  indexAgent(a);
  dispatchAgent(a);
}

void Acd::becomeReady(Agent& a, std::string_view reason, bool resetIdle) {
  if (resetIdle) {
    a.idleSince = clock_.now();
    a.availableAt = a.idleSince;
  }
  setState(a, AgentState::kReady, reason);
  makeRoutable(a);
}

void Acd::applyNext(Agent& a) {
  internal::NextState n = std::move(*a.next);
  a.next.reset();
  switch (n.state) {
    case AgentState::kLoggedOut:
      doLogout(a, n.reason.empty() ? "logout" : n.reason);
      break;
    case AgentState::kNotReady:
      setState(a, AgentState::kNotReady, n.reason.empty() ? "not_ready" : n.reason);
      break;
    default:
      becomeReady(a, n.reason.empty() ? "ready" : n.reason, true);
      break;
  }
}

void Acd::finishWork(Agent& a, std::string_view reason) {
  a.wrapTimer = 0;
  if (a.next) {
    applyNext(a);
  } else {
    becomeReady(a, reason, true);
  }
}

// The agent's offer was retracted through no fault of theirs (another agent won, the caller
// hung up): back to ready without losing their idle position.
void Acd::releaseFromOffer(Agent& a, std::string_view reason) {
  if (a.state != AgentState::kOffered || a.offer != 0) return;
  if (a.next) {
    applyNext(a);
  } else {
    becomeReady(a, reason, false);
  }
}

void Acd::missed(Agent& a, const QueueSpec& spec) {
  ++a.misses;
  if (a.next && a.next->state == AgentState::kLoggedOut) {
    applyNext(a);
  } else if (spec.maxMisses > 0 && a.misses >= spec.maxMisses) {
    a.next.reset();
    setState(a, AgentState::kNotReady, "no_answer");
  } else if (a.next) {
    applyNext(a);
  } else {
    a.availableAt = clock_.now() + spec.missDelay;
    setState(a, AgentState::kReady, "missed");
    makeRoutable(a);
  }
}

void Acd::doLogout(Agent& a, std::string_view reason) {
  if (a.offer != 0) {
    // The contact goes on to the next agent; this agent is not routable any more.
    OfferId o = a.offer;
    unindexAgent(a);
    retractOffer(o, RetractReason::kAgentLoggedOut, true);
  }
  unindexAgent(a);
  a.next.reset();
  a.wrapTimer = 0;
  a.availTimer = 0;
  // Contacts waiting for this owner fall back to their queues at once.
  while (!a.ownerWaiting.empty()) {
    Contact& c = contacts_.at(a.ownerWaiting.begin()->contact);
    fallBackToQueue(c, "owner_logged_out");
  }
  setState(a, AgentState::kLoggedOut, reason);
}

void Acd::queueLostLastAgent(Queue& q) {
  if (q.removed || !q.spec.leaveWhenNoAgents) return;
  std::vector<ContactId> leaving;
  for (const auto& bucket : q.waiting) {
    for (const internal::WaitKey& k : bucket) {
      if (!contacts_.at(k.contact).callback) leaving.push_back(k.contact);
    }
  }
  std::sort(leaving.begin(), leaving.end());
  for (ContactId id : leaving) leave(contacts_.at(id), LeaveReason::kNoAgents);
}

// --- public agent control ------------------------------------------------------------------

Result<void> Acd::login(AgentId id, bool startReady) {
  Batch batch(*this);
  Agent* a = liveAgent(id);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  if (a->state != AgentState::kLoggedOut) return fail(Errc::kConflict, "already logged in");
  a->misses = 0;
  if (startReady) {
    becomeReady(*a, "login", true);
  } else {
    setState(*a, AgentState::kNotReady, "login");
  }
  return {};
}

Result<void> Acd::logout(AgentId id) {
  Batch batch(*this);
  Agent* a = liveAgent(id);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  if (a->state == AgentState::kLoggedOut) return {};
  if (a->state == AgentState::kOnCall) {
    a->next = internal::NextState{AgentState::kLoggedOut, "logout"};
    return {};
  }
  doLogout(*a, "logout");
  return {};
}

Result<void> Acd::ready(AgentId id) {
  Batch batch(*this);
  Agent* a = liveAgent(id);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  switch (a->state) {
    case AgentState::kLoggedOut:
      return fail(Errc::kConflict, "not logged in");
    case AgentState::kReady:
      return {};
    case AgentState::kOffered:
    case AgentState::kOnCall:
      a->next = internal::NextState{AgentState::kReady, "ready"};
      break;
    case AgentState::kWrapUp:
      a->next.reset();
      finishWork(*a, "ready");
      break;
    case AgentState::kNotReady:
      a->misses = 0;
      becomeReady(*a, "ready", true);
      break;
  }
  return {};
}

Result<void> Acd::notReady(AgentId id, std::string reason) {
  Batch batch(*this);
  Agent* a = liveAgent(id);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  if (reason.empty()) reason = "not_ready";
  switch (a->state) {
    case AgentState::kLoggedOut:
      return fail(Errc::kConflict, "not logged in");
    case AgentState::kOffered:
    case AgentState::kOnCall:
      a->next = internal::NextState{AgentState::kNotReady, std::move(reason)};
      break;
    case AgentState::kWrapUp:
      a->next.reset();
      a->wrapTimer = 0;
      setState(*a, AgentState::kNotReady, reason);
      break;
    default:
      a->availTimer = 0;
      setState(*a, AgentState::kNotReady, reason);
      break;
  }
  return {};
}

Result<void> Acd::requestNext(AgentId id, AgentState target, std::string reason) {
  if (target != AgentState::kReady && target != AgentState::kNotReady &&
      target != AgentState::kLoggedOut) {
    return fail(Errc::kInvalidInput, "next status must be ready, not ready or logged out");
  }
  Batch batch(*this);
  Agent* a = liveAgent(id);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  bool busy = a->state == AgentState::kOffered || a->state == AgentState::kOnCall ||
              a->state == AgentState::kWrapUp;
  if (busy) {
    a->next = internal::NextState{target, std::move(reason)};
    return {};
  }
  if (target == AgentState::kReady) return ready(id);
  if (target == AgentState::kNotReady) return notReady(id, std::move(reason));
  return logout(id);
}

Result<void> Acd::wrapUpDone(AgentId id) {
  Batch batch(*this);
  Agent* a = liveAgent(id);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  if (a->state != AgentState::kWrapUp) return fail(Errc::kConflict, "not in wrap-up");
  finishWork(*a, "wrap_up_done");
  return {};
}

Result<void> Acd::callEnded(AgentId id) {
  Batch batch(*this);
  Agent* a = liveAgent(id);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  if (a->state != AgentState::kOnCall) return fail(Errc::kConflict, "agent is not on a call");
  TimePoint now = clock_.now();
  Duration talk = now - a->callStart;
  a->talkTime += talk;
  Queue& q = queueRef(a->workQueue);
  auto wrap = q.spec.wrapUp;
  double handle = std::chrono::duration<double>(talk + wrap).count();
  q.avgHandleSeconds = q.avgHandleSeconds == 0 ? handle : 0.75 * q.avgHandleSeconds + 0.25 * handle;
  auto it = contacts_.find(a->contact);
  if (it != contacts_.end()) {
    emitContact(AcdEventKind::kContactEnded, it->second, a->id, "call_ended");
    contacts_.erase(it);
  }
  a->contact = 0;
  if (a->next && a->next->state == AgentState::kLoggedOut) {
    applyNext(*a);
  } else if (wrap.count() > 0) {
    setState(*a, AgentState::kWrapUp, "call_ended");
    a->wrapTimer = arm(now + wrap, TimerKind::kWrapUpEnd, a->id);
  } else {
    finishWork(*a, "call_ended");
  }
  return {};
}

}  // namespace sb::acd
