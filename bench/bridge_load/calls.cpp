// bridge_load: the call state machine — REGISTER with digest, the caller leg (INVITE, ACK,
// BYE), the agent leg (answer, wait for the ACK), retransmission timers, and reading the two
// SIP sockets. Members of BridgeLoad (load.h).
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "load.h"

namespace bridge_load {

void CallTotals::add(const Call& c) {
  bool up = c.bridgedAt != 0;
  established += up;
  failed += c.caller == Leg::kFailed;
  dropped += c.droppedEarly;
  byeTimeout += c.byeTimedOut;
  byeOk += c.caller == Leg::kDone && !c.byeTimedOut && !c.droppedEarly;
  agentEnded += c.agent == Agent::kEnded;
  if (up) setup.push_back(static_cast<double>(c.bridgedAt - c.invitedAt) / 1e6);
  allEnded = allEnded && !c.droppedEarly && !c.byeTimedOut && c.caller == Leg::kDone;
}

void BridgeLoad::sendTo(int fd, const sockaddr_in& to, const std::string& data) {
  if (sendto(fd, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) <
      0)
    std::fprintf(stderr, "bridge_load: SIP send failed: %s\n", std::strerror(errno));
}

// ---------------------------------------------------------------- REGISTER

/// REGISTER with digest (RFC 3261 §22, RFC 7616 MD5 with qop=auth), blocking, before the load.
bool BridgeLoad::registerAgent() {
  std::string auth;
  for (int cseq = 1; cseq <= 3; ++cseq) {
    std::string challenge;
    int status = registerTransaction(registerRequest(cseq, auth), cseq, challenge);
    if (status == 200) return true;
    if (status != 401 || challenge.empty()) {
      std::fprintf(stderr, "bridge_load: REGISTER answered %d\n", status);
      return false;
    }
    auth = digestAuthorization(challenge, o_.agent, o_.password, "REGISTER", "sip:127.0.0.1", run_);
  }
  return false;
}

std::string BridgeLoad::registerRequest(int cseq, const std::string& auth) const {
  const std::string server = "127.0.0.1";
  const std::string uri = "sip:" + server;
  return "REGISTER " + uri +
         " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(sipAgentPort_) +
         ";branch=z9hG4bK" + run_ + "r" + std::to_string(cseq) +
         ";rport\r\nMax-Forwards: 70\r\n"
         "From: <sip:" +
         o_.agent + "@" + server + ">;tag=" + run_ + "r\r\nTo: <sip:" + o_.agent + "@" + server +
         ">\r\nCall-ID: " + run_ + "-reg@127.0.0.1\r\nCSeq: " + std::to_string(cseq) +
         " REGISTER\r\nContact: <sip:" + o_.agent + "@127.0.0.1:" + std::to_string(sipAgentPort_) +
         ">\r\nExpires: 3600\r\n" + auth + "Content-Length: 0\r\n\r\n";
}

/// Sends `req` until a final response to `cseq` (Timer E doubling to T2, 8 s at most); its
/// status (0: none) and the MD5 challenge of a 401 in `challenge`.
int BridgeLoad::registerTransaction(const std::string& req, int cseq, std::string& challenge) {
  int status = 0;
  for (Ns gap = kT1, t0 = monoNs(); status == 0 && monoNs() - t0 < 8 * kSec;
       gap = std::min(2 * gap, kT2)) {
    sendTo(sipAgent_, o_.server, req);
    pollfd p{sipAgent_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(gap / kMs)) <= 0) continue;
    std::array<char, 8192> buf{};
    ssize_t n = recv(sipAgent_, buf.data(), buf.size(), 0);
    SipMsg m;
    if (n <= 0 || !parseSip({buf.data(), static_cast<std::size_t>(n)}, m) || m.request ||
        m.cseq != cseq || m.status < 200)
      continue;
    status = m.status;
    challenge = md5Challenge(m);
  }
  return status;
}

// ---------------------------------------------------------------- caller side

void BridgeLoad::placeCall(std::uint32_t i, Ns now) {
  Call& c = calls_[i];
  c.caller = Leg::kInviting;
  c.invitedAt = now;
  c.retxGap = kT1;
  c.retxAt = now + kT1;
  timers_.push({c.retxAt, i, kInviteRetx});
  timers_.push({now + 32 * kSec, i, kInviteGiveUp});
  sendInvite(i);
}

