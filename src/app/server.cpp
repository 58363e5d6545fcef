#include "app/server.h"

#include <openssl/rand.h>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <mutex>

#include "api/auth.h"
#include "api/http_server.h"
#include "app/call_router.h"
#include "app/contact_center.h"
#include "app/directory.h"
#include "app/event_stream.h"
#include "app/rest_api.h"
#include "app/event_log.h"
#include "app/loop_timer.h"
#include "app/metrics.h"
#include "app/records.h"
#include "app/number_apps.h"
#include "app/registration.h"
#include "base/blocking_pool.h"
#include "base/log.h"
#include "call/call_manager.h"
#include "call/prompts.h"
#include "media/engine.h"
#include "media/tts.h"
#include "sip/auth_guard.h"
#include "sip/digest.h"
#include "sip/registrar.h"
#include "sip/transaction.h"
#include "sip/transport.h"
#include "sip/user_agent.h"
#include "store/event_writer.h"
#include "store/projection.h"
#include "store/sqlite_store.h"
#include "webhook/dispatcher.h"

namespace sb::app {
namespace {

std::string nonceSecret(const SecurityConfig& s) {
  if (!s.nonceSecret.empty()) return s.nonceSecret;
  std::string secret(32, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(secret.size()));
  return secret;
}

sip::AuthGuard::Config guardConfig(const SecurityConfig& s) {
  sip::AuthGuard::Config g;
  g.limit = s.authFailLimit;
  g.window = std::chrono::seconds(s.authFailWindowS);
  g.banFor = std::chrono::seconds(s.banS);
  return g;
}

std::string mediaAddress(const Config& c) {
  if (!c.media.address.empty()) return c.media.address;
  for (const auto& l : c.sip) {
    if (l.address != "0.0.0.0" && l.address != "::") return l.address;
  }
  return "127.0.0.1";
}

media::MediaConfig mediaConfig(const Config& c) {
  media::MediaConfig m;
  m.address = mediaAddress(c);
  m.portMin = c.media.portMin;
  m.portMax = c.media.portMax;
  m.loops = c.media.loops;
  m.rtpTimeoutS = c.media.rtpTimeoutS;
  return m;
}

call::CallConfig callConfig(const Config& c) {
  call::CallConfig cc;
  cc.domain = mediaAddress(c);
  for (const auto& t : c.trunks) cc.trunkChannels[t.name] = t.channels;
  return cc;
}

/// Feature codes an agent dials from a registered phone (docs/config.md "Feature codes").
bool isFeatureCode(std::string_view number) {
  return number.size() >= 2 && number.front() == '*';
}

/// Seed of the ACD's random strategy: differs per start.
std::uint64_t clockSeed() {
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

/// The API credentials of the configuration as the authenticator takes them.
api::AuthConfig authConfig(const ApiConfig& a) {
  api::AuthConfig out;
  for (const auto& t : a.tokens) {
    out.tokens.push_back({t.name, api::parseRole(t.role).value(), t.tenant, t.agent, t.secretHash});
  }
  for (const auto& u : a.users) {
    out.users.push_back({u.name, api::parseRole(u.role).value(), u.tenant, u.agent, u.secretHash});
  }
  out.sessionLifetime = std::chrono::hours(a.sessionHours);
  return out;
}

/// How long a graceful shutdown waits for the answers to its BYEs.
constexpr Duration kShutdownDrain = std::chrono::seconds(2);

}  // namespace

struct Server::Impl {
  explicit Impl(Config c)
      : config(std::move(c)),
        wheel(clock.now()),
        loopTimer(io, wheel, clock),
        transport(io),
        txns(transport, wheel, ua),
        ua(txns, transport, wheel),
        directory(config),
        registrar(clock, config.registrar),
        digest(nonceSecret(config.security), clock),
        guard(clock, guardConfig(config.security)),
        registration(ua, directory, registrar, digest, guard),
        media(mediaConfig(config),
              [this](media::MediaEvent&& e) {
                boost::asio::post(io, [this, e = std::move(e)] { calls.onMediaEvent(e); });
              }),
        tts(config.media.ttsCacheDir),
        pool(std::make_unique<BlockingPool>(2)),
        prompts(
            *pool, [this](std::function<void()> f) { boost::asio::post(io, std::move(f)); }, tts,
            config.media.ttsVoice,
            media::tonePlanFromName(config.media.tonePlan).value_or(media::TonePlan::kUs)),
        calls(
            ua, wheel, media, prompts, events,
            [this](std::string_view number, std::string_view domain) -> std::optional<std::string> {
              if (auto n = directory.number(number)) return n->first->id;
              // Feature codes (*1 ready, ...) belong to the tenant of the phone's domain.
              if (isFeatureCode(number)) {
                if (const TenantConfig* t = directory.tenantByDomain(domain)) return t->id;
              }
              return std::nullopt;
            },
            callConfig(config)),
        dialplan(registrar, config.trunks),
        apps(calls, wheel, directory, dialplan, config.media),
        center(
            calls, wheel, clock, dialplan, config.media, *pool,
            [this](std::function<void()> f) { boost::asio::post(io, std::move(f)); }, events,
            clockSeed()),
        router(directory, apps, center),
        auth(clock),
        http(api::HttpConfig{config.httpAddress, config.httpPort}),
        signals(io, SIGINT, SIGTERM),
        hangup(io, SIGHUP) {}

