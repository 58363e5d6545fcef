// Acd administration: queues, agents, memberships, tenants, skills and customer ownership.

#include <algorithm>
#include <queue>

#include "acd/acd.h"

namespace sb::acd {

Acd::Acd(const Clock& clock, AcdPort& port, std::uint64_t seed)
    : clock_(clock), port_(port), rng_(seed) {
  outbox_.reserve(64);
}

// --- lookups -------------------------------------------------------------------------------

Acd::Agent* Acd::liveAgent(AgentId id) {
  if (id == 0 || id > agents_.size() || agents_[id - 1].removed) return nullptr;
  return &agents_[id - 1];
}

const Acd::Agent* Acd::liveAgent(AgentId id) const {
  if (id == 0 || id > agents_.size() || agents_[id - 1].removed) return nullptr;
  return &agents_[id - 1];
}

Acd::Queue* Acd::liveQueue(QueueId id) {
  if (id == 0 || id > queues_.size() || queues_[id - 1].removed) return nullptr;
  return &queues_[id - 1];
}

const Acd::Queue* Acd::liveQueue(QueueId id) const {
  if (id == 0 || id > queues_.size() || queues_[id - 1].removed) return nullptr;
  return &queues_[id - 1];
}

std::optional<Acd::TenantIdx> Acd::findTenant(std::string_view name) const {
  auto it = tenantIds_.find(name);
  if (it == tenantIds_.end()) return std::nullopt;
  return it->second;
}

Acd::TenantIdx Acd::internTenant(std::string_view name) {
  if (auto t = findTenant(name)) return *t;
  auto t = static_cast<TenantIdx>(tenantNames_.size());
  tenantNames_.emplace_back(name);
  tenantIds_.emplace(std::string(name), t);
  tenantAgents_.emplace_back();
  return t;
}

bool Acd::serves(const Agent& a, TenantIdx t) const {
  return std::find(a.tenants.begin(), a.tenants.end(), t) != a.tenants.end();
}

internal::Membership* Acd::membership(Agent& a, QueueId q) {
  for (Membership& m : a.memberships) {
    if (m.queue == q) return &m;
  }
  return nullptr;
}

SkillId Acd::skill(std::string_view name) {
  auto it = skillIds_.find(name);
  if (it != skillIds_.end()) return it->second;
  auto id = static_cast<SkillId>(skillNames_.size() + 1);
  skillNames_.emplace_back(name);
  skillIds_.emplace(std::string(name), id);
  return id;
}

Result<std::vector<std::pair<SkillId, int>>> Acd::internSkills(
    const std::vector<std::pair<std::string, int>>& skills) {
  std::vector<std::pair<SkillId, int>> out;
  for (const auto& [name, level] : skills) {
    if (name.empty() || level < 1 || level > kMaxSkillLevel) {
      return fail(Errc::kInvalidInput, "skill '" + name + "' needs a level 1..10");
    }
    out.emplace_back(skill(name), level);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Deficit: widening levels needed so that every required level is met (missing skill = 0).
void Acd::computeFit(const Agent& a, const Queue& q, Membership& m) const {
  m.deficit = 0;
  m.score = 0;
  for (const auto& [skillId, level] : q.required) {
    auto it = std::lower_bound(a.skills.begin(), a.skills.end(), std::pair{skillId, 0});
    int have = (it != a.skills.end() && it->first == skillId) ? it->second : 0;
    m.deficit = std::max(m.deficit, level - have);
    m.score += have;
  }
  m.deficit = std::clamp(m.deficit, 0, kMaxSkillLevel);
}

// --- queues --------------------------------------------------------------------------------

Result<QueueId> Acd::addQueue(QueueSpec spec) {
  Batch batch(*this);
  if (spec.tenant.empty() || spec.name.empty()) {
    return fail(Errc::kInvalidInput, "queue needs a tenant and a name");
  }
  if (!(spec.weight > 0) || spec.maxMisses < 0 || spec.offerTimeout.count() <= 0) {
    return fail(Errc::kInvalidInput, "queue weight, maxMisses or offerTimeout out of range");
  }
  for (const auto& step : spec.widening) {
    if (step.lowerBy <= 0 || step.after.count() < 0) {
      return fail(Errc::kInvalidInput, "widening steps need after >= 0 and lowerBy > 0");
    }
  }
  TenantIdx tenant = internTenant(spec.tenant);
  if (queueNames_.count({tenant, spec.name})) {
    return fail(Errc::kConflict, "queue '" + spec.name + "' exists");
  }
  if (spec.overflowQueue != 0) {
    const Queue* target = liveQueue(spec.overflowQueue);
    if (!target) return fail(Errc::kNotFound, "unknown overflow queue");
    if (target->tenant != tenant) return fail(Errc::kForbidden, "overflow to another tenant");
  }
  auto required = internSkills(spec.requiredSkills);
  if (!required) return required.error();
  std::stable_sort(spec.widening.begin(), spec.widening.end(),
                   [](const WideningStep& x, const WideningStep& y) { return x.after < y.after; });
  Queue& q = queues_.emplace_back();
  q.id = static_cast<QueueId>(queues_.size());
  q.tenant = tenant;
  q.required = std::move(required.value());
  q.spec = std::move(spec);
  queueNames_.emplace(std::pair{tenant, q.spec.name}, q.id);
  return q.id;
}

Result<void> Acd::removeQueue(QueueId id) {
  Batch batch(*this);
  Queue* q = liveQueue(id);
  if (!q) return fail(Errc::kNotFound, "unknown queue");
  // Members first (so released agents are not routed back here), then the contacts.
  q->removed = true;
  std::vector<AgentId> members = q->members;
  for (AgentId a : members) (void)removeMember(a, id);
  std::vector<ContactId> ids(q->contacts.begin(), q->contacts.end());
  std::sort(ids.begin(), ids.end());
  for (ContactId cid : ids) {
    auto it = contacts_.find(cid);
    if (it == contacts_.end()) continue;
    std::vector<AgentId> ringing;
    for (OfferId o : std::vector<OfferId>(it->second.offers)) {
      ringing.push_back(offers_.at(o).agent);
      retractOffer(o, RetractReason::kQueueRemoved, false);
    }
    leave(it->second, LeaveReason::kQueueRemoved);
    for (AgentId a : ringing) releaseFromOffer(agentRef(a), "queue_removed");
  }
  queueNames_.erase({q->tenant, q->spec.name});
  return {};
}

// --- agents --------------------------------------------------------------------------------

Result<AgentId> Acd::addAgent(AgentSpec spec) {
  Batch batch(*this);
  if (spec.tenant.empty() || spec.name.empty()) {
    return fail(Errc::kInvalidInput, "agent needs a tenant and a name");
  }
  auto skills = internSkills(spec.skills);
  if (!skills) return skills.error();
  TenantIdx tenant = internTenant(spec.tenant);
  if (agentNames_.count({tenant, spec.name})) {
    return fail(Errc::kConflict, "agent '" + spec.name + "' exists");
  }
  Agent& a = agents_.emplace_back();
  a.id = static_cast<AgentId>(agents_.size());
  a.name = std::move(spec.name);
  a.tenants.push_back(tenant);
  for (const std::string& extra : spec.extraTenants) {
    TenantIdx t = internTenant(extra);
    if (!serves(a, t)) a.tenants.push_back(t);
  }
  for (TenantIdx t : a.tenants) tenantAgents_[t].push_back(a.id);
  a.skills = std::move(skills.value());
  a.since = clock_.now();
  a.idleSince = a.since;
  agentNames_.emplace(std::pair{tenant, a.name}, a.id);
  return a.id;
}

Result<void> Acd::addMember(AgentId agentId, QueueId queueId) {
  Batch batch(*this);
  Agent* a = liveAgent(agentId);
  Queue* q = liveQueue(queueId);
  if (!a || !q) return fail(Errc::kNotFound, "unknown agent or queue");
  if (!serves(*a, q->tenant)) return fail(Errc::kForbidden, "agent does not serve the tenant");
  if (membership(*a, queueId)) return fail(Errc::kConflict, "already a member");
  Membership& m = a->memberships.emplace_back();
  m.queue = queueId;
  m.rrSeq = ++q->rrCounter;
  computeFit(*a, *q, m);
  q->members.push_back(agentId);
  if (a->state != AgentState::kLoggedOut) ++q->loggedIn;
  if (a->indexed) {
    insertReady(*q, *a, m);
    dispatchAgent(*a);
  }
  return {};
}

Result<void> Acd::removeMember(AgentId agentId, QueueId queueId) {
  Batch batch(*this);
  Agent* a = liveAgent(agentId);
  Queue* q = (queueId && queueId <= queues_.size()) ? &queueRef(queueId) : nullptr;
  if (!a || !q) return fail(Errc::kNotFound, "unknown agent or queue");
  Membership* m = membership(*a, queueId);
  if (!m) return fail(Errc::kNotFound, "not a member");
  if (a->indexed) eraseReady(*q, *a, *m);
  a->memberships.erase(a->memberships.begin() + (m - a->memberships.data()));
  q->members.erase(std::find(q->members.begin(), q->members.end(), agentId));
  if (a->state != AgentState::kLoggedOut && --q->loggedIn == 0) queueLostLastAgent(*q);
  return {};
}

Result<void> Acd::removeAgent(AgentId agentId) {
  Batch batch(*this);
  Agent* a = liveAgent(agentId);
  if (!a) return fail(Errc::kNotFound, "unknown agent");
  if (a->state == AgentState::kOnCall) return fail(Errc::kConflict, "agent is on a call");
  if (a->state != AgentState::kLoggedOut) doLogout(*a, "removed");
  while (!a->memberships.empty()) (void)removeMember(agentId, a->memberships.back().queue);
  reassignOwned(*a);
  for (TenantIdx t : a->tenants) {
    auto& list = tenantAgents_[t];
    list.erase(std::find(list.begin(), list.end(), agentId));
  }
  agentNames_.erase({a->tenants[0], a->name});
  a->removed = true;
  return {};
}

std::optional<AgentId> Acd::findAgent(std::string_view tenant, std::string_view name) const {
  auto t = findTenant(tenant);
  if (!t) return std::nullopt;
  auto it = agentNames_.find({*t, std::string(name)});
  if (it == agentNames_.end()) return std::nullopt;
  return it->second;
}

std::optional<QueueId> Acd::findQueue(std::string_view tenant, std::string_view name) const {
  auto t = findTenant(tenant);
  if (!t) return std::nullopt;
  auto it = queueNames_.find({*t, std::string(name)});
  if (it == queueNames_.end()) return std::nullopt;
  return it->second;
}

// --- ownership -----------------------------------------------------------------------------

AgentId Acd::ownerIdOf(TenantIdx t, const std::string& customer) const {
  if (customer.empty()) return 0;
  auto it = owners_.find({t, customer});
  return it == owners_.end() ? 0 : it->second;
}

void Acd::assignOwner(TenantIdx t, const std::string& customer, AgentId to, AgentId from,
                      std::string_view reason) {
  std::pair<TenantIdx, std::string> key{t, customer};
  if (from != 0) agentRef(from).owned.erase(key);
  if (to != 0) {
    agentRef(to).owned.insert(key);
    owners_[key] = to;
  } else {
    owners_.erase(key);
  }
  AcdEvent e = event(from == 0 ? AcdEventKind::kOwnerAssigned : AcdEventKind::kOwnerReassigned, t);
  e.agent = to;
  e.previousAgent = from;
  e.customer = customer;
  e.reason = std::string(reason);
  outbox_.emplace_back(std::move(e));
}

Result<void> Acd::setOwner(std::string_view tenant, std::string_view customer, AgentId agentId) {
  Batch batch(*this);
  auto t = findTenant(tenant);
  if (!t || customer.empty()) return fail(Errc::kInvalidInput, "unknown tenant or no customer");
  if (agentId != 0) {
    const Agent* a = liveAgent(agentId);
    if (!a) return fail(Errc::kNotFound, "unknown agent");
    if (!serves(*a, *t)) return fail(Errc::kForbidden, "agent does not serve the tenant");
  }
  std::string key(customer);
  AgentId from = ownerIdOf(*t, key);
  if (from == agentId) return {};
  assignOwner(*t, key, agentId, from, "set");
  return {};
}

std::optional<AgentId> Acd::ownerOf(std::string_view tenant, std::string_view customer) const {
  auto t = findTenant(tenant);
  if (!t) return std::nullopt;
  AgentId a = ownerIdOf(*t, std::string(customer));
  if (a == 0) return std::nullopt;
  return a;
}

// R5: customers stay with the tenant. Per tenant, each customer goes to the agent with the
// fewest owned customers of that tenant (ties by id), which round-robins among equals.
void Acd::reassignOwned(Agent& a) {
  auto owned = a.owned;  // copy: assignOwner edits a.owned
  auto it = owned.begin();
  while (it != owned.end()) {
    TenantIdx t = it->first;
    using Slot = std::pair<std::size_t, AgentId>;
    std::priority_queue<Slot, std::vector<Slot>, std::greater<>> slots;
    for (AgentId other : tenantAgents_[t]) {
      if (other == a.id) continue;
      const auto& set = agentRef(other).owned;
      auto lo = set.lower_bound({t, std::string()});
      auto hi = set.lower_bound({t + 1, std::string()});
      slots.emplace(static_cast<std::size_t>(std::distance(lo, hi)), other);
    }
    for (; it != owned.end() && it->first == t; ++it) {
      if (slots.empty()) {
        assignOwner(t, it->second, 0, a.id, "agent_removed");
        continue;
      }
      Slot s = slots.top();
      slots.pop();
      assignOwner(t, it->second, s.second, a.id, "agent_removed");
      slots.emplace(s.first + 1, s.second);
    }
  }
}

}  // namespace sb::acd
