// Event log throughput into PostgreSQL with group commit (event_writer_bench.cpp for SQLite).
// Needs a server: SB_BENCH_PG_CONNINFO (a libpq conninfo of a role that may create
// databases), or SB_TEST_PG_CONNINFO_FILE as the tests use — e.g.
//   PG_TEST_DURABLE=1 scripts/pg-test-server.sh start /tmp/pgb
//   SB_TEST_PG_CONNINFO_FILE=/tmp/pgb/conninfo build/release/src/store/pg_store_bench
// Each run gets its own database, dropped at the end.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "store/event_writer.h"
#include "store/pg_store.h"

namespace {

std::string serverConninfo() {
  if (const char* c = std::getenv("SB_BENCH_PG_CONNINFO"); c != nullptr) return c;
  std::string line;
  if (const char* f = std::getenv("SB_TEST_PG_CONNINFO_FILE"); f != nullptr) {
    std::ifstream in(f);
    std::getline(in, line);
  }
  return line;
}

bool exec(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  bool ok = PQstatus(c) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(c, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  PQfinish(c);
  return ok;
}

void BM_PgEventLogThroughput(benchmark::State& state) {
  std::string server = serverConninfo();
  if (server.empty()) {
    state.SkipWithError("set SB_BENCH_PG_CONNINFO or SB_TEST_PG_CONNINFO_FILE");
    return;
  }
  std::string db = "sb_bench_" + std::to_string(::getpid());
  if (!exec(server, "CREATE DATABASE " + db)) {
    state.SkipWithError("CREATE DATABASE failed");
    return;
  }
  const std::string conninfo = server + " dbname=" + db;
  const auto events = static_cast<int>(state.range(0));
  std::uint64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto s = sb::store::PgStore::open({conninfo});
    if (!s) {
      state.SkipWithError(s.error().message.c_str());
      break;
    }
    (void)(*s)->beginRun(1796000000000);
    state.ResumeTiming();
    sb::store::EventWriter w(std::unique_ptr<sb::store::EventStore>(std::move(s).value()));
    for (int i = 0; i < events; ++i) {
      w.append({1796000000000 + i, "demo", "call", "answered",
                R"({"call":12345,"leg":3,"detail":"normal"})", 12345});
    }
    if (!w.flush(std::chrono::seconds(120))) state.SkipWithError("flush timed out");
    total += static_cast<std::uint64_t>(events);
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  (void)exec(server, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
}
BENCHMARK(BM_PgEventLogThroughput)->Arg(200000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
