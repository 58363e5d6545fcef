#include "app/event_log.h"

#include "base/log.h"

namespace sb::app {

void EventLog::onCallEvent(const call::CallEvent& e) {
  ++counts_[static_cast<int>(e.kind)];
  if (e.otherLeg != 0) {
    spdlog::info("event tenant={} call={} leg={} {} other={} {}", e.tenant, e.call, e.leg,
                 call::callEventName(e.kind), e.otherLeg, e.detail);
  } else {
    spdlog::info("event tenant={} call={} leg={} {} {}", e.tenant, e.call, e.leg,
                 call::callEventName(e.kind), e.detail);
  }
}

void EventLog::domainEvent(std::string_view source, std::string_view tenant,
                           const std::string& text) {
  ++domainEvents_;
  spdlog::info("{} tenant={} {}", source, tenant, text);
}

}  // namespace sb::app
