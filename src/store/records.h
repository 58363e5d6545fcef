#pragma once
// Records derived from the event log (W1, MISSION "CDRs"): one CDR per call with one entry per
// leg, agent state intervals, and the per-queue 15-minute interval sums reports read. The
// report component derives them (report/cdr_builder.h); the store persists them in the same
// transaction as the events they come from. Plain values, any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sb::store {

/// One leg of a call in its CDR. Times are wall-clock ms since the Unix epoch; 0 = never.
struct CdrLeg {
  std::uint64_t leg = 0;
  std::string role;  ///< "caller" (the inbound leg), "agent" (an offer), "outbound", "transfer"
  std::string peer;  ///< the caller's number, or the URI dialled
  std::string agent;  ///< for role "agent": the agent offered
  std::int64_t createdMs = 0;
  std::int64_t ringingMs = 0;
  std::int64_t answeredMs = 0;
  std::int64_t endedMs = 0;
  std::string cause;  ///< hangup cause name ("normal", "cancelled", "no_answer", ...)
};

/// How a call ended, from the contact center's point of view (docs/metrics.md).
enum class Disposition : std::uint8_t {
  kAnswered,     ///< an agent accepted it
  kAbandoned,    ///< the caller hung up while queued or ringing an agent
  kCallback,     ///< the caller left keeping their place (a callback; not an abandon)
  kLeft,         ///< left the queue without an agent (max wait, no agents) — flow continued
  kSelfService,  ///< ended in the flow without reaching a queue (IVR only)
  kUnanswered,   ///< never answered by us (rejected, busy, cancelled while we rang)
  kOutbound,     ///< a call we placed that did not come from a caller
  kInterrupted,  ///< in progress when the node stopped; closed at the next start
};
/// Lower-case name ("answered", "abandoned", ...).
const char* dispositionName(Disposition d);
/// The disposition with that name, or false.
bool dispositionFromName(std::string_view name, Disposition& out);

/// The call detail record of one call on one node run.
struct Cdr {
  std::uint64_t id = 0;    ///< assigned by the store (insertion order; paging cursor)
  std::uint64_t run = 0;   ///< node run (calls are numbered per run)
  std::uint64_t call = 0;  ///< call id within the run
  std::string tenant;
  std::string number;  ///< dialled number
  std::string caller;  ///< caller ID user part
  std::int64_t startMs = 0;     ///< call created
  std::int64_t answerMs = 0;    ///< the caller's leg answered by us (IVR starts)
  std::int64_t queuedMs = 0;    ///< first joined a queue
  std::int64_t offeredMs = 0;   ///< first offered to an agent
  std::int64_t acceptedMs = 0;  ///< an agent accepted
  std::int64_t endMs = 0;       ///< last leg ended
  std::int64_t wrapUpEndMs = 0;  ///< the agent left wrap-up (0: none or unknown)
  std::string queue;  ///< the queue it was last in ("" when never queued)
  std::string agent;  ///< the agent who accepted ("" when none)
  Disposition disposition = Disposition::kUnanswered;
  std::string hangupCause;  ///< cause of the first leg to end
  std::string hangupSide;   ///< "caller", "agent" or "system"
  std::string recording;    ///< recording file ("" when not recorded)
  // Durations in ms, derived from the times above (docs/metrics.md defines each).
  std::int64_t ivrMs = 0;    ///< answer → queued (or → end when never queued)
  std::int64_t waitMs = 0;   ///< queued → accepted, or → end when not accepted
  std::int64_t talkMs = 0;   ///< accepted → end, minus hold
  std::int64_t holdMs = 0;   ///< time on hold while with the agent
  std::int64_t wrapUpMs = 0;  ///< end → wrapUpEndMs
  // Classification by the tenant's thresholds at the time (docs/metrics.md "Service level").
  bool answeredInSl = false;   ///< accepted with waitMs <= the service-level threshold
  bool abandonedInSl = false;  ///< abandoned with waitMs <= the service-level threshold
  bool shortAbandon = false;   ///< abandoned with waitMs <= the short-abandon threshold
  std::vector<CdrLeg> legs;
};

/// One interval an agent spent in one state.
struct AgentStateInterval {
  std::uint64_t run = 0;
  std::string tenant;  ///< the agent's owning tenant
  std::string agent;
  std::string state;   ///< acd::agentStateName: "logged_out", "ready", "offered", "on_call", "wrap_up", "not_ready"
  std::string reason;  ///< of the transition into the state
  std::int64_t startMs = 0;
  std::int64_t endMs = 0;
};

/// A recording file of a call (indexed when it closes).
struct RecordingEntry {
  std::uint64_t run = 0;
  std::uint64_t call = 0;
  std::uint64_t leg = 0;
  std::string tenant;
  std::string agent;
  std::string path;
  std::int64_t startMs = 0;
  std::int64_t durationMs = 0;
  std::int64_t bytes = 0;
  std::string sha256;  ///< hex digest of the file
};

/// What one batch of events produced; written with the batch, atomically.
struct Derived {
  std::vector<Cdr> cdrs;
  std::vector<AgentStateInterval> agentStates;
  std::vector<RecordingEntry> recordings;
  bool empty() const { return cdrs.empty() && agentStates.empty() && recordings.empty(); }
};

/// The sums of one queue over one 15-minute interval (keyed by the interval the call was
/// queued in). The store adds each inserted CDR into them; reports sum intervals.
struct IntervalSums {
  std::string tenant;
  std::string queue;
  std::int64_t intervalStartMs = 0;  ///< multiple of 15 minutes
  std::int64_t offered = 0;          ///< CDRs that reached the queue
  std::int64_t answered = 0;
  std::int64_t abandoned = 0;  ///< including short abandons
  std::int64_t shortAbandoned = 0;
  std::int64_t callbacks = 0;
  std::int64_t left = 0;  ///< left without an agent (max wait, no agents)
  std::int64_t answeredInSl = 0;
  std::int64_t abandonedInSl = 0;
  std::int64_t waitAnsweredMs = 0;   ///< sum of waitMs over answered
  std::int64_t waitAbandonedMs = 0;  ///< sum of waitMs over abandoned
  std::int64_t maxWaitMs = 0;        ///< longest wait of any CDR in the interval
  std::int64_t talkMs = 0;
  std::int64_t holdMs = 0;
  std::int64_t wrapUpMs = 0;
};

/// 15 minutes, the interval of IntervalSums.
constexpr std::int64_t kIntervalMs = 15 * 60 * 1000;

}  // namespace sb::store