  ~Impl() {
    // Blocking jobs post back to `io` and use `prompts`: let them finish first.
    pool.reset();
    media.stop();
    // No request may start a query; the reader's jobs (stream catch-ups) finish; the writer
    // commits the rest and finishes the run while the stream its listener feeds still exists.
    http.stop();
    reader.reset();
    events.setWriter(nullptr);
    writer.reset();
    webhooks.reset();
  }

  Config config;
  boost::asio::io_context io{1};
  SteadyClock clock;
  TimerWheel wheel;
  LoopTimer loopTimer;
  sip::TransportLayer transport;
  sip::TransactionLayer txns;
  sip::UserAgent ua;
  Directory directory;
  sip::Registrar registrar;
  sip::DigestServer digest;
  sip::AuthGuard guard;
  Registration registration;
  std::unique_ptr<store::EventWriter> writer;  // outlives `events`, which appends to it
  std::unique_ptr<StoreReader> reader;         // the API's queries
  std::unique_ptr<webhook::Dispatcher> webhooks;  // fed by the writer; outlives it
  std::uint64_t run = 0;                       // this node run (the store numbers runs)
  EventLog events;
  media::MediaEngine media;
  media::TtsCache tts;
  std::unique_ptr<BlockingPool> pool;
  call::PromptLoader prompts;
  call::CallManager calls;
  Dialplan dialplan;
  NumberApps apps;
  ContactCenter center;
  CallRouter router;
  api::Authenticator auth;
  std::unique_ptr<EventStream> stream;  // with a store: the WebSocket event stream
  api::HttpServer http;
  std::unique_ptr<RestApi> rest;        // its handlers run on `http`'s thread
  boost::asio::signal_set signals;
  boost::asio::signal_set hangup;  // SIGHUP: publish the flows of the configuration file again
  std::string configPath;
  TimerId purgeTimer;
  TimerId gaugeTimer;
  // Gauges the API loop reads (it must not touch control-loop objects).
  std::atomic<std::size_t> legsLive{0};
  std::atomic<std::size_t> dialogsLive{0};
  std::atomic<std::uint64_t> overloadRejects{0};
  std::atomic<std::uint64_t> eventsCommitted{0};

  std::mutex metricsMutex;
  MetricsSnapshot metrics;  // guarded by metricsMutex; filled by the control loop
  int gaugeTicks = 0;

  void snapshotMetrics() {
    MetricsSnapshot m;
    m.legs = calls.legCount();
    m.dialogs = ua.dialogCount();
    m.pendingInbound = calls.pendingInbound();
    const auto& cs = calls.stats();
    m.callsInbound = cs.inbound;
    m.callsOutbound = cs.outbound;
    m.callsAnswered = cs.answered;
    m.callsRejected = cs.rejected;
    const auto& mt = media.totals();
    m.mediaSessions = mt.sessionsOpen.load();
    m.rtpIn = mt.packetsIn.load();
    m.rtpOut = mt.packetsOut.load();
    m.rtpMalformed = mt.malformed.load();
    m.rtpPortsExhausted = mt.portsExhausted.load();
    if (writer) {
      auto ws = writer->stats();
      m.eventsQueued = ws.queued;
      m.eventsCommitted = ws.committed;
      m.eventsRefused = ws.refused;
      m.storeFailures = ws.failures;
    }
    m.sipOverloadRejects = txns.stats().rejectedOverload;
    m.securityEvents = log::securityEventCount();
    m.queues = center.queueMetrics();
    std::lock_guard lock(metricsMutex);
    metrics = std::move(m);
  }

  void scheduleGauges() {
    if (gaugeTicks++ % 5 == 0) snapshotMetrics();
    legsLive.store(calls.legCount(), std::memory_order_relaxed);
    dialogsLive.store(ua.dialogCount(), std::memory_order_relaxed);
    overloadRejects.store(txns.stats().rejectedOverload, std::memory_order_relaxed);
    if (writer) eventsCommitted.store(writer->committedSeq(), std::memory_order_relaxed);
    gaugeTimer = wheel.start(std::chrono::milliseconds(100), [this] { scheduleGauges(); });
  }

  bool stopping = false;

