#include "crowd/crowd.h"

#include <atomic>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/blocking_pool.h"
#include "base/log.h"
#include "call/call_manager.h"
#include "call/prompts.h"
#include "crowd/internal/agent_phones.h"
#include "crowd/internal/crowd_context.h"
#include "crowd/internal/customers.h"
#include "crowd/registration_client.h"
#include "media/engine.h"
#include "media/tts.h"
#include "sip/transaction.h"
#include "sip/transport.h"
#include "sip/user_agent.h"

namespace sb::crowd {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kTick{10};
constexpr milliseconds kGaugeEvery{100};
/// Customers wait this long for the agents' registrations before calling anyway.
constexpr milliseconds kRegistrationGrace{3000};
/// How long stop() waits for the answers to its BYEs and un-REGISTERs.
constexpr milliseconds kDrain{2000};

media::MediaConfig mediaConfig(const CrowdConfig& c) {
  media::MediaConfig m;
  m.address = c.bindAddress;
  m.portMin = c.rtpPortMin;
  m.portMax = c.rtpPortMax;
  m.loops = 1;
  m.rtpTimeoutS = 0;  // every crowd call is bounded by its own timers
  return m;
}

call::CallConfig callConfig(const CrowdConfig& c) {
  call::CallConfig cc;
  cc.domain = c.domain.empty() ? c.serverAddress : c.domain;
  return cc;
}

std::string ttsDir() {
  std::error_code ec;
  auto tmp = std::filesystem::temp_directory_path(ec);
  return (ec ? std::filesystem::path("/tmp") : tmp).append("switchboard-crowd-tts").string();
}

Result<void> validate(const CrowdConfig& c) {
  if (!Endpoint::parse(c.serverAddress, c.serverPort) || c.serverPort == 0)
    return fail(Errc::kInvalidInput, "crowd: server address must be an IP literal and a port");
  if (!Endpoint::parse(c.bindAddress, 0))
    return fail(Errc::kInvalidInput, "crowd: bind address must be an IP literal");
  if (c.rtpPortMin == 0 || c.rtpPortMax < c.rtpPortMin + 1)
    return fail(Errc::kInvalidInput, "crowd: bad RTP port range");
  if (c.callsPerMinute < 0 || c.agentNoAnswer < 0 || c.agentNoAnswer > 1)
    return fail(Errc::kInvalidInput, "crowd: rates and probabilities must be in range");
  if (c.ringMax < c.ringMin) return fail(Errc::kInvalidInput, "crowd: ringMax < ringMin");
  return {};
}

/// The crowd's CallApp: offers go to the agents, customer legs to the customers.
class CrowdApp final : public call::CallApp {
 public:
  CrowdApp(internal::AgentPhones& agents, internal::Customers& customers)
      : agents_(agents), customers_(customers) {}
  void onIncoming(const call::IncomingCall& call) override { agents_.onIncoming(call); }
  void onDigit(call::LegId leg, char digit) override { (void)customers_.onDigit(leg, digit); }
  void onLegEnded(call::LegId leg, call::HangupCause cause) override {
    if (!customers_.onLegEnded(leg, cause)) (void)agents_.onLegEnded(leg, cause);
  }

 private:
  internal::AgentPhones& agents_;
  internal::Customers& customers_;
};

/// Call events of the crowd's own legs are not the demo's story; the server logs its own.
class NoEvents final : public call::CallEventSink {
 public:
  void onCallEvent(const call::CallEvent&) override {}
};

}  // namespace

struct Crowd::Impl {
  Impl(CrowdConfig c, std::function<void(const std::string&)> p)
      : config(std::move(c)),
        server(Endpoint::parse(config.serverAddress, config.serverPort).value_or(Endpoint{})),
        wheel(clock.now()),
        ticker(io),
        transport(io),
        router(ua, registrations),
        txns(transport, wheel, router),  // SIP tokens stay random: a rerun must not reuse Call-IDs
        ua(txns, transport, wheel, sip::UaConfig{"Switchboard-Crowd/0.1", "crowd"}),
        registrations(txns, wheel, [this](const RegistrationEvent& e) { onRegistration(e); }),
        media(mediaConfig(config),
              [this](media::MediaEvent&& e) {
                boost::asio::post(io, [this, e = std::move(e)] { calls.onMediaEvent(e); });
              }),
        tts(ttsDir()),
        pool(std::make_unique<BlockingPool>(1)),
        prompts(
            *pool, [this](std::function<void()> f) { boost::asio::post(io, std::move(f)); }, tts),
        calls(
            ua, wheel, media, prompts, events,
            [this](std::string_view number, std::string_view) -> std::optional<std::string> {
              if (!agents.hasAgent(std::string(number))) return std::nullopt;
              return std::string("crowd");
            },
            callConfig(config)),
        rng(config.seed),
        ctx{config, calls, wheel, clock, rng, counters, std::move(p)},
        agents(ctx),
        customers(ctx, server),
        app(agents, customers) {}

  ~Impl() {
    pool.reset();  // blocking jobs post back to `io` and use `prompts`
    media.stop();
  }

  CrowdConfig config;
  Endpoint server;
  boost::asio::io_context io{1};
  SteadyClock clock;
  TimerWheel wheel;
  boost::asio::steady_timer ticker;
  sip::TransportLayer transport;
  TransactionRouter router;
  sip::TransactionLayer txns;
  sip::UserAgent ua;
  RegistrationClient registrations;
  NoEvents events;
  media::MediaEngine media;
  media::TtsCache tts;
  std::unique_ptr<BlockingPool> pool;
  call::PromptLoader prompts;
  call::CallManager calls;
  internal::CrowdCounters counters;
  std::mt19937_64 rng;
  internal::CrowdContext ctx;
  internal::AgentPhones agents;
  internal::Customers customers;
  CrowdApp app;
  std::thread thread;
  std::atomic<std::uint16_t> port{0};
  bool started = false;   // start() succeeded; touched by the owner's thread only
  bool stopping = false;  // the loop's view
  bool everyoneRegistered = false;
  TimerId graceTimer;
  TimerId gaugeTimer;

