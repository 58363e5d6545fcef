#pragma once
// Vocabulary of the ACD (MISSION R1-R5, H1): ids, agent states, strategies, queue/agent/contact
// specs, offers, events and read-only views. Plain values, any thread.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace sb::acd {

/// An agent (seat). 1-based, never reused; 0 = none.
using AgentId = std::uint32_t;
/// A queue. 1-based, never reused; 0 = none.
using QueueId = std::uint32_t;
/// A contact (one caller's stay in the ACD, across overflows). Never reused; 0 = none.
using ContactId = std::uint64_t;
/// One ring of one agent for one contact. Never reused; 0 = none.
using OfferId = std::uint64_t;
/// An interned skill name (see `Acd::skill`).
using SkillId = std::uint32_t;

/// Highest skill level; levels run 1..kMaxSkillLevel.
inline constexpr int kMaxSkillLevel = 10;

/// The agent state machine (README.md has the transition table).
enum class AgentState : std::uint8_t { kLoggedOut, kReady, kOffered, kOnCall, kWrapUp, kNotReady };
/// Number of AgentState values (for per-state arrays).
inline constexpr std::size_t kAgentStateCount = 6;
/// Lower-case name of a state: "logged_out", "ready", "offered", "on_call", "wrap_up", "not_ready".
std::string_view agentStateName(AgentState s);

/// How a queue picks among its eligible ready agents.
enum class Strategy : std::uint8_t {
  kLongestIdle,    ///< the agent ready (idle) the longest
  kRoundRobin,     ///< the member offered least recently by this queue (rr with memory)
  kFewestCalls,    ///< fewest calls taken, ties by longest idle
  kLeastTalkTime,  ///< least total talk time, ties by longest idle
  kRingAll,        ///< ring every eligible ready agent, first to answer wins
  kRandom,         ///< uniformly among eligible ready agents (seeded)
  kSkills,         ///< highest summed level on the required skills, ties by longest idle
};
/// Config name of a strategy ("longest_idle", "round_robin", ...).
std::string_view strategyName(Strategy s);
/// Parses a config name; nullopt when unknown.
std::optional<Strategy> parseStrategy(std::string_view name);

/// One step of skill widening: after `after` in the queue, required levels drop by `lowerBy`.
struct WideningStep {
  std::chrono::seconds after{0};  ///< time since the contact joined the queue
  int lowerBy = 1;                ///< levels subtracted (cumulative over steps); <= 0 drops it
};

/// An agent definition. `skills` levels run 1..10.
struct AgentSpec {
  std::string tenant;                               ///< owning tenant (exclusive seat)
  std::string name;                                 ///< unique within the tenant
  std::vector<std::string> extraTenants;            ///< shared seat: further tenants served
  std::vector<std::pair<std::string, int>> skills;  ///< skill name, level 1..10
};

/// A queue definition. Durations are whole seconds; 0 disables where noted.
struct QueueSpec {
  std::string tenant;                                       ///< members must serve it
  std::string name;                                         ///< unique within the tenant
  Strategy strategy = Strategy::kLongestIdle;               ///< agent choice
  std::vector<std::pair<std::string, int>> requiredSkills;  ///< skill name, minimum level
  std::vector<WideningStep> widening;                       ///< lowers the minimums over wait
  std::chrono::seconds maxWait{0};        ///< then overflow or leave (kMaxWait); 0 = none
  std::size_t maxLength = 0;              ///< contacts not yet answered; 0 = unlimited
  bool joinWhenNoAgents = false;          ///< accept callers while no member is logged in
  bool leaveWhenNoAgents = true;          ///< waiting callers leave when the last logs out
  QueueId overflowQueue = 0;              ///< same tenant; target at maxWait; 0 = none
  double weight = 1.0;                    ///< cross-queue fairness: wait x weight
  std::chrono::seconds wrapUp{10};        ///< after-call work before ready; 0 = none
  std::chrono::seconds offerTimeout{20};  ///< ring no-answer; the engine retracts then
  std::chrono::seconds missDelay{5};      ///< no offer to an agent this long after a miss
  int maxMisses = 3;                      ///< consecutive misses -> not ready "no_answer"
  std::chrono::seconds announceEvery{0};  ///< position/expected-wait period; 0 = never
};

/// A contact asking for an agent.
struct ContactSpec {
  std::string tenant;                 ///< must be the queue's tenant
  QueueId queue = 0;                  ///< where it waits
  int priority = 0;                   ///< higher is served first, across queues too
  std::string customer;               ///< customer key (caller number) for owner routing
  std::chrono::seconds ownerWait{0};  ///< how long to wait for the owner before the queue
  bool claim = false;                 ///< new customer: offer to several, first accept owns
  std::size_t claimFanout = 3;        ///< agents offered at once for a claim
  std::string ref;                    ///< the app's reference (its call), echoed in events
};