void BridgeLoad::sendInvite(std::uint32_t i) {
  std::string user = "blc" + std::to_string(i);
  std::string sdp = sdpBody(user, i + 1, rtpCallerPort_, 101);
  std::string host = "127.0.0.1:" + std::to_string(ntohs(o_.server.sin_port));
  std::string r =
      "INVITE sip:" + o_.number + "@" + host +
      " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(sipCallerPort_) +
      ";branch=z9hG4bK" + run_ + "i" + std::to_string(i) +
      ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:" + user + "@127.0.0.1>;tag=" + run_ + "f" +
      std::to_string(i) + "\r\nTo: <sip:" + o_.number + "@127.0.0.1>\r\nCall-ID: " + callId(i) +
      "\r\nCSeq: 1 INVITE\r\nContact: <sip:" + user +
      "@127.0.0.1:" + std::to_string(sipCallerPort_) +
      ">\r\nContent-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp.size()) +
      "\r\n\r\n" + sdp;
  sendTo(sipCaller_, o_.server, r);
}

/// ACK (RFC 3261 §13.2.2.4 for a 2xx: new branch, to the remote target; §17.1.1.3 for a
/// failure: the INVITE's branch and Request-URI).
void BridgeLoad::sendAck(std::uint32_t i, const SipMsg* failure) {
  const Call& c = calls_[i];
  std::string ruri =
      failure ? "sip:" + o_.number + "@127.0.0.1:" + std::to_string(ntohs(o_.server.sin_port))
              : c.target;
  std::string branch = run_ + (failure ? "i" : "a") + std::to_string(i);
  std::string to = failure ? std::string(failure->to) : c.toHeader;
  std::string r =
      "ACK " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(sipCallerPort_) +
      ";branch=z9hG4bK" + branch + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:blc" +
      std::to_string(i) + "@127.0.0.1>;tag=" + run_ + "f" + std::to_string(i) + "\r\nTo: " + to +
      "\r\nCall-ID: " + callId(i) + "\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
  sendTo(sipCaller_, o_.server, r);
}

void BridgeLoad::sendBye(std::uint32_t i) {
  const Call& c = calls_[i];
  std::string r = "BYE " + c.target +
                  " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(sipCallerPort_) +
                  ";branch=z9hG4bK" + run_ + "b" + std::to_string(i) +
                  ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:blc" + std::to_string(i) +
                  "@127.0.0.1>;tag=" + run_ + "f" + std::to_string(i) + "\r\nTo: " + c.toHeader +
                  "\r\nCall-ID: " + callId(i) + "\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
  sendTo(sipCaller_, o_.server, r);
}

/// The hangup phase reaches call `i`: an unanswered call is given up (a timeout), an answered
/// one gets our BYE (retransmitted by Timer E until answered).
void BridgeLoad::hangUp(std::uint32_t i, Ns now) {
  Call& c = calls_[i];
  if (c.caller == Leg::kInviting || c.caller == Leg::kProceeding) {
    c.caller = Leg::kFailed;  // never answered: given up (counted as a timeout)
    c.failStatus = 408;
    ++failures_[408];
  }
  if (c.caller != Leg::kUp) return;
  c.caller = Leg::kByeSent;
  c.txCaller.active = false;
  c.byeAt = now;
  c.retxGap = kT1;
  c.retxAt = now + kT1;
  timers_.push({c.retxAt, i, kByeRetx});
  sendBye(i);
}

void BridgeLoad::onCallerMessage(const SipMsg& m, const sockaddr_in& from, Ns now) {
  std::string_view id = m.callId;
  std::string prefix = run_ + "-";
  if (id.substr(0, prefix.size()) != prefix) {
    ++unexpected_;
    return;
  }
  long i = toLong(id.substr(prefix.size(), id.find('@') - prefix.size()));
  if (i < 0 || static_cast<std::size_t>(i) >= calls_.size()) {
    ++unexpected_;
    return;
  }
  auto idx = static_cast<std::uint32_t>(i);
  Call& c = calls_[idx];
  if (m.request) {
    if (m.method == "ACK") return;
    if (m.method != "BYE") {
      ++unexpected_;
      sendTo(sipCaller_, from, response(m, 501, "Not Implemented", {}, {}, {}));
      return;
    }
    sendTo(sipCaller_, from, response(m, 200, "OK", {}, {}, {}));
    if (c.caller == Leg::kUp) {
      c.droppedEarly = true;
      c.caller = Leg::kDone;
      c.txCaller.active = false;
    }
    return;
  }
  if (m.cseqMethod == "INVITE") {
    onInviteResponse(idx, m, now);
  } else if (m.cseqMethod == "BYE" && m.status >= 200 && c.caller == Leg::kByeSent) {
    c.caller = Leg::kDone;
    if (m.status >= 300) failures_[m.status + 10000]++;  // a failed BYE, keyed apart from INVITEs
  }
}

