#pragma once
// What the store writer derives from the events it commits (CDRs, agent intervals,
// recordings), and the recovery of runs that never finished (the node was killed).
// report::CdrBuilder is the projection; app/ adapts it. Writer thread only.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "base/result.h"
#include "store/event_store.h"

namespace sb::store {

/// Derives records from events, in log order, keeping what it needs between batches.
class Projection {
 public:
  virtual ~Projection() = default;
  /// Adds to `out` what `events` (appended by run `run`) complete.
  virtual void apply(std::uint64_t run, std::span<const Event> events, Derived& out) = 0;
  /// Adds to `out` everything still open, closed at `timeMs` (the run ends).
  virtual void finish(std::int64_t timeMs, Derived& out) = 0;
};

/// Makes a fresh projection (one per recovered run, one for the live run).
using ProjectionFactory = std::function<std::unique_ptr<Projection>()>;

/// Closes every run in `runs` (RunStart::unfinished): replays its recovery events through a
/// fresh projection, closes what is left open at the run's last event, and marks the run
/// finished — all of one run in one transaction, so a second restart adds nothing. Returns
/// the number of records written.
Result<std::size_t> recoverRuns(EventStore& store, const std::vector<std::uint64_t>& runs,
                                const ProjectionFactory& make, std::int64_t nowMs);

}  // namespace sb::store
