// bridge_load: the state of one bridged call — the caller leg (our UAC), the agent leg (our
// UAS), their retransmission timers and media streams — and the tally the summary reports.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

#include "clock.h"
#include "measure.h"

namespace bridge_load {

/// The caller leg: INVITE sent, provisional seen, answered, BYE sent, ended, failed.
enum class Leg : std::uint8_t { kIdle, kInviting, kProceeding, kUp, kByeSent, kDone, kFailed };
/// The agent leg: not rung yet, our 200 sent, ACKed (bridged), ended by the server's BYE.
enum class Agent : std::uint8_t { kNone, kAnswered, kUp, kEnded };

struct Call {
  Leg caller = Leg::kIdle;
  Agent agent = Agent::kNone;
  bool droppedEarly = false;  // the server ended the call before we hung up
  bool byeTimedOut = false;
  int failStatus = 0;
  Ns invitedAt = 0, answeredAt = 0, bridgedAt = 0, byeAt = 0;
  Ns retxAt = 0, retxGap = 0;            // INVITE or BYE retransmission (caller side)
  Ns agentRetxAt = 0, agentRetxGap = 0;  // our 200 to the agent INVITE, until the ACK
  Ns agentInviteAt = 0;
  sockaddr_in callerMedia{}, agentMedia{};  // where each side sends (server session ports)
  std::string toHeader, target;             // caller dialog state from the 200 OK
  std::string agentCallId, agentOk;
  TxStream txCaller, txAgent;
  RxStream rxCaller;  // what the caller hears: the agent's stream relayed
  RxStream rxAgent;   // what the agent hears: the caller's stream relayed
};

/// A retransmission or give-up deadline of one call; stale ones are recognised and skipped.
struct Timer {
  Ns at;
  std::uint32_t call;
  std::uint8_t kind;
  bool operator>(const Timer& o) const { return at > o.at; }
};
enum TimerKind : std::uint8_t { kInviteRetx, kInviteGiveUp, kAgentRetx, kByeRetx };

/// How the calls of a run ended, and their set-up times.
struct CallTotals {
  unsigned established = 0, failed = 0, dropped = 0, byeOk = 0, byeTimeout = 0, agentEnded = 0;
  bool allEnded = true;       // every call hung up by us, answered, not dropped
  std::vector<double> setup;  // ms from INVITE to the agent's ACK, one per bridged call

  void add(const Call& c);
};

}  // namespace bridge_load
