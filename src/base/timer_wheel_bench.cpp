// TimerWheel costs at SIP load (ADR 0002): 3,000 calls/s x 32 s of Timer J/L keeps ~100k timers
// live on one wheel. Each benchmark iteration is one operation, so "Time" reads as ns/op.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "base/timer_wheel.h"

namespace sb {
namespace {

constexpr Duration kTick = std::chrono::milliseconds(10);
constexpr Duration kTimerJ = std::chrono::seconds(32);  // 64 x T1
constexpr std::size_t kLive = 100000;

// Delays spread over [0, 32 s], so timers land all around the wheel.
std::vector<Duration> randomDelays(std::size_t n) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<Duration::rep> dist(0, kTimerJ.count());
  std::vector<Duration> out(n);
  for (Duration& d : out) d = Duration(dist(rng));
  return out;
}

// start() then cancel() of one timer while 100k others are live: a transaction that completes
// before its timer (the common case for Timer B/F).
void BM_StartCancel(benchmark::State& state) {
  TimePoint origin{std::chrono::hours(1)};
  TimerWheel wheel(origin);
  std::uint64_t fired = 0;
  std::vector<Duration> delays = randomDelays(1 << 16);
  for (std::size_t i = 0; i < kLive; ++i) wheel.start(delays[i % delays.size()], [&] { ++fired; });
  std::size_t i = 0;
  for (auto _ : state) {
    TimerId id = wheel.start(delays[i++ & 0xffff], [&] { ++fired; });
    benchmark::DoNotOptimize(wheel.cancel(id));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["live"] = static_cast<double>(wheel.size());
}
BENCHMARK(BM_StartCancel);

// Steady state at 3,200 timers/s of 32 s: each iteration starts one timer, and every 32nd
// advances the wheel one 10 ms tick, which fires the ~32 timers started 32 s earlier. So one
// iteration = one start + one fire + 1/32 of a tick, with ~100k timers live.
void BM_StartFire(benchmark::State& state) {
  constexpr int kPerTick = 32;
  TimePoint now{std::chrono::hours(1)};
  TimerWheel wheel(now);
  std::uint64_t fired = 0;
  int inTick = 0;
  auto one = [&] {
    wheel.start(kTimerJ, [&] { ++fired; });
    if (++inTick == kPerTick) {
      inTick = 0;
      now += kTick;
      wheel.advance(now);
    }
  };
  while (wheel.size() < kLive) one();  // warm up to the steady state
  std::uint64_t firedBefore = fired;
  for (auto _ : state) one();
  state.SetItemsProcessed(state.iterations());
  state.counters["live"] = static_cast<double>(wheel.size());
  state.counters["fired/iter"] =
      static_cast<double>(fired - firedBefore) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_StartFire);

// One advance() over a 10 ms tick with 100k live timers, none due for a year: each tick walks
// one slot of ~24 timers still waiting out their rounds.
void BM_IdleTick(benchmark::State& state) {
  TimePoint now{std::chrono::hours(1)};
  TimerWheel wheel(now);
  std::vector<Duration> delays = randomDelays(kLive);
  for (Duration d : delays) wheel.start(d + std::chrono::hours(24 * 365), [] {});
  for (auto _ : state) {
    now += kTick;
    benchmark::DoNotOptimize(wheel.advance(now));
  }
  state.counters["live"] = static_cast<double>(wheel.size());
}
BENCHMARK(BM_IdleTick);

// Catching up after a pause longer than a revolution: 100k timers fire in one advance(),
// one pass over the slots plus a sort. Reported per fired timer.
void BM_CatchUpAfterPause(benchmark::State& state) {
  std::vector<Duration> delays = randomDelays(kLive);
  for (auto _ : state) {
    state.PauseTiming();
    TimePoint origin{std::chrono::hours(1)};
    TimerWheel wheel(origin);
    for (Duration d : delays) wheel.start(d, [] {});
    state.ResumeTiming();
    benchmark::DoNotOptimize(wheel.advance(origin + std::chrono::minutes(1)));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLive));
}
BENCHMARK(BM_CatchUpAfterPause)->Unit(benchmark::kMillisecond);

// untilNext() with 100k live timers, as the event loop calls it to arm its timer.
void BM_UntilNext(benchmark::State& state) {
  TimePoint now{std::chrono::hours(1)};
  TimerWheel wheel(now);
  std::vector<Duration> delays = randomDelays(kLive);
  for (Duration d : delays) wheel.start(d, [] {});
  for (auto _ : state) benchmark::DoNotOptimize(wheel.untilNext(now));
}
BENCHMARK(BM_UntilNext);

}  // namespace
}  // namespace sb
