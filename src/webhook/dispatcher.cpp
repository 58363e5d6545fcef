#include "webhook/dispatcher.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/http_client.h"
#include "webhook/internal/delivery.h"
#include "webhook/internal/spool.h"

namespace sb::webhook {
namespace {

// A batch's records, at least one, stop before this much text: requests stay small for
// receivers whatever maxBatch says, and so does what a retried batch holds in memory.
constexpr std::size_t kMaxBatchBytes = 1024 * 1024;

// The signature timestamp is wall time by definition (receivers compare it with theirs to
// refuse replays); the injected Clock is monotonic and drives retry timing only.
std::int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool wants(const Target& target, const store::Event& event) {
  if (event.tenant != target.tenant) return false;
  return target.kinds.empty() ||
         std::find(target.kinds.begin(), target.kinds.end(), event.kind) != target.kinds.end();
}

std::string describe(const Result<api::ClientResponse>& result) {
  return result ? "HTTP " + std::to_string(result->status) : result.error().message;
}

// Per target and per process: nodes sending to the same receiver must not retry in step.
std::uint64_t seedOf(const std::string& name) {
  std::uint64_t seed = 0;
  std::from_chars(name.data(), name.data() + std::min<std::size_t>(name.size(), 16), seed, 16);
  std::random_device entropy;
  return seed ^ (std::uint64_t{entropy()} << 32 | entropy());
}

// One target and its delivery state.
struct Route {
  Route(Target t, std::string name, const Options& options)
      : target(std::move(t)),
        label(target.tenant + "/" + name.substr(0, 8)),
        backoff(options.firstRetry, options.maxRetry, seedOf(name)) {}

  const Target target;
  const std::string label;  // for logs: never the URL's path or query, never the secret
  std::optional<internal::Spool> spool;  // GUARDED_BY(Impl::mutex); empty: could not be opened
  bool dropping = false;                 // GUARDED_BY(Impl::mutex): dropping for space, warned
  bool appendFailing = false;            // GUARDED_BY(Impl::mutex): appends fail, logged
  // Sender thread only.
  std::optional<internal::Batch> batch;  // out, or waiting to be resent unchanged
  internal::Backoff backoff;
  TimePoint nextAttempt{};
  bool rejecting = false;  // a rejection was logged since the last delivery
};

}  // namespace

struct Dispatcher::Impl {
  Impl(Options o, Clock& c) : options(std::move(o)), clock(c) {}

  void append(Route& route, const std::vector<internal::Record>& records);
  void run();
  void attempt(Route& route, std::unique_lock<std::mutex>& lock);
  void settle(Route& route, internal::Outcome outcome, const Result<api::ClientResponse>& result,
              std::unique_lock<std::mutex>& lock);

  const Options options;
  Clock& clock;
  std::vector<std::unique_ptr<Route>> routes;  // fixed once the sender runs
  mutable std::mutex mutex;
  std::condition_variable wake;  // the sender waits for events, a retry time or stop
  bool woken = false;            // GUARDED_BY(mutex): appended since the sender last looked
  bool stopping = false;         // GUARDED_BY(mutex)
  Stats stats;                   // GUARDED_BY(mutex); `pending` is computed by stats()
  std::thread sender;
};

Dispatcher::Dispatcher(std::vector<Target> targets, Options options, Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {
  std::set<std::string> names;
  for (Target& target : targets) {
    std::string name = internal::spoolName(target.tenant, target.url);
    if (!names.insert(name).second) {
      spdlog::warn("webhook {}: the same tenant and URL twice, the second is ignored",
                   target.tenant);
      continue;
    }
    auto route = std::make_unique<Route>(std::move(target), name, impl_->options);
    std::string where = internal::redactedUrl(route->target.url);
    auto spool = impl_->options.spoolDir.empty()
                     ? Result<internal::Spool>(fail(Errc::kInvalidInput, "no spool directory"))
                     : internal::Spool::open(impl_->options.spoolDir, name);
    if (!spool) {
      spdlog::error("webhook {} ({}): {}; its events are dropped", route->label, where,
                    spool.error().message);
    } else {
      route->spool.emplace(std::move(*spool));
      spdlog::info("webhook {}: {}, {} events pending", route->label, where,
                   route->spool->pending());
    }
    impl_->routes.push_back(std::move(route));
  }
  if (!impl_->routes.empty()) impl_->sender = std::thread([impl = impl_.get()] { impl->run(); });
}

Dispatcher::~Dispatcher() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->sender.joinable()) impl_->sender.join();
}

void Dispatcher::onCommitted(const std::vector<store::StoredEvent>& events) {
  auto& routes = impl_->routes;
  if (routes.empty() || events.empty()) return;
  // Serialized outside the lock, once per event however many targets want it.
  std::vector<std::optional<internal::Record>> records(events.size());
  std::vector<std::vector<internal::Record>> perRoute(routes.size());
  for (std::size_t r = 0; r < routes.size(); ++r) {
    for (std::size_t e = 0; e < events.size(); ++e) {
      if (!wants(routes[r]->target, events[e].event)) continue;
      if (!records[e]) records[e] = internal::eventRecord(events[e]);
      perRoute[r].push_back(*records[e]);
    }
  }
  bool any = false;
  {
    std::lock_guard lock(impl_->mutex);
    for (std::size_t r = 0; r < routes.size(); ++r) {
      if (perRoute[r].empty()) continue;
      impl_->append(*routes[r], perRoute[r]);
      any = true;
    }
    impl_->woken = impl_->woken || any;
  }
  if (any) impl_->wake.notify_one();
}

