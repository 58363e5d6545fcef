#include "media/internal/session.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "media/rtcp.h"

namespace sb::media::internal {
namespace {

std::uint32_t randomWord() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<std::uint32_t>(rng());
}

/// Arrival time in 8 kHz units (RFC 3550 A.8 wants arrival in RTP timestamp units).
std::uint32_t arrivalNow() {
  auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(ns) / 125'000U);
}

Udp::endpoint toAsio(const Endpoint& e) {
  if (!e.v6) {
    boost::asio::ip::address_v4::bytes_type b{};
    std::copy_n(e.bytes.begin(), 4, b.begin());
    return {boost::asio::ip::address_v4(b), e.port};
  }
  return {boost::asio::ip::address_v6(e.bytes), e.port};
}

/// NTP timestamp (RFC 3550 §4) of the wall clock, for sender reports.
std::uint64_t ntpNow() {
  using namespace std::chrono;
  auto since = system_clock::now().time_since_epoch();
  auto secs = duration_cast<seconds>(since);
  auto frac = duration_cast<nanoseconds>(since - secs).count();
  constexpr std::uint64_t kNtpEpochOffset = 2208988800ULL;  // 1900 -> 1970
  std::uint64_t hi = static_cast<std::uint64_t>(secs.count()) + kNtpEpochOffset;
  std::uint64_t lo = (static_cast<std::uint64_t>(frac) << 32) / 1'000'000'000ULL;
  return (hi << 32) | lo;
}

constexpr int kFlushTicks = 50;             // recordings are flushed about once a second
constexpr int kRtcpTicks = 250;             // RTCP report interval: 5 s (RFC 3550 §6.2 minimum)
constexpr std::uint8_t kComfortNoise = 13;  // RFC 3389: accepted and ignored

}  // namespace

void PcmFifo::push(const std::int16_t* pcm, std::size_t n) {
  if (n >= kCapacity) {  // only the newest kCapacity samples can stay
    pcm += n - kCapacity;
    n = kCapacity;
  }
  std::size_t overflow = size_ + n > kCapacity ? size_ + n - kCapacity : 0;
  head_ = (head_ + overflow) % kCapacity;  // drop the oldest
  size_ -= overflow;
  std::size_t tail = (head_ + size_) % kCapacity;
  std::size_t first = std::min(n, kCapacity - tail);  // up to the end of the ring, then wrap
  std::copy_n(pcm, first, buf_.begin() + static_cast<std::ptrdiff_t>(tail));
  std::copy_n(pcm + first, n - first, buf_.begin());
  size_ += n;
}

void PcmFifo::pop(std::int16_t* out, std::size_t n) {
  std::size_t take = std::min(n, size_);
  std::size_t first = std::min(take, kCapacity - head_);
  std::copy_n(buf_.begin() + static_cast<std::ptrdiff_t>(head_), first, out);
  std::copy_n(buf_.begin(), take - first, out + first);
  std::fill(out + take, out + n, std::int16_t{0});
  head_ = (head_ + take) % kCapacity;
  size_ -= take;
}

Session::Session(LoopContext& ctx, SessionId id, Udp::socket rtp, Udp::socket rtcp,
                 std::uint16_t port)
    : ctx_(ctx),
      id_(id),
      rtp_(std::move(rtp)),
      rtcp_(std::move(rtcp)),
      port_(port),
      ssrc_(randomWord()),
      seq_(static_cast<std::uint16_t>(randomWord())),
      ts_(randomWord()) {}

Session::~Session() = default;

void Session::start() {
  receiveRtp();
  receiveRtcp();
}

void Session::receiveRtp() {
  // MSG_TRUNC: the handler learns the real size of an oversized datagram and drops it instead
  // of parsing its first bytes as a packet.
  rtp_.async_receive_from(boost::asio::buffer(rxBuf_), from_, MSG_TRUNC,
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                            if (self->closed_ || ec == boost::asio::error::operation_aborted)
                              return;
                            if (!ec) self->onRtp(n);
                            self->receiveRtp();
                          });
}

