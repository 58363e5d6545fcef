#pragma once
// `switchboard demo`: a node plus the simulated customers and agents of the config's `demo:`
// section (sb::crowd), placing and answering real SIP calls with RTP over loopback, so a
// newcomer sees flows, queues, offers, bridges, abandons and wrap-ups in the terminal.

#include <cstddef>
#include <optional>
#include <string>

#include "app/config.h"

namespace sb::app {

/// Command-line overrides of the demo.
struct DemoOptions {
  unsigned durationS = 0;                ///< stop after this long; 0 = until SIGINT/SIGTERM
  std::optional<double> callsPerMinute;  ///< overrides demo.calls_per_minute
  std::size_t maxCalls = 0;              ///< 0 = unlimited
  std::string configPath;                ///< read again on SIGHUP (flows)
};

/// Runs the demo on the calling thread; returns the process exit code (2: no demo section).
int runDemo(Config config, const DemoOptions& options);

}  // namespace sb::app
