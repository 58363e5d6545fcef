#pragma once
// Hashed timer wheel (ADR 0002) for SIP transaction timers: ~10^5 live timers (3,000 calls/s x
// 32 s of Timer J/L), O(1) start and cancel, and an advance() that costs the slots it passes
// plus the timers it fires — never a walk of every live timer per tick.

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

/// Timers bucketed into `slots` lists of `tick` width (default 4,096 x 10 ms = one revolution of
/// 40.96 s); longer delays wait whole revolutions in their slot. Wheel time is the `now` of the
/// last advance() (the constructor's `start` before that). Single-threaded (owning event loop
/// only); callbacks run inside advance() and must neither throw nor call advance().
class TimerWheel {
 public:
  using Callback = std::function<void()>;

  /// A wheel whose tick 0 begins at `start`; `tick` > 0, `slots` > 0.
  explicit TimerWheel(TimePoint start, Duration tick = std::chrono::milliseconds(10),
                      std::size_t slots = 4096);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  /// Schedules `cb` to run at the first advance() at or after now+delay (rounded up to the
  /// tick), `now` being wheel time; never in a tick already processed, so delay 0 from a
  /// callback runs on the next advance(). Negative delays count as 0. O(1).
  TimerId start(Duration delay, Callback cb);
  /// Cancels; returns false if the id already fired, was cancelled, or is invalid. O(1). Safe
  /// inside callbacks, also for the firing timer itself (false: it has fired) and for timers due
  /// later in the same advance() (true: they will not run).
  bool cancel(TimerId id);
  /// Moves the wheel to `now` and runs every due callback, earlier ticks first and start order
  /// within a tick. Visits at most min(ticks elapsed, slots) slots. Callbacks may start and
  /// cancel timers. Returns the number fired; an earlier `now` is ignored.
  std::size_t advance(TimePoint now);
  /// Live timers: scheduled and not yet fired or cancelled. A firing timer no longer counts.
  std::size_t size() const { return live_; }
  /// Time until the earliest possible due timer, capped at one wheel revolution; nullopt when
  /// empty. Conservative (the first occupied slot, which may hold only later rounds); zero
  /// when already due. Used to arm the event-loop timer.
  std::optional<Duration> untilNext(TimePoint now) const;

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  enum class State : std::uint8_t { kFree, kLinked, kFiring };
  struct Node {
    Callback cb;
    // Absolute tick the timer is due. It stands in for the classic `rounds` counter
    // (rounds = (due - tick of the slot's next visit) / slots) without rewriting every long
    // timer on each pass, and orders a catch-up that spans several revolutions.
    std::uint64_t due = 0;
    std::uint32_t prev = kNone;  // slot list links: slab indices
    std::uint32_t next = kNone;
    std::uint32_t generation = 1;  // never 0, so TimerId{} is never live
    State state = State::kFree;
  };
  struct Slot {
    std::uint32_t head = kNone;
    std::uint32_t tail = kNone;
  };
  struct Due {
    std::uint64_t tick;  // copied out of the node: sorting a catch-up touches no nodes
    TimerId id;
  };

  std::uint64_t dueTick(Duration delay) const;
  std::uint32_t allocate();
  void link(std::uint32_t index);
  void unlink(std::uint32_t index);
  Callback release(std::uint32_t index);
  // Slot of an absolute tick; a mask when the slot count is a power of two (the default).
  std::size_t slotOf(std::uint64_t tick) const {
    return static_cast<std::size_t>(mask_ != 0 ? tick & mask_ : tick % slots_.size());
  }
  std::size_t firstOccupied(std::size_t from, std::size_t to) const;
  std::size_t distanceToOccupied(std::size_t from) const;
  void collect(std::uint64_t from, std::uint64_t to);
  std::size_t fireCollected();

  Duration tick_;
  TimePoint origin_;
  TimePoint now_;                // wheel time: the last advance()
  std::uint64_t nowTick_ = 0;    // tick containing now_
  std::uint64_t processed_ = 0;  // every timer due at or before this tick has been collected
  std::vector<Slot> slots_;
  std::uint64_t mask_ = 0;               // slots - 1 when a power of two (> 1), else 0
  std::vector<std::uint64_t> occupied_;  // bit per non-empty slot: skips idle slots, untilNext
  std::vector<Node> nodes_;              // the slab
  std::vector<std::uint32_t> free_;
  std::vector<Due> firing_;  // collected due timers, in firing order
  std::size_t cursor_ = 0;   // next entry of firing_ to run
  std::size_t live_ = 0;
  bool advancing_ = false;
};

}  // namespace sb