  void tick() {
    ticker.expires_after(kTick);
    ticker.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      wheel.advance(clock.now());
      tick();
    });
  }

  void updateGauges() {
    counters.legsLive.store(calls.legCount(), std::memory_order_relaxed);
    counters.dialogsLive.store(ua.dialogCount(), std::memory_order_relaxed);
    counters.registered.store(registrations.registeredCount(), std::memory_order_relaxed);
  }

  void scheduleGauges() {
    updateGauges();
    gaugeTimer = wheel.start(kGaugeEvery, [this] { scheduleGauges(); });
  }

  void onRegistration(const RegistrationEvent& e);
  void begin(Endpoint local);
  void beginStop();
  void drainThenClose(TimePoint deadline);
};

void Crowd::Impl::onRegistration(const RegistrationEvent& e) {
  std::size_t now = registrations.registeredCount();
  std::uint64_t before = counters.registered.exchange(now, std::memory_order_relaxed);
  if (e.removed) return;
  if (!e.registered) {
    internal::bump(counters.errors);
    ctx.say("agent " + e.user + " could not register (" + std::to_string(e.status) + ")");
    return;
  }
  if (now > before)
    ctx.say("agent " + e.user + " registered for " + std::to_string(e.expires.count()) + " s");
  if (!everyoneRegistered && now == config.agents.size()) {
    everyoneRegistered = true;
    wheel.cancel(graceTimer);
    if (!stopping) customers.start();
  }
}

void Crowd::Impl::begin(Endpoint local) {
  tick();
  scheduleGauges();
  calls.setApp(&app);
  ua.setHandler(&calls);
  std::string domain = config.domain.empty() ? config.serverAddress : config.domain;
  if (config.registerAgents && !config.agents.empty()) {
    for (const auto& seat : config.agents) {
      RegistrationSpec spec;
      spec.user = seat.user;
      spec.password = seat.password;
      spec.domain = domain;
      spec.registrar = sip::Destination{sip::Transport::kUdp, server, 0};
      spec.contact = local;
      spec.expires = config.registerExpires;
      registrations.add(std::move(spec));
    }
    graceTimer = wheel.start(kRegistrationGrace, [this] {
      graceTimer = {};
      if (!stopping) customers.start();
    });
  } else {
    customers.start();
  }
}

void Crowd::Impl::beginStop() {
  if (stopping) return;
  stopping = true;
  wheel.cancel(graceTimer);
  customers.stop();
  agents.stop();
  calls.shutdown();
  ua.shutdown();  // dialogs the call layer no longer knows (answered after we gave up)
  registrations.removeAll();
  drainThenClose(clock.now() + kDrain);
}

void Crowd::Impl::drainThenClose(TimePoint deadline) {
  if ((ua.dialogCount() > 0 || registrations.pendingCount() > 0) && clock.now() < deadline) {
    wheel.start(milliseconds(10), [this, deadline] { drainThenClose(deadline); });
    return;
  }
  wheel.cancel(gaugeTimer);
  updateGauges();
  media.stop();
  transport.close();
  ticker.cancel();
  io.stop();
}

Crowd::Crowd(CrowdConfig config, std::function<void(const std::string&)> print)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(print))) {}

Crowd::~Crowd() {
  stop();
}

Result<void> Crowd::start() {
  Impl& s = *impl_;
  if (s.started) return fail(Errc::kConflict, "crowd: already started");
  if (auto r = validate(s.config); !r) return r;
  if (auto r = s.media.start(); !r) return r;
  s.transport.setHandler([&s](sip::Message&& m) { s.txns.onMessage(std::move(m)); });
  if (auto r = s.transport.listen({sip::Transport::kUdp, s.config.bindAddress, s.config.sipPort});
      !r) {
    s.media.stop();
    return r;
  }
  Endpoint local = *s.transport.localEndpoint(sip::Transport::kUdp);
  s.ua.setLocalEndpoint(sip::Transport::kUdp, local);
  s.port.store(local.port);
  s.started = true;
  boost::asio::post(s.io, [&s, local] { s.begin(local); });
  s.thread = std::thread([&s] { s.io.run(); });
  return {};
}

void Crowd::stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  boost::asio::post(s.io, [&s] { s.beginStop(); });
  s.thread.join();
}

CrowdStats Crowd::stats() const {
  const Impl& s = *impl_;
  const internal::CrowdCounters& c = s.counters;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  CrowdStats out;
  out.callsPlaced = get(c.callsPlaced);
  out.callsAnswered = get(c.callsAnswered);
  out.connectedToAgent = get(c.connectedToAgent);
  out.abandoned = get(c.abandoned);
  out.offers = get(c.offers);
  out.agentAnswered = get(c.agentAnswered);
  out.agentMissed = get(c.agentMissed);
  out.agentBusy = get(c.agentBusy);
  out.registered = get(c.registered);
  out.errors = get(c.errors);
  out.legsLive = get(c.legsLive);
  out.dialogsLive = get(c.dialogsLive);
  const media::EngineTotals& m = s.media.totals();
  out.mediaSessions = get(m.sessionsOpen);
  out.rtpIn = get(m.packetsIn);
  out.rtpOut = get(m.packetsOut);
  return out;
}

std::uint16_t Crowd::sipPort() const {
  return impl_->port.load();
}

}  // namespace sb::crowd
