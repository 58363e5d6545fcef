// Flow execution: each caller leg of a `flow` number walks its tenant's published flow; this
// file turns the run's actions into call-layer commands and their results into outcomes.
// Agents, offers and the ACD port are in contact_center_agents.cpp.

#include "app/contact_center.h"

#include <chrono>
#include <set>

#include "api/http_client.h"
#include "app/internal/contact_center_state.h"
#include "base/log.h"

namespace sb::app {

using call::HangupCause;
using call::LegId;

ContactCenter::ContactCenter(call::CallManager& calls, TimerWheel& timers, const Clock& clock,
                             const Dialplan& dialplan, const MediaSettings& media,
                             BlockingPool& pool, Post post, EventLog& events, std::uint64_t seed)
    : calls_(calls),
      timers_(timers),
      clock_(clock),
      dialplan_(dialplan),
      media_(media),
      pool_(pool),
      post_(std::move(post)),
      events_(events),
      acd_(clock, *this, seed) {}

ContactCenter::~ContactCenter() {
  timers_.cancel(acdTimer_);
  for (auto& [leg, c] : callers_) timers_.cancel(c->timer);
  for (auto& [id, o] : offers_) timers_.cancel(o->timer);
}

bool ContactCenter::owns(LegId leg) const {
  return callers_.count(leg) || offerByLeg_.count(leg) || agentLegs_.count(leg);
}

ContactCenter::Caller* ContactCenter::caller(LegId leg) {
  auto it = callers_.find(leg);
  return it == callers_.end() ? nullptr : it->second.get();
}

ContactCenter::Caller* ContactCenter::current(LegId leg, std::uint64_t token) {
  Caller* c = caller(leg);
  return c != nullptr && c->token == token ? c : nullptr;
}

// ------------------------------------------------------------------ a call enters its flow

void ContactCenter::onIncoming(const call::IncomingCall& info) {
  auto t = tenants_.find(info.tenant);
  if (t == tenants_.end()) {
    (void)calls_.hangup(info.leg, HangupCause::kUnavailable);
    return;
  }
  if (!info.number.empty() && info.number.front() == '*') {
    featureCode(info);
    return;
  }
  const NumberConfig* number = nullptr;
  for (const auto& n : t->second->config->numbers) {
    if (n.number == info.number) number = &n;
  }
  auto version = number ? flows_.current(info.tenant, number->flow) : nullptr;
  if (version == nullptr) {
    spdlog::warn("flow: tenant {} number {} has no published flow", info.tenant, info.number);
    (void)calls_.hangup(info.leg, HangupCause::kUnavailable);
    return;
  }
  auto c = std::make_unique<Caller>();
  c->info = info;
  c->tenant = t->second.get();
  c->number = number;
  c->run = std::make_unique<flow::FlowRun>(
      std::move(version), *t->second->env,
      flow::CallFacts{info.tenant, info.fromUser, info.number, std::to_string(info.call)});
  Caller& ref = *c;
  callers_.emplace(info.leg, std::move(c));
  ++stats_.flowCalls;
  (void)calls_.ring(info.leg);
  if (!calls_.answer(info.leg)) {
    (void)calls_.hangup(info.leg, HangupCause::kError);  // its end clears the caller
    return;
  }
  if (number->record) {
    ref.recording = true;
    (void)calls_.startRecording(info.leg, recordingPath(media_, info.tenant, info.call, "full"));
  }
  startFlow(ref);
}

void ContactCenter::startFlow(Caller& c) {
  LegId leg = c.info.leg;
  flow::Action a = c.run->start();
  logSteps(c);
  execute(leg, std::move(a));
}

void ContactCenter::resume(LegId leg, const flow::Outcome& outcome) {
  Caller* c = caller(leg);
  if (c == nullptr) return;
  c->waiting = Waiting::kNone;
  flow::Action a = c->run->resume(outcome);
  logSteps(*c);
  execute(leg, std::move(a));
}

void ContactCenter::logSteps(Caller& c) {
  for (const auto& s : c.run->takeSteps()) {
    events_.domainEvent("flow", c.info.tenant, "step",
                        {{"call", std::to_string(c.info.call)},
                         {"leg", std::to_string(c.info.leg)},
                         {"node", s.node},
                         {"type", std::string(flow::nodeTypeName(s.type))}},
                        s.detail);
  }
}

void ContactCenter::execute(LegId leg, flow::Action a) {
  // Lookups answer at once; loop over them rather than recursing.
  while (true) {
    Caller* c = caller(leg);
    if (c == nullptr) return;
    c->token = nextToken_++;
    if (const auto* l = a.as<flow::Lookup>()) {
      a = c->run->resume(doLookup(*c, *l));
      logSteps(*c);
      continue;
    }
    if (const auto* p = a.as<flow::Play>()) {
      doPlay(*c, *p);
    } else if (const auto* k = a.as<flow::Collect>()) {
      doCollect(*c, *k);
    } else if (const auto* h = a.as<flow::Http>()) {
      doHttp(*c, *h);
    } else if (const auto* q = a.as<flow::Queue>()) {
      doQueue(*c, *q);
    } else if (const auto* t = a.as<flow::Transfer>()) {
      doTransfer(*c, *t);
    } else if (const auto* v = a.as<flow::Voicemail>()) {
      doVoicemail(*c, *v);
    } else if (const auto* cb = a.as<flow::Callback>()) {
      doCallback(*c, *cb);
    } else if (const auto* h2 = a.as<flow::Hangup>()) {
      spdlog::debug("flow: call {} hangs up: {}", c->info.call, h2->reason);
      (void)calls_.hangup(leg, HangupCause::kNormal);
    }
    return;  // Done: the agent or transfer target has the call, or the caller is gone
  }
}

call::Prompt ContactCenter::toPrompt(const Caller& c, const flow::Prompt& p) const {
  switch (p.kind) {
    case flow::Prompt::Kind::kFile:
      return call::Prompt::file(p.value);
    case flow::Prompt::Kind::kTone:
      return call::Prompt::tone(p.value, false);
    case flow::Prompt::Kind::kText:
    case flow::Prompt::Kind::kNone:
      break;
  }
  return call::Prompt::speech(p.value, p.voice.empty() ? c.number->voice : p.voice);
}

void ContactCenter::doPlay(Caller& c, const flow::Play& p) {
  c.waiting = Waiting::kPlay;
  LegId leg = c.info.leg;
  std::uint64_t token = c.token;
  auto r = calls_.play(leg, toPrompt(c, p.prompt), [this, leg, token](bool ok) {
    if (current(leg, token)) resume(leg, flow::PlayOutcome{ok});
  });
  if (!r) resume(leg, flow::PlayOutcome{false});
}

void ContactCenter::playPrompts(LegId leg, std::uint64_t token, std::vector<flow::Prompt> prompts,
                                std::size_t next, std::function<void()> then) {
  Caller* c = current(leg, token);
  if (c == nullptr) return;
  if (next >= prompts.size() || c->bargedIn) {
    then();
    return;
  }
  call::Prompt p = toPrompt(*c, prompts[next]);
  auto r = calls_.play(
      leg, p,
      [this, leg, token, prompts = std::move(prompts), next, then = std::move(then)](bool) mutable {
        playPrompts(leg, token, std::move(prompts), next + 1, std::move(then));
      });
  (void)r;  // play fails only when the leg is gone, and then nothing waits for it
}

void ContactCenter::doCollect(Caller& c, const flow::Collect& k) {
  c.waiting = Waiting::kCollect;
  c.bargedIn = false;
  LegId leg = c.info.leg;
  std::uint64_t token = c.token;
  call::CollectSpec spec;
  spec.maxDigits = static_cast<std::size_t>(k.maxDigits);
  spec.terminator = k.terminator;
  spec.firstDigitTimeout = std::chrono::milliseconds(k.firstDigitTimeoutMs);
  spec.interDigitTimeout = std::chrono::milliseconds(k.interDigitTimeoutMs);
  // Keys pressed during the prompts (barge-in) wait in the type-ahead buffer and count; a
  // retry's flush applies only without prompts (its earlier keys were consumed already).
  spec.flushBuffered = k.flush && k.prompts.empty();
  playPrompts(leg, token, k.prompts, 0, [this, leg, token, spec] {
    if (!current(leg, token)) return;
    auto r = calls_.collect(leg, spec, [this, leg, token](call::CollectResult r2) {
      if (r2.end == call::CollectResult::End::kHangup || !current(leg, token)) return;
      flow::CollectOutcome o;
      o.digits = r2.digits;
      o.end = r2.end == call::CollectResult::End::kMaxDigits ? flow::CollectOutcome::End::kMaxDigits
              : r2.end == call::CollectResult::End::kTerminator
                  ? flow::CollectOutcome::End::kTerminator
                  : flow::CollectOutcome::End::kTimeout;
      resume(leg, o);
    });
    if (!r) resume(leg, flow::CollectOutcome{});
  });
}

void ContactCenter::onDigit(LegId leg, char digit) {
  if (auto it = offerByLeg_.find(leg); it != offerByLeg_.end()) {
    (void)digit;  // press-1 acceptance is a collection on the agent's leg
    return;
  }
  Caller* c = caller(leg);
  if (c == nullptr || c->waiting != Waiting::kCollect || c->bargedIn) return;
  c->bargedIn = true;  // the key stops the prompts; the collection takes it from the buffer
  (void)calls_.stopPlay(leg);
}

flow::LookupOutcome ContactCenter::doLookup(const Caller& c, const flow::Lookup& l) const {
  flow::LookupOutcome o;
  for (const auto& cust : c.tenant->config->customers) {
    if (cust.number != l.key) continue;
    o.found = true;
    o.fields = cust.fields;
    o.fields["id"] = cust.number;
    o.fields["name"] = cust.name;
    // The ACD holds ownership (a claim may have changed it since the configuration).
    auto owner = acd_.ownerOf(c.info.tenant, cust.number);
    o.fields["owner"] = owner ? agentName(*owner) : std::string();
    return o;
  }
  if (auto owner = acd_.ownerOf(c.info.tenant, l.key)) {
    o.found = true;  // a customer first met through offer/claim
    o.fields["id"] = l.key;
    o.fields["owner"] = agentName(*owner);
  }
  return o;
}

void ContactCenter::doHttp(Caller& c, const flow::Http& h) {
  c.waiting = Waiting::kHttp;
  ++stats_.httpRequests;
  api::ClientRequest req;
  req.method = h.method;
  req.url = h.url;
  for (const auto& [k, v] : h.headers) req.headers.emplace_back(k, v);
  req.body = h.body;
  req.timeout = std::chrono::milliseconds(h.timeoutMs);
  LegId leg = c.info.leg;
  std::uint64_t token = c.token;
  pool_.post([this, req = std::move(req), leg, token] {
    auto r = api::httpFetch(req);
    flow::HttpOutcome o;
    if (r) {
      o.status = r->status;
      o.body = std::move(r->body);
    } else {
      o.error = r.error().message == "timed out" ? flow::HttpOutcome::Error::kTimeout
                                                 : flow::HttpOutcome::Error::kFailed;
    }
    post_([this, leg, token, o = std::move(o)] {
      if (current(leg, token)) resume(leg, o);
    });
  });
}

void ContactCenter::holdMusic(Caller& c) {
  const QueueConfig* q = c.queue;
  call::Prompt moh = q != nullptr && !q->musicOnHold.empty()
                         ? call::Prompt::file(q->musicOnHold, true)
                         : call::Prompt::tone("ringback");
  (void)calls_.play(c.info.leg, moh);
}

Result<acd::ContactId> ContactCenter::enqueueFor(LegId leg, const acd::ContactSpec& spec) {
  enqueueing_ = leg;
  auto contact = acd_.enqueue(spec);
  enqueueing_ = 0;
  if (contact) {
    byContact_[*contact] = leg;
    if (Caller* c = caller(leg); c != nullptr && c->agentLeg == 0) c->contact = *contact;
  }
  return contact;
}

LegId ContactCenter::legOf(acd::ContactId contact) {
  if (auto it = byContact_.find(contact); it != byContact_.end()) return it->second;
  if (enqueueing_ != 0) {
    byContact_[contact] = enqueueing_;  // the contact enqueue() is creating
    if (Caller* c = caller(enqueueing_)) c->contact = contact;
    return enqueueing_;
  }
  return 0;
}

void ContactCenter::doQueue(Caller& c, const flow::Queue& q) {
  c.waiting = Waiting::kQueue;
  LegId leg = c.info.leg;
  auto qid = acd_.findQueue(c.info.tenant, q.queue);
  if (!qid) {
    resume(leg, flow::QueueOutcome{flow::QueueOutcome::Kind::kNoAgents, {}});
    return;
  }
  acd::ContactSpec spec;
  spec.tenant = c.info.tenant;
  spec.queue = *qid;
  spec.priority = q.priority;
  spec.customer = q.customerId.empty() ? c.info.fromUser : q.customerId;
  spec.ownerWait = std::chrono::seconds(q.ownerWaitS);
  spec.claim = q.claim;
  spec.ref = std::to_string(c.info.call);
  if (!q.ownerAgent.empty() && !acd_.ownerOf(spec.tenant, spec.customer)) {
    if (auto owner = acd_.findAgent(spec.tenant, q.ownerAgent)) {
      (void)acd_.setOwner(spec.tenant, spec.customer, *owner);
    }
  }
  c.queue = c.tenant->queue(q.queue);
  c.customer = spec.customer;
  auto contact = enqueueFor(leg, spec);
  if (!contact) {
    auto kind = contact.error().code == Errc::kOverloaded ? flow::QueueOutcome::Kind::kFull
                                                          : flow::QueueOutcome::Kind::kNoAgents;
    resume(leg, flow::QueueOutcome{kind, {}});
    return;
  }
  ++stats_.queued;
  if (q.maxWaitS > 0) {
    // The node's own wait limit, on top of the queue's: the ACD gives the caller back.
    acd::ContactId id = *contact;
    c.timer = timers_.start(std::chrono::seconds(q.maxWaitS), [this, leg, id] {
      Caller* x = caller(leg);
      if (x == nullptr) return;
      x->timer = {};
      if (x->contact != id || x->agentLeg != 0 || !acd_.withdraw(id)) return;
      byContact_.erase(id);
      x->contact = 0;
      rearm();
      resume(leg, flow::QueueOutcome{flow::QueueOutcome::Kind::kTimeout, {}});
    });
  }
  // The ACD may have offered and even been accepted by now; music only while still waiting.
  if (Caller* still = caller(leg);
      still != nullptr && still->contact == *contact && still->agentLeg == 0) {
    holdMusic(*still);
  }
  rearm();
}

void ContactCenter::doTransfer(Caller& c, const flow::Transfer& t) {
  c.waiting = Waiting::kTransfer;
  LegId leg = c.info.leg;
  std::uint64_t token = c.token;
  Result<call::OriginateSpec> spec = fail(Errc::kNotFound, "no target");
  switch (t.kind) {
    case flow::TransferKind::kAgent:
      if (auto a = acd_.findAgent(c.info.tenant, t.target)) spec = reach(*a);
      break;
    case flow::TransferKind::kExtension:
      spec = dialplan_.locate(c.info.tenant, t.target);
      break;
    case flow::TransferKind::kNumber:
      if (!firstTrunk_.empty()) spec = dialplan_.dialOut(c.info.tenant, firstTrunk_, t.target);
      break;
  }
  if (!spec) {
    resume(leg, flow::TransferOutcome{false});
    return;
  }
  spec->call = c.info.call;
  spec->fromUser = c.info.fromUser;
  spec->fromDisplay = c.info.fromDisplay;
  spec->nearMedia = calls_.mediaOf(leg);
  spec->ringTimeout = std::chrono::seconds(30);
  (void)calls_.play(leg, call::Prompt::tone("ringback"));
  auto placed = calls_.originate(*spec, [this, leg, token](LegId target, call::OriginateOutcome o) {
    Caller* x = current(leg, token);
    if (x == nullptr) {
      if (o.answered) (void)calls_.hangup(target, HangupCause::kPeerGone);
      return;
    }
    x->agentLeg = 0;
    if (!o.answered) {
      resume(leg, flow::TransferOutcome{false});
      return;
    }
    auto a = std::make_unique<AgentLeg>();
    a->peer = leg;
    agentLegs_[target] = std::move(a);
    x->agentLeg = target;
    (void)calls_.bridge(leg, target);
    resume(leg, flow::TransferOutcome{true});
  });
  if (!placed) {
    resume(leg, flow::TransferOutcome{false});
    return;
  }
  c.agentLeg = *placed;
}

void ContactCenter::doVoicemail(Caller& c, const flow::Voicemail& v) {
  c.waiting = Waiting::kVoicemail;
  LegId leg = c.info.leg;
  std::uint64_t token = c.token;
  std::vector<flow::Prompt> prompts;
  if (v.prompt.kind != flow::Prompt::Kind::kNone) prompts.push_back(v.prompt);
  flow::Prompt beep;
  beep.kind = flow::Prompt::Kind::kTone;
  beep.value = "beep";
  prompts.push_back(beep);
  int maxSeconds = v.maxSeconds;
  playPrompts(leg, token, std::move(prompts), 0, [this, leg, token, maxSeconds] {
    Caller* x = current(leg, token);
    if (x == nullptr) return;
    std::string path = recordingPath(media_, x->info.tenant, x->info.call, "voicemail");
    if (!x->recording) (void)calls_.startRecording(leg, path);
    call::CollectSpec spec;
    spec.maxDigits = 1;
    spec.terminator = 0;
    spec.firstDigitTimeout = std::chrono::seconds(maxSeconds);
    spec.flushBuffered = true;
    (void)calls_.collect(leg, spec, [this, leg, token, path](call::CollectResult r) {
      Caller* y = current(leg, token);
      if (y == nullptr || r.end == call::CollectResult::End::kHangup) return;
      if (!y->recording) (void)calls_.stopRecording(leg);
      ++stats_.voicemails;
      resume(leg, flow::VoicemailOutcome{true, y->recording ? std::string() : path});
    });
  });
}

void ContactCenter::doCallback(Caller& c, const flow::Callback& cb) {
  c.waiting = Waiting::kCallback;
  LegId leg = c.info.leg;
  std::uint64_t token = c.token;
  if (c.contact == 0) {
    auto qid = acd_.findQueue(c.info.tenant, cb.queue);
    if (qid) {
      acd::ContactSpec spec;
      spec.tenant = c.info.tenant;
      spec.queue = *qid;
      spec.customer = c.info.fromUser;
      spec.ref = std::to_string(c.info.call);
      (void)enqueueFor(leg, spec);
    }
  }
  bool accepted = c.contact != 0 && acd_.requestCallback(c.contact).ok();
  if (accepted) {
    callbackNumbers_[c.contact] = cb.number;
    c.callbackKept = true;
  }
  rearm();
  std::vector<flow::Prompt> prompts;
  if (cb.prompt.kind != flow::Prompt::Kind::kNone) prompts.push_back(cb.prompt);
  playPrompts(leg, token, std::move(prompts), 0, [this, leg, token, accepted] {
    if (current(leg, token)) resume(leg, flow::CallbackOutcome{accepted});
  });
}

// ------------------------------------------------------------------ the caller's leg ends

void ContactCenter::onLegEnded(LegId leg, HangupCause cause) {
  if (offerByLeg_.count(leg) || agentLegs_.count(leg)) {
    agentLegEnded(leg);
    return;
  }
  auto it = callers_.find(leg);
  if (it == callers_.end()) return;
  std::unique_ptr<Caller> c = std::move(it->second);
  callers_.erase(it);
  timers_.cancel(c->timer);
  (void)cause;
  (void)c->run->resume(flow::CallerHungUp{});
  logSteps(*c);
  if (c->contact != 0) {
    byContact_.erase(c->contact);
    if (!c->callbackKept && c->agentLeg == 0) {
      ++stats_.abandoned;
      (void)acd_.abandon(c->contact);  // a no-op once an agent accepted
    }
  }
  if (c->agentLeg != 0) {
    // A transfer target still ringing is cancelled now (an answered one is cleared by the
    // call layer as the bridged peer).
    if (!agentLegs_.count(c->agentLeg)) (void)calls_.hangup(c->agentLeg, HangupCause::kPeerGone);
  }
  rearm();
}

void ContactCenter::onTransferRequest(LegId leg, const std::string& target) {
  transferOnRefer(calls_, dialplan_, leg, target);
}

}  // namespace sb::app
