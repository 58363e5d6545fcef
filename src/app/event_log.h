#pragma once
// The event sink until the store lands (issue 5): one log line per call/leg event and per ACD
// or flow event, and counters by kind for /metrics. Control loop only.

#include <array>
#include <cstdint>

#include "call/types.h"

namespace sb::app {

/// Logs every call event at info ("event call=12 leg=3 answered ...").
class EventLog final : public call::CallEventSink {
 public:
  void onCallEvent(const call::CallEvent& e) override;
  /// Logs an event of another layer ("acd", "flow"): "<source> tenant=<tenant> <text>".
  void domainEvent(std::string_view source, std::string_view tenant, const std::string& text);
  /// Domain events logged.
  std::uint64_t domainEvents() const { return domainEvents_; }
  /// Events seen of one kind.
  std::uint64_t count(call::CallEvent::Kind k) const { return counts_[static_cast<int>(k)]; }

 private:
  std::array<std::uint64_t, 32> counts_{};
  std::uint64_t domainEvents_ = 0;
};

}  // namespace sb::app
