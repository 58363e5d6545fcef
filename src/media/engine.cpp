#include "media/engine.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/log.h"
#include "media/internal/session.h"

namespace sb::media {
namespace {

using internal::Session;
using internal::Udp;

constexpr auto kTick = std::chrono::milliseconds(20);
constexpr int kMaxCatchUpTicks = 5;  // a loop stalled longer than 100 ms skips the rest
constexpr SessionId kLoopMask = 0xff;
// Ports of the range may be taken by other programs (another node, a test peer): a port that
// fails to bind goes to the back of the free list and the next one is tried.
constexpr int kBindAttempts = 256;

/// Descriptors we ask for: every session holds two sockets, a node may hold 100,000 legs.
constexpr rlim_t kWantedFiles = 262144;

/// Raises the open-file limit: to kWantedFiles when the process may raise its hard limit
/// (root, CAP_SYS_RESOURCE), else to the hard limit.
void raiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_max < kWantedFiles) {
    rlimit more{kWantedFiles, kWantedFiles};
    if (setrlimit(RLIMIT_NOFILE, &more) == 0) return;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = std::min(lim.rlim_max, std::max(lim.rlim_cur, kWantedFiles));
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

/// One media thread: its io_context, its sessions and the 20 ms tick that drives them.
struct MediaLoop {
  MediaLoop(const EventSink& sink, EngineTotals& totals, int timeoutTicks,
            std::function<void(std::uint16_t)> release)
      : ctx{io, sink, totals, timeoutTicks, std::move(release)} {}

  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  internal::LoopContext ctx;
  boost::asio::steady_timer timer{io};
  std::chrono::steady_clock::time_point next;
  std::unordered_map<SessionId, std::shared_ptr<Session>> sessions;
  std::thread thread;
  bool stopped = false;

  void scheduleTick() {
    timer.expires_at(next);
    timer.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped) return;  // a tick already queued when closeAll() ran must not re-arm
      auto now = std::chrono::steady_clock::now();
      int ran = 0;
      while (next <= now && ran < kMaxCatchUpTicks) {
        for (auto& [id, s] : sessions) s->tick();
        next += kTick;
        ++ran;
      }
      if (next <= now) next = now + kTick;
      scheduleTick();
    });
  }

  void closeAll() {
    stopped = true;
    for (auto& [id, s] : sessions) s->close();
    ctx.totals.sessionsOpen.fetch_sub(sessions.size(), std::memory_order_relaxed);
    sessions.clear();
    timer.cancel();
  }
};

struct MediaEngine::Impl {
  MediaConfig config;
  EventSink sink;
  EngineTotals totals;
  std::vector<std::unique_ptr<MediaLoop>> loops;
  boost::asio::ip::address address;
  std::mutex portMutex;
  std::deque<std::uint16_t> freePorts;  // guarded by portMutex
  std::atomic<std::uint64_t> nextId{1};
  std::atomic<std::uint32_t> nextLoop{0};
  bool started = false;

  void releasePort(std::uint16_t port) {
    std::lock_guard lock(portMutex);
    freePorts.push_back(port);
  }

  std::optional<std::uint16_t> takePort() {
    std::lock_guard lock(portMutex);
    if (freePorts.empty()) return std::nullopt;
    std::uint16_t p = freePorts.front();
    freePorts.pop_front();
    return p;
  }

  MediaLoop& loopOf(SessionId s) { return *loops[(s & kLoopMask) % loops.size()]; }

  /// Runs `f(session)` on the session's loop if it still exists.
  template <class F>
  void onSession(SessionId s, F&& f) {
    if (!started || s == 0) return;
    MediaLoop& loop = loopOf(s);
    boost::asio::post(loop.io, [&loop, s, f = std::forward<F>(f)]() mutable {
      auto it = loop.sessions.find(s);
      if (it != loop.sessions.end()) f(*it->second);
    });
  }
};

