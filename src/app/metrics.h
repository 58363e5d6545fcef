#pragma once
// Prometheus /metrics for operations (issue 5): calls, legs, dialogs, call rate counters,
// media streams and packets, queue depth and agents by state per queue, event-log lag and
// error counters, in the text exposition format 0.0.4. The control loop fills a
// MetricsSnapshot twice a second; the API loop serves the rendered text (at most 0.5 s old).

#include <cstdint>
#include <string>
#include <vector>

namespace sb::app {

/// One queue's live figures.
struct QueueMetrics {
  std::string tenant;
  std::string queue;
  std::uint64_t waiting = 0;
  double oldestWaitS = 0;
  std::uint64_t ready = 0, offered = 0, onCall = 0, wrapUp = 0, notReady = 0;
  std::uint64_t answered = 0, abandoned = 0;
};

/// Everything /metrics shows, read on the control loop.
struct MetricsSnapshot {
  std::uint64_t legs = 0, dialogs = 0, pendingInbound = 0;
  std::uint64_t callsInbound = 0, callsOutbound = 0, callsAnswered = 0, callsRejected = 0;
  std::uint64_t mediaSessions = 0, rtpIn = 0, rtpOut = 0, rtpMalformed = 0, rtpPortsExhausted = 0;
  std::uint64_t eventsQueued = 0, eventsCommitted = 0, eventsRefused = 0, storeFailures = 0;
  std::uint64_t sipOverloadRejects = 0, securityEvents = 0;
  std::int64_t controlLoopLagMs = 0;
  std::vector<QueueMetrics> queues;
};

/// The Prometheus text of a snapshot. Label values are escaped (\\, ", newline).
std::string renderMetrics(const MetricsSnapshot& m);

}  // namespace sb::app
