#pragma once
// The inbound contact center (DESIGN.md "Life of an inbound call"): a number with `app: flow`
// runs the tenant's published IVR flow (sb::flow) on the caller's leg; a queue node hands the
// caller to the ACD (sb::acd), whose offers ring agents on their registered phones or on
// their mobiles through a trunk (press 1 to accept); the agent who answers is bridged to the
// caller; when the call ends the agent goes to wrap-up. This class executes flow actions on
// the call layer and implements the ACD's port. Control loop only.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "acd/acd.h"
#include "app/config.h"
#include "app/dialplan.h"
#include "app/event_log.h"
#include "app/metrics.h"
#include "base/blocking_pool.h"
#include "base/clock.h"
#include "base/timer_wheel.h"
#include "call/call_manager.h"
#include "flow/registry.h"
#include "flow/run.h"

namespace sb::app {

/// Live figures of the contact center, read on the control loop.
struct ContactCenterStats {
  std::uint64_t flowCalls = 0;     ///< calls that entered a flow
  std::uint64_t queued = 0;        ///< contacts handed to the ACD
  std::uint64_t offers = 0;        ///< agent phones rung
  std::uint64_t connected = 0;     ///< callers bridged to an agent
  std::uint64_t abandoned = 0;     ///< callers who hung up while queued
  std::uint64_t voicemails = 0;    ///< messages recorded
  std::uint64_t httpRequests = 0;  ///< flow http nodes executed
};

/// The contact-center CallApp and AcdPort of the node.
class ContactCenter final : public call::CallApp, public acd::AcdPort {
 public:
  /// Runs a function on the control loop (results of blocking-pool work come back this way).
  using Post = std::function<void(std::function<void()>)>;

  ContactCenter(call::CallManager& calls, TimerWheel& timers, const Clock& clock,
                const Dialplan& dialplan, const MediaSettings& media, BlockingPool& pool, Post post,
                EventLog& events, std::uint64_t seed);
  ~ContactCenter() override;
  ContactCenter(const ContactCenter&) = delete;
  ContactCenter& operator=(const ContactCenter&) = delete;

  /// Builds every tenant's queues, agents, memberships and owners and publishes its flows.
  /// kInvalidInput naming the tenant, flow and problem (the node refuses to start).
  Result<void> load(const Config& config);
  /// Publishes the flows of `fresh` (a re-read configuration) for the tenants this node runs;
  /// unchanged flows make no version. Returns how many versions were published; the first
  /// error (invalid flow, unknown tenant flow) names it — the other flows are still applied.
  Result<std::size_t> republish(const Config& fresh, const std::string& author);
  /// True when the leg is a caller, agent or transfer leg of the contact center.
  bool owns(call::LegId leg) const;

  /// Live figures of every queue of every tenant (for /metrics and the wallboard).
  std::vector<QueueMetrics> queueMetrics() const;
  /// One line per queue: waiting, oldest wait, agents by state, totals (terminal wallboard).
  std::vector<std::string> wallboard() const;

  /// Agent control by the API and feature codes: "login", "ready", "not_ready" (with
  /// `reason`), "logout", "wrap_up_done". kNotFound (no such agent in the tenant),
  /// kInvalidInput (action), kConflict (the state does not allow it).
  Result<void> agentControl(std::string_view tenant, std::string_view agent,
                            std::string_view action, const std::string& reason);
  /// Checks a flow's source (YAML or JSON) against the tenant: parse errors and validation
  /// issues (errors and warnings), each naming line and node. kNotFound (tenant).
  Result<std::vector<flow::Issue>> checkFlow(std::string_view tenant, const std::string& name,
                                             const std::string& text) const;
  /// Publishes a flow's source as the tenant's next version of `name` (the API): new calls get
  /// it, calls in progress keep theirs. kInvalidInput with the first error, kNotFound (tenant).
  Result<std::uint32_t> publishFlowText(std::string_view tenant, const std::string& name,
                                        const std::string& text, const std::string& author);
  /// Live views of a tenant's own agents and queues, in configuration order.
  std::vector<acd::AgentView> agentViews(std::string_view tenant) const;
  std::vector<acd::QueueView> queueViews(std::string_view tenant) const;

  const acd::Acd& acd() const { return acd_; }
  const flow::FlowRegistry& flows() const { return flows_; }
  const ContactCenterStats& stats() const { return stats_; }

  // ---- call::CallApp
  void onIncoming(const call::IncomingCall& call) override;
  void onDigit(call::LegId leg, char digit) override;
  void onLegEnded(call::LegId leg, call::HangupCause cause) override;
  void onTransferRequest(call::LegId leg, const std::string& target) override;

