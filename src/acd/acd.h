#pragma once
// Acd: queues, agents and their state machine, routing strategies, offers, owner routing
// (MISSION R1-R5, H1). Pure logic on the control loop: time from a Clock, randomness seeded,
// everything else through AcdPort.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acd/internal/model.h"
#include "acd/port.h"
#include "acd/types.h"
#include "base/clock.h"
#include "base/result.h"

namespace sb::acd {

/// The ACD engine of a node. Not thread-safe: owned by the control loop. Errors: kNotFound
/// (unknown id), kForbidden (tenant mismatch), kConflict (not allowed in the current state),
/// kInvalidInput (bad spec), kOverloaded (queue full).
class Acd {
 public:
  /// `clock` and `port` must outlive the engine; `seed` drives kRandom.
  Acd(const Clock& clock, AcdPort& port, std::uint64_t seed);
  Acd(const Acd&) = delete;
  Acd& operator=(const Acd&) = delete;

  // --- admin ---------------------------------------------------------------------------
  /// Interns a skill name (case-sensitive).
  SkillId skill(std::string_view name);
  /// Adds a queue; kConflict if the name exists in the tenant, kInvalidInput on a bad spec.
  Result<QueueId> addQueue(QueueSpec spec);
  /// Removes a queue: its contacts leave (kQueueRemoved), its offers are retracted.
  Result<void> removeQueue(QueueId queue);
  /// Adds a logged-out agent; kConflict if the name exists in the tenant.
  Result<AgentId> addAgent(AgentSpec spec);
  /// Makes the agent a member; kForbidden unless it serves the queue's tenant.
  Result<void> addMember(AgentId agent, QueueId queue);
  /// Ends a membership; kNotFound if the agent is not a member.
  Result<void> removeMember(AgentId agent, QueueId queue);
  /// Removes an agent (logging it out); its customers go to other agents of each tenant
  /// (fewest owned first, round robin). kConflict while the agent is on a call.
  Result<void> removeAgent(AgentId agent);
  /// Agent by tenant and name.
  std::optional<AgentId> findAgent(std::string_view tenant, std::string_view name) const;
  /// Queue by tenant and name.
  std::optional<QueueId> findQueue(std::string_view tenant, std::string_view name) const;

  // --- agent control -------------------------------------------------------------------
  /// Logged out -> ready ("login") when `ready`, else not ready "login". kConflict if in.
  Result<void> login(AgentId agent, bool ready = true);
  /// From any state: an offer is retracted; on a call the agent logs out when it ends.
  Result<void> logout(AgentId agent);
  /// Not ready or wrap-up -> ready; while offered/on call it becomes the next status.
  Result<void> ready(AgentId agent);
  /// Ready or wrap-up -> not ready `reason`; while offered/on call it becomes the next status.
  Result<void> notReady(AgentId agent, std::string reason);
  /// Status (ready, not ready, logged out) to apply when the current work ends; applied now
  /// when the agent is not working. kInvalidInput for another target.
  Result<void> requestNext(AgentId agent, AgentState target, std::string reason);
  /// Ends wrap-up early. kConflict unless in wrap-up.
  Result<void> wrapUpDone(AgentId agent);
  /// The agent's bridged call is over: wrap-up, then ready or the next status.
  Result<void> callEnded(AgentId agent);

  // --- contacts ------------------------------------------------------------------------
  /// A contact asks for an agent. kNotFound (queue), kForbidden (tenant), kOverloaded
  /// (maxLength), kConflict (no member logged in and !joinWhenNoAgents).
  Result<ContactId> enqueue(ContactSpec spec);
  /// The caller hung up: leaves the queue, offers are retracted; no-op once accepted.
  Result<void> abandon(ContactId contact);
  /// The app takes a waiting contact back (e.g. its flow's own wait limit): it leaves like
  /// at maxWait (counted as left, not abandoned) but without contactLeft, since the app asked;
  /// its offers are retracted. kConflict once accepted or for a callback.
  Result<void> withdraw(ContactId contact);
  /// The caller hangs up keeping their place; the agent chosen gets a callback offer.
  Result<void> requestCallback(ContactId contact);
  /// The agent answered: agent on call, contact out of the queue, other offers retracted.
  Result<void> offerAccepted(OfferId offer);
  /// The agent did not answer / rejected / was unreachable: the contact goes to the next.
  Result<void> offerFailed(OfferId offer, OfferFailure failure);

  // --- ownership (R2, R5) --------------------------------------------------------------
  /// Sets (agent != 0) or clears (0) the owner of a customer. kForbidden unless the agent
  /// serves the tenant.
  Result<void> setOwner(std::string_view tenant, std::string_view customer, AgentId agent);
  /// The owner of a customer, if any.
  std::optional<AgentId> ownerOf(std::string_view tenant, std::string_view customer) const;

  // --- time ----------------------------------------------------------------------------
  /// Earliest pending deadline; the app arms one timer for it.
  std::optional<TimePoint> nextDeadline() const;
  /// Processes everything due at clock.now().
  void runDue();

  // --- views ---------------------------------------------------------------------------
  /// Live figures of a queue; kNotFound for an unknown or removed queue.
  Result<QueueView> queueView(QueueId queue) const;
  /// Live figures of an agent; kNotFound for an unknown or removed agent.
  Result<AgentView> agentView(AgentId agent) const;
  /// Checks every internal invariant (tests, debug); the error names the first broken one.
  Result<void> checkInvariants() const;

 private:
  using Agent = internal::Agent;
  using Queue = internal::Queue;
  using Contact = internal::Contact;
  using OfferRecord = internal::OfferRecord;
  using Membership = internal::Membership;
  using TenantIdx = internal::TenantIdx;
  using Timer = internal::Timer;
  using TimerKind = internal::TimerKind;

