#include "crowd/internal/customers.h"

#include <algorithm>

namespace sb::crowd::internal {
namespace {

using call::HangupCause;
using std::chrono::seconds;

constexpr std::size_t kCallerPool = 12;  // distinct caller numbers; repeats exercise owners
constexpr seconds kMinPatience{5};       // or patienceMean when shorter
constexpr int kCallerPicks = 4;          // tries to find a pool number not on a call right now

}  // namespace

Customers::Customers(CrowdContext& ctx, Endpoint server) : ctx_(ctx), server_(server) {
  // Fixed 11-digit mobile-style numbers 13800000001...: a demo config can name some of them
  // as known customers with owners, VIPs or blacklisted callers.
  for (std::size_t i = 1; i <= kCallerPool; ++i) {
    std::string tail = std::to_string(i);
    callerPool_.push_back("138" + std::string(8 - tail.size(), '0') + tail);
  }
}

Customers::~Customers() {
  stop();
}

void Customers::start() {
  if (running_ || ctx_.config.callsPerMinute <= 0 || ctx_.config.number.empty()) return;
  running_ = true;
  scheduleArrival();
}

void Customers::stop() {
  running_ = false;
  ctx_.timers.cancel(arrivalTimer_);
  arrivalTimer_ = {};
  for (auto& [leg, c] : calls_) {
    ctx_.timers.cancel(c.menuTimer);
    ctx_.timers.cancel(c.patienceTimer);
    ctx_.timers.cancel(c.capTimer);
    c.leaving = true;  // what follows is our shutdown, not the customer's story
  }
}

Customers::Customer* Customers::find(call::LegId leg) {
  auto it = calls_.find(leg);
  return it == calls_.end() ? nullptr : &it->second;
}

void Customers::scheduleArrival() {
  std::size_t max = ctx_.config.maxCalls;
  if (!running_ || (max != 0 && ctx_.counters.callsPlaced.load() >= max)) return;
  // Poisson arrivals: exponential gaps with mean 60 s / rate.
  auto mean = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(60.0 / ctx_.config.callsPerMinute));
  arrivalTimer_ = ctx_.timers.start(ctx_.exponential(mean, Duration::zero()), [this] {
    arrivalTimer_ = {};
    placeCall();
    scheduleArrival();
  });
}

std::string Customers::pickCaller() {
  std::uniform_int_distribution<std::size_t> pick(0, callerPool_.size() - 1);
  std::string caller;
  for (int i = 0; i < kCallerPicks; ++i) {
    caller = callerPool_[pick(ctx_.rng)];
    bool onCall = std::any_of(calls_.begin(), calls_.end(),
                              [&](const auto& kv) { return kv.second.caller == caller; });
    if (!onCall) break;
  }
  return caller;
}

void Customers::placeCall() {
  const CrowdConfig& cfg = ctx_.config;
  std::string caller = pickCaller();
  call::OriginateSpec spec;
  spec.tenant = "crowd";
  std::string host = server_.v6 ? "[" + server_.ip() + "]" : server_.ip();
  spec.requestUri = "sip:" + cfg.number + "@" + host + ":" + std::to_string(server_.port);
  spec.destination.transport = sip::Transport::kUdp;
  spec.destination.remote = server_;
  spec.fromUser = caller;
  // Our patience timer ends a call that is not answered; this only bounds it further.
  spec.ringTimeout = 6 * cfg.patienceMean + seconds(30);
  auto leg = ctx_.calls.originate(
      spec, [this](call::LegId id, call::OriginateOutcome out) { onOutcome(id, out); });
  bump(ctx_.counters.callsPlaced);
  if (!leg) {
    bump(ctx_.counters.errors);
    ctx_.say("customer " + caller + " cannot call: " + leg.error().message);
    return;
  }
  Customer& c = calls_[*leg];
  c.caller = caller;
  c.placed = ctx_.clock.now();
  call::LegId id = *leg;
  Duration floor = std::min<Duration>(kMinPatience, cfg.patienceMean);
  c.patienceTimer =
      ctx_.timers.start(ctx_.exponential(cfg.patienceMean, floor), [this, id] { giveUp(id); });
  ctx_.say("customer " + caller + " calls " + cfg.number);
}