void BridgeLoad::onInviteResponse(std::uint32_t i, const SipMsg& m, Ns now) {
  Call& c = calls_[i];
  if (m.status < 200) {
    if (c.caller == Leg::kInviting) c.caller = Leg::kProceeding;  // §17.1.1.2: stop Timer A
    return;
  }
  if (m.status >= 300) {
    sendAck(i, &m);
    if (c.caller == Leg::kInviting || c.caller == Leg::kProceeding) {
      c.caller = Leg::kFailed;
      c.failStatus = m.status;
      ++failures_[m.status];
    }
    return;
  }
  if (c.caller != Leg::kInviting && c.caller != Leg::kProceeding) {
    if (!c.target.empty()) sendAck(i, nullptr);  // a retransmitted 2xx: ACK again (§13.2.2.4)
    return;
  }
  SdpAudio sdp;
  if (!parseSdp(m.body, sdp) || m.contact.empty() || !hasTag(m.to)) {
    ++sipBad_;
    c.caller = Leg::kFailed;
    c.failStatus = 1;  // unusable 200
    ++failures_[1];
    return;
  }
  c.toHeader = std::string(m.to);
  c.target = std::string(uriOf(m.contact));
  c.callerMedia = loopback(sdp.ip, sdp.port);
  callerByPort_[sdp.port] = static_cast<std::int32_t>(i);
  c.caller = Leg::kUp;
  c.answeredAt = now;
  sendAck(i, nullptr);
  startStream(c.txCaller, i, false);
}

// ---------------------------------------------------------------- agent side

void BridgeLoad::onAgentMessage(const SipMsg& m, const sockaddr_in& from, Ns now) {
  if (!m.request) return;  // a late REGISTER response
  if (m.method == "INVITE") {
    onAgentInvite(m, from, now);
    return;
  }
  auto it = agentByCallId_.find(std::string(m.callId));
  if (m.method == "ACK") {
    if (it == agentByCallId_.end()) return;
    Call& c = calls_[it->second];
    if (c.agent == Agent::kAnswered) {
      c.agent = Agent::kUp;
      c.bridgedAt = now;  // the server bridges when it has our 200; it ACKs at the same time
      startStream(c.txAgent, it->second, true);
    }
    return;
  }
  if (m.method == "BYE") {
    sendTo(sipAgent_, from, response(m, 200, "OK", {}, {}, {}));
    if (it == agentByCallId_.end()) return;
    Call& c = calls_[it->second];
    if (c.agent != Agent::kEnded) {
      ++agentByes_;
      if (c.caller == Leg::kUp) c.droppedEarly = true;
      c.agent = Agent::kEnded;
      c.txAgent.active = false;
    }
    return;
  }
  if (m.method == "CANCEL" || m.method == "OPTIONS") {
    sendTo(sipAgent_, from, response(m, 200, "OK", {}, {}, {}));
    return;
  }
  ++unexpected_;
  sendTo(sipAgent_, from, response(m, 501, "Not Implemented", {}, {}, {}));
}

