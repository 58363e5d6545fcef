#pragma once
// What the crowd's people share: config, the call layer, timers, randomness, counters and the
// line printer. Control loop (the crowd's thread) only, except the atomics.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include "base/clock.h"
#include "base/timer_wheel.h"
#include "call/call_manager.h"
#include "crowd/crowd.h"

namespace sb::crowd::internal {

/// The counters behind CrowdStats; written on the crowd's loop, read from any thread.
struct CrowdCounters {
  std::atomic<std::uint64_t> callsPlaced{0};
  std::atomic<std::uint64_t> callsAnswered{0};
  std::atomic<std::uint64_t> connectedToAgent{0};
  std::atomic<std::uint64_t> abandoned{0};
  std::atomic<std::uint64_t> offers{0};
  std::atomic<std::uint64_t> agentAnswered{0};
  std::atomic<std::uint64_t> agentMissed{0};
  std::atomic<std::uint64_t> agentBusy{0};
  std::atomic<std::uint64_t> registered{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> legsLive{0};
  std::atomic<std::uint64_t> dialogsLive{0};
};

/// Adds one to a counter.
inline void bump(std::atomic<std::uint64_t>& c) {
  c.fetch_add(1, std::memory_order_relaxed);
}

/// The shared environment of AgentPhones and Customers.
struct CrowdContext {
  const CrowdConfig& config;
  call::CallManager& calls;
  TimerWheel& timers;
  const Clock& clock;
  std::mt19937_64& rng;
  CrowdCounters& counters;
  std::function<void(const std::string&)> print;

  /// An exponential draw with mean `mean`, clamped to [floor, 5 x mean].
  Duration exponential(Duration mean, Duration floor) {
    if (mean <= Duration::zero()) return floor;
    std::exponential_distribution<double> d(1.0);
    auto v = std::chrono::duration_cast<Duration>(
        std::chrono::duration<double, std::nano>(static_cast<double>(mean.count()) * d(rng)));
    return std::clamp(v, floor, std::max(floor, 5 * mean));
  }
  /// A uniform draw in [lo, hi].
  Duration uniform(Duration lo, Duration hi) {
    if (hi <= lo) return lo;
    std::uniform_int_distribution<std::int64_t> d(lo.count(), hi.count());
    return Duration(d(rng));
  }
  /// True with probability p.
  bool chance(double p) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return std::bernoulli_distribution(p)(rng);
  }
  /// Whole seconds since `t`, for log lines.
  long long secondsSince(TimePoint t) const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock.now() - t).count();
  }
  /// Prints "crowd: " + line.
  void say(const std::string& line) const {
    if (print) print("crowd: " + line);
  }
};

}  // namespace sb::crowd::internal
