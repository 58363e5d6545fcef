// bridge_load: RTP — the send and receive batches, the 20 ms send grid spread over slots
// (sendmmsg), and the receive path (recvmmsg with kernel stamps) that feeds the per-stream
// measurements. Members of BridgeLoad (load.h).
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "load.h"

namespace bridge_load {

void BridgeLoad::prepareBatches() {
  // Batches: at most every call of a slot on each socket.
  std::size_t perSlot = (calls_.size() + o_.slots - 1) / o_.slots;
  txBuf_.resize(2 * perSlot + 2);
  txIov_.resize(txBuf_.size());
  txMsg_.resize(txBuf_.size());
  for (std::size_t k = 0; k < txBuf_.size(); ++k) {
    std::fill(txBuf_[k].begin(), txBuf_[k].end(), std::uint8_t{0xff});  // µ-law silence
    txIov_[k] = {txBuf_[k].data(), kRtpSize};
    txMsg_[k].msg_hdr.msg_iov = &txIov_[k];
    txMsg_[k].msg_hdr.msg_iovlen = 1;
  }
  for (std::size_t k = 0; k < kRxBatch; ++k) {
    rxIov_[k] = {rxBuf_[k].data(), rxBuf_[k].size()};
    msghdr& h = rxMsg_[k].msg_hdr;
    h.msg_name = &rxFrom_[k];
    h.msg_iov = &rxIov_[k];
    h.msg_iovlen = 1;
    h.msg_control = rxCtl_[k].data();
  }
  // Spread: call i's caller stream in slot i % K, its agent stream half a period later.
  slotCallers_.resize(o_.slots);
  slotAgents_.resize(o_.slots);
  for (std::uint32_t i = 0; i < calls_.size(); ++i) {
    slotCallers_[i % o_.slots].push_back(i);
    slotAgents_[(i % o_.slots + o_.slots / 2) % o_.slots].push_back(i);
  }
}

void BridgeLoad::startStream(TxStream& s, std::uint32_t i, bool agentSide) {
  s.active = true;
  s.ssrc = 0x10000000U + (i << 1) + (agentSide ? 1U : 0U);
  s.seq = static_cast<std::uint16_t>(i * 7919U + (agentSide ? 31U : 0U));
  s.ts0 = i * 104729U;
  s.period0 = period_ + 1;
}

// ---------------------------------------------------------------- send

/// Every slot of the 20 ms grid whose time has come, in order; a slot more than 60 ms late
/// is skipped (counted) rather than sent in a burst.
void BridgeLoad::runGrid(Ns now) {
  for (;;) {
    Ns due = gridStart_ + period_ * kPtime + static_cast<Ns>(slot_) * slotNs_;
    if (now < due) return;
    if (now - due > 60 * kMs) {
      ++skippedSlots_;
      if (phase_ == Phase::kHold) ++skippedInHold_;
    } else {
      sendSlot(period_, slot_, due);
    }
    // Read what the server relayed since the last slot (both sockets, every batch).
    for (int b = 0; b < 64 && drainRtp(rtpCaller_, true); ++b) {
    }
    for (int b = 0; b < 64 && drainRtp(rtpAgent_, false); ++b) {
    }
    if (++slot_ == o_.slots) {
      slot_ = 0;
      ++period_;
    }
  }
}

void BridgeLoad::queuePacket(std::uint32_t i, TxStream& s, bool agentSide, std::int64_t period,
                             Ns stamp, Ns mono) {
  if (!s.active || period < s.period0) return;
  Call& c = calls_[i];
  // Caller packets fill the batch arrays from the front, agent packets from the back.
  std::size_t k = agentSide ? txBuf_.size() - 1 - txAgentN_ : txCallerN_;
  std::uint8_t* p = txBuf_[k].data();
  std::uint32_t ts = s.ts0 + static_cast<std::uint32_t>(160 * (period - s.period0));
  p[0] = 0x80;
  p[1] = 0;  // PCMU
  p[2] = static_cast<std::uint8_t>(s.seq >> 8);
  p[3] = static_cast<std::uint8_t>(s.seq);
  // Header words (network order), then the payload: magic, call, direction, sender sequence
  // and the realtime send stamp, host order (only this tool reads them).
  std::uint32_t words[] = {htonl(ts), htonl(s.ssrc), kMagic, i, agentSide ? 1U : 0U, s.sent};
  std::memcpy(p + 4, words, sizeof words);
  std::memcpy(p + 4 + sizeof words, &stamp, sizeof stamp);
  ++s.seq;
  if (inWindow(c, mono)) {
    if (s.winFirst == kNoSeq) s.winFirst = s.sent;
    s.winLast = s.sent;
    s.lateness.add(mono - (gridStart_ + period * kPtime));
  }
  ++s.sent;
  mmsghdr& h = txMsg_[k];
  h.msg_hdr.msg_name = agentSide ? &c.agentMedia : &c.callerMedia;
  h.msg_hdr.msg_namelen = sizeof(sockaddr_in);
  (agentSide ? txAgentN_ : txCallerN_)++;
}

void BridgeLoad::sendSlot(std::int64_t period, unsigned slot, Ns scheduled) {
  Ns stamp = realNs();
  Ns mono = monoNs();
  if (phase_ == Phase::kHold) lateness_.add(mono - scheduled);
  latenessMax_ = std::max(latenessMax_, mono - scheduled);
  txCallerN_ = txAgentN_ = 0;
  for (std::uint32_t i : slotCallers_[slot])
    queuePacket(i, calls_[i].txCaller, false, period, stamp, mono);
  for (std::uint32_t i : slotAgents_[slot])
    queuePacket(i, calls_[i].txAgent, true, period, stamp, mono);
  flush(rtpCaller_, txCallerN_);
  flush(rtpAgent_, txAgentN_);
}

void BridgeLoad::flush(int fd, std::size_t& n) {
  bool agent = fd == rtpAgent_;
  std::size_t first = agent ? txBuf_.size() - n : 0;
  std::size_t done = 0;
  while (done < n) {
    auto chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1024));
    int r = sendmmsg(fd, &txMsg_[first + done], chunk, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      txErrors_ += n - done;
      break;
    }
    done += static_cast<std::size_t>(r);
  }
  txPackets_ += done;
  n = 0;
}