// Caller holds the mutex.
void Dispatcher::Impl::append(Route& route, const std::vector<internal::Record>& records) {
  stats.spooled += records.size();
  if (!route.spool) {
    stats.dropped += records.size();
    return;
  }
  auto dropped = route.spool->append(records, options.maxSpoolBytesPerTarget);
  if (!dropped) {
    stats.dropped += records.size();
    if (!route.appendFailing) {
      spdlog::error("webhook {}: {}; events are dropped until the spool is writable", route.label,
                    dropped.error().message);
    }
    route.appendFailing = true;
    return;
  }
  if (route.appendFailing) spdlog::info("webhook {}: spool writable again", route.label);
  route.appendFailing = false;
  if (*dropped == 0) return;
  stats.dropped += *dropped;
  if (!route.dropping) {
    spdlog::warn("webhook {}: spool over {} bytes, dropping the oldest undelivered events",
                 route.label, options.maxSpoolBytesPerTarget);
  }
  route.dropping = true;
}

Dispatcher::Stats Dispatcher::stats() const {
  std::lock_guard lock(impl_->mutex);
  Stats s = impl_->stats;
  s.pending = 0;
  for (const auto& route : impl_->routes) {
    if (route->spool) s.pending += route->spool->pending();
  }
  return s;
}

// The sender: the next target that has events and is not waiting for a retry, in turn, so a
// target in backoff never holds up the others.
void Dispatcher::Impl::run() {
  std::unique_lock lock(mutex);
  std::size_t next = 0;
  while (!stopping) {
    TimePoint now = clock.now();
    Route* due = nullptr;
    std::optional<TimePoint> earliest;
    for (std::size_t k = 0; k < routes.size() && !due; ++k) {
      std::size_t i = (next + k) % routes.size();
      Route& route = *routes[i];
      if (!route.spool || route.spool->pending() == 0) continue;
      if (route.nextAttempt <= now) {
        due = &route;
        next = i + 1;
      } else if (!earliest || route.nextAttempt < *earliest) {
        earliest = route.nextAttempt;
      }
    }
    if (due) {
      attempt(*due, lock);
      continue;
    }
    woken = false;
    auto ready = [this] { return stopping || woken; };
    if (earliest) {
      wake.wait_until(lock, std::chrono::steady_clock::now() + (*earliest - now), ready);
    } else {
      wake.wait(lock, ready);
    }
  }
}

// One request for `route`'s head batch; the mutex is released while it is out.
void Dispatcher::Impl::attempt(Route& route, std::unique_lock<std::mutex>& lock) {
  if (route.batch && !route.spool->holds(*route.batch)) route.batch.reset();  // dropped
  if (!route.batch) {
    auto read = route.spool->readBatch(options.maxBatch, kMaxBatchBytes);
    if (!read) {
      spdlog::error("webhook {}: {}", route.label, read.error().message);
      route.nextAttempt = clock.now() + route.backoff.next();
      return;
    }
    if (read->lines == 0) {  // pending, yet nothing to read: the file was cut behind our back
      spdlog::error("webhook {}: spool shorter than expected", route.label);
      route.nextAttempt = clock.now() + route.backoff.next();
      return;
    }
    if (read->records.empty()) {  // damaged lines only (logged by the spool)
      internal::Resolved gone = route.spool->resolve(*read);
      stats.dropped += gone.events + gone.corrupt;
      return;
    }
    route.batch = std::move(*read);
  }
  lock.unlock();
  api::ClientRequest request =
      internal::deliveryRequest(route.target, *route.batch, unixSeconds(), options.timeout);
  Result<api::ClientResponse> result = api::httpFetch(request);
  lock.lock();
  settle(route, internal::classify(result), result, lock);
}

// Counts an attempt's outcome and moves the head (and the cursor) past a delivered or
// rejected batch; a batch to retry stays as it is, so it keeps its idempotency key.
void Dispatcher::Impl::settle(Route& route, internal::Outcome outcome,
                              const Result<api::ClientResponse>& result,
                              std::unique_lock<std::mutex>& lock) {
  const internal::Batch& batch = *route.batch;
  if (outcome == internal::Outcome::kRetry) {
    ++stats.failedAttempts;
    Duration wait = route.backoff.next();
    route.nextAttempt = clock.now() + wait;
    spdlog::warn("webhook {}: events {}-{}: {}, retrying in {} ms", route.label, batch.firstId,
                 batch.lastId, describe(result),
                 std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    return;
  }
  internal::Resolved done = route.spool->resolve(batch);
  stats.dropped += done.corrupt;
  if (outcome == internal::Outcome::kDelivered) {
    stats.delivered += done.events;
    route.rejecting = false;
  } else {
    // The receiver refused this batch for good (4xx): skipping it keeps the target moving.
    ++stats.failedAttempts;
    stats.dropped += done.events;
    if (!route.rejecting) {
      spdlog::error("webhook {}: events {}-{} rejected ({}), skipped", route.label, batch.firstId,
                    batch.lastId, describe(result));
    } else {
      spdlog::debug("webhook {}: events {}-{} rejected ({}), skipped", route.label, batch.firstId,
                    batch.lastId, describe(result));
    }
    route.rejecting = true;
  }
  if (route.dropping && route.spool->pending() == 0) {
    spdlog::info("webhook {}: caught up after dropping events", route.label);
    route.dropping = false;
  }
  route.backoff.reset();
  route.nextAttempt = TimePoint{};
  std::uint64_t lastId = batch.lastId;
  route.batch.reset();
  std::filesystem::path cursor = route.spool->cursorPath();
  lock.unlock();
  // A cursor lost here only means this batch is sent again after a restart.
  if (auto saved = internal::writeCursor(cursor, lastId); !saved) {
    spdlog::error("webhook {}: {}", route.label, saved.error().message);
  }
  lock.lock();
}

}  // namespace sb::webhook
