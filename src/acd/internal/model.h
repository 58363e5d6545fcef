#pragma once
// Private state of the Acd: agents, queues, contacts, offers, their indexes and the timer heap.
// Only acd*.cpp include this. Control loop only.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "acd/types.h"

namespace sb::acd::internal {

/// Transparent string hash, so maps keyed by std::string take string_view lookups.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// Interned tenant name.
using TenantIdx = std::uint32_t;

/// Skill deficits and contact widening run 0..kMaxSkillLevel; one index bucket per value.
inline constexpr std::size_t kBuckets = kMaxSkillLevel + 1;

/// Order of ready agents inside one queue bucket: smaller is offered first.
struct ReadyKey {
  std::int64_t primary = 0;    ///< strategy key (rr sequence, calls, talk ns, -score, 0)
  std::int64_t idleSince = 0;  ///< ns; ties by longest idle
  AgentId agent = 0;
  auto operator<=>(const ReadyKey&) const = default;
};

/// Order of waiting contacts inside one queue bucket (and of an owner's waiting contacts).
struct WaitKey {
  int negPriority = 0;          ///< -priority: higher priority first
  std::int64_t enqueuedAt = 0;  ///< ns of the first enqueue: longest wait first
  ContactId contact = 0;
  auto operator<=>(const WaitKey&) const = default;
};

/// An agent's membership of one queue, with what the queue's index needs.
struct Membership {
  QueueId queue = 0;
  int deficit = 0;                    ///< levels of widening needed before this agent is eligible
  int score = 0;                      ///< summed levels on the required skills (kSkills)
  std::uint64_t rrSeq = 0;            ///< queue sequence of the last offer (kRoundRobin)
  ReadyKey key;                       ///< key while indexed
  std::set<ReadyKey>::iterator slot;  ///< its node in the queue's bucket while indexed
  std::size_t randomPos = 0;          ///< position in the random bucket while indexed (kRandom)
};

/// A status requested while busy, applied when the current work ends.
struct NextState {
  AgentState state = AgentState::kReady;
  std::string reason;
};

struct Agent {
  AgentId id = 0;
  std::string name;
  std::vector<TenantIdx> tenants;  ///< [0] owning tenant
  std::vector<std::pair<SkillId, int>> skills;
  bool removed = false;

  AgentState state = AgentState::kLoggedOut;
  TimePoint since{};
  std::string reason;
  std::optional<NextState> next;
  TimePoint idleSince{};    ///< last time the agent became free (longest idle)
  TimePoint availableAt{};  ///< miss delay: not routable before this
  bool indexed = false;     ///< in the ready indexes of all its queues (routable)
  int misses = 0;

  OfferId offer = 0;      ///< kOffered: the one live offer
  ContactId contact = 0;  ///< kOnCall: the accepted contact
  QueueId workQueue = 0;  ///< queue of the current/last call (wrap-up length)
  TimePoint callStart{};
  std::uint64_t callsTaken = 0;
  Duration talkTime{0};

  std::vector<Membership> memberships;
  std::set<WaitKey> ownerWaiting;                     ///< contacts waiting for this owner
  std::set<std::pair<TenantIdx, std::string>> owned;  ///< customers owned

  std::uint64_t wrapTimer = 0;   ///< seq of the armed wrap-up end, 0 none
  std::uint64_t availTimer = 0;  ///< seq of the armed miss-delay end, 0 none
};

struct Queue {
  QueueId id = 0;
  QueueSpec spec;
  TenantIdx tenant = 0;
  bool removed = false;
  std::vector<std::pair<SkillId, int>> required;
  std::vector<AgentId> members;
  std::size_t loggedIn = 0;  ///< members not logged out

  std::array<std::set<ReadyKey>, kBuckets> ready;          ///< by deficit: routable members
  std::array<std::vector<AgentId>, kBuckets> readyRandom;  ///< same agents, kRandom only
  std::array<std::set<WaitKey>, kBuckets> waiting;         ///< by contact widening
  std::unordered_set<ContactId> contacts;                  ///< every contact not answered
  std::uint64_t rrCounter = 0;

  double avgHandleSeconds = 0;  ///< EWMA of talk + wrap-up, for expected wait
  std::uint64_t offered = 0, answered = 0, abandoned = 0, callbacks = 0, left = 0, overflowed = 0;
};

enum class Stage : std::uint8_t { kOwnerWait, kWaiting, kOffered, kAccepted };

struct Contact {
  ContactId id = 0;
  QueueId queue = 0;
  TenantIdx tenant = 0;
  int priority = 0;
  std::string customer;
  std::string ref;
  std::chrono::seconds ownerWait{0};
  bool claim = false;
  std::size_t claimFanout = 3;
  bool callback = false;

  TimePoint enqueuedAt{};  ///< first enqueue (kept across overflow)
  TimePoint joinedAt{};    ///< joined the current queue (widening, maxWait)
  Stage stage = Stage::kWaiting;
  int widen = 0;                ///< levels lowered so far, capped at kMaxSkillLevel
  std::size_t nextStep = 0;     ///< next widening step
  AgentId ownerWaitFor = 0;     ///< kOwnerWait (or an owner offer): the owner
  bool maxWaitDue = false;      ///< maxWait passed while ringing
  std::vector<OfferId> offers;  ///< kOffered: live offers
  AgentId agent = 0;            ///< kAccepted: who answered

  std::uint64_t ownerTimer = 0, widenTimer = 0, maxWaitTimer = 0, announceTimer = 0;
  std::set<WaitKey>::iterator slot;  ///< kWaiting: its node in the queue's bucket

  WaitKey key() const { return WaitKey{-priority, enqueuedAt.time_since_epoch().count(), id}; }
};

struct OfferRecord {
  OfferId id = 0;
  ContactId contact = 0;
  AgentId agent = 0;
  QueueId queue = 0;
  bool claim = false;
  bool owner = false;  ///< offered to the contact's owner (owner routing)
  std::uint64_t timer = 0;
};

enum class TimerKind : std::uint8_t {
  kOfferTimeout,
  kWrapUpEnd,
  kAvailable,
  kOwnerWait,
  kWiden,
  kMaxWait,
  kAnnounce
};

/// A heap entry; live iff its target still names `seq` for `kind` (lazy cancellation).
struct Timer {
  TimePoint at{};
  std::uint64_t seq = 0;
  TimerKind kind = TimerKind::kOfferTimeout;
  std::uint64_t target = 0;  ///< offer, agent or contact id
};

/// Min-heap order for std::push_heap (earliest, then first armed).
struct TimerLater {
  bool operator()(const Timer& a, const Timer& b) const {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }
};

struct RetractCall {
  OfferId offer;
  RetractReason reason;
};
struct LeftCall {
  ContactId contact;
  LeaveReason reason;
};
struct AnnounceCall {
  ContactId contact;
  std::size_t position;
  std::chrono::seconds expectedWait;
};
/// A port call waiting for the end of the current Acd operation.
using PortCall = std::variant<Offer, RetractCall, LeftCall, AnnounceCall, AcdEvent>;

}  // namespace sb::acd::internal
