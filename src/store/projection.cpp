#include "store/projection.h"

#include <algorithm>

namespace sb::store {

Result<std::size_t> recoverRuns(EventStore& store, const std::vector<std::uint64_t>& runs,
                                const ProjectionFactory& make, std::int64_t nowMs) {
  std::size_t written = 0;
  for (std::uint64_t run : runs) {
    auto events = store.recoveryEvents(run);
    if (!events) return events.error();
    std::unique_ptr<Projection> p = make();
    Derived d;
    std::int64_t last = 0;
    std::vector<Event> batch;
    batch.reserve(events->size());
    for (auto& s : *events) {
      last = std::max(last, s.event.timeMs);
      batch.push_back(std::move(s.event));
    }
    p->apply(run, batch, d);
    // What was open ends where the run's log ends: the last thing known of it.
    p->finish(last != 0 ? last : nowMs, d);
    written += d.cdrs.size() + d.agentStates.size() + d.recordings.size();
    if (auto r = store.finishRun(run, d, nowMs); !r) return r.error();
  }
  return written;
}

}  // namespace sb::store
