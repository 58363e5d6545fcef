#include "app/event_log.h"

#include <chrono>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace sb::app {

namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void EventLog::onCallEvent(const call::CallEvent& e) {
  ++counts_[static_cast<int>(e.kind)];
  if (writer_ != nullptr) {
    nlohmann::json body = {{"call", e.call}, {"leg", e.leg}, {"detail", e.detail}};
    if (e.otherLeg != 0) body["other"] = e.otherLeg;
    if (e.byUs) body["by"] = "us";
    writer_->append({e.timeMs, e.tenant, "call", std::string(call::callEventName(e.kind)),
                     body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), e.call});
  }
  if (e.otherLeg != 0) {
    spdlog::info("event tenant={} call={} leg={} {} other={} {}", e.tenant, e.call, e.leg,
                 call::callEventName(e.kind), e.otherLeg, e.detail);
  } else {
    spdlog::info("event tenant={} call={} leg={} {} {}", e.tenant, e.call, e.leg,
                 call::callEventName(e.kind), e.detail);
  }
}

void EventLog::domainEvent(std::string_view source, std::string_view tenant, std::string_view kind,
                           const Fields& fields, std::string_view words) {
  ++domainEvents_;
  std::string text(kind);
  for (const auto& [k, v] : fields) text += " " + k + "=" + v;
  if (!words.empty()) text += " " + std::string(words);
  spdlog::info("{} tenant={} {}", source, tenant, text);
  if (writer_ == nullptr) return;
  nlohmann::json body = nlohmann::json::object();
  std::uint64_t call = 0;
  for (const auto& [k, v] : fields) {
    body[k] = v;
    if (k == "call") call = std::strtoull(v.c_str(), nullptr, 10);
  }
  if (!words.empty()) body["words"] = words;
  writer_->append({nowMs(), std::string(tenant), std::string(source), std::string(kind),
                   body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), call});
}

}  // namespace sb::app
