#pragma once
// The store writer (DESIGN.md "Store writer"): its own thread appends queued events to the
// EventStore in batches — one transaction per batch (group commit) — so the control loop
// never waits on the disk, and an event acknowledged as committed survives kill -9. With a
// Projection, the records derived from a batch commit in the batch's transaction.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "store/event_store.h"
#include "store/projection.h"

namespace sb::store {

/// Counters of the writer; read from any thread.
struct WriterStats {
  std::uint64_t queued = 0;     ///< events accepted by append()
  std::uint64_t committed = 0;  ///< events in committed transactions
  std::uint64_t batches = 0;    ///< transactions committed
  std::uint64_t failures = 0;   ///< failed transactions (retried)
  std::uint64_t refused = 0;    ///< events refused because the queue was full
  std::uint64_t cdrs = 0;       ///< CDRs derived and committed
};

/// Group-commit writer over one EventStore (which it owns and uses from its thread only).
class EventWriter {
 public:
  /// `projection` (may be null): derives records from each batch of run `run` (beginRun).
  /// `maxBatch`: events per transaction at most; `maxQueued`: events waiting at most (above,
  /// append() refuses and counts, so a stalled disk cannot exhaust memory).
  explicit EventWriter(std::unique_ptr<EventStore> store,
                       std::unique_ptr<Projection> projection = nullptr, std::uint64_t run = 0,
                       std::size_t maxBatch = 8192, std::size_t maxQueued = 1'000'000);
  /// Commits what is queued (retrying failures for up to 5 s); with a projection, closes what
  /// is open and marks the run finished; then joins the thread.
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  /// Queues an event; any thread, never blocks on the disk. Returns its sequence number
  /// (1, 2, ... in append order), durable once committedSeq() reaches it; 0 when refused.
  std::uint64_t append(Event event);
  /// The highest sequence number committed: every event up to it is in the database.
  std::uint64_t committedSeq() const;
  /// Waits until every event appended before the call is committed; false on timeout.
  bool flush(std::chrono::milliseconds timeout);
  /// A snapshot of the counters.
  WriterStats stats() const;
  /// Receives each committed batch with its ids, on the writer thread, in commit order.
  using CommittedListener = std::function<void(std::vector<StoredEvent>&&)>;
  /// Sets the listener (the event stream and webhooks); call before the first append().
  void setCommittedListener(CommittedListener listener);

 private:
  void run();
  void finishRun();

  std::unique_ptr<EventStore> store_;
  std::unique_ptr<Projection> projection_;  // writer thread only
  CommittedListener listener_;              // set before appends; writer thread calls it
  const std::uint64_t run_;
  const std::size_t maxBatch_;
  const std::size_t maxQueued_;
  mutable std::mutex mutex_;
  std::condition_variable work_;       // the writer waits for events or stop
  std::condition_variable committed_;  // flush() waits for commits
  std::deque<Event> queue_;            // guarded by mutex_
  std::uint64_t nextSeq_ = 1;          // guarded by mutex_
  std::uint64_t committedSeq_ = 0;     // guarded by mutex_
  WriterStats stats_;                  // guarded by mutex_
  bool stopping_ = false;              // guarded by mutex_
  std::thread thread_;
};

}  // namespace sb::store
