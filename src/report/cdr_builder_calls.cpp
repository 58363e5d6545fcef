// Call events (source "call", app/event_log.cpp): legs and their roles, answer, hold, hang-up
// cause and side, call end, recordings (docs/metrics.md "CDRs", "Hang-up side", "Recordings").

#include <algorithm>
#include <string_view>

#include "report/internal/builder_state.h"

namespace sb::report::internal {

namespace {

constexpr std::string_view kInbound = "inbound from ";
constexpr std::string_view kOutbound = "outbound to ";

store::CdrLeg& legOf(OpenCall& c, std::uint64_t id, std::int64_t t) {
  for (auto& l : c.cdr.legs) {
    if (l.leg == id) return l;
  }
  // A leg first seen after its leg_created (a recovery starting mid-call): what it was is
  // unknown, "outbound" is the neutral role.
  store::CdrLeg l;
  l.leg = id;
  l.role = "outbound";
  l.createdMs = t;
  c.cdr.legs.push_back(std::move(l));
  return c.cdr.legs.back();
}

bool peerGone(std::string_view cause) {
  // hangupCauseName(kPeerGone) is "peer_hung_up"; "peer_gone" is accepted as well.
  return cause == "peer_hung_up" || cause == "peer_gone";
}

// Whether a leg's end says how the call ended: not the echo of a peer's hang-up, not a hand-off
// (transfer), and not a leg that never connected (a missed offer, a failed transfer attempt).
bool endsTheCall(const OpenCall& c, const store::CdrLeg& l, std::string_view cause) {
  if (peerGone(cause) || cause == "transferred") return false;
  return l.leg == c.callerLeg || l.answeredMs != 0;
}

std::string sideOf(const OpenCall& c, const store::CdrLeg& l, std::string_view cause,
                   bool byUs) {
  // The node hung the leg up (a hangup node, a timed hang-up, the API): the system's doing.
  if (byUs) return "system";
  if (l.leg == c.callerLeg && c.callerLeg != 0 && (cause == "normal" || cause == "cancelled")) {
    // A hangup node ends the caller's leg with "normal" too; that is the flow, not the caller.
    return c.flowHungUp ? "system" : "caller";
  }
  if (l.role == "agent" && cause == "normal") return "agent";
  return "system";
}

void holdOn(OpenCall& c, std::uint64_t leg, std::int64_t t) {
  if (std::find(c.legsOnHold.begin(), c.legsOnHold.end(), leg) != c.legsOnHold.end()) return;
  if (c.legsOnHold.empty()) c.holdSinceMs = t;
  c.legsOnHold.push_back(leg);
}

void holdOff(OpenCall& c, std::uint64_t leg, std::int64_t t) {
  auto it = std::find(c.legsOnHold.begin(), c.legsOnHold.end(), leg);
  if (it == c.legsOnHold.end()) return;
  c.legsOnHold.erase(it);
  // Both sides may be on hold at once (the agent's phone and our music on hold): count once.
  if (c.legsOnHold.empty()) addHold(c, c.holdSinceMs, t);
}

}  // namespace

void BuilderState::onCallEvent(std::uint64_t run, const store::Event& e, const EventFields& f,
                               store::Derived& out) {
  if (f.call == 0) {
    ++malformed_;
    return;
  }
  CallKey key{run, f.call};
  const std::string& k = e.kind;
  if (k == "recording_stopped") {
    recordingStopped(run, e, f, out);
    return;
  }
  if (!open_.count(key) && isFinished(key)) return;  // late echo of a finished call
  bool legEvent = k != "call_created" && k != "call_ended";
  if (legEvent && f.leg == 0) {
    ++malformed_;
    return;
  }
  OpenCall& c = openCall(key, e);
  std::int64_t t = e.timeMs;
  if (k == "call_created") {
    c.cdr.number = f.detail;
    c.cdr.startMs = std::min(c.cdr.startMs, t);
  } else if (k == "leg_created") {
    legCreated(c, f, t);
  } else if (k == "ringing") {
    auto& l = legOf(c, f.leg, t);
    if (l.ringingMs == 0) l.ringingMs = t;
  } else if (k == "answered") {
    auto& l = legOf(c, f.leg, t);
    if (l.answeredMs == 0) l.answeredMs = t;
    if (f.leg == c.callerLeg && c.cdr.answerMs == 0) c.cdr.answerMs = t;
  } else if (k == "hold") {
    legOf(c, f.leg, t);
    holdOn(c, f.leg, t);
  } else if (k == "unhold") {
    holdOff(c, f.leg, t);
  } else if (k == "recording_started") {
    if (c.cdr.recording.empty()) c.cdr.recording = f.detail;
    c.recordingStarts[f.leg] = t;
  } else if (k == "transferred") {
    if (f.other != 0) legOf(c, f.other, t).role = "transfer";
  } else if (k == "leg_ended") {
    legEnded(c, f, t);
  } else if (k == "call_ended") {
    callEnded(c, f, t);
    tryClose(key, t, out);
  }
}

void BuilderState::legCreated(OpenCall& c, const EventFields& f, std::int64_t t) {
  for (const auto& l : c.cdr.legs) {
    if (l.leg == f.leg) return;
  }
  store::CdrLeg l;
  l.leg = f.leg;
  l.createdMs = t;
  std::string_view d = f.detail;
  if (d.substr(0, kInbound.size()) == kInbound && c.callerLeg == 0) {
    l.role = "caller";
    l.peer = std::string(d.substr(kInbound.size()));
    c.callerLeg = f.leg;
    c.cdr.caller = l.peer;
  } else {
    l.peer =
        std::string(d.substr(0, kOutbound.size()) == kOutbound ? d.substr(kOutbound.size()) : d);
    if (!c.pendingOffers.empty()) {
      // The ACD's offer comes first, then the app originates the agent's leg (ring-all: one
      // offer and one leg per agent, in the same order).
      l.role = "agent";
      l.agent = c.pendingOffers.front();
      c.pendingOffers.pop_front();
    } else {
      l.role = "outbound";
    }
  }
  c.cdr.legs.push_back(std::move(l));
}

void BuilderState::legEnded(OpenCall& c, const EventFields& f, std::int64_t t) {
  auto& l = legOf(c, f.leg, t);
  if (l.endedMs == 0) {
    l.endedMs = t;
    l.cause = f.detail;
  }
  holdOff(c, f.leg, t);
  if (!c.causeSet && endsTheCall(c, l, f.detail)) {
    c.cdr.hangupCause = f.detail;
    c.cdr.hangupSide = sideOf(c, l, f.detail, f.by == "us");
    c.causeSet = true;
  }
}

void BuilderState::callEnded(OpenCall& c, const EventFields& f, std::int64_t t) {
  c.ended = true;
  c.cdr.endMs = std::max(t, c.cdr.startMs);
  if (!c.causeSet) {
    // No leg's end qualified (nothing ever connected): the last leg's cause, as the call layer
    // reports it.
    c.cdr.hangupCause = f.detail;
    c.cdr.hangupSide = "system";
    for (const auto& l : c.cdr.legs) {
      if (l.leg == f.leg) c.cdr.hangupSide = sideOf(c, l, f.detail, false);
    }
    c.causeSet = true;
  }
  closeHolds(c, t);
}

void BuilderState::recordingStopped(std::uint64_t run, const store::Event& e, const EventFields& f,
                                    store::Derived& out) {
  CallKey key{run, f.call};
  if (f.detail.rfind("failed:", 0) == 0) return;  // nothing was written; the log says why
  store::RecordingEntry r;
  if (f.leg == 0 || !parseRecordingStopped(f.detail, r.path, r.durationMs)) {
    ++malformed_;
    return;
  }
  r.run = run;
  r.call = f.call;
  r.leg = f.leg;
  std::map<std::uint64_t, std::int64_t>* starts = nullptr;
  if (auto fin = finished_.find(key); fin != finished_.end() && !open_.count(key)) {
    r.tenant = fin->second.tenant;
    r.agent = fin->second.agent;
    starts = &fin->second.recordingStarts;
  } else {
    OpenCall& c = openCall(key, e);
    if (c.cdr.recording.empty()) c.cdr.recording = r.path;
    r.tenant = c.cdr.tenant;
    r.agent = c.cdr.agent;
    starts = &c.recordingStarts;
  }
  // Without its recording_started (a recovery mid-call), the start is the stop minus the length.
  auto s = starts->find(f.leg);
  r.startMs = s != starts->end() ? s->second : e.timeMs - r.durationMs;
  if (s != starts->end()) starts->erase(s);
  out.recordings.push_back(std::move(r));
}

}  // namespace sb::report::internal
