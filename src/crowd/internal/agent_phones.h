#pragma once
// The simulated agents' phones: ring on an offer, answer after a random ring time (or let it
// ring out), play a tone so RTP flows, send "#" so the caller knows a person is on, and hang up
// after the handling time. One phone, one call: a second offer while busy gets 486.
// Control loop only.

#include <string>
#include <unordered_map>

#include "call/types.h"
#include "crowd/internal/crowd_context.h"

namespace sb::crowd::internal {

/// Every agent phone of the crowd.
class AgentPhones {
 public:
  explicit AgentPhones(CrowdContext& ctx);
  ~AgentPhones();
  AgentPhones(const AgentPhones&) = delete;
  AgentPhones& operator=(const AgentPhones&) = delete;

  /// True when `user` is one of our agents (the crowd's number lookup).
  bool hasAgent(const std::string& user) const { return agents_.count(user) != 0; }
  /// An INVITE for `call.number`, an agent user.
  void onIncoming(const call::IncomingCall& call);
  /// True when `leg` is an agent's call; its end is handled.
  bool onLegEnded(call::LegId leg, call::HangupCause cause);
  /// Cancels every timer (the legs are hung up by the call layer's shutdown).
  void stop();

 private:
  enum class Phase { kIdle, kRinging, kTalking };
  struct Agent {
    std::string user;
    Phase phase = Phase::kIdle;
    call::LegId leg = 0;
    std::string caller;
    TimePoint since;
    bool hangingUp = false;  // we end the call ourselves
    TimerId timer;           // answer, ring-out safety, or end of handling
    TimerId hashTimer;       // the "#" announcing a person
    TimerId hashAgain;
  };
  Agent* byLeg(call::LegId leg);
  void answer(Agent& a);
  void sendHash(call::LegId leg);
  void finish(Agent& a);
  void clear(Agent& a);

  CrowdContext& ctx_;
  std::unordered_map<std::string, Agent> agents_;
  std::unordered_map<call::LegId, std::string> legs_;
  bool stopping_ = false;
};

}  // namespace sb::crowd::internal