void Customers::onOutcome(call::LegId leg, const call::OriginateOutcome& outcome) {
  Customer* c = find(leg);
  if (c == nullptr) return;
  if (outcome.answered) {
    onAnswered(leg, *c);
    return;
  }
  if (!c->leaving) {
    bump(ctx_.counters.errors);
    ctx_.say("customer " + c->caller + ": call failed (" +
             std::string(call::hangupCauseName(outcome.cause)) +
             (outcome.sipStatus != 0 ? ", " + std::to_string(outcome.sipStatus) : "") + ")");
  }
  erase(leg);  // a failed originate gets no onLegEnded
}

void Customers::onAnswered(call::LegId leg, Customer& c) {
  bump(ctx_.counters.callsAnswered);
  c.answered = true;
  // A cadenced tone stands in for the customer's voice, so RTP flows towards the server too.
  (void)ctx_.calls.play(leg, call::Prompt::tone("ringback", true));
  const std::string& digits = ctx_.config.menuDigits;
  if (digits.empty()) return;
  c.menuTimer = ctx_.timers.start(ctx_.config.menuDelay, [this, leg, digits] {
    Customer* x = find(leg);
    if (x == nullptr) return;
    x->menuTimer = {};
    if (!x->connected) (void)ctx_.calls.sendDigits(leg, digits);
  });
}

bool Customers::onDigit(call::LegId leg, char digit) {
  Customer* c = find(leg);
  if (c == nullptr) return false;
  if (digit != '#' || c->connected || c->leaving) return true;
  c->connected = true;
  c->connectedAt = ctx_.clock.now();
  ctx_.timers.cancel(c->patienceTimer);
  c->patienceTimer = {};
  ctx_.timers.cancel(c->menuTimer);
  c->menuTimer = {};
  bump(ctx_.counters.connectedToAgent);
  ctx_.say("customer " + c->caller + " is talking to an agent after " +
           std::to_string(ctx_.secondsSince(c->placed)) + " s");
  // The agent normally ends the call; this bounds a conversation the server never ends.
  c->capTimer = ctx_.timers.start(3 * ctx_.config.talkMean, [this, leg] {
    if (Customer* x = find(leg)) x->capTimer = {};
    leave(leg, "ends the conversation");
  });
  return true;
}

void Customers::giveUp(call::LegId leg) {
  Customer* c = find(leg);
  if (c == nullptr) return;
  c->patienceTimer = {};
  if (c->connected) return;
  bump(ctx_.counters.abandoned);
  leave(leg, "abandons");
}

void Customers::leave(call::LegId leg, const std::string& why) {
  Customer* c = find(leg);
  if (c == nullptr || c->leaving) return;
  c->leaving = true;
  ctx_.say("customer " + c->caller + " " + why + " after " +
           std::to_string(ctx_.secondsSince(c->placed)) + " s");
  // Before the answer this CANCELs (the originate reports the failure), after it BYEs.
  (void)ctx_.calls.hangup(leg, c->answered ? HangupCause::kNormal : HangupCause::kCancelled);
}

bool Customers::onLegEnded(call::LegId leg, call::HangupCause cause) {
  Customer* c = find(leg);
  if (c == nullptr) return false;
  if (!c->leaving) {
    if (c->connected) {
      ctx_.say("customer " + c->caller + " done: the agent hung up after " +
               std::to_string(ctx_.secondsSince(c->connectedAt)) + " s");
    } else {
      ctx_.say("customer " + c->caller + ": the server ended the call before an agent (" +
               std::string(call::hangupCauseName(cause)) + ")");
    }
  }
  erase(leg);
  return true;
}

void Customers::erase(call::LegId leg) {
  auto it = calls_.find(leg);
  if (it == calls_.end()) return;
  ctx_.timers.cancel(it->second.menuTimer);
  ctx_.timers.cancel(it->second.patienceTimer);
  ctx_.timers.cancel(it->second.capTimer);
  calls_.erase(it);
}

}  // namespace sb::crowd::internal