  /// Delivers queued port calls when the outermost public call returns.
  class Batch {
   public:
    explicit Batch(Acd& acd) : acd_(acd) { ++acd_.depth_; }
    ~Batch() {
      if (--acd_.depth_ == 0) acd_.flush();
    }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    Acd& acd_;
  };

  // lookup (acd_admin.cpp)
  Agent* liveAgent(AgentId id);
  const Agent* liveAgent(AgentId id) const;
  Queue* liveQueue(QueueId id);
  const Queue* liveQueue(QueueId id) const;
  Agent& agentRef(AgentId id) { return agents_[id - 1]; }
  Queue& queueRef(QueueId id) { return queues_[id - 1]; }
  std::optional<TenantIdx> findTenant(std::string_view name) const;
  TenantIdx internTenant(std::string_view name);
  bool serves(const Agent& a, TenantIdx t) const;
  Membership* membership(Agent& a, QueueId q);
  Result<std::vector<std::pair<SkillId, int>>> internSkills(
      const std::vector<std::pair<std::string, int>>& skills);
  void computeFit(const Agent& a, const Queue& q, Membership& m) const;
  AgentId ownerIdOf(TenantIdx t, const std::string& customer) const;
  void assignOwner(TenantIdx t, const std::string& customer, AgentId to, AgentId from,
                   std::string_view reason);
  void reassignOwned(Agent& a);

  // agent state (acd_agents.cpp)
  void setState(Agent& a, AgentState to, std::string_view reason);
  void indexAgent(Agent& a);
  void unindexAgent(Agent& a);
  void insertReady(Queue& q, Agent& a, Membership& m);
  void eraseReady(Queue& q, Agent& a, Membership& m);
  std::int64_t primaryKey(const Queue& q, const Agent& a, const Membership& m) const;
  void becomeReady(Agent& a, std::string_view reason, bool resetIdle);
  void makeRoutable(Agent& a);
  void finishWork(Agent& a, std::string_view reason);
  void applyNext(Agent& a);
  void doLogout(Agent& a, std::string_view reason);
  void missed(Agent& a, const QueueSpec& spec);
  void releaseFromOffer(Agent& a, std::string_view reason);
  void queueLostLastAgent(Queue& q);

  // contacts and offers (acd_contacts.cpp)
  void joinWaiting(Contact& c);
  void insertWaiting(Contact& c);
  void eraseWaiting(Contact& c);
  void startOwnerWait(Contact& c, Agent& owner);
  void fallBackToQueue(Contact& c, std::string_view reason);
  void makeOffer(Contact& c, Agent& a, bool claim, bool owner);
  void retractOffer(OfferId id, RetractReason reason, bool redispatch);
  void offerEnded(Contact& c);
  void failOffer(OfferId id, std::string_view reason, bool timedOut);
  void removeContact(Contact& c);
  void contactGone(Contact& c, AcdEventKind kind, std::string_view reason);
  void leave(Contact& c, LeaveReason reason);
  bool tryOverflow(Contact& c);

  // routing (acd_routing.cpp)
  void dispatchContact(Contact& c);
  void dispatchAgent(Agent& a);
  AgentId pickAgent(Queue& q, int widen);
  std::vector<AgentId> pickAgents(Queue& q, int widen, std::size_t limit);
  Contact* bestContactFor(Agent& a);

  // timers (acd_timers.cpp)
  std::uint64_t arm(TimePoint at, TimerKind kind, std::uint64_t target);
  bool timerLive(const Timer& t) const;
  void fire(const Timer& t);
  void armContactTimers(Contact& c);
  void armWiden(Contact& c);
  void onWiden(Contact& c);
  void onMaxWait(Contact& c);
  void onAnnounce(Contact& c);
  std::size_t positionOf(const Contact& c) const;

  // events (acd_views.cpp)
  AcdEvent event(AcdEventKind kind, TenantIdx tenant) const;
  void emitContact(AcdEventKind kind, const Contact& c, AgentId agent, std::string_view reason);
  void flush();
  Result<void> checkAgent(const Agent& a) const;
  Result<void> checkQueue(const Queue& q) const;
  Result<void> checkContact(const Contact& c) const;

  const Clock& clock_;
  AcdPort& port_;
  std::mt19937_64 rng_;

  std::deque<Agent> agents_;
  std::deque<Queue> queues_;
  std::unordered_map<ContactId, Contact> contacts_;
  std::unordered_map<OfferId, OfferRecord> offers_;
  std::vector<std::string> tenantNames_;
  std::unordered_map<std::string, TenantIdx, internal::StringHash, std::equal_to<>> tenantIds_;
  std::vector<std::vector<AgentId>> tenantAgents_;  ///< by tenant: agents serving it
  std::vector<std::string> skillNames_;
  std::unordered_map<std::string, SkillId, internal::StringHash, std::equal_to<>> skillIds_;
  std::map<std::pair<TenantIdx, std::string>, AgentId> agentNames_;
  std::map<std::pair<TenantIdx, std::string>, QueueId> queueNames_;
  std::map<std::pair<TenantIdx, std::string>, AgentId> owners_;

  mutable std::vector<Timer> heap_;  ///< mutable: nextDeadline() drops dead entries
  std::uint64_t timerSeq_ = 0;
  ContactId nextContact_ = 0;
  OfferId nextOffer_ = 0;

  std::vector<internal::PortCall> outbox_;
  std::size_t flushPos_ = 0;
  int depth_ = 0;
  bool flushing_ = false;
};

}  // namespace sb::acd
