#pragma once
// Injected time (STYLE.md "Threads"): engines ask a Clock, tests and the simulator drive one.

#include <chrono>

namespace sb {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;
using Millis = std::chrono::milliseconds;

/// Monotonic time source. Thread-safe to read.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Current monotonic time.
  virtual TimePoint now() const = 0;
};

/// The real monotonic clock.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

/// A clock that moves only when told to; for tests and the simulator. Single-threaded.
class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  /// Moves time forward by `d`.
  void advance(Duration d) { now_ += d; }

 private:
  TimePoint now_{std::chrono::hours(1)};
};

}  // namespace sb