void Session::receiveRtcp() {
  rtcp_.async_receive_from(
      boost::asio::buffer(rtcpBuf_), rtcpFrom_, MSG_TRUNC,
      [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (self->closed_ || ec == boost::asio::error::operation_aborted) return;
        if (!ec && n <= self->rtcpBuf_.size()) self->onRtcp({self->rtcpBuf_.data(), n});
        self->receiveRtcp();
      });
}

bool Session::canSend() const {
  return remote_ &&
         (params_.direction == Direction::kSendRecv || params_.direction == Direction::kSendOnly);
}

bool Session::canReceive() const {
  return params_.direction == Direction::kSendRecv || params_.direction == Direction::kRecvOnly;
}

void Session::configure(const StreamParams& p) {
  params_ = p;
  if (p.remote) {
    remote_ = toAsio(*p.remote);
    latched_ = false;  // symmetric RTP: the first packet's source wins (NAT, RFC 4961)
  }
  if (p.remoteRtcp) {
    remoteRtcp_ = toAsio(*p.remoteRtcp);
  } else if (remote_) {
    remoteRtcp_ =
        Udp::endpoint(remote_->address(), static_cast<std::uint16_t>(remote_->port() + 1));
  }
  if (p.telephoneEvent < 0 && !inband_) inband_ = std::make_unique<InbandDtmfDetector>();
  if (p.telephoneEvent >= 0) inband_.reset();
}

