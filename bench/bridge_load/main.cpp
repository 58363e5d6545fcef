// bridge_load — concurrent bridged calls with RTP both ways, against the real switchboard.
//
// One process plays both ends of every call. It REGISTERs the agent extension, then for each
// call a caller INVITEs a `connect` number; the server answers (200 + SDP), rings the agent
// (an INVITE to this tool's agent SIP socket), and once the agent answers bridges the two legs'
// RTP. A call carries four RTP streams: caller -> server -> agent and agent -> server ->
// caller. The tool sends the two source streams (20 ms PCMU on an absolute grid, sendmmsg
// batches spread over the 20 ms) and receives the two relayed ones, so it measures what the
// server adds: loss (by the sender's own sequence number carried in the payload, so a packet
// the server never read counts as lost), RFC 3550 A.8 jitter, transit time, and its own send
// lateness (which it subtracts, see "added jitter").
//
// Linux only, one thread: ppoll + recvmmsg/sendmmsg, kernel receive timestamps
// (SO_TIMESTAMPNS) and socket drop counts (SO_RXQ_OVFL). Loopback addresses only. Bounded:
// it stops by itself after the hangup phase or at --duration, whichever comes first.
//
//   bridge_load --server 127.0.0.1:5060 [--http 127.0.0.1:8080] [--calls 2000] [--rate 200]
//               [--hold 60] [--warmup 1] [--number 6000] [--agent 1001]
//               [--agent-password P] [--duration S] [--slots 40]
//
// Output: progress lines, "phase: hold-start" / "phase: hold-end" markers (a driving script
// samples the server there), then a summary of `key: value` lines ending in a verdict. Exit 0
// when every call was established and hung up cleanly, loss < --max-loss (0.1 %) and added
// jitter p99 over streams < --max-jitter (1 ms), with the tool on its grid (no skipped slots in
// the hold); 1 otherwise; 2 on bad usage or setup failure; 3 when --duration or a signal
// stopped the run.
//
// Loss and jitter are measured per call from bridged + --warmup to the end of the hold. "Added
// jitter" is RFC 3550 A.8 run over (kernel receive time - actual send time), so the tool's own
// send lateness (reported apart) is not in it; "jitter" is the classic figure against the RTP
// timestamp and includes it.
//
// This file: the options, set-up, the event loop and its phases, and the summary. The rest of
// the tool: load.h (the BridgeLoad class), calls.cpp (SIP), media.cpp (RTP), measure.h,
// net.h, sip_text.h.

#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "load.h"