// ---------------------------------------------------------------- receive

bool BridgeLoad::drainRtp(int fd, bool callerSide) {
  for (std::size_t k = 0; k < kRxBatch; ++k) {
    rxMsg_[k].msg_hdr.msg_controllen = rxCtl_[k].size();
    rxMsg_[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
  }
  int n = recvmmsg(fd, rxMsg_.data(), kRxBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return false;
  Ns fallback = realNs();
  for (int k = 0; k < n; ++k) {
    msghdr& h = rxMsg_[static_cast<std::size_t>(k)].msg_hdr;
    Ns rx = fallback;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&h); cm != nullptr; cm = CMSG_NXTHDR(&h, cm)) {
      if (cm->cmsg_level != SOL_SOCKET) continue;
      if (cm->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
        rx = static_cast<Ns>(ts.tv_sec) * kSec + ts.tv_nsec;
      } else if (cm->cmsg_type == SO_RXQ_OVFL) {
        std::uint32_t drops = 0;
        std::memcpy(&drops, CMSG_DATA(cm), sizeof drops);
        rxqDrops_[callerSide ? 0 : 1] = std::max(rxqDrops_[callerSide ? 0 : 1], drops);
      }
    }
    const auto& from = rxFrom_[static_cast<std::size_t>(k)];
    onRtp(callerSide, ntohs(from.sin_port), rxBuf_[static_cast<std::size_t>(k)].data(),
          rxMsg_[static_cast<std::size_t>(k)].msg_len, rx);
  }
  return n == static_cast<int>(kRxBatch);
}

void BridgeLoad::onRtp(bool callerSide, std::uint16_t srcPort, const std::uint8_t* p, std::size_t n,
                       Ns rx) {
  ++rxPackets_;
  std::int32_t idx = (callerSide ? callerByPort_ : agentByPort_)[srcPort];
  if (idx < 0) {
    ++rxUnknown_;
    return;
  }
  if (n < 12 || (p[0] >> 6) != 2) {
    ++rxMalformed_;
    return;
  }
  std::size_t off = 12 + 4 * static_cast<std::size_t>(p[0] & 0x0f);
  if ((p[0] & 0x10) != 0 && n >= off + 4)
    off += 4 + 4 * static_cast<std::size_t>((p[off + 2] << 8) | p[off + 3]);
  Call& c = calls_[static_cast<std::size_t>(idx)];
  RxStream& s = callerSide ? c.rxCaller : c.rxAgent;
  ++s.packets;
  std::uint32_t w[4];  // magic, call, direction, sender sequence; then the send time (8 bytes)
  if (n < off + sizeof w + sizeof(Ns)) {
    ++s.foreign;
    return;
  }
  std::memcpy(w, p + off, sizeof w);
  if (w[0] != kMagic) {
    ++s.foreign;  // the server's own audio (ringback before the bridge)
    return;
  }
  // The caller hears the agent's stream and the agent the caller's; anything else is cross-talk.
  if (w[1] != static_cast<std::uint32_t>(idx) || w[2] != (callerSide ? 1U : 0U)) {
    ++crosstalk_;
    return;
  }
  const TxStream& src = callerSide ? c.txAgent : c.txCaller;
  std::uint32_t sentSeq = w[3];
  if (src.winFirst == kNoSeq || sentSeq < src.winFirst || sentSeq > src.winLast) return;
  Ns sentAt = 0;
  std::memcpy(&sentAt, p + off + sizeof w, sizeof sentAt);
  auto seq = static_cast<std::uint16_t>((p[2] << 8) | p[3]);
  std::uint32_t ts = (static_cast<std::uint32_t>(p[4]) << 24) | (p[5] << 16) | (p[6] << 8) | p[7];
  s.addInWindow(seq, ts, rx, sentAt);
  transit_.add(rx - sentAt);
}

void BridgeLoad::drainRtcp(int fd) {
  std::array<char, 2048> buf;
  while (recv(fd, buf.data(), buf.size(), MSG_DONTWAIT) > 0) ++rtcpIn_;
}

}  // namespace bridge_load
