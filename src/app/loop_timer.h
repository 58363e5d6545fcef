#pragma once
// Drives a TimerWheel from an event loop: a steady tick advances the wheel and records a
// heartbeat that /healthz reads from the API thread to tell a stalled control loop.

#include <atomic>
#include <memory>

#include "base/clock.h"
#include "base/timer_wheel.h"

namespace boost::asio {
class io_context;
}

namespace sb::app {

/// Ticks `wheel` on `io`'s thread. start()/stop() on that thread.
class LoopTimer {
 public:
  LoopTimer(boost::asio::io_context& io, TimerWheel& wheel, const Clock& clock,
            Duration tick = std::chrono::milliseconds(10));
  ~LoopTimer();
  void start();
  void stop();
  /// Monotonic time of the last tick, in ms since the clock's epoch. Any thread.
  std::int64_t lastTickMs() const { return lastTickMs_.load(std::memory_order_relaxed); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<std::int64_t> lastTickMs_{0};
};

}  // namespace sb::app