/// The agent answers at once: 200 OK with our SDP (RFC 3264 answer: PCMU and the offered
/// telephone-event), retransmitted until the ACK (RFC 3261 §13.3.1.4).
void BridgeLoad::onAgentInvite(const SipMsg& m, const sockaddr_in& from, Ns now) {
  std::string cid(m.callId);
  auto it = agentByCallId_.find(cid);
  if (it != agentByCallId_.end()) {
    Call& c = calls_[it->second];
    if (hasTag(m.to)) {  // a re-INVITE: same answer, new transaction
      ++unexpected_;
      sendTo(sipAgent_, from,
             response(m, 200, "OK", {},
                      "Contact: <sip:" + o_.agent + "@127.0.0.1:" + std::to_string(sipAgentPort_) +
                          ">\r\n",
                      sdpBody(o_.agent, it->second + 1, rtpAgentPort_, 101)));
    } else if (!c.agentOk.empty()) {
      sendTo(sipAgent_, from, c.agentOk);  // a retransmitted INVITE
    }
    return;
  }
  std::string_view fromUri = uriOf(m.from);
  long i =
      fromUri.substr(0, 7) == "sip:blc" ? toLong(fromUri.substr(7, fromUri.find('@') - 7)) : -1;
  SdpAudio sdp;
  if (i < 0 || static_cast<std::size_t>(i) >= calls_.size() || !parseSdp(m.body, sdp) ||
      calls_[static_cast<std::size_t>(i)].agent != Agent::kNone) {
    ++unexpected_;
    sendTo(sipAgent_, from, response(m, 488, "Not Acceptable Here", "bla", {}, {}));
    return;
  }
  auto idx = static_cast<std::uint32_t>(i);
  Call& c = calls_[idx];
  c.agentCallId = cid;
  agentByCallId_[cid] = idx;
  c.agentMedia = loopback(sdp.ip, sdp.port);
  agentByPort_[sdp.port] = static_cast<std::int32_t>(idx);
  std::string contact =
      "Contact: <sip:" + o_.agent + "@127.0.0.1:" + std::to_string(sipAgentPort_) + ">\r\n";
  c.agentOk = response(m, 200, "OK", run_ + "t" + std::to_string(idx), contact,
                       sdpBody(o_.agent, idx + 1, rtpAgentPort_, sdp.telephoneEvent));
  c.agent = Agent::kAnswered;
  c.agentInviteAt = now;
  c.agentRetxGap = kT1;
  c.agentRetxAt = now + kT1;
  timers_.push({c.agentRetxAt, idx, kAgentRetx});
  sendTo(sipAgent_, from, c.agentOk);
}

// ---------------------------------------------------------------- timers and the SIP sockets

void BridgeLoad::runTimers(Ns now) {
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    Call& c = calls_[t.call];
    if (t.kind == kInviteRetx && c.caller == Leg::kInviting && c.retxAt == t.at) {
      if (now - c.invitedAt >= 8 * kSec) {  // the brief's give-up, shorter than Timer B
        c.caller = Leg::kFailed;
        c.failStatus = 408;
        ++failures_[408];
        continue;
      }
      ++inviteRetx_;
      sendInvite(t.call);
      c.retxGap = std::min(2 * c.retxGap, 8 * kSec);  // Timer A keeps doubling (§17.1.1.2)
      c.retxAt = now + c.retxGap;
      timers_.push({c.retxAt, t.call, kInviteRetx});
    } else if (t.kind == kInviteGiveUp && c.caller == Leg::kProceeding) {
      c.caller = Leg::kFailed;  // a provisional response but no final one within 32 s
      c.failStatus = 408;
      ++failures_[408];
    } else if (t.kind == kAgentRetx && c.agent == Agent::kAnswered && c.agentRetxAt == t.at) {
      if (now - c.agentInviteAt >= 32 * kSec) {  // Timer H: 64·T1
        ++agentAckMissing_;
        continue;
      }
      ++agentRetx_;
      sockaddr_in to = o_.server;
      sendTo(sipAgent_, to, c.agentOk);
      c.agentRetxGap = std::min(2 * c.agentRetxGap, kT2);
      c.agentRetxAt = now + c.agentRetxGap;
      timers_.push({c.agentRetxAt, t.call, kAgentRetx});
    } else if (t.kind == kByeRetx && c.caller == Leg::kByeSent && c.retxAt == t.at) {
      if (now - c.byeAt >= 8 * kSec) {
        c.caller = Leg::kDone;
        c.byeTimedOut = true;
        continue;
      }
      ++byeRetx_;
      sendBye(t.call);
      c.retxGap = std::min(2 * c.retxGap, kT2);  // Timer E (§17.1.2.2)
      c.retxAt = now + c.retxGap;
      timers_.push({c.retxAt, t.call, kByeRetx});
    }
  }
}

bool BridgeLoad::drainSip(int fd, bool callerSide, Ns now) {
  bool any = false;
  for (int k = 0; k < 64; ++k) {
    std::array<char, 8192> buf;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf.data(), buf.size() - 1, MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) break;
    any = true;
    SipMsg m;
    if (!parseSip({buf.data(), static_cast<std::size_t>(n)}, m)) {
      ++sipBad_;
      continue;
    }
    if (callerSide) {
      onCallerMessage(m, from, now);
    } else {
      onAgentMessage(m, from, now);
    }
  }
  return any;
}

}  // namespace bridge_load