  // Graceful shutdown: the BYEs sent by ua.shutdown() must reach the wire (on TCP they sit in
  // the connection's write queue) and get their 200 before the sockets close; wait until no
  // dialog is left or the deadline passes.
  void drainThenClose(TimePoint deadline) {
    if (ua.dialogCount() > 0 && clock.now() < deadline) {
      wheel.start(std::chrono::milliseconds(10), [this, deadline] { drainThenClose(deadline); });
      return;
    }
    http.stop();
    media.stop();
    loopTimer.stop();
    transport.close();
    boost::system::error_code ignored;
    signals.cancel(ignored);
    hangup.cancel(ignored);
    wheel.cancel(purgeTimer);
    wheel.cancel(gaugeTimer);
    wheel.cancel(wallboardTimer);
    io.stop();
  }

  std::chrono::seconds wallboardEvery{0};
  TimerId wallboardTimer;

  void scheduleWallboard() {
    wallboardTimer = wheel.start(wallboardEvery, [this] {
      for (const auto& line : center.wallboard()) spdlog::info("wallboard {}", line);
      scheduleWallboard();
    });
  }

  void awaitReload() {
    hangup.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      reloadFlows();
      awaitReload();
    });
  }

  // New calls get the new versions; calls in progress keep theirs (F2).
  void reloadFlows() {
    if (configPath.empty()) {
      spdlog::warn("reload: no configuration file to read");
      return;
    }
    auto fresh = loadConfig(configPath);
    if (!fresh) {
      spdlog::warn("reload: {} (nothing changed)", fresh.error().message);
      return;
    }
    auto published = center.republish(*fresh, "reload");
    if (!published) {
      spdlog::warn("reload: {}", published.error().message);
      return;
    }
    spdlog::info("reload: {} flow version(s) published from {}", *published, configPath);
  }

  // The event log, this run's number, the records of runs that never finished (the node was
  // killed), the writer deriving CDRs as it commits, and the reader the API queries through.
  Result<void> startRecords() {
    auto db = openStore(config.store);
    if (!db) return fail(db.error().code, "store: " + db.error().message);
    auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    auto started = (*db)->beginRun(nowMs);
    if (!started) return fail(started.error().code, "store: " + started.error().message);
    auto projection = cdrProjection(config);
    auto recovered = store::recoverRuns(**db, started->unfinished, projection, nowMs);
    if (!recovered) return fail(recovered.error().code, "store: " + recovered.error().message);
    if (!started->unfinished.empty()) {
      spdlog::warn("store: {} run(s) had not finished (the node was killed); {} record(s) closed",
                   started->unfinished.size(), *recovered);
    }
    auto lastId = (*db)->lastId();
    if (!lastId) return fail(lastId.error().code, "store: " + lastId.error().message);
    run = started->run;
    calls.setIdBase(run << 32);
    writer = std::make_unique<store::EventWriter>(std::move(db).value(), projection(), run);
    events.setWriter(writer.get());
    auto r = StoreReader::open(config.store);
    if (!r) return fail(r.error().code, "store: " + r.error().message);
    reader = std::move(r).value();
    stream = std::make_unique<EventStream>(*reader, *lastId);
    startWebhooks();
    writer->setCommittedListener([this](std::vector<store::StoredEvent>&& batch) {
      stream->onCommitted(batch);
      if (webhooks) webhooks->onCommitted(batch);
    });
    spdlog::info("store: event log in {}, run {}",
                 config.store.postgres.empty() ? config.store.path : "PostgreSQL", run);
    return {};
  }

  // Tenants' webhooks, spooled beside the SQLite file (or in var/ with PostgreSQL).
  void startWebhooks() {
    std::vector<webhook::Target> targets;
    for (const auto& t : config.tenants) {
      for (const auto& w : t.webhooks) targets.push_back({t.id, w.url, w.secret, w.kinds});
    }
    if (targets.empty()) return;
    webhook::Options o;
    auto dir = config.store.postgres.empty()
                   ? std::filesystem::path(config.store.path).parent_path()
                   : std::filesystem::path("var");
    o.spoolDir = (dir / "webhook-spool").string();
    webhooks = std::make_unique<webhook::Dispatcher>(std::move(targets), o, clock);
    spdlog::info("webhooks: spooled in {}", o.spoolDir);
  }