namespace bridge_load {
namespace {

volatile std::sig_atomic_t gStop = 0;  // set by SIGINT/SIGTERM; the loop stops (exit 3)

}  // namespace

// ---------------------------------------------------------------- set-up and the loop

int BridgeLoad::run() {
  if (int rc = setUp(); rc != 0) return rc;
  prepareBatches();
  startClock();
  bool aborted = loop();
  bool met = summary(aborted);
  if (aborted) return 3;
  return met ? 0 : 1;
}

/// Sockets and the agent's registration; 0, or the exit code 2 on failure.
int BridgeLoad::setUp() {
  if (md5Hex("abc") != "900150983cd24fb0d6963f7d28e17f72") {
    std::fprintf(stderr, "bridge_load: MD5 self-test failed\n");
    return 2;
  }
  char id[32];
  std::snprintf(id, sizeof id, "bl%x%x", static_cast<unsigned>(getpid()),
                static_cast<unsigned>(time(nullptr)));
  run_ = id;
  if (!openSockets()) {
    std::fprintf(stderr, "bridge_load: cannot open sockets: %s\n", std::strerror(errno));
    return 2;
  }
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // ppoll wake-ups within µs, not the default 50 µs
  std::printf(
      "bridge_load: %u calls at %.0f/s, hold %.0f s; caller sip %u rtp %u, agent sip %u rtp %u\n",
      o_.calls, o_.rate, o_.hold, sipCallerPort_, rtpCallerPort_, sipAgentPort_, rtpAgentPort_);
  if (!registerAgent()) return 2;
  if (o_.haveHttp) health0_ = healthz(o_.http);
  return 0;
}

bool BridgeLoad::openSockets() {
  sipCaller_ = udpSocket(0, 8 << 20, false);
  sipAgent_ = udpSocket(0, 8 << 20, false);
  if (sipCaller_ < 0 || sipAgent_ < 0) return false;
  if (!rtpPair(o_.rtpBase, rtpCaller_, rtcpCaller_)) return false;
  if (!rtpPair(static_cast<std::uint16_t>(localPort(rtpCaller_) + 2), rtpAgent_, rtcpAgent_))
    return false;
  sipCallerPort_ = localPort(sipCaller_);
  sipAgentPort_ = localPort(sipAgent_);
  rtpCallerPort_ = localPort(rtpCaller_);
  rtpAgentPort_ = localPort(rtpAgent_);
  return true;
}

/// Time zero: the send grid starts 10 ms later; the run is capped at --duration or an estimate.
void BridgeLoad::startClock() {
  slotNs_ = kPtime / o_.slots;
  warmupNs_ = static_cast<Ns>(o_.warmup * 1e9);
  start_ = monoNs();
  gridStart_ = start_ + 10 * kMs;
  lastProgress_ = start_;
  double cap = o_.duration > 0 ? o_.duration
                               : o_.calls / o_.rate + o_.establishTimeout + o_.hold +
                                     o_.calls / o_.hangupRate + 90;
  hardStop_ = start_ + static_cast<Ns>(cap * 1e9);
}

/// Until the last phase ends; true when the duration cap or a signal stopped it first.
bool BridgeLoad::loop() {
  pollfd fds[2] = {{sipCaller_, POLLIN, 0}, {sipAgent_, POLLIN, 0}};
  Ns nextRtcp = 0;
  while (phase_ != Phase::kDone) {
    Ns now = monoNs();
    if (now >= hardStop_ || gStop) return true;
    runGrid(now);
    while (placed_ < calls_.size() && now >= nextCallAt()) placeCall(placed_++, now);
    runTimers(now);
    advancePhase(now);
    progress(now);
    if (now >= nextRtcp) {  // the server's RTCP reports: drained, counted, not analysed
      nextRtcp = now + 100 * kMs;
      drainRtcp(rtcpCaller_);
      drainRtcp(rtcpAgent_);
    }
    // Sleep until the next grid slot, call or timer, or until a SIP socket is readable. RTP is
    // not polled: it is read after every send slot (runGrid), and its kernel receive stamps
    // make the read delay irrelevant, so no wake-up per packet.
    Ns wait = std::max<Ns>(0, nextWake() - monoNs());
    timespec ts{static_cast<time_t>(wait / kSec), static_cast<long>(wait % kSec)};
    if (ppoll(fds, 2, &ts, nullptr) <= 0) continue;
    now = monoNs();
    if (fds[0].revents & POLLIN) drainSip(sipCaller_, true, now);
    if (fds[1].revents & POLLIN) drainSip(sipAgent_, false, now);
  }
  return false;
}

Ns BridgeLoad::nextWake() const {
  Ns next = gridStart_ + period_ * kPtime + static_cast<Ns>(slot_) * slotNs_;
  if (placed_ < calls_.size()) next = std::min(next, nextCallAt());
  if (!timers_.empty()) next = std::min(next, timers_.top().at);
  return next;
}

// ---------------------------------------------------------------- phases

void BridgeLoad::advancePhase(Ns now) {
  if (now < nextPhaseCheck_) return;  // the checks below scan every call: every 5 ms is enough
  nextPhaseCheck_ = now + 5 * kMs;
  switch (phase_) {
    case Phase::kRamp:
      endRamp(now);
      return;
    case Phase::kHold:
      endHold(now);
      return;
    case Phase::kDrain:
      endDrain(now);
      return;
    case Phase::kHangup:
      hangUpDue(now);
      return;
    case Phase::kSettle:
      settle(now);
      return;
    case Phase::kDone:
      return;
  }
}

std::uint32_t BridgeLoad::settledCalls() const {
  std::uint32_t n = 0;
  for (const Call& c : calls_)
    n += (c.caller == Leg::kFailed || c.caller == Leg::kDone ||
          (c.caller == Leg::kUp && c.agent == Agent::kUp));
  return n;
}

/// The hold starts once every call is placed and settled (or --establish-timeout passed).
void BridgeLoad::endRamp(Ns now) {
  if (placed_ < calls_.size()) return;
  if (rampEnd_ == 0) rampEnd_ = now;
  if (settledCalls() < calls_.size() && now - rampEnd_ < static_cast<Ns>(o_.establishTimeout * 1e9))
    return;
  phase_ = Phase::kHold;
  holdStart_ = now;
  txAtHold_ = txPackets_;
  holdEnd_ = now + static_cast<Ns>(o_.hold * 1e9);
  std::printf("phase: hold-start t=%.3f\n", static_cast<double>(now - start_) / 1e9);
  std::fflush(stdout);
}

void BridgeLoad::endHold(Ns now) {
  if (now < holdEnd_) return;
  phase_ = Phase::kDrain;  // windows close: in-flight packets of the window still count
  txAtHoldEnd_ = txPackets_;
  phaseEnd_ = now + 500 * kMs;
  std::printf("phase: hold-end t=%.3f\n", static_cast<double>(now - start_) / 1e9);
  std::fflush(stdout);
}

void BridgeLoad::endDrain(Ns now) {
  if (now < phaseEnd_) return;
  if (o_.haveHttp) healthHold_ = healthz(o_.http);  // the server's view with every call up
  phase_ = Phase::kHangup;
  hangupStart_ = now;
}

/// BYEs at --hangup-rate; the phase ends when every call is closed (or a timeout passed).
void BridgeLoad::hangUpDue(Ns now) {
  std::uint32_t due = std::min<std::uint32_t>(
      static_cast<std::uint32_t>(calls_.size()),
      static_cast<std::uint32_t>(static_cast<double>(now - hangupStart_) / 1e9 * o_.hangupRate) +
          1);
  for (; hungUp_ < due; ++hungUp_) hangUp(hungUp_, now);
  if (hungUp_ < calls_.size()) return;
  bool open = false;
  for (const Call& c : calls_)
    open = open || c.caller == Leg::kByeSent || (c.agent == Agent::kUp && c.caller != Leg::kFailed);
  if (open && now - hangupStart_ <
                  static_cast<Ns>((static_cast<double>(calls_.size()) / o_.hangupRate + 15) * 1e9))
    return;
  phase_ = o_.haveHttp ? Phase::kSettle : Phase::kDone;
  phaseEnd_ = now + 30 * kSec;
}

/// /healthz every 250 ms until the server's call count is back to 0 (30 s at most).
void BridgeLoad::settle(Ns now) {
  if (now < nextHealth_) return;
  nextHealth_ = now + 250 * kMs;
  healthEnd_ = healthz(o_.http);
  if (healthEnd_.ok && healthEnd_.calls == 0) settled_ = now - hangupStart_;
  if (settled_ >= 0 || now >= phaseEnd_) phase_ = Phase::kDone;
}

void BridgeLoad::progress(Ns now) {
  if (now - lastProgress_ < 5 * kSec) return;
  double dt = static_cast<double>(now - lastProgress_) / 1e9;
  lastProgress_ = now;
  unsigned up = 0, failed = 0, bridged = 0;
  for (const Call& c : calls_) {
    up += c.caller == Leg::kUp;
    failed += c.caller == Leg::kFailed;
    bridged += c.caller == Leg::kUp && c.agent == Agent::kUp;
  }
  static const char* kNames[] = {"ramp", "hold", "drain", "hangup", "settle", "done"};
  std::printf(
      "t=%6.1fs %-6s placed %u up %u bridged %u failed %u  tx %.0f pps rx %.0f pps  late p99 %.2f "
      "ms\n",
      static_cast<double>(now - start_) / 1e9, kNames[static_cast<int>(phase_)], placed_, up,
      bridged, failed, static_cast<double>(txPackets_ - lastTx_) / dt,
      static_cast<double>(rxPackets_ - lastRx_) / dt, lateness_.percentileMs(99));
  std::fflush(stdout);
  lastTx_ = txPackets_;
  lastRx_ = rxPackets_;
}

// ---------------------------------------------------------------- summary

bool BridgeLoad::summary(bool aborted) {
  CallTotals calls;
  StreamTotals streams;
  for (const Call& c : calls_) {
    calls.add(c);
    streams.add(c.rxAgent, c.txCaller);
    streams.add(c.rxCaller, c.txAgent);
  }
  calls.setup = sorted(calls.setup);
  streams.sort();
  printCalls(aborted, calls);
  printPackets(streams);
  printJitter(streams);
  printSip();
  if (o_.haveHttp) printServer();
  return verdict(calls, streams);
}

void BridgeLoad::printCalls(bool aborted, const CallTotals& t) const {
  std::string fails;
  for (auto [status, n] : failures_)
    fails += " " + std::to_string(status) + "x" + std::to_string(n);
  std::printf("--- bridge_load summary%s ---\n",
              aborted ? " (ABORTED: duration cap or signal)" : "");
  std::printf("calls attempted: %u\n", placed_);
  std::printf("calls established: %u (caller answered, agent answered and ACKed)\n", t.established);
  std::printf("calls failed: %u%s%s\n", t.failed, fails.empty() ? "" : " status", fails.c_str());
  std::printf("calls dropped by server: %u\n", t.dropped);
  std::printf("hangups: %u BYE answered, %u BYE timed out; server BYEs to agent: %u\n", t.byeOk,
              t.byeTimeout, t.agentEnded);
  std::printf("time to establish ms: p50 %.1f p99 %.1f max %.1f (INVITE to agent ACK)\n",
              pct(t.setup, 50), pct(t.setup, 99), t.setup.empty() ? 0 : t.setup.back());
  std::printf("hold: %.1f s (window per call: bridged + %.1f s warm-up, to hold end)\n",
              static_cast<double>(holdEnd_ - holdStart_) / 1e9, o_.warmup);
}

void BridgeLoad::printPackets(const StreamTotals& t) const {
  std::printf("streams measured: %llu (relayed streams with a window; 2 per call received)\n",
              static_cast<unsigned long long>(t.streams));
  std::printf("packets sent: %llu (send errors %llu, skipped slots %llu)\n",
              static_cast<unsigned long long>(txPackets_),
              static_cast<unsigned long long>(txErrors_),
              static_cast<unsigned long long>(skippedSlots_));
  std::printf(
      "packets received: %llu (unknown source %llu, malformed %llu, cross-talk %llu, rtcp %llu)\n",
      static_cast<unsigned long long>(rxPackets_), static_cast<unsigned long long>(rxUnknown_),
      static_cast<unsigned long long>(rxMalformed_), static_cast<unsigned long long>(crosstalk_),
      static_cast<unsigned long long>(rtcpIn_));
  std::printf("window packets: expected %llu received %llu\n",
              static_cast<unsigned long long>(t.expected),
              static_cast<unsigned long long>(t.received));
  std::printf(
      "loss %%: %.4f end-to-end (sender seq in payload); %.4f server-to-tool (RTP seq, RFC 3550 "
      "A.3); "
      "%llu streams with loss\n",
      lossPct(t.expected, t.received), lossPct(t.seqExpected, t.seqReceived),
      static_cast<unsigned long long>(t.lossy));
  std::printf(
      "tool socket drops: caller %u agent %u (SO_RXQ_OVFL: lost in this tool, not the server)\n",
      rxqDrops_[0], rxqDrops_[1]);
}

void BridgeLoad::printJitter(const StreamTotals& t) const {
  std::printf(
      "jitter ms: mean %.3f p99 %.3f max %.3f (RFC 3550 A.8 vs RTP ts, per stream at hold end)\n",
      mean(t.jRfc), pct(t.jRfc, 99), t.jRfc.empty() ? 0 : t.jRfc.back());
  std::printf("jitter peak ms: p99 %.3f max %.3f (highest running J per stream in the window)\n",
              pct(t.jPeak, 99), t.jPeak.empty() ? 0 : t.jPeak.back());
  std::printf(
      "tool send jitter ms: mean %.3f p99 %.3f max %.3f (A.8 over the tool's own send lateness)\n",
      mean(t.jTool), pct(t.jTool, 99), t.jTool.empty() ? 0 : t.jTool.back());
  std::printf(
      "added jitter ms: mean %.3f p99 %.3f max %.3f (A.8 vs actual send time: the server's "
      "share)\n",
      mean(t.jAdded), pct(t.jAdded, 99), t.jAdded.empty() ? 0 : t.jAdded.back());
  std::printf(
      "transit ms: mean %.3f p50 %.3f p99 %.3f max %.3f (tool send to relayed arrival, kernel rx "
      "stamp)\n",
      transit_.meanMs(), transit_.percentileMs(50), transit_.percentileMs(99), transit_.maxMs());
  std::printf(
      "tool lateness ms: p50 %.3f p99 %.3f max %.3f (send batch start vs the 20 ms grid, %llu "
      "batches in the "
      "hold; max over the whole run %.3f)\n",
      lateness_.percentileMs(50), lateness_.percentileMs(99), lateness_.maxMs(),
      static_cast<unsigned long long>(lateness_.count()), static_cast<double>(latenessMax_) / 1e6);
}

void BridgeLoad::printSip() const {
  std::printf(
      "sip: INVITE retransmits %llu, BYE retransmits %llu, agent 200 retransmits %llu, agent ACK "
      "missing "
      "%llu, unexpected %llu, unparsable %llu\n",
      static_cast<unsigned long long>(inviteRetx_), static_cast<unsigned long long>(byeRetx_),
      static_cast<unsigned long long>(agentRetx_),
      static_cast<unsigned long long>(agentAckMissing_),
      static_cast<unsigned long long>(unexpected_), static_cast<unsigned long long>(sipBad_));
}

void BridgeLoad::printServer() const {
  std::printf("server at hold end: calls %ld dialogs %ld media_sessions %ld\n", healthHold_.calls,
              healthHold_.dialogs, healthHold_.mediaSessions);
  std::printf("server rtp during run: in %ld out %ld malformed %ld\n",
              healthEnd_.rtpIn >= 0 ? healthEnd_.rtpIn - health0_.rtpIn : -1,
              healthEnd_.rtpOut >= 0 ? healthEnd_.rtpOut - health0_.rtpOut : -1,
              healthEnd_.malformed >= 0 ? healthEnd_.malformed - health0_.malformed : -1);
  if (settled_ >= 0) {
    std::printf("server calls back to 0: %.1f s after the first BYE\n",
                static_cast<double>(settled_) / 1e9);
  } else {
    std::printf("server calls back to 0: NO (calls %ld at the end)\n", healthEnd_.calls);
  }
}

/// Verdict against the targets; the measurement only counts if the tool kept its grid.
bool BridgeLoad::verdict(const CallTotals& calls, const StreamTotals& streams) const {
  bool clean = failures_.empty() && agentAckMissing_ == 0 && calls.established == calls_.size() &&
               calls.allEnded;
  double loss = lossPct(streams.expected, streams.received);
  double holdS = static_cast<double>(holdEnd_ - holdStart_) / 1e9;
  double offered = holdS > 0 ? static_cast<double>(txAtHoldEnd_ - txAtHold_) / holdS : 0;
  double nominal = 2.0 * calls.established * 1e9 / static_cast<double>(kPtime);
  bool kept = skippedInHold_ == 0 && offered >= 0.99 * nominal;
  bool lossOk = loss < o_.maxLossPct, jitterOk = pct(streams.jAdded, 99) < o_.maxJitterMs;
  std::printf("tool send rate in hold: %.0f pps of %.0f nominal (%llu slots skipped in the hold)\n",
              offered, nominal, static_cast<unsigned long long>(skippedInHold_));
  std::printf(
      "verdict: calls %s, loss %s (< %.2f%%), added jitter p99 %s (< %.2f ms), load generator %s\n",
      clean ? "OK" : "FAILED", lossOk ? "OK" : "FAILED", o_.maxLossPct, jitterOk ? "OK" : "FAILED",
      o_.maxJitterMs,
      kept ? "kept the 20 ms grid" : "FELL BEHIND (the offered load was lower than nominal)");
  std::fflush(stdout);
  return clean && lossOk && jitterOk && kept;
}

// ---------------------------------------------------------------- options

namespace {

void usage() {
  std::fprintf(
      stderr,
      "usage: bridge_load --server 127.0.0.1:PORT [--http 127.0.0.1:PORT] [--calls N] [--rate R]\n"
      "                   [--hold S] [--warmup S] [--hangup-rate R] [--establish-timeout S]\n"
      "                   [--number 6000] [--agent 1001] [--agent-password P] [--duration S]\n"
      "                   [--slots K] [--rtp-base PORT] [--max-loss PCT] [--max-jitter MS]\n");
}

bool parseArgs(int argc, char** argv, Options& o) {
  bool haveServer = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    double d = std::atof(v.c_str());
    if (a == "--server") {
      haveServer = parseHostPort(v, o.server);
      if (!haveServer) return false;
    } else if (a == "--http") {
      o.haveHttp = parseHostPort(v, o.http);
      if (!o.haveHttp) return false;
    } else if (a == "--calls") {
      o.calls = static_cast<unsigned>(d);
    } else if (a == "--rate") {
      o.rate = d;
    } else if (a == "--hangup-rate") {
      o.hangupRate = d;
    } else if (a == "--hold") {
      o.hold = d;
    } else if (a == "--warmup") {
      o.warmup = d;
    } else if (a == "--establish-timeout") {
      o.establishTimeout = d;
    } else if (a == "--duration") {
      o.duration = d;
    } else if (a == "--number") {
      o.number = v;
    } else if (a == "--agent") {
      o.agent = v;
    } else if (a == "--agent-password") {
      o.password = v;
    } else if (a == "--max-loss") {
      o.maxLossPct = d;
    } else if (a == "--max-jitter") {
      o.maxJitterMs = d;
    } else if (a == "--slots") {
      o.slots = static_cast<unsigned>(d);
    } else if (a == "--rtp-base") {
      o.rtpBase = static_cast<std::uint16_t>(d);
    } else {
      return false;
    }
  }
  if (o.hangupRate <= 0) o.hangupRate = o.rate;
  return haveServer && o.calls >= 1 && o.calls <= 100000 && o.rate > 0 && o.hold >= 0 &&
         o.slots >= 2 && o.slots <= 1000 && o.rtpBase >= 1024;
}

}  // namespace
}  // namespace bridge_load

int main(int argc, char** argv) {
  bridge_load::Options o;
  if (!bridge_load::parseArgs(argc, argv, o)) {
    bridge_load::usage();
    return 2;
  }
  std::signal(SIGINT, [](int) { bridge_load::gStop = 1; });
  std::signal(SIGTERM, [](int) { bridge_load::gStop = 1; });
  bridge_load::BridgeLoad load(std::move(o));
  return load.run();
}