/// A ring of one agent for one contact, sent through `AcdPort::offer`.
struct Offer {
  OfferId id = 0;
  ContactId contact = 0;
  AgentId agent = 0;
  QueueId queue = 0;
  std::string tenant;     ///< the contact's tenant (what a shared seat shows)
  bool claim = false;     ///< offer/claim of a new customer: accepting makes the agent owner
  bool callback = false;  ///< the caller hung up and asked to be called back: the agent dials
};

/// Why the engine stops an offer it made.
enum class RetractReason : std::uint8_t {
  kAnsweredElsewhere,  ///< another agent accepted (ring-all, claim)
  kAbandoned,          ///< the caller hung up
  kTimeout,            ///< no answer within the queue's offerTimeout
  kAgentLoggedOut,     ///< the agent logged out or was removed
  kCallbackRequested,  ///< the caller switched to a callback; it is offered again as one
  kQueueRemoved,       ///< the queue was deleted
  kWithdrawn,          ///< the app took the contact back (its own wait limit)
};
/// Lower-case name of a retract reason.
std::string_view retractReasonName(RetractReason r);

/// Why a contact left the ACD without an agent (the caller's flow continues at an exit).
enum class LeaveReason : std::uint8_t {
  kMaxWait,       ///< waited maxWait and no overflow queue took it
  kNoAgents,      ///< the last member logged out (leaveWhenNoAgents)
  kQueueRemoved,  ///< the queue was deleted
};
/// Lower-case name of a leave reason.
std::string_view leaveReasonName(LeaveReason r);

/// How an offer failed, as reported by the app.
enum class OfferFailure : std::uint8_t { kNoAnswer, kRejected, kUnreachable };
/// Lower-case name of an offer failure.
std::string_view offerFailureName(OfferFailure f);

/// What an AcdEvent records.
enum class AcdEventKind : std::uint8_t {
  kAgentState,         ///< agent from -> to, reason
  kContactQueued,      ///< joined a queue (reason: "queued", "owner_wait", "owner_fallback")
  kContactOffered,     ///< offered to `agent`
  kOfferFailed,        ///< `agent` missed or rejected (reason: failure name or "timeout")
  kContactAccepted,    ///< answered by `agent`
  kContactEnded,       ///< the accepted call ended (agent's callEnded)
  kContactAbandoned,   ///< the caller hung up before answer
  kContactLeft,        ///< left without an agent (reason: leave reason)
  kContactOverflowed,  ///< moved to `queue` from queue `fromQueue`
  kContactCallback,    ///< caller hung up keeping their place
  kOwnerAssigned,      ///< `customer` now owned by `agent` (reason "set" or "claim")
  kOwnerReassigned,    ///< `customer` moved from `previousAgent` to `agent` (0: unowned)
};
/// Lower-case name of an event kind.
std::string_view acdEventKindName(AcdEventKind k);

/// One ACD transition, for the event log (W1). Agent events carry the agent's first tenant.
struct AcdEvent {
  AcdEventKind kind = AcdEventKind::kAgentState;
  std::string tenant;
  AgentId agent = 0;
  QueueId queue = 0;
  ContactId contact = 0;
  AgentState from = AgentState::kLoggedOut;  ///< kAgentState only
  AgentState to = AgentState::kLoggedOut;    ///< kAgentState only
  std::string reason;
  std::string customer;       ///< owner events
  std::string ref;            ///< contact events: the ContactSpec's ref
  AgentId previousAgent = 0;  ///< kOwnerReassigned
  QueueId fromQueue = 0;      ///< kContactOverflowed
  TimePoint time{};           ///< the clock's time of the transition
};

/// Live figures of one queue (wallboard).
struct QueueView {
  QueueId id = 0;
  std::string tenant;
  std::string name;
  std::size_t waiting = 0;    ///< contacts not yet answered (waiting, owner wait, ringing)
  std::size_t callbacks = 0;  ///< of which callbacks
  Duration oldestWait{0};     ///< longest current wait (since first enqueue)
  std::array<std::size_t, kAgentStateCount> agentsByState{};  ///< members, by AgentState
  std::uint64_t offered = 0;             ///< offers made (one contact may be offered several times)
  std::uint64_t answered = 0;            ///< contacts accepted
  std::uint64_t abandoned = 0;           ///< callers who hung up before answer
  std::uint64_t callbacksRequested = 0;  ///< contacts turned into callbacks
  std::uint64_t left = 0;                ///< left by maxWait, no agents or removal
  std::uint64_t overflowed = 0;          ///< moved out to the overflow queue
};

/// Live figures of one agent (agent desktop, wallboard).
struct AgentView {
  AgentId id = 0;
  std::string name;
  std::vector<std::string> tenants;  ///< first = owning tenant, then the shared ones
  AgentState state = AgentState::kLoggedOut;
  TimePoint since{};               ///< entered `state`
  std::string reason;              ///< of the last transition
  std::optional<AgentState> next;  ///< requested status applied when work ends
  TimePoint availableAt{};         ///< ready but not offered before this (miss delay)
  int misses = 0;                  ///< consecutive offer failures
  std::uint64_t callsTaken = 0;
  Duration talkTime{0};
  std::size_t ownedCustomers = 0;
};

}  // namespace sb::acd
