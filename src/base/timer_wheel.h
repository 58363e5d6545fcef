#pragma once
// Hashed timer wheel (ADR 0002): O(1) start and cancel, a tick visits one slot. Timers beyond
// one revolution carry a rounds counter. Single-threaded: the owning event loop only.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/clock.h"

namespace sb {

/// Handle of a scheduled timer; stale handles (fired/cancelled) are detected by generation.
struct TimerId {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;
  bool valid() const { return generation != 0; }
};

/// The wheel. Callbacks run inside advance().
class TimerWheel {
 public:
  using Callback = std::function<void()>;

  explicit TimerWheel(TimePoint start, Duration tick = std::chrono::milliseconds(10),
                      std::size_t slots = 4096);
  /// Schedules `cb` at the first advance() at or after now+delay (rounded up to the tick). O(1).
  TimerId start(Duration delay, Callback cb);
  /// Cancels; false if the id already fired, was cancelled, or is invalid. O(1). Safe inside
  /// callbacks, also for timers due in the same tick.
  bool cancel(TimerId id);
  /// Moves the wheel to `now` and runs every due callback, earlier ticks first. Returns the
  /// number fired. Timers started from a callback with delay 0 run on the next advance().
  std::size_t advance(TimePoint now);
  /// Live timers.
  std::size_t size() const { return live_; }
  /// Time until the earliest possible due timer, capped at one revolution; nullopt when empty.
  std::optional<Duration> untilNext(TimePoint now) const;

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct Node {
    Callback cb;
    std::uint64_t dueTick = 0;
    std::uint32_t prev = kNone;
    std::uint32_t next = kNone;
    std::uint32_t generation = 1;
    std::uint32_t slot = kNone;  // kNone when free
  };
  void link(std::uint32_t index);
  void unlink(std::uint32_t index);
  void release(std::uint32_t index);

  Duration tick_;
  TimePoint origin_;
  TimePoint lastNow_;  // time given to the last advance(): start() counts from it
  std::uint64_t current_ = 0;  // ticks fully processed
  std::vector<std::uint32_t> heads_;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace sb
