#include "media/engine.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include "media/dtmf_event.h"
#include "media/g711.h"
#include "media/rtp.h"

namespace sb::media {
namespace {

using namespace std::chrono_literals;

/// A plain UDP socket on 127.0.0.1 playing the far end of a stream.
class Peer {
 public:
  Peer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Peer() { ::close(fd_); }
  std::uint16_t port() const { return port_; }
  Endpoint endpoint() const { return *Endpoint::parse("127.0.0.1", port_); }

  void sendTo(std::uint16_t port, const std::vector<std::uint8_t>& bytes) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }

  /// Receives one datagram within `timeout`; empty on timeout.
  std::vector<std::uint8_t> receive(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
    std::vector<std::uint8_t> buf(2048);
    auto n = ::recv(fd_, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
  }

  /// Receives RTP (skipping nothing) until `count` packets or the deadline.
  std::vector<std::vector<std::uint8_t>> receiveMany(std::size_t count,
                                                     std::chrono::milliseconds within) const {
    std::vector<std::vector<std::uint8_t>> out;
    auto deadline = std::chrono::steady_clock::now() + within;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto d = receive(std::max(left, 1ms));
      if (!d.empty()) out.push_back(std::move(d));
    }
    return out;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::vector<std::uint8_t> rtpPacket(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts,
                                    std::uint32_t ssrc, const std::vector<std::uint8_t>& payload,
                                    bool marker = false) {
  std::vector<std::uint8_t> p(kRtpHeaderSize + payload.size());
  writeRtpHeader(p, pt, marker, seq, ts, ssrc);
  std::copy(payload.begin(), payload.end(), p.begin() + kRtpHeaderSize);
  return p;
}

/// Collects engine events (delivered on media threads) for the test thread.
class Events {
 public:
  EventSink sink() {
    return [this](MediaEvent&& e) {
      std::lock_guard lock(m_);
      events_.push_back(std::move(e));
      cv_.notify_all();
    };
  }
  /// Waits until an event matching `pred` arrived; returns it.
  template <class P>
  std::optional<MediaEvent> waitFor(P pred, std::chrono::milliseconds within = 3000ms) {
    std::unique_lock lock(m_);
    std::optional<MediaEvent> found;
    cv_.wait_for(lock, within, [&] {
      for (const auto& e : events_) {
        if (pred(e)) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::size_t count(MediaEvent::Kind k) {
    std::lock_guard lock(m_);
    return static_cast<std::size_t>(
        std::count_if(events_.begin(), events_.end(), [k](const auto& e) { return e.kind == k; }));
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<MediaEvent> events_;
};

SharedSamples sine(double hz, double seconds, double amplitude = 8000) {
  auto s = std::make_shared<Samples>(static_cast<std::size_t>(seconds * 8000));
  for (std::size_t i = 0; i < s->size(); ++i) {
    (*s)[i] = static_cast<std::int16_t>(amplitude *
                                        std::sin(2 * M_PI * hz * static_cast<double>(i) / 8000));
  }
  return s;
}

/// The two channels of a 16-bit stereo WAV (RIFF chunks walked; no library of ours).
std::pair<std::vector<double>, std::vector<double>> readStereoWav(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  auto u32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 |
                                      bytes[at + 3] << 24);
  };
  std::pair<std::vector<double>, std::vector<double>> out;
  for (std::size_t at = 12; at + 8 <= bytes.size();) {
    std::uint32_t size = u32(at + 4);
    if (std::equal(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(at) + 4,
                   "data")) {
      for (std::size_t i = at + 8; i + 4 <= std::min(bytes.size(), at + 8 + size); i += 4) {
        out.first.push_back(static_cast<std::int16_t>(bytes[i] | bytes[i + 1] << 8));
        out.second.push_back(static_cast<std::int16_t>(bytes[i + 2] | bytes[i + 3] << 8));
      }
      break;
    }
    at += 8 + size + (size & 1);
  }
  return out;
}

/// Goertzel power of `hz` in 8 kHz samples.
double power(const std::vector<double>& x, double hz) {
  double c = 2 * std::cos(2 * M_PI * hz / 8000), s1 = 0, s2 = 0;
  for (double v : x) {
    double s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

class MediaEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MediaConfig c;
    c.portMin = 31000;
    c.portMax = 31999;
    c.loops = 2;
    c.rtpTimeoutS = 0;
    engine_ = std::make_unique<MediaEngine>(c, events_.sink());
    ASSERT_TRUE(engine_->start().ok());
  }
  void TearDown() override { engine_->stop(); }

  StreamParams toPeer(const Peer& p, Codec codec = Codec::kPcmu, int te = 101) {
    StreamParams s;
    s.remote = p.endpoint();
    s.codec = codec;
    s.payloadType = payloadType(codec);
    s.telephoneEvent = te;
    return s;
  }

  Events events_;
  std::unique_ptr<MediaEngine> engine_;
};

TEST_F(MediaEngineTest, PlaysSamplesAsOneRtpStreamThenReportsDone) {
  Peer peer;
  auto s = engine_->create();
  ASSERT_TRUE(s.ok());
  engine_->configure(s->id, toPeer(peer));
  engine_->play(s->id, 7, sine(440, 0.5), false);
  auto packets = peer.receiveMany(25, 3000ms);
  ASSERT_EQ(packets.size(), 25u);
  RtpPacket first, prev;
  ASSERT_EQ(parseRtp(packets[0], first), RtpDrop::kOk);
  EXPECT_TRUE(first.marker);
  EXPECT_EQ(first.payloadType, 0);
  prev = first;
  for (std::size_t i = 1; i < packets.size(); ++i) {
    RtpPacket p;
    ASSERT_EQ(parseRtp(packets[i], p), RtpDrop::kOk);
    EXPECT_EQ(p.ssrc, first.ssrc);
    EXPECT_EQ(static_cast<std::uint16_t>(p.sequence - prev.sequence), 1);
    EXPECT_EQ(p.timestamp - prev.timestamp, 160u);
    EXPECT_EQ(p.payload.size(), 160u);
    prev = p;
  }
  auto done = events_.waitFor([&](const MediaEvent& e) {
    return e.kind == MediaEvent::Kind::kPlayDone && e.session == s->id;
  });
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->playId, 7u);
  EXPECT_TRUE(done->completed);
  EXPECT_TRUE(peer.receive(100ms).empty()) << "nothing is sent after the prompt";
}

TEST_F(MediaEngineTest, ReplacedPlaybackIsReportedIncomplete) {
  Peer peer;
  auto s = engine_->create();
  ASSERT_TRUE(s.ok());
  engine_->configure(s->id, toPeer(peer));
  engine_->play(s->id, 1, sine(440, 5), false);
  engine_->play(s->id, 2, sine(440, 0.1), false);
  auto first = events_.waitFor(
      [](const MediaEvent& e) { return e.kind == MediaEvent::Kind::kPlayDone && e.playId == 1; });
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->completed);
  auto second = events_.waitFor(
      [](const MediaEvent& e) { return e.kind == MediaEvent::Kind::kPlayDone && e.playId == 2; });
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->completed);
}

TEST_F(MediaEngineTest, BridgeRelaysBothWaysWithOwnSsrcAndTranscodes) {
  Peer caller, agent;
  auto a = engine_->create();
  ASSERT_TRUE(a.ok());
  auto b = engine_->create(a->id);
  ASSERT_TRUE(b.ok());
  engine_->configure(a->id, toPeer(caller, Codec::kPcmu));
  engine_->configure(b->id, toPeer(agent, Codec::kPcma));
  ASSERT_TRUE(engine_->bridge(a->id, b->id).ok());
  std::vector<std::uint8_t> ulaw(160);
  for (std::size_t i = 0; i < ulaw.size(); ++i) ulaw[i] = static_cast<std::uint8_t>(i);
  std::vector<std::uint8_t> alawExpected(160);
  transcode(Codec::kPcmu, Codec::kPcma, ulaw, alawExpected);
  // The bridge is set up on the media loop; keep sending until the first relayed packet shows.
  std::vector<std::uint8_t> got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    caller.sendTo(a->port, rtpPacket(0, static_cast<std::uint16_t>(100 + i),
                                     static_cast<std::uint32_t>(1000 + 160 * i), 0xCAFE, ulaw));
    got = agent.receive(20ms);
  }
  ASSERT_FALSE(got.empty()) << "caller audio reaches the agent";
  RtpPacket p;
  ASSERT_EQ(parseRtp(got, p), RtpDrop::kOk);
  EXPECT_EQ(p.payloadType, 8);
  EXPECT_NE(p.ssrc, 0xCAFEu) << "our own SSRC on the other leg";
  EXPECT_TRUE(std::equal(p.payload.begin(), p.payload.end(), alawExpected.begin()));
  // And back: the agent's PCMA reaches the caller as PCMU.
  std::vector<std::uint8_t> alaw(160, 0xD5);
  agent.sendTo(b->port, rtpPacket(8, 1, 1, 0xBEEF, alaw));
  auto back = caller.receive(1000ms);
  ASSERT_FALSE(back.empty());
  RtpPacket q;
  ASSERT_EQ(parseRtp(back, q), RtpDrop::kOk);
  EXPECT_EQ(q.payloadType, 0);
  EXPECT_EQ(ulawToLinear(q.payload[0]), alawToLinear(0xD5)) << "the same sample value, in mu-law";
}

TEST_F(MediaEngineTest, SymmetricRtpLatchesOntoTheSource) {
  Peer peer;
  auto s = engine_->create();
  ASSERT_TRUE(s.ok());
  StreamParams p = toPeer(peer);
  p.remote.reset();  // no usable address in the SDP (e.g. behind NAT)
  engine_->configure(s->id, p);
  engine_->play(s->id, 1, sine(440, 2), false);
  EXPECT_TRUE(peer.receive(200ms).empty()) << "nowhere to send yet";
  peer.sendTo(s->port, rtpPacket(0, 1, 1, 42, std::vector<std::uint8_t>(160, 0xFF)));
  EXPECT_FALSE(peer.receive(1000ms).empty()) << "latched onto the first packet's source";
}

TEST_F(MediaEngineTest, TelephoneEventsBecomeOneDigitEach) {
  Peer peer;
  auto s = engine_->create();
  ASSERT_TRUE(s.ok());
  engine_->configure(s->id, toPeer(peer));
  std::uint16_t seq = 1;
  for (char digit : {'5', '#'}) {
    std::uint32_t ts = 8000u * static_cast<std::uint32_t>(seq);
    for (int i = 1; i <= 8; ++i) {  // growing duration, then three end packets
      DtmfEvent e;
      e.event = static_cast<std::uint8_t>(dtmfCharEvent(digit));
      e.end = i > 5;
      e.duration = static_cast<std::uint16_t>(160 * std::min(i, 5));
      std::vector<std::uint8_t> payload(4);
      writeDtmfEvent(payload, e);
      peer.sendTo(s->port, rtpPacket(101, seq++, ts, 7, payload, i == 1));
    }
  }
  auto hash = events_.waitFor(
      [](const MediaEvent& e) { return e.kind == MediaEvent::Kind::kDtmf && e.digit == '#'; });
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->source, DtmfSource::kRfc4733);
  EXPECT_EQ(events_.count(MediaEvent::Kind::kDtmf), 2u);
}

TEST_F(MediaEngineTest, MalformedPacketsAreCountedAndTheStreamGoesOn) {
  Peer caller, agent;
  auto a = engine_->create();
  auto b = engine_->create(a->id);
  ASSERT_TRUE(a.ok() && b.ok());
  engine_->configure(a->id, toPeer(caller));
  engine_->configure(b->id, toPeer(agent));
  ASSERT_TRUE(engine_->bridge(a->id, b->id).ok());
  std::vector<std::vector<std::uint8_t>> junk = {
      {},                                                         // 0 bytes
      {0x80, 0x00, 0x00},                                         // too short
      std::vector<std::uint8_t>(20, 0x40),                        // version 1
      {0x8F, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},                    // 15 CSRCs past the end
      {0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF},  // extension past the end
      {0xA0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0xFF},           // padding longer than the packet
      std::vector<std::uint8_t>(65000, 0x80),                     // 64 KiB datagram
  };
  for (const auto& j : junk) caller.sendTo(a->port, j);
  std::vector<std::uint8_t> got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    caller.sendTo(a->port, rtpPacket(0, static_cast<std::uint16_t>(i), 160u * i, 9,
                                     std::vector<std::uint8_t>(160, 0x7F)));
    got = agent.receive(20ms);
  }
  EXPECT_FALSE(got.empty()) << "valid packets after the junk are still relayed";
  engine_->destroy(a->id);
  auto closed = events_.waitFor([&](const MediaEvent& e) {
    return e.kind == MediaEvent::Kind::kClosed && e.session == a->id;
  });
  ASSERT_TRUE(closed.has_value());
  EXPECT_GE(closed->stats.malformed, 6u);  // the empty datagram may not be delivered at all
  EXPECT_GE(closed->stats.packetsIn, 1u);
  EXPECT_GE(engine_->totals().malformed.load(), 6u);
}

