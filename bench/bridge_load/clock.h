// bridge_load: time in nanoseconds — the Ns type, the SIP and RTP timing constants, and the two
// clocks the tool reads (monotonic for its schedule, realtime to compare with SO_TIMESTAMPNS).
#pragma once

#include <cstdint>
#include <ctime>

namespace bridge_load {

using Ns = std::int64_t;  ///< nanoseconds
inline constexpr Ns kMs = 1'000'000;
inline constexpr Ns kSec = 1'000'000'000;
inline constexpr Ns kPtime = 20 * kMs;  ///< one RTP packet per stream every 20 ms
inline constexpr Ns kT1 = 500 * kMs;    // RFC 3261 §17.1.1.1
inline constexpr Ns kT2 = 4 * kSec;

inline Ns clockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<Ns>(ts.tv_sec) * kSec + ts.tv_nsec;
}
/// CLOCK_MONOTONIC in ns: the send grid, timers and phases.
inline Ns monoNs() {
  return clockNs(CLOCK_MONOTONIC);
}
/// CLOCK_REALTIME in ns: the clock of SO_TIMESTAMPNS, carried in the payload as the send time.
inline Ns realNs() {
  return clockNs(CLOCK_REALTIME);
}

}  // namespace bridge_load
