// ACD and flow events: a call's contact (queued, offered, accepted, ended, abandoned, left,
// callback, overflowed), agent state intervals, and the wrap-up that holds a CDR back
// (docs/metrics.md "CDRs", "Wrap-up", "Agent states").

#include <algorithm>

#include "report/internal/builder_state.h"

namespace sb::report::internal {

namespace {

bool isContactEvent(const std::string& k) {
  return k == "contact_queued" || k == "contact_overflowed" || k == "contact_offered" ||
         k == "offer_failed" || k == "contact_accepted" || k == "contact_ended" ||
         k == "contact_abandoned" || k == "contact_left" || k == "contact_callback";
}

// The contact is out of the ACD without an agent: abandon, leave, callback.
void contactOut(OpenCall& c, std::int64_t t) {
  c.waitEndMs = t;
  c.acdPending = false;
  c.pendingOffers.clear();
}

}  // namespace

void BuilderState::onAcdEvent(std::uint64_t run, const store::Event& e, const EventFields& f,
                              store::Derived& out) {
  if (e.kind == "agent_state") {
    agentState(run, e, f, out);
    return;
  }
  // Contacts without a call reference (owner events, a contact of no call) have no CDR.
  if (!isContactEvent(e.kind) || f.call == 0) return;
  CallKey key{run, f.call};
  // A finished call's contact lives on as a callback (offered later, dialled as a new call):
  // that is not this CDR's business.
  if (!open_.count(key) && isFinished(key)) return;
  OpenCall& c = openCall(key, e);
  // Once a callback is requested, the contact's offers and accept are the callback's (dialled
  // as a new call), even while the caller still hears the confirmation.
  if (c.callback && e.kind != "contact_callback") return;
  if (e.kind == "contact_ended") {
    contactEnded(run, key, c, e, f);
  } else {
    contactEvent(c, e, f);
  }
  // Created mid-call by a contact event: it was queued at the latest now.
  if (c.cdr.queuedMs == 0) {
    c.cdr.queuedMs = e.timeMs;
    c.queued = true;
  }
  if (c.cdr.queue.empty()) c.cdr.queue = f.queue;
  tryClose(key, e.timeMs, out);
}

void BuilderState::contactEvent(OpenCall& c, const store::Event& e, const EventFields& f) {
  const std::string& k = e.kind;
  std::int64_t t = e.timeMs;
  if (k == "contact_queued") {
    if (!c.queued) {
      c.queued = true;
      c.cdr.queuedMs = t;
    } else if (!c.accepted && !c.acdPending) {
      c.waitEndMs = 0;  // back in a queue after leaving one: the wait goes on
    }
    if (!f.queue.empty()) c.cdr.queue = f.queue;
    c.acdPending = true;
  } else if (k == "contact_overflowed") {
    if (!f.queue.empty()) c.cdr.queue = f.queue;
  } else if (k == "contact_offered") {
    if (c.cdr.offeredMs == 0) c.cdr.offeredMs = t;
    c.pendingOffers.push_back(f.agent);
    c.acdPending = true;
  } else if (k == "offer_failed") {
    auto it = std::find(c.pendingOffers.begin(), c.pendingOffers.end(), f.agent);
    if (it != c.pendingOffers.end()) c.pendingOffers.erase(it);
  } else if (k == "contact_accepted") {
    if (!c.accepted) {
      c.accepted = true;
      c.cdr.acceptedMs = t;
      c.cdr.agent = f.agent;
      // On hold since before the accept: the agent's hold time starts now.
      if (!c.legsOnHold.empty()) c.holdSinceMs = std::max(c.holdSinceMs, t);
    }
    c.pendingOffers.clear();
    c.acdPending = true;  // until contact_ended
  } else if (k == "contact_abandoned") {
    c.abandoned = true;
    contactOut(c, t);
  } else if (k == "contact_left") {
    c.left = true;
    contactOut(c, t);
  } else if (k == "contact_callback") {
    c.callback = true;
    contactOut(c, t);
  }
}

void BuilderState::contactEnded(std::uint64_t run, const CallKey& key, OpenCall& c,
                                const store::Event& e, const EventFields& f) {
  std::int64_t t = e.timeMs;
  c.acdPending = false;
  if (c.handlingEndMs != 0) return;
  c.handlingEndMs = t;
  closeHolds(c, t);
  const std::string& agent = !f.agent.empty() ? f.agent : c.cdr.agent;
  if (agent.empty()) {
    c.wrap = WrapUp::kDone;
    return;
  }
  // The ACD moves the agent on_call -> wrap_up (or ready, ...) right after contact_ended; if
  // the agent_state came first, the agent is already in wrap_up.
  AgentTrack& a = agentFor(run, e.tenant, agent);
  a.wrapCall = key;
  if (a.state == "wrap_up") {
    c.wrap = WrapUp::kIn;
    c.wrapFromMs = a.sinceMs;
  } else {
    c.wrap = WrapUp::kAwaiting;
    c.wrapFromMs = t;
  }
}

AgentTrack& BuilderState::agentFor(std::uint64_t run, const std::string& tenant,
                                   const std::string& agent) {
  if (auto it = agents_.find({run, agent, tenant}); it != agents_.end()) return it->second;
  // A shared seat's events carry its owning tenant, a contact's events the contact's tenant:
  // an agent of that name seen in another tenant is the one.
  auto it = agents_.lower_bound({run, agent, std::string()});
  if (it != agents_.end() && std::get<0>(it->first) == run && std::get<1>(it->first) == agent) {
    return it->second;
  }
  return agents_[{run, agent, tenant}];
}

void BuilderState::agentState(std::uint64_t run, const store::Event& e, const EventFields& f,
                              store::Derived& out) {
  if (f.agent.empty() || f.to.empty()) {
    ++malformed_;
    return;
  }
  std::int64_t t = e.timeMs;
  AgentTrack& a = agents_[{run, f.agent, e.tenant}];
  // Zero-length intervals (offered -> ready -> offered in one millisecond) carry no time and
  // would collide with the next interval's (agent, start, state) key: not emitted.
  if (!a.state.empty() && t > a.sinceMs) {
    out.agentStates.push_back({run, e.tenant, f.agent, a.state, a.reason, a.sinceMs, t});
  }
  a.state = f.to;
  a.reason = f.reason;
  a.sinceMs = std::max(t, a.sinceMs);
  if (!a.wrapCall) return;
  CallKey key = *a.wrapCall;
  auto it = open_.find(key);
  if (it == open_.end()) {
    a.wrapCall.reset();
    return;
  }
  OpenCall& c = it->second;
  if (c.wrap == WrapUp::kAwaiting) {
    c.wrap = f.to == "wrap_up" ? WrapUp::kIn : WrapUp::kDone;
    c.wrapFromMs = t;
  } else if (c.wrap == WrapUp::kIn && f.to != "wrap_up") {
    c.cdr.wrapUpEndMs = t;
    c.cdr.wrapUpMs = std::max<std::int64_t>(0, t - c.wrapFromMs);
    c.wrap = WrapUp::kDone;
  }
  if (c.wrap == WrapUp::kDone) a.wrapCall.reset();
  tryClose(key, t, out);
}

void BuilderState::onFlowEvent(std::uint64_t run, const store::Event& e, const EventFields& f,
                               store::Derived& out) {
  (void)out;
  if (e.kind != "step") return;
  if (f.call == 0) {
    ++malformed_;
    return;
  }
  CallKey key{run, f.call};
  if (!open_.count(key) && isFinished(key)) return;
  OpenCall& c = openCall(key, e);
  if (f.type == "hangup") c.flowHungUp = true;
}

}  // namespace sb::report::internal