  void schedulePurge() {
    purgeTimer = wheel.start(std::chrono::seconds(30), [this] {
      registrar.purgeExpired();
      if (reader && ++purgeTicks % 120 == 1) {  // hourly, and at the first tick
        reader->post([this](store::Store& db) {
          (void)expireRecordings(db, config,
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
        });
      }
      schedulePurge();
    });
  }
  int purgeTicks = 0;
};

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() = default;

void Server::setConfigPath(std::string path) {
  impl_->configPath = std::move(path);
}

void Server::setWallboard(std::chrono::seconds every) {
  impl_->wallboardEvery = every;
}

Result<void> Server::start() {
  Impl& s = *impl_;
  log::setLevel(s.config.logLevel);
  std::vector<sip::digest::Algorithm> algorithms;
  for (const auto& a : s.config.security.digestAlgorithms) {
    algorithms.push_back(a == "SHA-256" ? sip::digest::Algorithm::kSha256
                                        : sip::digest::Algorithm::kMd5);
  }
  s.digest.setAlgorithms(std::move(algorithms));
  if (s.config.store.enabled()) {
    if (auto r = s.startRecords(); !r) return r;
  }
  s.ua.setHandler(&s.calls);
  s.calls.setApp(&s.router);
  if (auto r = s.center.load(s.config); !r) return r;
  s.calls.setRequestHandler(
      [&s](sip::TxnId txn, const sip::Message& m) { s.registration.onRegister(txn, m); });
  if (auto r = s.media.start(); !r) return r;
  s.transport.setHandler([&s](sip::Message&& m) { s.txns.onMessage(std::move(m)); });
  s.transport.setSourceFilter([&s](const Endpoint& e) { return !s.guard.isBanned(e.ip()); });
  s.txns.setMaxServerTransactions(s.config.maxTransactions);
  s.txns.setAdmission([&s](const sip::Message&) {
    return s.ua.dialogCount() + s.calls.pendingInbound() < s.config.maxCalls;
  });
  for (const auto& l : s.config.sip) {
    if (auto r = s.transport.listen(l); !r) return r;
    if (auto e = s.transport.localEndpoint(l.transport)) s.ua.setLocalEndpoint(l.transport, *e);
    spdlog::info("sip: listening on {} {}:{}", sip::transportName(l.transport), l.address, l.port);
  }
  s.http.route("GET", "/healthz", [&s](const api::HttpRequest&) {
    auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(s.clock.now().time_since_epoch())
            .count();
    std::int64_t lag = now - s.loopTimer.lastTickMs();
    api::HttpResponse r;
    r.status = lag < 2000 ? 200 : 503;
    const auto& media = s.media.totals();
    r.body = std::string("{\"status\":\"") + (lag < 2000 ? "ok" : "stalled") +
             "\",\"control_loop_lag_ms\":" + std::to_string(lag) +
             ",\"calls\":" + std::to_string(s.legsLive.load(std::memory_order_relaxed)) +
             ",\"dialogs\":" + std::to_string(s.dialogsLive.load(std::memory_order_relaxed)) +
             ",\"media_sessions\":" + std::to_string(media.sessionsOpen.load()) +
             ",\"events_committed\":" +
             std::to_string(s.eventsCommitted.load(std::memory_order_relaxed)) +
             ",\"sip_overload_rejects\":" +
             std::to_string(s.overloadRejects.load(std::memory_order_relaxed)) +
             ",\"rtp_in\":" + std::to_string(media.packetsIn.load()) +
             ",\"rtp_out\":" + std::to_string(media.packetsOut.load()) +
             ",\"rtp_malformed\":" + std::to_string(media.malformed.load()) + "}";
    return r;
  });
  s.http.route("GET", "/metrics", [&s](const api::HttpRequest&) {
    MetricsSnapshot m;
    {
      std::lock_guard lock(s.metricsMutex);
      m = s.metrics;
    }
    auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(s.clock.now().time_since_epoch())
            .count();
    m.controlLoopLagMs = now - s.loopTimer.lastTickMs();
    return api::HttpResponse{200, "text/plain; version=0.0.4", renderMetrics(m), {}};
  });
  if (auto r = s.auth.configure(authConfig(s.config.api)); !r) return r;
  s.rest = std::make_unique<RestApi>(
      s.http, RestDeps{s.config, s.auth,
                       [&s](std::function<void()> f) { boost::asio::post(s.io, std::move(f)); },
                       s.center, s.calls, s.reader.get(), s.stream.get()});
  if (auto r = s.http.start(); !r) return r;
  spdlog::info("http: listening on {}:{}", s.config.httpAddress, s.http.port());
  s.loopTimer.start();
  s.schedulePurge();
  s.scheduleGauges();
  if (s.wallboardEvery.count() > 0) s.scheduleWallboard();
  s.awaitReload();
  s.signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  return {};
}

void Server::run() {
  impl_->io.run();
}

void Server::stop() {
  Impl* s = impl_.get();
  boost::asio::post(s->io, [s] {
    if (s->stopping) return;
    s->stopping = true;
    spdlog::info("switchboard: shutting down, ending {} dialogs", s->ua.dialogCount());
    s->calls.shutdown();
    s->ua.shutdown();
    s->drainThenClose(s->clock.now() + kShutdownDrain);
  });
}

}  // namespace sb::app
