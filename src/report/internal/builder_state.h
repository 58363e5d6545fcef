#pragma once
// The CdrBuilder's state: open calls, agents' current states, finished calls remembered for
// late recording events, and the deadlines of CDRs held back after their call ended.
// Implemented in cdr_builder.cpp (dispatch, holding, emission), cdr_builder_calls.cpp (call
// events) and cdr_builder_acd.cpp (ACD and flow events, agent intervals).

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "report/cdr_builder.h"
#include "report/internal/event_fields.h"
#include "store/event.h"
#include "store/records.h"

namespace sb::report::internal {

/// How long after call_ended a CDR waits for the ACD's outcome of a contact still in it.
inline constexpr std::int64_t kSettleGraceMs = 2000;
/// How long after contact_ended a CDR waits for the agent's next state (wrap-up or not).
inline constexpr std::int64_t kWrapUpDecisionMs = 2000;
/// The longest a CDR is held for its agent's wrap-up; then it is emitted without wrapUpEndMs.
inline constexpr std::int64_t kMaxWrapUpHoldMs = 60 * 60 * 1000;
/// Finished calls remembered for recording events that come after the CDR.
inline constexpr std::size_t kFinishedMemory = 10000;

/// (run, call).
using CallKey = std::pair<std::uint64_t, std::uint64_t>;
/// (run, agent name, tenant): ordered so that one run's agents of one name are adjacent.
using AgentKey = std::tuple<std::uint64_t, std::string, std::string>;

/// Where a call is in its agent's wrap-up.
enum class WrapUp : std::uint8_t {
  kNone,      ///< no agent handled it (yet)
  kAwaiting,  ///< contact_ended seen; the agent's next state decides
  kIn,        ///< the agent is in wrap_up for it
  kDone,      ///< decided: wrap-up over, or none
};

/// A call without a CDR yet.
struct OpenCall {
  store::Cdr cdr;
  std::uint64_t callerLeg = 0;
  bool ended = false;
  bool interrupted = false;  ///< closed by interruptAll while in progress
  bool queued = false;
  bool accepted = false;
  bool abandoned = false;
  bool callback = false;
  bool left = false;
  bool acdPending = false;  ///< a contact of the call is in the ACD (waiting or with an agent)
  bool flowHungUp = false;  ///< the flow ran a hangup node
  bool causeSet = false;
  std::deque<std::string> pendingOffers;  ///< agents offered whose leg is not created yet
  std::vector<std::uint64_t> legsOnHold;
  std::int64_t holdSinceMs = 0;
  std::int64_t waitEndMs = 0;      ///< abandoned / left / callback (0: none)
  std::int64_t handlingEndMs = 0;  ///< contact_ended (0: none)
  WrapUp wrap = WrapUp::kNone;
  std::int64_t wrapFromMs = 0;  ///< kAwaiting: contact_ended; kIn: entered wrap_up
  std::map<std::uint64_t, std::int64_t> recordingStarts;  ///< leg -> recording_started
};

/// What is kept of a call after its CDR, for recording_stopped events that come later.
struct FinishedCall {
  std::string tenant;
  std::string agent;
  std::map<std::uint64_t, std::int64_t> recordingStarts;
};

/// An agent's current state as last seen.
struct AgentTrack {
  std::string state;  ///< "" = unknown (never seen a transition)
  std::string reason;
  std::int64_t sinceMs = 0;
  std::optional<CallKey> wrapCall;  ///< the call whose wrap-up this agent decides
};

/// The builder's state and rules (CdrBuilder forwards to it).
class BuilderState {
 public:
  explicit BuilderState(CdrBuilder::ThresholdsOf thresholds) : thresholds_(std::move(thresholds)) {}
  void apply(std::uint64_t run, const store::Event& e, store::Derived& out);
  void interruptAll(std::int64_t timeMs, store::Derived& out);
  std::size_t openCalls() const { return open_.size(); }
  std::uint64_t malformed() const { return malformed_; }

 private:
  // cdr_builder_calls.cpp
  void onCallEvent(std::uint64_t run, const store::Event& e, const EventFields& f,
                   store::Derived& out);
  void legCreated(OpenCall& c, const EventFields& f, std::int64_t t);
  void legEnded(OpenCall& c, const EventFields& f, std::int64_t t);
  void callEnded(OpenCall& c, const EventFields& f, std::int64_t t);
  void recordingStopped(std::uint64_t run, const store::Event& e, const EventFields& f,
                        store::Derived& out);
  // cdr_builder_acd.cpp
  void onAcdEvent(std::uint64_t run, const store::Event& e, const EventFields& f,
                  store::Derived& out);
  void contactEvent(OpenCall& c, const store::Event& e, const EventFields& f);
  void contactEnded(std::uint64_t run, const CallKey& key, OpenCall& c, const store::Event& e,
                    const EventFields& f);
  void agentState(std::uint64_t run, const store::Event& e, const EventFields& f,
                  store::Derived& out);
  void onFlowEvent(std::uint64_t run, const store::Event& e, const EventFields& f,
                   store::Derived& out);
  AgentTrack& agentFor(std::uint64_t run, const std::string& tenant, const std::string& agent);
  // cdr_builder.cpp
  OpenCall& openCall(const CallKey& key, const store::Event& e);
  bool isFinished(const CallKey& key) const { return finished_.count(key) != 0; }
  void sweep(std::int64_t now, store::Derived& out);
  void tryClose(const CallKey& key, std::int64_t now, store::Derived& out);
  void emit(std::map<CallKey, OpenCall>::iterator it, store::Derived& out);
  void remember(const CallKey& key, const OpenCall& c);

  CdrBuilder::ThresholdsOf thresholds_;
  std::map<CallKey, OpenCall> open_;
  std::map<AgentKey, AgentTrack> agents_;
  std::set<std::pair<std::int64_t, CallKey>> deadlines_;  ///< held CDRs, by re-check time
  std::map<CallKey, FinishedCall> finished_;
  std::deque<CallKey> finishedOrder_;  ///< oldest first, for the memory bound
  std::uint64_t malformed_ = 0;
};

/// Hold time: adds [from, to) clipped to the agent's part of the call.
void addHold(OpenCall& c, std::int64_t from, std::int64_t to);
/// Ends every hold of the call at `t`.
void closeHolds(OpenCall& c, std::int64_t t);
/// The disposition of an ended call from what its events said (docs/metrics.md "Disposition").
store::Disposition dispositionOf(const OpenCall& c);
/// Fills disposition and the durations of an ended call's CDR (not the classification).
void finishCdr(OpenCall& c);

}  // namespace sb::report::internal
