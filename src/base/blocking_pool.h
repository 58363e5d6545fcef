#pragma once
// The blocking pool (DESIGN.md): a few threads for work that may block — text-to-speech
// rendering, prompt file loading, later webhooks and imports — so no event loop ever waits on
// a disk or a child process.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sb {

/// Fixed-size thread pool with a FIFO queue. post() from any thread.
class BlockingPool {
 public:
  /// Starts `threads` workers (at least one).
  explicit BlockingPool(std::size_t threads);
  /// Runs what is queued, then joins the workers.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  /// Queues `job`; it runs on a worker. Jobs must not throw (an escaping exception is caught
  /// and logged). Ignored after shutdown began.
  void post(std::function<void()> job);
  /// Jobs queued and not yet started.
  std::size_t queued() const;

 private:
  void work();

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace sb
