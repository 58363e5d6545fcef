#include "store/event_writer.h"

#include <vector>

#include "base/log.h"

namespace sb::store {
namespace {

constexpr auto kRetryDelay = std::chrono::milliseconds(100);
constexpr auto kStopRetryBudget = std::chrono::seconds(5);

std::int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

EventWriter::EventWriter(std::unique_ptr<EventStore> store, std::unique_ptr<Projection> projection,
                         std::uint64_t runId, std::size_t maxBatch, std::size_t maxQueued)
    : store_(std::move(store)),
      projection_(std::move(projection)),
      run_(runId),
      maxBatch_(maxBatch),
      maxQueued_(maxQueued) {
  thread_ = std::thread([this] { run(); });
}

EventWriter::~EventWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  thread_.join();
}

std::uint64_t EventWriter::append(Event event) {
  std::uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= maxQueued_) {
      ++stats_.refused;
      return 0;
    }
    queue_.push_back(std::move(event));
    seq = nextSeq_++;
    ++stats_.queued;
  }
  work_.notify_one();
  return seq;
}

std::uint64_t EventWriter::committedSeq() const {
  std::lock_guard lock(mutex_);
  return committedSeq_;
}

bool EventWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::uint64_t target = nextSeq_ - 1;
  return committed_.wait_for(lock, timeout, [&] { return committedSeq_ >= target; });
}

void EventWriter::setCommittedListener(CommittedListener listener) {
  listener_ = std::move(listener);
}

WriterStats EventWriter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void EventWriter::run() {
  std::vector<Event> batch;
  Derived derived;          // of `batch`; kept with it when a commit is retried
  std::size_t projected = 0;  // events of `batch` the projection has seen
  std::chrono::steady_clock::time_point stopDeadline{};
  while (true) {
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [&] { return stopping_ || !queue_.empty() || !batch.empty(); });
      if (stopping_ && stopDeadline == std::chrono::steady_clock::time_point{}) {
        stopDeadline = std::chrono::steady_clock::now() + kStopRetryBudget;
      }
      // Take what is waiting (after a failure the old batch is retried first, unchanged, so
      // events commit in append order and sequence numbers stay exact).
      while (batch.size() < maxBatch_ && !queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (batch.empty()) break;  // stopping with nothing left
    }
    if (projection_ && projected < batch.size()) {
      projection_->apply(run_, std::span<const Event>(batch).subspan(projected), derived);
      projected = batch.size();
    }
    auto r = store_->append(batch, derived);
    if (r && listener_) {
      // One writer per database: a batch's ids are consecutive and end at the returned id.
      std::vector<StoredEvent> committed;
      committed.reserve(batch.size());
      std::uint64_t id = *r - batch.size();
      for (const Event& e : batch) committed.push_back(StoredEvent{++id, run_, e});
      listener_(std::move(committed));
    }
    std::unique_lock lock(mutex_);
    if (r) {
      committedSeq_ += batch.size();
      stats_.committed += batch.size();
      ++stats_.batches;
      stats_.cdrs += derived.cdrs.size();
      batch.clear();
      derived = Derived{};
      projected = 0;
      committed_.notify_all();
      continue;
    }
    ++stats_.failures;
    spdlog::error("store: writing {} events failed, retrying: {}", batch.size(), r.error().message);
    if (stopping_ && std::chrono::steady_clock::now() > stopDeadline) {
      spdlog::error("store: giving up on {} events at shutdown", batch.size() + queue_.size());
      return;
    }
    work_.wait_for(lock, kRetryDelay);
  }
  finishRun();
}

// A graceful stop: what is still open (calls the drain did not end, agents' current states)
// closes now, and the run is marked finished so the next start has nothing to recover.
void EventWriter::finishRun() {
  if (!projection_) return;
  Derived rest;
  projection_->finish(wallMs(), rest);
  if (auto r = store_->finishRun(run_, rest, wallMs()); !r) {
    spdlog::error("store: finishing run {} failed (the next start recovers it): {}", run_,
                  r.error().message);
  }
}

}  // namespace sb::store
