#pragma once
// The append-only event log's vocabulary (W1, DESIGN.md "Events first"): every call, ACD and
// flow transition becomes one Event with its tenant; CDRs, reports and webhooks are derived
// from the log. Plain values, any thread.

#include <cstdint>
#include <string>

namespace sb::store {

/// An event to append. `body` is a JSON object with the event's fields.
struct Event {
  std::int64_t timeMs = 0;  ///< wall clock, ms since the Unix epoch
  std::string tenant;       ///< owning tenant; every read is scoped by it
  std::string source;       ///< "call", "acd", "flow"
  std::string kind;         ///< "answered", "contact_offered", ...
  std::string body;         ///< JSON object text
  std::uint64_t call = 0;   ///< the call it belongs to within the run (0: none)
};

/// An event as stored: with its id, increasing in commit order (resume points for readers).
struct StoredEvent {
  std::uint64_t id = 0;
  std::uint64_t run = 0;  ///< the node run that appended it (EventStore::beginRun)
  Event event;
};

}  // namespace sb::store
