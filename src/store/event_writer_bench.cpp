// Event log throughput into SQLite with group commit (issue 5 target: >= 100,000 events/s).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "store/event_writer.h"
#include "store/sqlite_store.h"

namespace {

void BM_EventLogThroughput(benchmark::State& state) {
  std::string dir = "/tmp/sb_store_bench_XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp");
    return;
  }
  const auto events = static_cast<int>(state.range(0));
  std::uint64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove(dir + "/events.db");
    auto s = sb::store::SqliteStore::open({dir + "/events.db"});
    state.ResumeTiming();
    sb::store::EventWriter w(std::unique_ptr<sb::store::EventStore>(std::move(s).value()));
    for (int i = 0; i < events; ++i) {
      w.append({1796000000000 + i, "demo", "call", "answered",
                R"({"call":12345,"leg":3,"detail":"normal"})"});
    }
    if (!w.flush(std::chrono::seconds(120))) state.SkipWithError("flush timed out");
    total += static_cast<std::uint64_t>(events);
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_EventLogThroughput)->Arg(200000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