TEST_F(MediaEngineTest, PortsRunOutAndComeBack) {
  engine_->stop();
  MediaConfig c;
  c.portMin = 32000;
  c.portMax = 32003;  // two RTP/RTCP pairs
  c.loops = 1;
  engine_ = std::make_unique<MediaEngine>(c, events_.sink());
  ASSERT_TRUE(engine_->start().ok());
  auto a = engine_->create();
  auto b = engine_->create();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->port, b->port);
  auto c3 = engine_->create();
  ASSERT_FALSE(c3.ok());
  EXPECT_EQ(c3.error().code, Errc::kOverloaded);
  engine_->destroy(a->id);
  ASSERT_TRUE(events_.waitFor([&](const MediaEvent& e) {
    return e.kind == MediaEvent::Kind::kClosed && e.session == a->id;
  }));
  EXPECT_TRUE(engine_->create().ok()) << "a closed session gives its port back";
}

TEST_F(MediaEngineTest, RecordingHasTheCallerLeftAndWhatItHearsRight) {
  Peer caller;
  auto s = engine_->create();
  ASSERT_TRUE(s.ok());
  engine_->configure(s->id, toPeer(caller));
  auto dir =
      std::filesystem::temp_directory_path() / ("sb-engine-test-" + std::to_string(::getpid()));
  std::string path = (dir / "rec.wav").string();
  engine_->startRecording(s->id, path);
  engine_->play(s->id, 1, sine(600, 1.0), false);
  std::vector<std::uint8_t> loud(160);
  encode(Codec::kPcmu, *sine(1000, 0.02), loud);
  for (int i = 0; i < 50; ++i) {
    caller.sendTo(s->port, rtpPacket(0, static_cast<std::uint16_t>(i), 160u * i, 3, loud));
    caller.receive(20ms);  // paces the sender like a phone and drains what we are sent
  }
  engine_->stopRecording(s->id);
  auto closed = events_.waitFor(
      [](const MediaEvent& e) { return e.kind == MediaEvent::Kind::kRecordingClosed; });
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->detail, path);
  EXPECT_GE(closed->frames, 8000u * 8 / 10);
  auto [left, right] = readStereoWav(path);
  ASSERT_GE(left.size(), 6000u);
  EXPECT_GT(power(left, 1000), 20 * power(left, 600)) << "left: what the caller sent";
  EXPECT_GT(power(right, 600), 20 * power(right, 1000)) << "right: what the caller heard";
  std::filesystem::remove_all(dir);
}

