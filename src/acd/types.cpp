#include "acd/types.h"

namespace sb::acd {

std::string_view agentStateName(AgentState s) {
  switch (s) {
    case AgentState::kLoggedOut:
      return "logged_out";
    case AgentState::kReady:
      return "ready";
    case AgentState::kOffered:
      return "offered";
    case AgentState::kOnCall:
      return "on_call";
    case AgentState::kWrapUp:
      return "wrap_up";
    case AgentState::kNotReady:
      return "not_ready";
  }
  return "?";
}

namespace {
constexpr std::pair<Strategy, std::string_view> kStrategyNames[] = {
    {Strategy::kLongestIdle, "longest_idle"},
    {Strategy::kRoundRobin, "round_robin"},
    {Strategy::kFewestCalls, "fewest_calls"},
    {Strategy::kLeastTalkTime, "least_talk_time"},
    {Strategy::kRingAll, "ring_all"},
    {Strategy::kRandom, "random"},
    {Strategy::kSkills, "skills"},
};
}  // namespace

std::string_view strategyName(Strategy s) {
  for (const auto& [value, name] : kStrategyNames) {
    if (value == s) return name;
  }
  return "?";
}

std::optional<Strategy> parseStrategy(std::string_view name) {
  for (const auto& [value, text] : kStrategyNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

std::string_view retractReasonName(RetractReason r) {
  switch (r) {
    case RetractReason::kAnsweredElsewhere:
      return "answered_elsewhere";
    case RetractReason::kAbandoned:
      return "abandoned";
    case RetractReason::kTimeout:
      return "timeout";
    case RetractReason::kAgentLoggedOut:
      return "agent_logged_out";
    case RetractReason::kCallbackRequested:
      return "callback_requested";
    case RetractReason::kQueueRemoved:
      return "queue_removed";
    case RetractReason::kWithdrawn:
      return "withdrawn";
  }
  return "?";
}

std::string_view leaveReasonName(LeaveReason r) {
  switch (r) {
    case LeaveReason::kMaxWait:
      return "max_wait";
    case LeaveReason::kNoAgents:
      return "no_agents";
    case LeaveReason::kQueueRemoved:
      return "queue_removed";
  }
  return "?";
}

std::string_view offerFailureName(OfferFailure f) {
  switch (f) {
    case OfferFailure::kNoAnswer:
      return "no_answer";
    case OfferFailure::kRejected:
      return "rejected";
    case OfferFailure::kUnreachable:
      return "unreachable";
  }
  return "?";
}

std::string_view acdEventKindName(AcdEventKind k) {
  switch (k) {
    case AcdEventKind::kAgentState:
      return "agent_state";
    case AcdEventKind::kContactQueued:
      return "contact_queued";
    case AcdEventKind::kContactOffered:
      return "contact_offered";
    case AcdEventKind::kOfferFailed:
      return "offer_failed";
    case AcdEventKind::kContactAccepted:
      return "contact_accepted";
    case AcdEventKind::kContactEnded:
      return "contact_ended";
    case AcdEventKind::kContactAbandoned:
      return "contact_abandoned";
    case AcdEventKind::kContactLeft:
      return "contact_left";
    case AcdEventKind::kContactOverflowed:
      return "contact_overflowed";
    case AcdEventKind::kContactCallback:
      return "contact_callback";
    case AcdEventKind::kOwnerAssigned:
      return "owner_assigned";
    case AcdEventKind::kOwnerReassigned:
      return "owner_reassigned";
  }
  return "?";
}

}  // namespace sb::acd