void Session::onRtp(std::size_t n) {
  if (n > rxBuf_.size()) {  // truncated: larger than any audio packet we negotiate
    ++stats_.malformed;
    ctx_.totals.malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::span<std::uint8_t> raw(rxBuf_.data(), n);
  if (looksLikeRtcp(raw)) {  // RTCP multiplexed on the RTP port (RFC 5761)
    onRtcp(raw);
    return;
  }
  RtpPacket pkt;
  if (parseRtp(raw, pkt) != RtpDrop::kOk) {
    ++stats_.malformed;
    ctx_.totals.malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!latched_) {
    remote_ = from_;
    if (!params_.remoteRtcp)
      remoteRtcp_ = Udp::endpoint(from_.address(), static_cast<std::uint16_t>(from_.port() + 1));
    latched_ = true;
  }
  if (!haveSource_ || pkt.ssrc != sourceSsrc_) {
    if (haveSource_) ++stats_.ssrcChanges;
    haveSource_ = true;
    sourceSsrc_ = pkt.ssrc;
    rx_.reset();
    dtmfRx_.reset();
  }
  rx_.onPacket(pkt.sequence, pkt.timestamp, arrivalNow());
  idleTicks_ = 0;
  timeoutReported_ = false;
  ++stats_.packetsIn;
  stats_.bytesIn += n;
  ctx_.totals.packetsIn.fetch_add(1, std::memory_order_relaxed);
  if (!canReceive()) return;
  if (pkt.payloadType == params_.payloadType) {
    onAudio(pkt);
  } else if (params_.telephoneEvent >= 0 && pkt.payloadType == params_.telephoneEvent) {
    onTelephoneEvent(pkt);
  } else if (pkt.payloadType != kComfortNoise) {
    ++stats_.unknownPayload;
  }
}

void Session::onAudio(const RtpPacket& pkt) {
  bool wantPcm = (recorder_ && !recordPaused_) || inband_;
  if (wantPcm) {
    std::array<std::int16_t, 1024> pcm;  // decode() fills what is used: no per-packet zeroing
    std::size_t n = std::min(pkt.payload.size(), pcm.size());
    decode(params_.codec, pkt.payload.first(n), pcm);
    if (recorder_ && !recordPaused_) tap_->in.push(pcm.data(), n);
    if (inband_) {
      std::string digits;
      inband_->feed({pcm.data(), n}, digits);
      for (char d : digits) {
        ++stats_.dtmfDigits;
        MediaEvent e = event(MediaEvent::Kind::kDtmf);
        e.digit = d;
        e.source = DtmfSource::kInband;
        emit(std::move(e));
      }
    }
  }
  if (peer_ != nullptr) peer_->relay(pkt, false);
}

void Session::onTelephoneEvent(const RtpPacket& pkt) {
  DtmfEvent ev;
  if (!parseDtmfEvent(pkt.payload, ev)) {
    ++stats_.malformed;
    return;
  }
  if (auto digit = dtmfRx_.onPacket(pkt.timestamp, ev)) {
    ++stats_.dtmfDigits;
    MediaEvent e = event(MediaEvent::Kind::kDtmf);
    e.digit = *digit;
    e.source = DtmfSource::kRfc4733;
    emit(std::move(e));
  }
  if (peer_ != nullptr) peer_->relay(pkt, true);
}

void Session::relay(const RtpPacket& pkt, bool event) {
  if (playing_ || !canSend()) return;               // a prompt to this side wins over the bridge
  if (event && params_.telephoneEvent < 0) return;  // the digit was reported; no way to pass it
  if (!relaying_) {
    // Continue our own timestamp space where the last packet we sent left it (RFC 3550 §5.1).
    relaying_ = true;
    relayOffset_ = ts_ + static_cast<std::uint32_t>(kFrame) - pkt.timestamp;
    markNext_ = true;
  }
  std::uint32_t ts = pkt.timestamp + relayOffset_;
  std::uint8_t pt = event ? static_cast<std::uint8_t>(params_.telephoneEvent) : params_.payloadType;
  std::span<const std::uint8_t> payload = pkt.payload;
  std::array<std::uint8_t, 1024> converted;  // written only when transcoding
  const Codec from = peer_ != nullptr ? peer_->params_.codec : params_.codec;
  if (!event && from != params_.codec) {
    std::size_t n = std::min(payload.size(), converted.size());
    transcode(from, params_.codec, payload.first(n), std::span<std::uint8_t>(converted).first(n));
    payload = std::span<const std::uint8_t>(converted.data(), n);
  }
  if (!event && recorder_ && !recordPaused_) {
    std::array<std::int16_t, 1024> pcm;  // decode() fills what is used: no per-packet zeroing
    decode(params_.codec, payload, pcm);
    tap_->out.push(pcm.data(), payload.size());
  }
  sendPayload(pt, markNext_ || (!event && pkt.marker), ts, payload);
  if (!event) ts_ = ts;
}

void Session::sendPayload(std::uint8_t pt, bool marker, std::uint32_t ts,
                          std::span<const std::uint8_t> payload) {
  if (!canSend() || payload.size() + kRtpHeaderSize > txBuf_.size()) return;
  writeRtpHeader(txBuf_, pt, marker, seq_++, ts, ssrc_);
  std::memcpy(txBuf_.data() + kRtpHeaderSize, payload.data(), payload.size());
  boost::system::error_code ec;
  rtp_.send_to(boost::asio::buffer(txBuf_.data(), kRtpHeaderSize + payload.size()), *remote_, 0,
               ec);
  markNext_ = false;
  if (ec) return;  // ICMP unreachable and friends: the peer may come back; keep going
  ++stats_.packetsOut;
  octetsOut_ += payload.size();
  ctx_.totals.packetsOut.fetch_add(1, std::memory_order_relaxed);
}

void Session::sendPcmFrame(const std::int16_t* pcm) {
  std::array<std::uint8_t, kFrame> payload{};
  encode(params_.codec, {pcm, kFrame}, payload);
  if (relaying_) {
    relaying_ = false;
    markNext_ = true;
  }
  ts_ += static_cast<std::uint32_t>(kFrame);
  if (recorder_ && !recordPaused_) tap_->out.push(pcm, kFrame);
  sendPayload(params_.payloadType, markNext_, ts_, payload);
}

void Session::play(std::uint64_t playId, SharedSamples samples, bool loop) {
  if (playing_) finishPlay(false);
  playId_ = playId;
  play_ = std::move(samples);
  playPos_ = 0;
  playLoop_ = loop;
  playing_ = true;
  if (!play_ || play_->empty()) finishPlay(true);
}

void Session::stopPlay() {
  if (playing_) finishPlay(false);
}

void Session::finishPlay(bool completed) {
  playing_ = false;
  play_.reset();
  MediaEvent e = event(MediaEvent::Kind::kPlayDone);
  e.playId = playId_;
  e.completed = completed;
  emit(std::move(e));
}

void Session::sendDigits(const std::string& digits) {
  for (char d : digits) {
    if (dtmfCharEvent(d) >= 0) digitQueue_.push_back(d);
  }
}

void Session::sendDtmfPacket() {
  if (params_.telephoneEvent < 0) {  // in-band: the digits become audio
    if (inbandPos_ >= inbandTx_.size()) {
      inbandTx_ = renderDtmf(digitQueue_);
      digitQueue_.clear();
      inbandPos_ = 0;
    }
    std::array<std::int16_t, kFrame> frame{};
    std::size_t n = std::min(kFrame, inbandTx_.size() - inbandPos_);
    std::copy_n(inbandTx_.begin() + static_cast<std::ptrdiff_t>(inbandPos_), n, frame.begin());
    inbandPos_ += n;
    sendPcmFrame(frame.data());
    return;
  }
  if (!dtmfTx_.active()) {
    char d = digitQueue_.front();
    digitQueue_.erase(0, 1);
    dtmfTx_.start(d, ts_ + static_cast<std::uint32_t>(kFrame));
    relaying_ = false;
  }
  if (auto p = dtmfTx_.next()) {
    std::array<std::uint8_t, 4> payload{};
    writeDtmfEvent(payload, p->event);
    sendPayload(static_cast<std::uint8_t>(params_.telephoneEvent), p->marker, p->timestamp,
                payload);
    if (!dtmfTx_.active()) ts_ = p->timestamp + p->event.duration;  // audio resumes after it
  }
}

void Session::setPeer(Session* peer) {
  peer_ = peer;
  relaying_ = false;
  markNext_ = true;
}

void Session::startRecording(std::unique_ptr<WavRecorder> rec) {
  stopRecording();
  recorder_ = std::move(rec);
  tap_ = std::make_unique<RecordingTap>();
  recordPaused_ = false;
  ticksSinceFlush_ = 0;
}

void Session::pauseRecording(bool paused) {
  recordPaused_ = paused;
  if (tap_) {
    tap_->in.clear();
    tap_->out.clear();
  }
}

void Session::stopRecording() {
  if (!recorder_) return;
  std::string path = recorder_->path();
  auto size = recorder_->close();
  std::uint64_t frames = recorder_->frames();
  recorder_.reset();
  tap_.reset();
  if (!size) {
    MediaEvent e = event(MediaEvent::Kind::kRecordingFailed);
    e.detail = size.error().message;
    emit(std::move(e));
    return;
  }
  MediaEvent e = event(MediaEvent::Kind::kRecordingClosed);
  e.frames = frames;
  e.detail = std::move(path);
  emit(std::move(e));
}

void Session::recordingFailed(std::string why) {
  stopRecording();
  MediaEvent e = event(MediaEvent::Kind::kRecordingFailed);
  e.detail = std::move(why);
  emit(std::move(e));
}

void Session::tick() {
  if (closed_) return;
  if (!digitQueue_.empty() || dtmfTx_.active() || inbandPos_ < inbandTx_.size()) {
    sendDtmfPacket();
  } else if (playing_) {
    std::array<std::int16_t, kFrame> frame{};
    const Samples& s = *play_;
    std::size_t n = std::min(kFrame, s.size() - playPos_);
    std::copy_n(s.begin() + static_cast<std::ptrdiff_t>(playPos_), n, frame.begin());
    playPos_ += n;
    if (playPos_ >= s.size() && playLoop_ && n < kFrame) {  // wrap inside this frame
      std::size_t rest = std::min(kFrame - n, s.size());
      std::copy_n(s.begin(), rest, frame.begin() + static_cast<std::ptrdiff_t>(n));
      playPos_ = rest;
    }
    sendPcmFrame(frame.data());
    if (playPos_ >= s.size()) {
      if (playLoop_) {
        playPos_ = 0;
      } else {
        finishPlay(true);
      }
    }
  }
  if (recorder_) {
    if (recordPaused_) {
      recorder_->writeSilence(kFrame);
    } else {
      std::array<std::int16_t, kFrame> left;  // pop() fills (and pads) all of it
      std::array<std::int16_t, kFrame> right;
      tap_->in.pop(left.data(), kFrame);
      tap_->out.pop(right.data(), kFrame);
      recorder_->write(left.data(), right.data(), kFrame);
    }
    if (++ticksSinceFlush_ >= kFlushTicks) {
      ticksSinceFlush_ = 0;
      if (auto r = recorder_->flush(); !r) {
        std::string why = r.error().message;
        recorder_.reset();
        MediaEvent e = event(MediaEvent::Kind::kRecordingFailed);
        e.detail = why;
        emit(std::move(e));
      }
    }
  }
  if (++ticksSinceRtcp_ >= kRtcpTicks) {
    ticksSinceRtcp_ = 0;
    sendRtcp(false);
  }
  if (ctx_.rtpTimeoutTicks > 0 && canReceive() && !timeoutReported_ &&
      ++idleTicks_ >= ctx_.rtpTimeoutTicks) {
    timeoutReported_ = true;
    MediaEvent e = event(MediaEvent::Kind::kMediaTimeout);
    emit(std::move(e));
  }
}

void Session::sendRtcp(bool bye) {
  if (!remoteRtcp_) return;
  RtcpReport report;
  report.senderReport = stats_.packetsOut > 0;
  report.ssrc = ssrc_;
  report.ntpTimestamp = ntpNow();
  report.rtpTimestamp = ts_;
  report.packetCount = static_cast<std::uint32_t>(stats_.packetsOut);
  report.octetCount = static_cast<std::uint32_t>(octetsOut_);
  if (haveSource_) report.blocks.push_back(rx_.takeReportBlock(sourceSsrc_));
  std::array<std::uint8_t, 512> buf{};
  std::string cname = "sb-" + std::to_string(id_);
  std::size_t n = bye ? writeRtcpBye(buf, report, cname) : writeRtcpReport(buf, report, cname);
  if (n == 0) return;
  boost::system::error_code ec;
  rtcp_.send_to(boost::asio::buffer(buf.data(), n), *remoteRtcp_, 0, ec);
}

void Session::onRtcp(std::span<const std::uint8_t> datagram) {
  if (parseRtcp(datagram)) ++stats_.rtcpIn;
}

MediaEvent Session::event(MediaEvent::Kind kind) const {
  MediaEvent e;
  e.kind = kind;
  e.session = id_;
  return e;
}

void Session::emit(MediaEvent&& e) {
  ctx_.sink(std::move(e));
}

void Session::close() {
  if (closed_) return;
  if (peer_ != nullptr) {
    peer_->setPeer(nullptr);
    peer_ = nullptr;
  }
  stopRecording();
  if (playing_) finishPlay(false);
  sendRtcp(true);
  closed_ = true;
  boost::system::error_code ec;
  rtp_.close(ec);
  rtcp_.close(ec);
  ctx_.releasePort(port_);
  stats_.lost = rx_.cumulativeLost();
  stats_.jitterMs = rx_.jitter() / 8.0;
  MediaEvent e = event(MediaEvent::Kind::kClosed);
  e.stats = stats_;
  emit(std::move(e));
}

}  // namespace sb::media::internal
