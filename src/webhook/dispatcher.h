#pragma once
// Outgoing webhooks (README.md): committed events of a tenant, filtered by kind, are spooled to
// disk per target and POSTed in signed batches by one sender thread, with retries, so a slow or
// dead receiver never holds up the store writer and an event spooled once survives a restart.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "store/event.h"

namespace sb::webhook {

/// One receiver of one tenant's events.
struct Target {
  std::string tenant;              ///< only this tenant's events are sent
  std::string url;                 ///< http:// or https://, POSTed to
  std::string secret;              ///< HMAC-SHA256 key of the signature header; never logged
  std::vector<std::string> kinds;  ///< event kinds sent ("call_ended", ...); empty: all
};

/// Spool location and delivery limits.
struct Options {
  std::string spoolDir;  ///< created if missing; one spool and one cursor file per target
  /// Spool file size at most; above, the oldest undelivered events are dropped (counted).
  std::size_t maxSpoolBytesPerTarget = 64 * 1024 * 1024;
  std::chrono::milliseconds timeout{3000};     ///< one request, connect to answer
  std::chrono::milliseconds firstRetry{1000};  ///< wait after a target's first failure
  std::chrono::milliseconds maxRetry{300000};  ///< the doubling wait stops growing here
  std::size_t maxBatch = 100;                  ///< events per request at most
};

/// Delivers committed events to webhook targets. Construct and destroy on one thread (the
/// composition root); onCommitted() from the store writer thread; stats() from any thread.
class Dispatcher {
 public:
  /// Opens (or resumes) every target's spool in options.spoolDir and starts the sender thread.
  /// A target whose spool cannot be opened is logged and its events are counted as dropped.
  Dispatcher(std::vector<Target> targets, Options options, Clock& clock);
  /// Stops the sender (waits for an in-flight request, at most options.timeout) and keeps
  /// what is undelivered on disk for the next Dispatcher on the same spoolDir. The writer
  /// must have stopped calling onCommitted.
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Appends each matching event to its targets' spools (fdatasync'd before returning) and
  /// wakes the sender. Store writer thread; never waits on the network.
  void onCommitted(const std::vector<store::StoredEvent>& events);

  /// Counters since construction; `pending` is what the spools hold now (restart included).
  /// Each event counts once per matching target, and pending at construction + spooled =
  /// delivered + dropped + pending.
  struct Stats {
    std::uint64_t spooled = 0;         ///< events handed to a target's spool
    std::uint64_t delivered = 0;       ///< events in batches answered 2xx
    std::uint64_t failedAttempts = 0;  ///< requests not answered 2xx (retried or rejected)
    std::uint64_t dropped = 0;         ///< events given up: spool full, batch rejected, disk error
    std::size_t pending = 0;           ///< events waiting in the spools
  };
  /// A snapshot of the counters. Any thread.
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::webhook
