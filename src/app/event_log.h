#pragma once
// The event sink of the node: every call/leg, ACD and flow event is one log line and, when a
// store writer is attached, one row of the append-only event log (written by the store
// writer's thread with group commit). Counters by kind for /metrics. Control loop only.

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "call/types.h"
#include "store/event_writer.h"

namespace sb::app {

/// Logs every call event at info ("event call=12 leg=3 answered ...").
class EventLog final : public call::CallEventSink {
 public:
  /// Persists every event through `writer` from now on (nullptr: log lines only).
  void setWriter(store::EventWriter* writer) { writer_ = writer; }
  void onCallEvent(const call::CallEvent& e) override;
  /// Fields of a domain event, in order.
  using Fields = std::vector<std::pair<std::string, std::string>>;
  /// Logs an event of another layer ("acd", "flow") as "<source> tenant=<tenant> <kind>
  /// key=value... <words>" and stores it with the fields (and "words") as a JSON object.
  void domainEvent(std::string_view source, std::string_view tenant, std::string_view kind,
                   const Fields& fields, std::string_view words = {});
  /// Domain events logged.
  std::uint64_t domainEvents() const { return domainEvents_; }
  /// Events seen of one kind.
  std::uint64_t count(call::CallEvent::Kind k) const { return counts_[static_cast<int>(k)]; }

 private:
  std::array<std::uint64_t, 32> counts_{};
  std::uint64_t domainEvents_ = 0;
  store::EventWriter* writer_ = nullptr;
};

}  // namespace sb::app