MediaEngine::MediaEngine(MediaConfig config, EventSink sink) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->sink = std::move(sink);
}

MediaEngine::~MediaEngine() {
  stop();
}

Result<void> MediaEngine::start() {
  Impl& m = *impl_;
  if (m.started) return {};
  boost::system::error_code ec;
  m.address = boost::asio::ip::make_address(m.config.address, ec);
  if (ec) return fail(Errc::kInvalidInput, "media: bad address '" + m.config.address + "'");
  if (m.config.portMin < 1024 || m.config.portMax <= m.config.portMin) {
    return fail(Errc::kInvalidInput, "media: bad RTP port range " +
                                         std::to_string(m.config.portMin) + "-" +
                                         std::to_string(m.config.portMax));
  }
  for (std::uint32_t p = m.config.portMin + (m.config.portMin & 1U); p + 1 <= m.config.portMax;
       p += 2) {
    m.freePorts.push_back(static_cast<std::uint16_t>(p));
  }
  raiseFileLimit();
  int n = m.config.loops > 0 ? m.config.loops
                             : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  n = std::min(n, static_cast<int>(kLoopMask));
  int timeoutTicks = m.config.rtpTimeoutS * 1000 / static_cast<int>(kTick.count());
  for (int i = 0; i < n; ++i) {
    auto loop = std::make_unique<MediaLoop>(m.sink, m.totals, timeoutTicks,
                                            [&m](std::uint16_t port) { m.releasePort(port); });
    loop->next = std::chrono::steady_clock::now() + kTick;
    loop->scheduleTick();
    MediaLoop* raw = loop.get();
    loop->thread = std::thread([raw] { raw->io.run(); });
    m.loops.push_back(std::move(loop));
  }
  m.started = true;
  spdlog::info("media: {} loops, RTP on {} ports {}-{}", n, m.config.address, m.config.portMin,
               m.config.portMax);
  return {};
}

void MediaEngine::stop() {
  Impl& m = *impl_;
  if (!m.started) return;
  m.started = false;
  for (auto& loop : m.loops) {
    MediaLoop* raw = loop.get();
    boost::asio::post(raw->io, [raw] { raw->closeAll(); });
    raw->work.reset();
  }
  for (auto& loop : m.loops) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  m.loops.clear();
}

Result<SessionInfo> MediaEngine::create(SessionId near) {
  Impl& m = *impl_;
  if (!m.started) return fail(Errc::kConflict, "media: engine not started");
  std::size_t index =
      near != 0 ? (near & kLoopMask) % m.loops.size() : m.nextLoop.fetch_add(1) % m.loops.size();
  MediaLoop& loop = *m.loops[index];
  for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
    auto port = m.takePort();
    if (!port) break;
    boost::system::error_code ec;
    Udp::socket rtp(loop.io);
    Udp::socket rtcp(loop.io);
    Udp::endpoint at(m.address, *port);
    rtp.open(at.protocol(), ec);
    if (!ec) rtp.bind(at, ec);
    if (!ec) rtcp.open(at.protocol(), ec);
    if (!ec) rtcp.bind(Udp::endpoint(m.address, static_cast<std::uint16_t>(*port + 1)), ec);
    if (!ec) rtp.non_blocking(true, ec);
    if (!ec) rtcp.non_blocking(true, ec);
    if (ec) {
      m.releasePort(*port);
      // Out of descriptors is not a taken port: another port would fail the same way.
      if (ec == boost::asio::error::no_descriptors || ec.value() == ENFILE) {
        m.totals.portsExhausted.fetch_add(1, std::memory_order_relaxed);
        return fail(Errc::kOverloaded, "media: out of file descriptors (" + ec.message() + ")");
      }
      continue;
    }
    SessionId id = (m.nextId.fetch_add(1) << 8) | index;
    boost::asio::post(
        loop.io, [&loop, id, p = *port, rtp = std::move(rtp), rtcp = std::move(rtcp)]() mutable {
          auto s = std::make_shared<Session>(loop.ctx, id, std::move(rtp), std::move(rtcp), p);
          s->start();
          loop.sessions.emplace(id, std::move(s));
        });
    m.totals.sessionsCreated.fetch_add(1, std::memory_order_relaxed);
    m.totals.sessionsOpen.fetch_add(1, std::memory_order_relaxed);
    return SessionInfo{id, *port};
  }
  m.totals.portsExhausted.fetch_add(1, std::memory_order_relaxed);
  return fail(Errc::kOverloaded, "media: no free RTP port");
}

