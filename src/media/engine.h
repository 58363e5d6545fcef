#pragma once
// The media engine: RTP endpoints ("sessions") on a fixed set of media loops (one thread each,
// DESIGN.md "Media loops"). The control loop creates sessions, configures them from the SDP
// offer/answer and sends commands (play, send DTMF, bridge, record); the engine reports digits,
// finished playbacks and closed sessions through an EventSink. No audio touches the control
// loop. Every public method is thread-safe: it posts to the session's loop.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/endpoint.h"
#include "base/result.h"
#include "media/audio_file.h"
#include "media/g711.h"

namespace sb::media {

/// Handle of one RTP endpoint; never reused. The low 8 bits name the media loop.
using SessionId = std::uint64_t;

/// Our direction on a stream (RFC 3264 §6.1, from our point of view).
enum class Direction : std::uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };

/// What the SDP negotiation decided for one audio stream.
struct StreamParams {
  std::optional<Endpoint> remote;      ///< RTP address from c=/m=; none: wait for the first packet
  std::optional<Endpoint> remoteRtcp;  ///< a=rtcp, else remote port + 1
  Codec codec = Codec::kPcmu;          ///< what we send and expect
  std::uint8_t payloadType = 0;        ///< its payload type in this session
  int telephoneEvent = -1;             ///< RFC 4733 payload type; -1: detect DTMF in-band
  Direction direction = Direction::kSendRecv;
};

/// Engine-wide settings.
struct MediaConfig {
  std::string address = "127.0.0.1";  ///< where RTP sockets bind, and the SDP c= address
  std::uint16_t portMin = 20000;      ///< first RTP port (even); RTCP uses port + 1
  std::uint16_t portMax = 29999;      ///< last port of the range
  int loops = 0;                      ///< media threads; 0 = one per core
  int rtpTimeoutS = 60;  ///< no RTP for this long while receiving: kMediaTimeout; 0 off
};

/// Where a digit came from.
enum class DtmfSource : std::uint8_t { kRfc4733, kInband, kSipInfo };

/// Per-session counters, reported when the session closes.
struct StreamStats {
  std::uint64_t packetsIn = 0;       ///< RTP packets accepted
  std::uint64_t packetsOut = 0;      ///< RTP packets sent
  std::uint64_t bytesIn = 0;         ///< RTP datagram bytes accepted
  std::uint64_t malformed = 0;       ///< dropped by the RTP parser (bad version, lengths, ...)
  std::uint64_t unknownPayload = 0;  ///< payload type not negotiated
  std::uint64_t ssrcChanges = 0;     ///< the peer's SSRC changed (stream restarted)
  std::int64_t lost = 0;             ///< RFC 3550 A.3 cumulative loss of the current source
  double jitterMs = 0;               ///< RFC 3550 A.8 interarrival jitter, ms
  std::uint64_t rtcpIn = 0;          ///< RTCP compounds that parsed
  std::uint64_t dtmfDigits = 0;      ///< digits reported
};

/// What the engine reports. Delivered on a media loop thread through the EventSink.
struct MediaEvent {
  enum class Kind : std::uint8_t {
    kDtmf,             ///< `digit` from `source`
    kPlayDone,         ///< playback `playId` ended; `completed` false when replaced or stopped
    kRecordingClosed,  ///< recording at `detail` closed with `frames` frames (8 kHz)
    kRecordingFailed,  ///< recording I/O failed; `detail` says why
    kMediaTimeout,     ///< no RTP for MediaConfig::rtpTimeoutS
    kClosed,           ///< the session is gone; `stats` final
  };
  Kind kind = Kind::kDtmf;
  SessionId session = 0;
  char digit = 0;
  DtmfSource source = DtmfSource::kRfc4733;
  std::uint64_t playId = 0;
  bool completed = false;
  std::uint64_t frames = 0;
  std::string detail;
  StreamStats stats;
};

/// Receives engine events on media threads; must be thread-safe (post to the owner's loop).
using EventSink = std::function<void(MediaEvent&&)>;

/// Totals over all sessions (for /metrics); relaxed atomics, any thread.
struct EngineTotals {
  std::atomic<std::uint64_t> sessionsOpen{0};
  std::atomic<std::uint64_t> sessionsCreated{0};
  std::atomic<std::uint64_t> packetsIn{0};
  std::atomic<std::uint64_t> packetsOut{0};
  std::atomic<std::uint64_t> malformed{0};
  std::atomic<std::uint64_t> portsExhausted{0};
};

/// A session as created: its id and our RTP port (for the SDP).
struct SessionInfo {
  SessionId id = 0;
  std::uint16_t port = 0;
};

/// Owns the media loops and every session. Construct, start(), use, stop().
class MediaEngine {
 public:
  MediaEngine(MediaConfig config, EventSink sink);
  ~MediaEngine();
  MediaEngine(const MediaEngine&) = delete;
  MediaEngine& operator=(const MediaEngine&) = delete;

  /// Starts the media threads. kInvalidInput for a bad port range or address.
  Result<void> start();
  /// Closes every session and joins the threads. Idempotent.
  void stop();

  /// Binds an RTP/RTCP port pair and creates a session, on the same loop as `near` when given
  /// (legs that will be bridged must share a loop). kOverloaded when the range is used up.
  Result<SessionInfo> create(SessionId near = 0);
  /// Applies the negotiated stream (first answer, re-INVITE, hold/unhold).
  void configure(SessionId s, const StreamParams& params);
  /// Plays `samples` (8 kHz) to the peer, replacing the current playback; kPlayDone follows.
  void play(SessionId s, std::uint64_t playId, SharedSamples samples, bool loop);
  /// Stops the current playback (kPlayDone with completed=false).
  void stopPlay(SessionId s);
  /// Sends digits: RFC 4733 events when negotiated, else in-band tones.
  void sendDigits(SessionId s, std::string digits);
  /// Relays media between `a` and `b` both ways (stops their playbacks). kConflict when they
  /// are on different loops or the same session.
  Result<void> bridge(SessionId a, SessionId b);
  /// Ends the bridge of `s` (both sides).
  void unbridge(SessionId s);
  /// Records `s`: left channel what it receives, right channel what it is sent; the file is a
  /// valid WAV up to the last flush (about every second) even after a crash.
  void startRecording(SessionId s, std::string path);
  /// Pause/resume: paused time is recorded as silence.
  void pauseRecording(SessionId s, bool paused);
  /// Closes the recording (kRecordingClosed).
  void stopRecording(SessionId s);
  /// Closes the session (kClosed follows, after any kRecordingClosed).
  void destroy(SessionId s);

  /// Our media address (SDP c=).
  const std::string& address() const;
  /// Live totals.
  const EngineTotals& totals() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::media
