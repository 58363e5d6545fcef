// bridge_load: the options and the load generator itself — one object, one thread, owning
// every socket and call. Its members are implemented by concern: calls.cpp (SIP, both legs,
// timers), media.cpp (the RTP send grid and receive path), main.cpp (set-up, the loop, phases,
// summary).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "calls.h"
#include "clock.h"
#include "measure.h"
#include "net.h"
#include "sip_text.h"

namespace bridge_load {

/// The command line (main.cpp's usage()); durations in s, rates in calls/s.
struct Options {
  sockaddr_in server{}, http{};
  bool haveHttp = false;
  unsigned calls = 100;
  double rate = 200, hangupRate = 0, hold = 10, warmup = 1, duration = 0, establishTimeout = 30;
  std::string number = "6000", agent = "1001", password = "bench-1001-secret";
  unsigned slots = 40;
  double maxLossPct = 0.1, maxJitterMs = 1.0;  // the targets the exit code checks
  std::uint16_t rtpBase = 46000;
};

/// Place every call, hold, let in-flight packets land, hang up, wait for the server to settle.
enum class Phase : std::uint8_t { kRamp, kHold, kDrain, kHangup, kSettle, kDone };

class BridgeLoad {
 public:
  explicit BridgeLoad(Options o) : o_(std::move(o)), calls_(o_.calls) {}
  /// The whole run, until done, --duration or a signal; the exit code: 0 targets met, 1 missed,
  /// 2 setup failure, 3 stopped by --duration or a signal.
  int run();

 private:
  // set-up and loop (main.cpp)
  int setUp();
  bool openSockets();
  void startClock();
  bool loop();
  Ns nextCallAt() const { return start_ + static_cast<Ns>(placed_ / o_.rate * 1e9); }
  Ns nextWake() const;
  void advancePhase(Ns now);
  void endRamp(Ns now);
  void endHold(Ns now);
  void endDrain(Ns now);
  void hangUpDue(Ns now);
  void settle(Ns now);
  std::uint32_t settledCalls() const;
  void progress(Ns now);
  // summary (main.cpp)
  bool summary(bool aborted);
  void printCalls(bool aborted, const CallTotals& t) const;
  void printPackets(const StreamTotals& t) const;
  void printJitter(const StreamTotals& t) const;
  void printSip() const;
  void printServer() const;
  bool verdict(const CallTotals& calls, const StreamTotals& streams) const;
  // SIP set-up, caller side, agent side, timers (calls.cpp)
  bool registerAgent();
  std::string registerRequest(int cseq, const std::string& auth) const;
  int registerTransaction(const std::string& req, int cseq, std::string& challenge);
  void placeCall(std::uint32_t i, Ns now);
  void sendInvite(std::uint32_t i);
  void sendAck(std::uint32_t i, const SipMsg* failure);
  void sendBye(std::uint32_t i);
  void hangUp(std::uint32_t i, Ns now);
  void onCallerMessage(const SipMsg& m, const sockaddr_in& from, Ns now);
  void onInviteResponse(std::uint32_t i, const SipMsg& m, Ns now);
  void onAgentMessage(const SipMsg& m, const sockaddr_in& from, Ns now);
  void onAgentInvite(const SipMsg& m, const sockaddr_in& from, Ns now);
  void runTimers(Ns now);
  bool drainSip(int fd, bool callerSide, Ns now);
  void sendTo(int fd, const sockaddr_in& to, const std::string& data);
  // RTP (media.cpp)
  void prepareBatches();
  void startStream(TxStream& s, std::uint32_t i, bool agentSide);
  void runGrid(Ns now);
  void sendSlot(std::int64_t period, unsigned slot, Ns scheduled);
  void queuePacket(std::uint32_t i, TxStream& s, bool agentSide, std::int64_t period, Ns stamp,
                   Ns mono);
  void flush(int fd, std::size_t& n);
  bool drainRtp(int fd, bool callerSide);
  void onRtp(bool callerSide, std::uint16_t srcPort, const std::uint8_t* p, std::size_t n, Ns rx);
  void drainRtcp(int fd);
  bool inWindow(const Call& c, Ns mono) const {
    return phase_ == Phase::kHold && c.bridgedAt != 0 && mono >= c.bridgedAt + warmupNs_;
  }
  std::string callId(std::uint32_t i) const {
    return run_ + "-" + std::to_string(i) + "@127.0.0.1";
  }

  Options o_;
  std::vector<Call> calls_;
  std::string run_;
  int sipCaller_ = -1, sipAgent_ = -1, rtpCaller_ = -1, rtcpCaller_ = -1, rtpAgent_ = -1,
      rtcpAgent_ = -1;
  std::uint16_t sipCallerPort_ = 0, sipAgentPort_ = 0, rtpCallerPort_ = 0, rtpAgentPort_ = 0;
  std::vector<std::int32_t> callerByPort_ = std::vector<std::int32_t>(65536, -1);
  std::vector<std::int32_t> agentByPort_ = std::vector<std::int32_t>(65536, -1);
  std::unordered_map<std::string, std::uint32_t> agentByCallId_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<std::vector<std::uint32_t>> slotCallers_, slotAgents_;
  Phase phase_ = Phase::kRamp;
  Ns start_ = 0, gridStart_ = 0, slotNs_ = 0, warmupNs_ = 0, hardStop_ = 0;
  Ns rampEnd_ = 0, holdStart_ = 0, holdEnd_ = 0, phaseEnd_ = 0, hangupStart_ = 0, nextHealth_ = 0;
  Ns settled_ = -1, lastProgress_ = 0, nextPhaseCheck_ = 0;
  std::int64_t period_ = 0;
  unsigned slot_ = 0;
  std::uint32_t placed_ = 0, hungUp_ = 0;
  Health health0_, healthHold_, healthEnd_;
  // send batch
  std::vector<std::array<std::uint8_t, kRtpSize>> txBuf_;
  std::vector<iovec> txIov_;
  std::vector<mmsghdr> txMsg_;
  std::size_t txCallerN_ = 0, txAgentN_ = 0;
  // receive batch
  static constexpr std::size_t kRxBatch = 128;
  std::vector<std::array<std::uint8_t, 512>> rxBuf_ =
      std::vector<std::array<std::uint8_t, 512>>(kRxBatch);
  std::vector<std::array<char, 128>> rxCtl_ = std::vector<std::array<char, 128>>(kRxBatch);
  std::vector<sockaddr_in> rxFrom_ = std::vector<sockaddr_in>(kRxBatch);
  std::vector<iovec> rxIov_ = std::vector<iovec>(kRxBatch);
  std::vector<mmsghdr> rxMsg_ = std::vector<mmsghdr>(kRxBatch);
  // counters
  std::uint64_t txPackets_ = 0, txErrors_ = 0, rxPackets_ = 0, rxUnknown_ = 0, rxMalformed_ = 0,
                crosstalk_ = 0, rtcpIn_ = 0, skippedSlots_ = 0, skippedInHold_ = 0, txAtHold_ = 0,
                txAtHoldEnd_ = 0, sipBad_ = 0, unexpected_ = 0, inviteRetx_ = 0, byeRetx_ = 0,
                agentRetx_ = 0, agentAckMissing_ = 0, agentByes_ = 0;
  std::uint32_t rxqDrops_[2] = {0, 0};
  std::unordered_map<int, unsigned> failures_;
  Histogram lateness_, transit_;  // lateness: send batches during the hold
  Ns latenessMax_ = 0;            // over the whole run (ramp and hangup included)
  std::uint64_t lastRx_ = 0, lastTx_ = 0;
};

}  // namespace bridge_load