  // ---- acd::AcdPort
  void offer(const acd::Offer& offer) override;
  void retract(acd::OfferId offer, acd::RetractReason reason) override;
  void contactLeft(acd::ContactId contact, acd::LeaveReason reason) override;
  void announce(acd::ContactId contact, std::size_t position,
                std::chrono::seconds expectedWait) override;
  void onEvent(const acd::AcdEvent& event) override;

 private:
  struct Tenant;
  struct Caller;
  struct OfferLeg;
  struct AgentLeg;
  struct AgentInfo {
    std::string tenant;
    std::string name;
    const AgentConfig* config = nullptr;
  };

  // flow execution (contact_center.cpp)
  Caller* caller(call::LegId leg);
  /// The caller, when `token` is still its outstanding action (async completions).
  Caller* current(call::LegId leg, std::uint64_t token);
  void startFlow(Caller& c);
  void resume(call::LegId leg, const flow::Outcome& outcome);
  void execute(call::LegId leg, flow::Action action);
  void logSteps(Caller& c);
  void doPlay(Caller& c, const flow::Play& p);
  void doCollect(Caller& c, const flow::Collect& k);
  void playPrompts(call::LegId leg, std::uint64_t token, std::vector<flow::Prompt> prompts,
                   std::size_t next, std::function<void()> then);
  flow::LookupOutcome doLookup(const Caller& c, const flow::Lookup& l) const;
  void doHttp(Caller& c, const flow::Http& h);
  void doQueue(Caller& c, const flow::Queue& q);
  void doTransfer(Caller& c, const flow::Transfer& t);
  void doVoicemail(Caller& c, const flow::Voicemail& v);
  void doCallback(Caller& c, const flow::Callback& cb);
  call::Prompt toPrompt(const Caller& c, const flow::Prompt& p) const;
  void holdMusic(Caller& c);
  /// Enqueues for the caller on `leg`. The ACD delivers its port calls (the first offer)
  /// before enqueue() returns the id, so the leg is known as the one being enqueued.
  Result<acd::ContactId> enqueueFor(call::LegId leg, const acd::ContactSpec& spec);
  /// The caller's leg of a contact; 0 when none (a callback whose caller hung up).
  call::LegId legOf(acd::ContactId contact);

  /// An agent dialled a feature code from a registered phone (*1 ready, *2 not ready, *0
  /// logout, *3 end wrap-up).
  void featureCode(const call::IncomingCall& call);
  void confirm(call::LegId leg, const std::string& text);

  // agents and offers (contact_center_agents.cpp)
  Result<void> loadTenant(const TenantConfig& t, const Config& config);
  /// What a flow of tenant `t` may refer to: the queues, lists, agents, extensions it has.
  flow::ValidationContext validationContext(const TenantConfig& t) const;
  /// Parses, checks the name and publishes one flow; the new (or unchanged) version.
  Result<std::uint32_t> publishFlow(const std::string& tenant, const FlowSource& f,
                                    const flow::ValidationContext& ctx, const std::string& author);
  Result<call::OriginateSpec> reach(acd::AgentId agent) const;
  void offerAnswered(acd::OfferId id, call::LegId leg);
  void askToAccept(acd::OfferId id, call::LegId leg);
  void acceptOffer(acd::OfferId id);
  void connectCallback(call::LegId agentLeg);
  void agentLegEnded(call::LegId leg);
  void rearm();
  std::string agentName(acd::AgentId a) const;
  std::string queueName(acd::QueueId q) const;

  call::CallManager& calls_;
  TimerWheel& timers_;
  const Clock& clock_;
  const Dialplan& dialplan_;
  MediaSettings media_;
  BlockingPool& pool_;
  Post post_;
  EventLog& events_;
  acd::Acd acd_;
  flow::FlowRegistry flows_;
  std::map<std::string, std::unique_ptr<Tenant>> tenants_;
  std::unordered_map<call::LegId, std::unique_ptr<Caller>> callers_;
  std::unordered_map<acd::ContactId, call::LegId> byContact_;
  std::unordered_map<acd::OfferId, std::unique_ptr<OfferLeg>> offers_;
  std::unordered_map<call::LegId, acd::OfferId> offerByLeg_;
  std::unordered_map<call::LegId, std::unique_ptr<AgentLeg>> agentLegs_;
  std::unordered_map<acd::AgentId, AgentInfo> agents_;
  std::unordered_map<acd::ContactId, std::string> callbackNumbers_;
  std::string firstTrunk_;
  call::LegId enqueueing_ = 0;  ///< the caller inside acd_.enqueue() right now
  TimerId acdTimer_;
  TimePoint acdTimerAt_{};
  std::uint64_t nextToken_ = 1;
  ContactCenterStats stats_;
};

}  // namespace sb::app
