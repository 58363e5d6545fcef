#pragma once
// One RTP endpoint on one media loop: its sockets, the stream it negotiated, what it sends
// (playback, DTMF, relay from a bridged peer) and what it taps (recording, digit detection).
// Media loop only; shared_ptr so that socket handlers keep it alive until they complete.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "media/dtmf_event.h"
#include "media/engine.h"
#include "media/inband_dtmf.h"
#include "media/recorder.h"
#include "media/rtp.h"
#include "media/rtp_stats.h"

namespace sb::media::internal {

using Udp = boost::asio::ip::udp;

/// 20 ms of 8 kHz audio.
inline constexpr std::size_t kFrame = 160;

/// The loop-wide services a session uses.
struct LoopContext {
  boost::asio::io_context& io;
  const EventSink& sink;
  EngineTotals& totals;
  int rtpTimeoutTicks = 0;
  std::function<void(std::uint16_t port)> releasePort;
};

/// A bounded ring of PCM that lines the two directions of a recording up on the tick: packets
/// arrive in bursts, the recording advances 20 ms per tick.
class PcmFifo {
 public:
  /// Appends; when full, the oldest audio is dropped (a peer sending faster than real time).
  void push(const std::int16_t* pcm, std::size_t n);
  /// Pops exactly `n` samples into `out`, padding with silence when short.
  void pop(std::int16_t* out, std::size_t n);
  void clear() { size_ = 0; }

 private:
  static constexpr std::size_t kCapacity = 8 * kFrame;  // 160 ms
  std::array<std::int16_t, kCapacity> buf_{};
  std::size_t head_ = 0;  // index of the oldest sample
  std::size_t size_ = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(LoopContext& ctx, SessionId id, Udp::socket rtp, Udp::socket rtcp, std::uint16_t port);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  SessionId id() const { return id_; }
  /// Starts receiving on both sockets.
  void start();
  void configure(const StreamParams& p);
  void play(std::uint64_t playId, SharedSamples samples, bool loop);
  void stopPlay();
  void sendDigits(const std::string& digits);
  /// Sets (or clears) the bridged peer; the caller keeps both sides consistent.
  void setPeer(Session* peer);
  Session* peer() const { return peer_; }
  void startRecording(std::unique_ptr<WavRecorder> rec);
  void pauseRecording(bool paused);
  void stopRecording();
  /// Reports a recording that could not start (kRecordingFailed).
  void recordingFailed(std::string why);
  /// One 20 ms tick: playback or DTMF out, recording, RTCP, media timeout.
  void tick();
  /// Closes sockets and recording, reports kClosed, returns the port.
  void close();

 private:
  void receiveRtp();
  void receiveRtcp();
  void onRtp(std::size_t n);
  void onRtcp(std::span<const std::uint8_t> datagram);
  void onAudio(const RtpPacket& pkt);
  void onTelephoneEvent(const RtpPacket& pkt);
  /// Sends `pkt`, received by the bridged peer, out of this session (its own SSRC/seq/ts).
  void relay(const RtpPacket& pkt, bool event);
  void sendPcmFrame(const std::int16_t* pcm);
  void sendPayload(std::uint8_t pt, bool marker, std::uint32_t ts,
                   std::span<const std::uint8_t> payload);
  void sendDtmfPacket();
  void sendRtcp(bool bye);
  void finishPlay(bool completed);
  MediaEvent event(MediaEvent::Kind kind) const;
  void emit(MediaEvent&& e);
  bool canSend() const;
  bool canReceive() const;

  LoopContext& ctx_;
  SessionId id_;
  Udp::socket rtp_;
  Udp::socket rtcp_;
  std::uint16_t port_;
  bool closed_ = false;
  StreamParams params_;
  std::optional<Udp::endpoint> remote_;
  std::optional<Udp::endpoint> remoteRtcp_;
  bool latched_ = false;
  Udp::endpoint from_;
  Udp::endpoint rtcpFrom_;
  std::array<std::uint8_t, 2048> rxBuf_{};
  std::array<std::uint8_t, 1500> rtcpBuf_{};

  // Receive side.
  bool haveSource_ = false;
  std::uint32_t sourceSsrc_ = 0;
  RtpReceiveStats rx_;
  std::uint32_t arrivalTicks_ = 0;  // in 8 kHz units, from tick() and packet arrivals
  int idleTicks_ = 0;
  bool timeoutReported_ = false;
  DtmfEventReceiver dtmfRx_;
  std::unique_ptr<InbandDtmfDetector> inband_;
  StreamStats stats_;

  // Send side: one SSRC, one sequence and timestamp space whatever the source (RFC 3550 §5.1).
  std::uint32_t ssrc_;
  std::uint16_t seq_;
  std::uint32_t ts_;
  bool markNext_ = true;
  bool relaying_ = false;
  std::uint32_t relayOffset_ = 0;
  std::uint64_t octetsOut_ = 0;
  std::array<std::uint8_t, 2048> txBuf_{};

  // Playback.
  std::uint64_t playId_ = 0;
  SharedSamples play_;
  std::size_t playPos_ = 0;
  bool playLoop_ = false;
  bool playing_ = false;

  // DTMF out.
  std::string digitQueue_;
  DtmfEventSender dtmfTx_;
  Samples inbandTx_;
  std::size_t inbandPos_ = 0;

  Session* peer_ = nullptr;

  // Recording: left = received, right = sent; lined up on the tick. The FIFOs exist only
  // while recording (most sessions never record: they stay small).
  struct RecordingTap {
    PcmFifo in;
    PcmFifo out;
  };
  std::unique_ptr<WavRecorder> recorder_;
  std::unique_ptr<RecordingTap> tap_;
  bool recordPaused_ = false;
  int ticksSinceFlush_ = 0;
  int ticksSinceRtcp_ = 0;
};

}  // namespace sb::media::internal