void MediaEngine::configure(SessionId s, const StreamParams& params) {
  impl_->onSession(s, [params](Session& x) { x.configure(params); });
}

void MediaEngine::play(SessionId s, std::uint64_t playId, SharedSamples samples, bool loop) {
  impl_->onSession(s, [playId, samples = std::move(samples), loop](Session& x) mutable {
    x.play(playId, std::move(samples), loop);
  });
}

void MediaEngine::stopPlay(SessionId s) {
  impl_->onSession(s, [](Session& x) { x.stopPlay(); });
}

void MediaEngine::sendDigits(SessionId s, std::string digits) {
  impl_->onSession(s, [digits = std::move(digits)](Session& x) { x.sendDigits(digits); });
}

Result<void> MediaEngine::bridge(SessionId a, SessionId b) {
  Impl& m = *impl_;
  if (a == b || a == 0 || b == 0) return fail(Errc::kConflict, "media: bad bridge");
  if ((a & kLoopMask) != (b & kLoopMask))
    return fail(Errc::kConflict, "media: sessions on different loops");
  if (!m.started) return fail(Errc::kConflict, "media: engine not started");
  MediaLoop& loop = m.loopOf(a);
  boost::asio::post(loop.io, [&loop, a, b] {
    auto ia = loop.sessions.find(a);
    auto ib = loop.sessions.find(b);
    if (ia == loop.sessions.end() || ib == loop.sessions.end()) return;
    Session& x = *ia->second;
    Session& y = *ib->second;
    for (Session* s : {&x, &y}) {
      if (Session* old = s->peer()) old->setPeer(nullptr);
      s->stopPlay();
    }
    x.setPeer(&y);
    y.setPeer(&x);
  });
  return {};
}

void MediaEngine::unbridge(SessionId s) {
  impl_->onSession(s, [](Session& x) {
    if (Session* p = x.peer()) p->setPeer(nullptr);
    x.setPeer(nullptr);
  });
}

void MediaEngine::startRecording(SessionId s, std::string path) {
  impl_->onSession(s, [path = std::move(path)](Session& x) {
    auto rec = WavRecorder::create(path, 2, 8000);
    if (!rec) {
      x.recordingFailed(rec.error().message);
      return;
    }
    x.startRecording(std::move(rec).value());
  });
}

void MediaEngine::pauseRecording(SessionId s, bool paused) {
  impl_->onSession(s, [paused](Session& x) { x.pauseRecording(paused); });
}

void MediaEngine::stopRecording(SessionId s) {
  impl_->onSession(s, [](Session& x) { x.stopRecording(); });
}

void MediaEngine::destroy(SessionId s) {
  Impl& m = *impl_;
  if (!m.started || s == 0) return;
  MediaLoop& loop = m.loopOf(s);
  boost::asio::post(loop.io, [&loop, &m, s] {
    auto it = loop.sessions.find(s);
    if (it == loop.sessions.end()) return;
    it->second->close();
    loop.sessions.erase(it);
    m.totals.sessionsOpen.fetch_sub(1, std::memory_order_relaxed);
  });
}

const std::string& MediaEngine::address() const {
  return impl_->config.address;
}

const EngineTotals& MediaEngine::totals() const {
  return impl_->totals;
}

}  // namespace sb::media
