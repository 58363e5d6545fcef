#pragma once
// The month report_query reports on (bench/report_query/main.cpp): seeded, realistic CDRs of
// two tenants over 30 days, inserted through SqliteStore::append. Private to the benchmark.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sb::bench {

/// One tenant's share of the generated month.
struct TenantPlan {
  std::string name;
  std::int64_t cdrs = 0;
  int queues = 0;  ///< "q01", "q02", ...: both tenants use the same names
  int agents = 0;  ///< split evenly over the queues
};

/// acme: 10,000,000 CDRs, 20 queues, 500 agents; other: 1,000,000, 5 queues, 50 agents; the
/// counts times `scale` (1 for the benchmark, less for a smoke run).
std::vector<TenantPlan> monthPlan(double scale);

inline constexpr int kDays = 30;
inline constexpr int kPerDay = 96;                  ///< quarter hours per day
inline constexpr int kIntervals = kDays * kPerDay;  ///< 2,880 quarter hours
inline constexpr std::size_t kBatch = 10'000;       ///< CDRs per append (one transaction)

/// 2026-06-01T00:00Z (a Monday), ms since the epoch.
std::int64_t monthStartMs();
/// monthStartMs() + 30 days.
std::int64_t monthEndMs();

/// What loading the month took.
struct LoadStats {
  std::int64_t cdrs = 0;
  double appendS = 0;  ///< inside SqliteStore::append
  double wallS = 0;    ///< generation included
};

/// Generates the month's CDRs of `plan` in start order (a weekly node run, calls numbered per
/// run) into a new SQLite database at `path`, kBatch CDRs per SqliteStore::append; never more
/// than one quarter hour and one batch in memory. Progress on stderr; exits on a store error.
LoadStats generateMonth(const std::string& path, const std::vector<TenantPlan>& plan);

/// Prints "report_query: what" on stderr and exits 1.
[[noreturn]] void die(const std::string& what);

/// Milliseconds since `t0`, steady clock.
inline double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace sb::bench
