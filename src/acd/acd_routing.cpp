// Routing decisions. Both directions read the per-queue bucketed indexes (internal/model.h):
// a contact widened by w may take agents of deficit <= w, an agent of deficit d may take
// contacts widened by >= d, so a decision looks at the heads of at most 11 ordered sets per
// queue instead of scanning agents or contacts.

#include <algorithm>
#include <limits>

#include "acd/acd.h"

namespace sb::acd {

using internal::Stage;

AgentId Acd::pickAgent(Queue& q, int widen) {
  auto last = static_cast<std::size_t>(widen);
  if (q.spec.strategy == Strategy::kRandom) {
    std::size_t total = 0;
    for (std::size_t b = 0; b <= last; ++b) total += q.readyRandom[b].size();
    if (total == 0) return 0;
    std::size_t r = static_cast<std::size_t>(rng_() % total);
    for (std::size_t b = 0; b <= last; ++b) {
      const auto& v = q.readyRandom[b];
      if (r < v.size()) return v[r];
      r -= v.size();
    }
    return 0;
  }
  const internal::ReadyKey* best = nullptr;
  for (std::size_t b = 0; b <= last; ++b) {
    if (q.ready[b].empty()) continue;
    const internal::ReadyKey& head = *q.ready[b].begin();
    if (!best || head < *best) best = &head;
  }
  return best ? best->agent : 0;
}

// The first `limit` eligible agents in strategy order (ring-all: all of them).
std::vector<AgentId> Acd::pickAgents(Queue& q, int widen, std::size_t limit) {
  std::vector<internal::ReadyKey> keys;
  for (std::size_t b = 0; b <= static_cast<std::size_t>(widen); ++b) {
    std::size_t taken = 0;
    for (const internal::ReadyKey& k : q.ready[b]) {
      if (taken++ == limit) break;
      keys.push_back(k);
    }
  }
  if (q.spec.strategy == Strategy::kRandom) {
    std::shuffle(keys.begin(), keys.end(), rng_);
  } else {
    std::sort(keys.begin(), keys.end());
  }
  if (keys.size() > limit) keys.resize(limit);
  std::vector<AgentId> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(k.agent);
  return out;
}

void Acd::dispatchContact(Contact& c) {
  if (c.stage != Stage::kWaiting) return;
  Queue& q = queueRef(c.queue);
  bool claim = c.claim && ownerIdOf(c.tenant, c.customer) == 0;
  if (q.spec.strategy == Strategy::kRingAll || claim) {
    std::size_t limit = claim ? c.claimFanout : std::numeric_limits<std::size_t>::max();
    for (AgentId id : pickAgents(q, c.widen, limit)) makeOffer(c, agentRef(id), claim, false);
    return;
  }
  if (AgentId id = pickAgent(q, c.widen)) makeOffer(c, agentRef(id), false, false);
}

// Global choice for an agent: among all its queues, the waiting contact it is eligible for
// with the highest priority, then the longest weighted wait (wait x queue weight).
Acd::Contact* Acd::bestContactFor(Agent& a) {
  const internal::WaitKey* best = nullptr;
  double bestWeighted = 0;
  std::int64_t now = clock_.now().time_since_epoch().count();
  for (const Membership& m : a.memberships) {
    const Queue& q = queueRef(m.queue);
    for (auto b = static_cast<std::size_t>(m.deficit); b < internal::kBuckets; ++b) {
      if (q.waiting[b].empty()) continue;
      const internal::WaitKey& k = *q.waiting[b].begin();
      double weighted = static_cast<double>(now - k.enqueuedAt) * q.spec.weight;
      bool better =
          !best || k.negPriority < best->negPriority ||
          (k.negPriority == best->negPriority &&
           (weighted > bestWeighted || (weighted == bestWeighted && k.contact < best->contact)));
      if (better) {
        best = &k;
        bestWeighted = weighted;
      }
    }
  }
  return best ? &contacts_.at(best->contact) : nullptr;
}

void Acd::dispatchAgent(Agent& a) {
  if (!a.indexed) return;
  if (!a.ownerWaiting.empty()) {
    makeOffer(contacts_.at(a.ownerWaiting.begin()->contact), a, false, true);
    return;
  }
  Contact* c = bestContactFor(a);
  if (!c) return;
  bool claim = c->claim && ownerIdOf(c->tenant, c->customer) == 0;
  makeOffer(*c, a, claim, false);
}

}  // namespace sb::acd
