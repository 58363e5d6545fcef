// Agents and offers: loading tenants into the ACD and the flow registry, and the AcdPort —
// ringing an agent's phone (or mobile, press 1 to accept) for an offer, bridging the agent who
// answers, wrap-up when the call ends, callbacks, retracts, announcements and ACD events.

#include <filesystem>
#include <optional>
#include <set>

#include "app/contact_center.h"
#include "app/internal/contact_center_state.h"
#include "base/log.h"
#include "flow/flow.h"

namespace sb::app {

using call::HangupCause;
using call::LegId;

namespace {

acd::OfferFailure failureOf(HangupCause c) {
  switch (c) {
    case HangupCause::kBusy:
    case HangupCause::kRejected:
      return acd::OfferFailure::kRejected;
    case HangupCause::kNoAnswer:
    case HangupCause::kCancelled:
      return acd::OfferFailure::kNoAnswer;
    default:
      return acd::OfferFailure::kUnreachable;
  }
}

std::int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

acd::QueueSpec queueSpec(const std::string& tenant, const QueueConfig& q) {
  acd::QueueSpec s;
  s.tenant = tenant;
  s.name = q.name;
  s.strategy = acd::parseStrategy(q.strategy).value_or(acd::Strategy::kLongestIdle);
  s.requiredSkills = q.skills;
  for (const auto& [after, by] : q.widening) {
    s.widening.push_back({std::chrono::seconds(after), by});
  }
  s.maxWait = std::chrono::seconds(q.maxWaitS);
  s.maxLength = q.maxLength;
  s.joinWhenNoAgents = q.joinWhenNoAgents;
  s.leaveWhenNoAgents = q.leaveWhenNoAgents;
  s.weight = q.weight;
  s.wrapUp = std::chrono::seconds(q.wrapUpS);
  s.offerTimeout = std::chrono::seconds(q.offerTimeoutS);
  s.missDelay = std::chrono::seconds(q.missDelayS);
  s.maxMisses = static_cast<int>(q.maxMisses);
  s.announceEvery = std::chrono::seconds(q.announceEveryS);
  return s;
}

}  // namespace

// ------------------------------------------------------------------ loading

Result<void> ContactCenter::load(const Config& config) {
  if (!config.trunks.empty()) firstTrunk_ = config.trunks.front().name;
  for (const auto& t : config.tenants) {
    if (auto r = loadTenant(t, config); !r) return r;
  }
  // Memberships after every tenant's queues exist (a shared seat joins another tenant's).
  for (const auto& t : config.tenants) {
    for (const auto& a : t.agents) {
      acd::AgentId id = *acd_.findAgent(t.id, a.name);
      for (const auto& q : a.queues) {
        auto slash = q.find('/');
        std::string qt = slash == std::string::npos ? t.id : q.substr(0, slash);
        std::string qn = slash == std::string::npos ? q : q.substr(slash + 1);
        auto qid = acd_.findQueue(qt, qn);
        if (!qid) return fail(Errc::kInvalidInput, "agent " + a.name + ": no queue " + q);
        if (auto r = acd_.addMember(id, *qid); !r) {
          return fail(Errc::kInvalidInput,
                      "agent " + a.name + " in " + q + ": " + r.error().message);
        }
      }
      if (a.loggedIn) (void)acd_.login(id, true);
    }
    for (const auto& c : t.customers) {
      if (c.owner.empty()) continue;
      if (auto owner = acd_.findAgent(t.id, c.owner)) (void)acd_.setOwner(t.id, c.number, *owner);
    }
  }
  rearm();
  return {};
}

Result<void> ContactCenter::loadTenant(const TenantConfig& t, const Config& config) {
  auto tenant = std::make_unique<Tenant>();
  tenant->config = &t;
  tenant->env = std::make_unique<TenantEnv>(t);
  tenants_[t.id] = std::move(tenant);
  // Overflow targets first: a queue names its overflow queue by id.
  std::set<std::string> added;
  while (added.size() < t.queues.size()) {
    std::size_t before = added.size();
    for (const auto& q : t.queues) {
      if (added.count(q.name) || (!q.overflow.empty() && !added.count(q.overflow))) continue;
      acd::QueueSpec spec = queueSpec(t.id, q);
      if (!q.overflow.empty()) spec.overflowQueue = *acd_.findQueue(t.id, q.overflow);
      if (auto r = acd_.addQueue(std::move(spec)); !r) {
        return fail(Errc::kInvalidInput,
                    "tenant " + t.id + " queue " + q.name + ": " + r.error().message);
      }
      added.insert(q.name);
    }
    if (added.size() == before) {
      return fail(Errc::kInvalidInput, "tenant " + t.id + ": queue overflows form a cycle");
    }
  }
  for (const auto& a : t.agents) {
    acd::AgentSpec spec;
    spec.tenant = t.id;
    spec.name = a.name;
    spec.skills = a.skills;
    for (const auto& q : a.queues) {
      auto slash = q.find('/');
      if (slash != std::string::npos) spec.extraTenants.push_back(q.substr(0, slash));
    }
    auto id = acd_.addAgent(std::move(spec));
    if (!id)
      return fail(Errc::kInvalidInput,
                  "tenant " + t.id + " agent " + a.name + ": " + id.error().message);
    agents_[*id] = AgentInfo{t.id, a.name, &a};
  }
  flow::ValidationContext ctx = validationContext(t);
  (void)config;
  for (const auto& f : t.flows) {
    if (auto v = publishFlow(t.id, f, ctx, "config"); !v) return v.error();
  }
  return {};
}

flow::ValidationContext ContactCenter::validationContext(const TenantConfig& t) const {
  flow::ValidationContext ctx;
  for (const auto& q : t.queues) ctx.queues.insert(q.name);
  for (const auto& [name, numbers] : t.lists) ctx.lists.insert(name);
  for (const auto& a : t.agents) ctx.agents.insert(a.name);
  for (const auto& e : t.extensions) ctx.extensions.insert(e.user);
  ctx.promptExists = [](const std::string& path) { return std::filesystem::exists(path); };
  return ctx;
}

Result<std::uint32_t> ContactCenter::publishFlow(const std::string& tenant, const FlowSource& f,
                                                 const flow::ValidationContext& ctx,
                                                 const std::string& author) {
  auto def = flow::parseFlow(f.text, f.source);
  if (!def) return def.error();
  if (def->name != f.name) {
    return fail(Errc::kInvalidInput, f.source + ": the flow is named '" + def->name +
                                         "' but the configuration calls it '" + f.name + "'");
  }
  auto before = flows_.current(tenant, f.name);
  auto v = flows_.publish(tenant, std::move(def).value(), f.text, author, wallMs(), ctx);
  if (!v) return v.error();
  if (before == nullptr || before->version != *v) {
    events_.domainEvent("flow", tenant, "published",
                        {{"flow", f.name}, {"version", std::to_string(*v)}, {"author", author}});
  }
  return v;
}

Result<std::vector<flow::Issue>> ContactCenter::checkFlow(std::string_view tenant,
                                                          const std::string& name,
                                                          const std::string& text) const {
  auto t = tenants_.find(std::string(tenant));
  if (t == tenants_.end()) return fail(Errc::kNotFound, "no such tenant");
  std::string source = "flow " + name;
  auto def = flow::parseFlow(text, source);
  if (!def) return std::vector<flow::Issue>{flow::Issue{flow::Issue::Severity::kError, "", 0,
                                                        def.error().message}};
  std::vector<flow::Issue> issues;
  if (def->name != name) {
    issues.push_back({flow::Issue::Severity::kError, "", 0,
                      source + ": the flow is named '" + def->name + "', not '" + name + "'"});
  }
  for (auto& i : flow::validate(*def, validationContext(*t->second->config))) {
    issues.push_back(std::move(i));
  }
  return issues;
}

Result<std::uint32_t> ContactCenter::publishFlowText(std::string_view tenant,
                                                     const std::string& name,
                                                     const std::string& text,
                                                     const std::string& author) {
  auto t = tenants_.find(std::string(tenant));
  if (t == tenants_.end()) return fail(Errc::kNotFound, "no such tenant");
  FlowSource f{name, text, "flow " + name};
  return publishFlow(t->first, f, validationContext(*t->second->config), author);
}

Result<std::size_t> ContactCenter::republish(const Config& fresh, const std::string& author) {
  std::size_t published = 0;
  std::optional<Error> first;
  for (const auto& t : fresh.tenants) {
    auto running = tenants_.find(t.id);
    if (running == tenants_.end()) continue;  // new tenants need a restart
    // Validate against what this node runs (queues, lists and agents are not reloaded).
    flow::ValidationContext ctx = validationContext(*running->second->config);
    for (const auto& f : t.flows) {
      auto before = flows_.current(t.id, f.name);
      auto v = publishFlow(t.id, f, ctx, author);
      if (!v) {
        if (!first) first = v.error();
        continue;
      }
      if (before == nullptr || before->version != *v) ++published;
    }
  }
  if (first) return *first;
  return published;
}

// ------------------------------------------------------------------ feature codes

void ContactCenter::featureCode(const call::IncomingCall& info) {
  const AgentConfig* agent = nullptr;
  for (const auto& a : tenants_.at(info.tenant)->config->agents) {
    if (!a.extension.empty() && a.extension == info.fromUser) agent = &a;
  }
  // The From header is the caller's claim; the registration it came from is the proof.
  if (agent == nullptr || !dialplan_.registeredFrom(info.tenant, agent->extension, info.source)) {
    log::securityEvent("feature_code_refused",
                       {{"source", info.source.toString()},
                        {"tenant", info.tenant},
                        {"user", info.fromUser},
                        {"reason", agent == nullptr ? "not_an_agent" : "not_registered_there"}});
    (void)calls_.hangup(info.leg, HangupCause::kRejected);
    return;
  }
  static const std::map<std::string, std::pair<const char*, const char*>> kCodes = {
      {"*1", {"ready", "You are ready."}},
      {"*2", {"not_ready", "You are not ready."}},
      {"*0", {"logout", "You are logged out."}},
      {"*3", {"wrap_up_done", "Wrap up ended."}}};
  auto code = kCodes.find(info.number);
  Result<void> r = code == kCodes.end()
                       ? Result<void>(fail(Errc::kUnsupported, "unknown code"))
                       : agentControl(info.tenant, agent->name, code->second.first, "break");
  std::string done = code == kCodes.end() ? "" : code->second.second;
  (void)calls_.ring(info.leg);
  if (!calls_.answer(info.leg)) {
    (void)calls_.hangup(info.leg, HangupCause::kError);
    return;
  }
  confirm(info.leg, r ? done : "Sorry, that did not work: " + r.error().message + ".");
}

Result<void> ContactCenter::agentControl(std::string_view tenant, std::string_view agent,
                                         std::string_view action, const std::string& reason) {
  auto id = acd_.findAgent(tenant, agent);
  if (!id || !tenants_.count(std::string(tenant))) return fail(Errc::kNotFound, "no such agent");
  Result<void> r = fail(Errc::kInvalidInput,
                        "action must be login, ready, not_ready, logout or wrap_up_done");
  if (action == "ready" || action == "login") {
    auto view = acd_.agentView(*id);
    r = view && view->state == acd::AgentState::kLoggedOut ? acd_.login(*id, true)
                                                           : acd_.ready(*id);
  } else if (action == "not_ready") {
    r = acd_.notReady(*id, reason.empty() ? "break" : reason);
  } else if (action == "logout") {
    r = acd_.logout(*id);
  } else if (action == "wrap_up_done") {
    r = acd_.wrapUpDone(*id);
  }
  rearm();
  return r;
}

std::vector<acd::AgentView> ContactCenter::agentViews(std::string_view tenant) const {
  std::vector<acd::AgentView> out;
  auto t = tenants_.find(std::string(tenant));
  if (t == tenants_.end()) return out;
  for (const auto& a : t->second->config->agents) {
    if (auto id = acd_.findAgent(tenant, a.name)) {
      if (auto v = acd_.agentView(*id)) out.push_back(std::move(v).value());
    }
  }
  return out;
}

std::vector<acd::QueueView> ContactCenter::queueViews(std::string_view tenant) const {
  std::vector<acd::QueueView> out;
  auto t = tenants_.find(std::string(tenant));
  if (t == tenants_.end()) return out;
  for (const auto& q : t->second->config->queues) {
    if (auto id = acd_.findQueue(tenant, q.name)) {
      if (auto v = acd_.queueView(*id)) out.push_back(std::move(v).value());
    }
  }
  return out;
}

void ContactCenter::confirm(LegId leg, const std::string& text) {
  (void)calls_.play(leg, call::Prompt::speech(text),
                    [this, leg](bool) { (void)calls_.hangup(leg, HangupCause::kNormal); });
}

// ------------------------------------------------------------------ offers

Result<call::OriginateSpec> ContactCenter::reach(acd::AgentId agent) const {
  auto it = agents_.find(agent);
  if (it == agents_.end()) return fail(Errc::kNotFound, "unknown agent");
  const AgentConfig& a = *it->second.config;
  if (!a.extension.empty()) return dialplan_.locate(it->second.tenant, a.extension);
  return dialplan_.dialOut(it->second.tenant, a.trunk, a.mobile);
}

void ContactCenter::offer(const acd::Offer& o) {
  ++stats_.offers;
  auto spec = reach(o.agent);
  if (!spec) {
    (void)acd_.offerFailed(o.id, acd::OfferFailure::kUnreachable);
    return;
  }
  LegId callerLeg = o.callback ? 0 : legOf(o.contact);
  Caller* c = caller(callerLeg);
  auto t = tenants_.find(o.tenant);
  std::string tenantName = t != tenants_.end() ? t->second->config->name : o.tenant;
  if (c != nullptr) {
    spec->call = c->info.call;
    spec->fromUser = c->info.fromUser;
    spec->nearMedia = calls_.mediaOf(callerLeg);
  } else {
    auto number = callbackNumbers_.find(o.contact);
    spec->fromUser = number != callbackNumbers_.end() ? number->second : "callback";
  }
  // The display name tells a shared seat which company the call is for.
  spec->fromDisplay = o.callback ? tenantName + " callback" : tenantName;
  auto q = acd_.queueView(o.queue);
  const QueueConfig* qc = (q && t != tenants_.end()) ? t->second->queue(q->name) : nullptr;
  // The ACD retracts at the queue's offer timeout; the leg's own timeout only backs it up.
  spec->ringTimeout = std::chrono::seconds((qc ? qc->offerTimeoutS : 20) + 10);
  auto ol = std::make_unique<OfferLeg>();
  ol->offer = o;
  ol->caller = callerLeg;
  offers_[o.id] = std::move(ol);
  acd::OfferId id = o.id;
  auto placed = calls_.originate(*spec, [this, id](LegId leg, call::OriginateOutcome out) {
    auto it = offers_.find(id);
    if (it == offers_.end()) {
      if (out.answered) (void)calls_.hangup(leg, HangupCause::kPeerGone);  // crossed a retract
      return;
    }
    if (!out.answered) {
      offerByLeg_.erase(it->second->leg);
      offers_.erase(it);
      (void)acd_.offerFailed(id, failureOf(out.cause));
      rearm();
      return;
    }
    offerAnswered(id, leg);
  });
  if (!placed) {
    offers_.erase(id);
    (void)acd_.offerFailed(id, acd::OfferFailure::kUnreachable);
    return;
  }
  offers_[id]->leg = *placed;
  offerByLeg_[*placed] = id;
}

void ContactCenter::offerAnswered(acd::OfferId id, LegId leg) {
  OfferLeg& o = *offers_.at(id);
  o.answered = true;
  const AgentConfig* a = agents_.count(o.offer.agent) ? agents_[o.offer.agent].config : nullptr;
  if (a != nullptr && !a->mobile.empty()) {
    askToAccept(id, leg);
    return;
  }
  acceptOffer(id);
}

void ContactCenter::askToAccept(acd::OfferId id, LegId leg) {
  // A mobile may go to voicemail: only a person pressing 1 takes the call (T2).
  const OfferLeg& o = *offers_.at(id);
  auto t = tenants_.find(o.offer.tenant);
  std::string company = t != tenants_.end() ? t->second->config->name : o.offer.tenant;
  std::string text =
      (o.offer.callback ? "Callback for " : "Call for ") + company + ". Press 1 to accept.";
  (void)calls_.play(leg, call::Prompt::speech(text), [this, id, leg](bool) {
    if (!offers_.count(id)) return;
    call::CollectSpec spec;
    spec.maxDigits = 1;
    spec.terminator = 0;
    spec.firstDigitTimeout = std::chrono::seconds(8);
    (void)calls_.collect(leg, spec, [this, id, leg](call::CollectResult r) {
      if (r.end == call::CollectResult::End::kHangup || !offers_.count(id)) return;
      if (r.digits == "1") {
        acceptOffer(id);
        return;
      }
      offerByLeg_.erase(leg);
      offers_.erase(id);
      (void)calls_.hangup(leg, HangupCause::kRejected);
      (void)acd_.offerFailed(id, acd::OfferFailure::kRejected);
      rearm();
    });
  });
}

void ContactCenter::acceptOffer(acd::OfferId id) {
  auto it = offers_.find(id);
  std::unique_ptr<OfferLeg> o = std::move(it->second);
  offers_.erase(it);
  offerByLeg_.erase(o->leg);
  auto accepted = acd_.offerAccepted(id);
  if (!accepted) {
    // The caller left or another agent won in the meantime.
    (void)calls_.hangup(o->leg, HangupCause::kPeerGone);
    rearm();
    return;
  }
  auto a = std::make_unique<AgentLeg>();
  a->agent = o->offer.agent;
  a->peer = o->caller;
  a->contact = o->offer.contact;
  a->callback = o->offer.callback;
  agentLegs_[o->leg] = std::move(a);
  rearm();
  if (o->offer.callback) {
    connectCallback(o->leg);
    return;
  }
  Caller* c = caller(o->caller);
  if (c == nullptr) {
    (void)calls_.hangup(o->leg, HangupCause::kPeerGone);  // its end reports callEnded
    return;
  }
  byContact_.erase(c->contact);
  timers_.cancel(c->timer);
  c->timer = {};
  c->agentLeg = o->leg;
  ++stats_.connected;
  // Assignment by queue (R3): a new customer belongs to the agent who first answers them.
  if (c->queue != nullptr && c->queue->assignOwner && !c->customer.empty() &&
      !acd_.ownerOf(c->info.tenant, c->customer)) {
    (void)acd_.setOwner(c->info.tenant, c->customer, o->offer.agent);
  }
  (void)calls_.bridge(c->info.leg, o->leg);
  if (c->queue != nullptr && c->queue->record && !c->recording) {
    c->recording = true;
    (void)calls_.startRecording(c->info.leg,
                                recordingPath(media_, c->info.tenant, c->info.call, "queue"));
  }
  resume(c->info.leg,
         flow::QueueOutcome{flow::QueueOutcome::Kind::kAnswered, agentName(o->offer.agent)});
}

void ContactCenter::connectCallback(LegId agentLeg) {
  AgentLeg& a = *agentLegs_.at(agentLeg);
  std::string number;
  if (auto n = callbackNumbers_.find(a.contact); n != callbackNumbers_.end()) {
    number = n->second;
    callbackNumbers_.erase(n);
  }
  const std::string& tenant = agents_[a.agent].tenant;
  auto spec = dialplan_.locate(tenant, number);
  if (!spec && !firstTrunk_.empty()) spec = dialplan_.dialOut(tenant, firstTrunk_, number);
  if (!spec || number.empty()) {
    (void)calls_.play(agentLeg, call::Prompt::speech("The customer cannot be reached."),
                      [this, agentLeg](bool) { (void)calls_.hangup(agentLeg); });
    return;
  }
  spec->nearMedia = calls_.mediaOf(agentLeg);
  spec->ringTimeout = std::chrono::seconds(30);
  (void)calls_.play(agentLeg, call::Prompt::tone("ringback"));
  auto placed = calls_.originate(*spec, [this, agentLeg](LegId customer, call::OriginateOutcome o) {
    auto it = agentLegs_.find(agentLeg);
    if (it == agentLegs_.end()) {
      if (o.answered) (void)calls_.hangup(customer, HangupCause::kPeerGone);
      return;
    }
    it->second->peer = 0;
    if (!o.answered) {
      (void)calls_.hangup(agentLeg, HangupCause::kNormal);
      return;
    }
    it->second->peer = customer;  // before the insert below, which may rehash the map
    auto leg = std::make_unique<AgentLeg>();
    leg->peer = agentLeg;
    agentLegs_[customer] = std::move(leg);
    ++stats_.connected;
    (void)calls_.bridge(agentLeg, customer);
  });
  if (!placed) {
    (void)calls_.hangup(agentLeg, HangupCause::kNormal);
    return;
  }
  a.peer = *placed;
}

void ContactCenter::agentLegEnded(LegId leg) {
  if (auto it = offerByLeg_.find(leg); it != offerByLeg_.end()) {
    // Answered, then hung up before pressing 1.
    acd::OfferId id = it->second;
    offerByLeg_.erase(it);
    offers_.erase(id);
    (void)acd_.offerFailed(id, acd::OfferFailure::kRejected);
    rearm();
    return;
  }
  auto it = agentLegs_.find(leg);
  if (it == agentLegs_.end()) return;
  std::unique_ptr<AgentLeg> a = std::move(it->second);
  agentLegs_.erase(it);
  if (a->agent != 0) {
    (void)acd_.callEnded(a->agent);
    // A callback's customer still ringing is cancelled with the agent.
    if (a->callback && a->peer != 0 && !agentLegs_.count(a->peer)) {
      (void)calls_.hangup(a->peer, HangupCause::kPeerGone);
    }
  }
  rearm();
}

// ------------------------------------------------------------------ the rest of the port

void ContactCenter::retract(acd::OfferId id, acd::RetractReason reason) {
  auto it = offers_.find(id);
  if (it == offers_.end()) return;
  LegId leg = it->second->leg;
  offers_.erase(it);
  offerByLeg_.erase(leg);
  spdlog::debug("acd: offer {} retracted: {}", id, acd::retractReasonName(reason));
  if (leg != 0) (void)calls_.hangup(leg, HangupCause::kPeerGone);
}

void ContactCenter::contactLeft(acd::ContactId contact, acd::LeaveReason reason) {
  callbackNumbers_.erase(contact);
  LegId leg = legOf(contact);
  byContact_.erase(contact);
  Caller* c = caller(leg);
  if (c == nullptr) return;
  c->contact = 0;
  timers_.cancel(c->timer);
  c->timer = {};
  resume(leg, flow::QueueOutcome{reason == acd::LeaveReason::kMaxWait
                                     ? flow::QueueOutcome::Kind::kTimeout
                                     : flow::QueueOutcome::Kind::kNoAgents,
                                 {}});
}

void ContactCenter::announce(acd::ContactId contact, std::size_t position,
                             std::chrono::seconds expectedWait) {
  LegId leg = legOf(contact);
  if (leg == 0) return;
  std::string text = "You are number " + std::to_string(position) + " in line.";
  if (expectedWait.count() > 0) {
    auto minutes = (expectedWait.count() + 59) / 60;
    text += " Your expected wait is about " + std::to_string(minutes) +
            (minutes == 1 ? " minute." : " minutes.");
  }
  Caller* c = caller(leg);
  if (c == nullptr) return;
  (void)calls_.play(leg, call::Prompt::speech(text, c->number->voice),
                    [this, leg, contact](bool ok) {
                      Caller* x = caller(leg);
                      if (ok && x != nullptr && x->contact == contact && x->agentLeg == 0) {
                        holdMusic(*x);
                      }
                    });
}

std::string ContactCenter::agentName(acd::AgentId a) const {
  auto it = agents_.find(a);
  return it == agents_.end() ? std::to_string(a) : it->second.name;
}

std::string ContactCenter::queueName(acd::QueueId q) const {
  auto v = acd_.queueView(q);
  return v ? v->name : std::to_string(q);
}

void ContactCenter::onEvent(const acd::AcdEvent& e) {
  EventLog::Fields fields;
  if (e.agent != 0) fields.emplace_back("agent", agentName(e.agent));
  if (e.queue != 0) fields.emplace_back("queue", queueName(e.queue));
  if (e.contact != 0) fields.emplace_back("contact", std::to_string(e.contact));
  if (!e.ref.empty()) fields.emplace_back("call", e.ref);
  if (e.kind == acd::AcdEventKind::kAgentState) {
    fields.emplace_back("from", std::string(acd::agentStateName(e.from)));
    fields.emplace_back("to", std::string(acd::agentStateName(e.to)));
  }
  if (!e.customer.empty()) fields.emplace_back("customer", e.customer);
  if (!e.reason.empty()) fields.emplace_back("reason", e.reason);
  events_.domainEvent("acd", e.tenant, acd::acdEventKindName(e.kind), fields);
}

std::vector<QueueMetrics> ContactCenter::queueMetrics() const {
  std::vector<QueueMetrics> out;
  for (const auto& [id, t] : tenants_) {
    for (const auto& q : t->config->queues) {
      auto qid = acd_.findQueue(id, q.name);
      if (!qid) continue;
      auto v = acd_.queueView(*qid);
      if (!v) continue;
      auto by = [&](acd::AgentState s) { return v->agentsByState[static_cast<std::size_t>(s)]; };
      QueueMetrics m;
      m.tenant = id;
      m.queue = q.name;
      m.waiting = v->waiting;
      m.oldestWaitS = std::chrono::duration<double>(v->oldestWait).count();
      m.ready = by(acd::AgentState::kReady);
      m.offered = by(acd::AgentState::kOffered);
      m.onCall = by(acd::AgentState::kOnCall);
      m.wrapUp = by(acd::AgentState::kWrapUp);
      m.notReady = by(acd::AgentState::kNotReady);
      m.answered = v->answered;
      m.abandoned = v->abandoned;
      out.push_back(std::move(m));
    }
  }
  return out;
}

std::vector<std::string> ContactCenter::wallboard() const {
  std::vector<std::string> lines;
  for (const auto& m : queueMetrics()) {
    lines.push_back(m.tenant + "/" + m.queue + ": waiting " + std::to_string(m.waiting) +
                    " (oldest " + std::to_string(static_cast<long>(m.oldestWaitS)) +
                    " s) | agents ready " + std::to_string(m.ready) + ", ringing " +
                    std::to_string(m.offered) + ", on call " + std::to_string(m.onCall) +
                    ", wrap-up " + std::to_string(m.wrapUp) + ", not ready " +
                    std::to_string(m.notReady) + " | answered " + std::to_string(m.answered) +
                    ", abandoned " + std::to_string(m.abandoned));
  }
  return lines;
}

void ContactCenter::rearm() {
  auto next = acd_.nextDeadline();
  if (!next) {
    timers_.cancel(acdTimer_);
    acdTimer_ = {};
    return;
  }
  if (acdTimer_.valid() && *next == acdTimerAt_) return;
  timers_.cancel(acdTimer_);
  acdTimerAt_ = *next;
  Duration delay = *next - clock_.now();
  if (delay < Duration::zero()) delay = Duration::zero();
  acdTimer_ = timers_.start(delay, [this] {
    acdTimer_ = {};
    acd_.runDue();
    rearm();
  });
}

}  // namespace sb::app
