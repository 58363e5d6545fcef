#pragma once
// Per-tenant, per-caller and per-agent-leg state of the ContactCenter (contact_center.h).
// Private to contact_center*.cpp. Control loop only.

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "app/contact_center.h"

namespace sb::app {

/// What a caller's flow is waiting for.
enum class Waiting : std::uint8_t {
  kNone,
  kPlay,
  kCollect,
  kHttp,
  kQueue,
  kTransfer,
  kVoicemail,
  kCallback,
};

/// The FlowEnv of one tenant: its lists and name, the wall clock.
class TenantEnv final : public flow::FlowEnv {
 public:
  explicit TenantEnv(const TenantConfig& t) : name_(t.name) {
    for (const auto& [list, numbers] : t.lists) lists_[list].insert(numbers.begin(), numbers.end());
  }
  std::int64_t unixMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  bool inList(std::string_view list, std::string_view number) const override {
    auto it = lists_.find(std::string(list));
    return it != lists_.end() && it->second.count(std::string(number)) > 0;
  }
  std::string tenantName() const override { return name_; }

 private:
  std::string name_;
  std::map<std::string, std::set<std::string>> lists_;
};

struct ContactCenter::Tenant {
  const TenantConfig* config = nullptr;
  std::unique_ptr<TenantEnv> env;
  /// The queue's configuration by name, or nullptr.
  const QueueConfig* queue(std::string_view name) const {
    for (const auto& q : config->queues) {
      if (q.name == name) return &q;
    }
    return nullptr;
  }
};

/// A caller's leg in a flow.
struct ContactCenter::Caller {
  call::IncomingCall info;
  Tenant* tenant = nullptr;
  const NumberConfig* number = nullptr;
  std::unique_ptr<flow::FlowRun> run;
  Waiting waiting = Waiting::kNone;
  std::uint64_t token = 0;     ///< the outstanding action; stale completions are dropped
  bool bargedIn = false;       ///< a key stopped the prompts of the current collection
  acd::ContactId contact = 0;  ///< while the ACD has the caller
  std::string customer;        ///< the customer key the ACD routes on (owner routing)
  call::LegId agentLeg = 0;    ///< the agent or transfer target, ringing or bridged
  const QueueConfig* queue = nullptr;
  bool recording = false;     ///< the whole call is being recorded
  bool callbackKept = false;  ///< the contact stays in the ACD as a callback
  TimerId timer;
};

/// An agent's phone ringing (or asked to press 1) for an offer.
struct ContactCenter::OfferLeg {
  acd::Offer offer;
  call::LegId leg = 0;
  call::LegId caller = 0;  ///< 0 for a callback
  bool answered = false;   ///< the phone answered; waiting for the agent to press 1
  TimerId timer;
};

/// An answered agent leg (or a transfer target, or a callback's customer leg).
struct ContactCenter::AgentLeg {
  acd::AgentId agent = 0;  ///< 0: not an ACD agent (transfer target, callback customer)
  call::LegId peer = 0;    ///< the other party's leg
  acd::ContactId contact = 0;
  bool callback = false;
};

}  // namespace sb::app