TEST_F(MediaEngineTest, PausedRecordingKeepsTheTimelineAsSilence) {
  Peer caller;
  auto s = engine_->create();
  ASSERT_TRUE(s.ok());
  engine_->configure(s->id, toPeer(caller));
  auto dir =
      std::filesystem::temp_directory_path() / ("sb-engine-pause-" + std::to_string(::getpid()));
  std::string path = (dir / "rec.wav").string();
  engine_->startRecording(s->id, path);
  std::vector<std::uint8_t> loud(160);
  encode(Codec::kPcmu, *sine(1000, 0.02), loud);
  auto talk = [&](int packets, std::uint16_t& seq) {
    for (int i = 0; i < packets; ++i, ++seq) {
      caller.sendTo(s->port, rtpPacket(0, seq, 160u * seq, 3, loud));
      caller.receive(20ms);  // a phone's pace
    }
  };
  std::uint16_t seq = 0;
  talk(25, seq);
  engine_->pauseRecording(s->id, true);  // the caller reads out a card number
  talk(25, seq);
  engine_->pauseRecording(s->id, false);
  talk(25, seq);
  engine_->stopRecording(s->id);
  auto closed = events_.waitFor(
      [](const MediaEvent& e) { return e.kind == MediaEvent::Kind::kRecordingClosed; });
  ASSERT_TRUE(closed.has_value());
  auto [left, right] = readStereoWav(path);
  ASSERT_GE(left.size(), 8000u * 12 / 10) << "the pause stays in the timeline";
  // The middle of the paused second is silent; the talk before and after is not.
  std::size_t third = left.size() / 3;
  std::vector<double> before(left.begin() + 800, left.begin() + static_cast<long>(third) - 800);
  std::vector<double> paused(left.begin() + static_cast<long>(third) + 1600,
                             left.begin() + static_cast<long>(2 * third) - 1600);
  std::vector<double> after(left.begin() + static_cast<long>(2 * third) + 1600, left.end() - 800);
  EXPECT_GT(power(before, 1000), 1e9);
  EXPECT_GT(power(after, 1000), 1e9);
  EXPECT_EQ(power(paused, 1000), 0.0) << "nothing of the card number is in the file";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sb::media
