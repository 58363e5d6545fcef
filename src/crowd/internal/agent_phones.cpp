#include "crowd/internal/agent_phones.h"

namespace sb::crowd::internal {
namespace {

using call::HangupCause;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// When the agent's "#" goes out after answering: late enough for the server to have bridged
/// the caller (a digit before the bridge stops at the server), repeated once in case.
constexpr milliseconds kHashDelay{1000};
constexpr milliseconds kHashRepeat{3000};
/// An offer the agent lets ring is normally cancelled by the server; this bounds it anyway.
constexpr seconds kRingOutLimit{120};
constexpr seconds kMinTalk{3};

}  // namespace

AgentPhones::AgentPhones(CrowdContext& ctx) : ctx_(ctx) {
  for (const auto& seat : ctx_.config.agents) agents_[seat.user].user = seat.user;
}

AgentPhones::~AgentPhones() {
  stop();
}

void AgentPhones::stop() {
  stopping_ = true;
  for (auto& [user, a] : agents_) clear(a);
}

AgentPhones::Agent* AgentPhones::byLeg(call::LegId leg) {
  auto it = legs_.find(leg);
  if (it == legs_.end()) return nullptr;
  auto a = agents_.find(it->second);
  return a == agents_.end() ? nullptr : &a->second;
}

void AgentPhones::clear(Agent& a) {
  ctx_.timers.cancel(a.timer);
  ctx_.timers.cancel(a.hashTimer);
  ctx_.timers.cancel(a.hashAgain);
  a.timer = a.hashTimer = a.hashAgain = {};
  if (a.leg != 0) legs_.erase(a.leg);
  a.leg = 0;
  a.phase = Phase::kIdle;
  a.hangingUp = false;
}

void AgentPhones::onIncoming(const call::IncomingCall& call) {
  auto it = agents_.find(call.number);
  if (it == agents_.end() || stopping_) {
    (void)ctx_.calls.hangup(call.leg, HangupCause::kUnavailable);
    return;
  }
  Agent& a = it->second;
  if (a.phase != Phase::kIdle) {
    bump(ctx_.counters.agentBusy);
    ctx_.say("agent " + a.user + " is on a call, rejects " + call.fromUser + " (486)");
    (void)ctx_.calls.hangup(call.leg, HangupCause::kBusy);
    return;
  }
  bump(ctx_.counters.offers);
  a.phase = Phase::kRinging;
  a.leg = call.leg;
  a.caller = call.fromUser;
  a.since = ctx_.clock.now();
  legs_[call.leg] = a.user;
  (void)ctx_.calls.ring(call.leg);
  std::string user = a.user;
  if (ctx_.chance(ctx_.config.agentNoAnswer)) {
    ctx_.say("agent " + user + " rings (" + call.fromUser + "), nobody picks up");
    a.timer = ctx_.timers.start(kRingOutLimit, [this, user] {
      Agent& x = agents_.at(user);
      x.timer = {};
      if (x.phase == Phase::kRinging) (void)ctx_.calls.hangup(x.leg, HangupCause::kNoAnswer);
    });
    return;
  }
  ctx_.say("agent " + user + " rings (" + call.fromUser + ")");
  Duration ring = ctx_.uniform(ctx_.config.ringMin, ctx_.config.ringMax);
  a.timer = ctx_.timers.start(ring, [this, user] {
    Agent& x = agents_.at(user);
    x.timer = {};
    if (x.phase == Phase::kRinging) answer(x);
  });
}

void AgentPhones::answer(Agent& a) {
  if (!ctx_.calls.answer(a.leg)) {
    bump(ctx_.counters.errors);
    ctx_.say("agent " + a.user + " could not answer");
    (void)ctx_.calls.hangup(a.leg, HangupCause::kError);
    return;
  }
  bump(ctx_.counters.agentAnswered);
  a.phase = Phase::kTalking;
  a.since = ctx_.clock.now();
  ctx_.say("agent " + a.user + " answers " + a.caller);
  // A steady tone stands in for the agent's voice: RTP flows both ways through the bridge.
  (void)ctx_.calls.play(a.leg, call::Prompt::tone("dial", true));
  call::LegId leg = a.leg;
  a.hashTimer = ctx_.timers.start(kHashDelay, [this, leg] { sendHash(leg); });
  a.hashAgain = ctx_.timers.start(kHashRepeat, [this, leg] { sendHash(leg); });
  Duration floor = std::min<Duration>(kMinTalk, ctx_.config.talkMean);
  Duration talk = ctx_.exponential(ctx_.config.talkMean, floor);
  std::string user = a.user;
  a.timer = ctx_.timers.start(talk, [this, user] {
    Agent& x = agents_.at(user);
    x.timer = {};
    finish(x);
  });
}

void AgentPhones::sendHash(call::LegId leg) {
  Agent* a = byLeg(leg);
  if (a == nullptr || a->phase != Phase::kTalking) return;
  (void)ctx_.calls.sendDigits(leg, "#");
}

void AgentPhones::finish(Agent& a) {
  if (a.phase != Phase::kTalking) return;
  ctx_.say("agent " + a.user + " hangs up on " + a.caller + " after " +
           std::to_string(ctx_.secondsSince(a.since)) + " s");
  a.hangingUp = true;
  (void)ctx_.calls.hangup(a.leg, HangupCause::kNormal);  // onLegEnded clears the phone
}

bool AgentPhones::onLegEnded(call::LegId leg, call::HangupCause cause) {
  Agent* a = byLeg(leg);
  if (a == nullptr) return false;
  if (!stopping_) {
    if (a->phase == Phase::kRinging) {
      bump(ctx_.counters.agentMissed);
      ctx_.say("agent " + a->user + " missed " + a->caller + " (" +
               std::string(call::hangupCauseName(cause)) + " after " +
               std::to_string(ctx_.secondsSince(a->since)) + " s of ringing)");
    } else if (a->phase == Phase::kTalking && !a->hangingUp) {
      ctx_.say("agent " + a->user + ": " + a->caller + " hung up after " +
               std::to_string(ctx_.secondsSince(a->since)) + " s");
    }
  }
  clear(*a);
  return true;
}

}  // namespace sb::crowd::internal
