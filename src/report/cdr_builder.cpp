// CdrBuilder: dispatch by source, CDRs held back after their call ended (ACD outcome, wrap-up)
// and released by later events' time, emission with durations and classification, and
// interruptAll. Call events: cdr_builder_calls.cpp; ACD and flow: cdr_builder_acd.cpp.

#include "report/cdr_builder.h"

#include <algorithm>

#include "report/internal/builder_state.h"

namespace sb::report {

CdrBuilder::CdrBuilder(ThresholdsOf thresholds)
    : state_(std::make_unique<internal::BuilderState>(std::move(thresholds))) {}
CdrBuilder::~CdrBuilder() = default;
CdrBuilder::CdrBuilder(CdrBuilder&&) noexcept = default;
CdrBuilder& CdrBuilder::operator=(CdrBuilder&&) noexcept = default;

void CdrBuilder::apply(std::uint64_t run, const store::Event& e, store::Derived& out) {
  state_->apply(run, e, out);
}
void CdrBuilder::interruptAll(std::int64_t timeMs, store::Derived& out) {
  state_->interruptAll(timeMs, out);
}
std::size_t CdrBuilder::openCalls() const {
  return state_->openCalls();
}
std::uint64_t CdrBuilder::malformed() const {
  return state_->malformed();
}

void classify(store::Cdr& cdr, const Thresholds& t) {
  bool answered = cdr.disposition == store::Disposition::kAnswered;
  bool abandoned = cdr.disposition == store::Disposition::kAbandoned;
  cdr.answeredInSl = answered && cdr.waitMs <= t.serviceLevelMs;
  cdr.abandonedInSl = abandoned && cdr.waitMs <= t.serviceLevelMs;
  cdr.shortAbandon = abandoned && cdr.waitMs <= t.shortAbandonMs;
}

namespace internal {

void BuilderState::apply(std::uint64_t run, const store::Event& e, store::Derived& out) {
  // Held CDRs whose grace ran out by this event's time go first, so that `out` is in time order.
  sweep(e.timeMs, out);
  auto f = parseEventFields(e.body);
  if (!f) {
    ++malformed_;
    return;
  }
  if (f->call == 0) f->call = e.call;
  if (e.source == "call") {
    onCallEvent(run, e, *f, out);
  } else if (e.source == "acd") {
    onAcdEvent(run, e, *f, out);
  } else if (e.source == "flow") {
    onFlowEvent(run, e, *f, out);
  }
}

OpenCall& BuilderState::openCall(const CallKey& key, const store::Event& e) {
  auto [it, inserted] = open_.try_emplace(key);
  if (inserted) {
    // Created by whatever event comes first (a recovery may start mid-call).
    it->second.cdr.run = key.first;
    it->second.cdr.call = key.second;
    it->second.cdr.tenant = e.tenant;
    it->second.cdr.startMs = e.timeMs;
  }
  return it->second;
}

void BuilderState::sweep(std::int64_t now, store::Derived& out) {
  while (!deadlines_.empty() && deadlines_.begin()->first < now) {
    CallKey key = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    tryClose(key, now, out);
  }
}

void BuilderState::tryClose(const CallKey& key, std::int64_t now, store::Derived& out) {
  auto it = open_.find(key);
  if (it == open_.end() || !it->second.ended) return;
  const OpenCall& c = it->second;
  // Each reason to hold has its own deadline; the CDR waits while any is still running, and
  // is re-checked at the earliest running one. Every deadline is finite: nothing waits forever.
  std::optional<std::int64_t> next;
  auto holdUntil = [&](bool applies, std::int64_t deadline) {
    if (applies && now <= deadline) next = next ? std::min(*next, deadline) : deadline;
  };
  holdUntil(c.acdPending, c.cdr.endMs + kSettleGraceMs);
  holdUntil(c.wrap == WrapUp::kAwaiting, c.wrapFromMs + kWrapUpDecisionMs);
  holdUntil(c.wrap == WrapUp::kIn, c.wrapFromMs + kMaxWrapUpHoldMs);
  if (next) {
    deadlines_.insert({*next, key});
    return;
  }
  emit(it, out);
}

void BuilderState::emit(std::map<CallKey, OpenCall>::iterator it, store::Derived& out) {
  OpenCall& c = it->second;
  finishCdr(c);
  classify(c.cdr, thresholds_ ? thresholds_(c.cdr.tenant) : Thresholds{});
  remember(it->first, c);
  out.cdrs.push_back(std::move(c.cdr));
  open_.erase(it);
}

void BuilderState::remember(const CallKey& key, const OpenCall& c) {
  FinishedCall& f = finished_[key];
  f.tenant = c.cdr.tenant;
  f.agent = c.cdr.agent;
  f.recordingStarts = c.recordingStarts;
  finishedOrder_.push_back(key);
  while (finishedOrder_.size() > kFinishedMemory) {
    finished_.erase(finishedOrder_.front());
    finishedOrder_.pop_front();
  }
}

void BuilderState::interruptAll(std::int64_t timeMs, store::Derived& out) {
  while (!open_.empty()) {
    auto it = open_.begin();
    OpenCall& c = it->second;
    if (c.ended) {
      // Ended and held back: emitted as it is; a wrap-up still running ends now.
      if (c.wrap == WrapUp::kIn && timeMs >= c.wrapFromMs) {
        c.cdr.wrapUpEndMs = timeMs;
        c.cdr.wrapUpMs = timeMs - c.wrapFromMs;
      }
      emit(it, out);
      continue;
    }
    c.ended = true;
    c.interrupted = true;
    c.cdr.endMs = std::max(timeMs, c.cdr.startMs);
    for (auto& leg : c.cdr.legs) {
      if (leg.endedMs != 0) continue;
      leg.endedMs = c.cdr.endMs;
      leg.cause = "interrupted";
    }
    c.cdr.hangupSide = "system";
    c.cdr.hangupCause = "interrupted";
    emit(it, out);
  }
  for (auto& [key, a] : agents_) {
    if (a.state.empty() || timeMs <= a.sinceMs) continue;
    out.agentStates.push_back({std::get<0>(key), std::get<2>(key), std::get<1>(key), a.state,
                               a.reason, a.sinceMs, timeMs});
  }
  agents_.clear();
  deadlines_.clear();
}

void addHold(OpenCall& c, std::int64_t from, std::int64_t to) {
  if (!c.accepted) return;
  from = std::max(from, c.cdr.acceptedMs);
  if (c.handlingEndMs != 0) to = std::min(to, c.handlingEndMs);
  if (to > from) c.cdr.holdMs += to - from;
}

void closeHolds(OpenCall& c, std::int64_t t) {
  if (c.legsOnHold.empty()) return;
  addHold(c, c.holdSinceMs, t);
  c.legsOnHold.clear();
}

store::Disposition dispositionOf(const OpenCall& c) {
  using D = store::Disposition;
  if (c.interrupted) return D::kInterrupted;
  if (c.accepted) return D::kAnswered;
  if (c.callback) return D::kCallback;
  // The node ended the call while stopping: the caller neither abandoned nor was served.
  if (c.cdr.hangupCause == "shutdown") return D::kInterrupted;
  if (c.abandoned) return D::kAbandoned;
  if (c.left) return D::kLeft;
  // Queued, and the ACD said nothing by the settle deadline: the caller was lost while queued.
  if (c.queued) return D::kAbandoned;
  if (c.callerLeg == 0) return D::kOutbound;
  if (c.cdr.answerMs != 0) return D::kSelfService;
  return D::kUnanswered;
}

void finishCdr(OpenCall& c) {
  store::Cdr& d = c.cdr;
  d.disposition = dispositionOf(c);
  std::int64_t end = d.endMs;
  auto span = [](std::int64_t from, std::int64_t to) {
    return std::max<std::int64_t>(0, to - from);
  };
  d.ivrMs = d.answerMs != 0 ? span(d.answerMs, d.queuedMs != 0 ? d.queuedMs : end) : 0;
  std::int64_t waitEnd = c.accepted ? d.acceptedMs : (c.waitEndMs != 0 ? c.waitEndMs : end);
  d.waitMs = d.queuedMs != 0 ? span(d.queuedMs, waitEnd) : 0;
  std::int64_t handlingEnd = c.handlingEndMs != 0 ? c.handlingEndMs : end;
  closeHolds(c, handlingEnd);
  d.talkMs = c.accepted ? std::max<std::int64_t>(0, span(d.acceptedMs, handlingEnd) - d.holdMs) : 0;
}

}  // namespace internal
}  // namespace sb::report
