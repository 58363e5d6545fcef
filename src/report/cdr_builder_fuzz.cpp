// libFuzzer entry point for the CDR builder: arbitrary event streams, one event a line as
// "<time offset ms> <source> <kind> <body>", applied to one builder, then interruptAll.
// Beyond "no crash": nothing stays open after interruptAll, every CDR is classified
// consistently, and every emitted agent interval has a positive length.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "report/cdr_builder.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "cdr_builder_fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sb::report::CdrBuilder builder([](std::string_view) { return sb::report::Thresholds{}; });
  sb::store::Derived out;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::string line;
  std::int64_t t = 1796133600000;
  std::int64_t last = t;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::int64_t offset = 0;
    sb::store::Event e;
    e.tenant = "fuzz";
    if (!(s >> offset >> e.source >> e.kind)) continue;
    std::getline(s >> std::ws, e.body);
    // Time mostly moves forward (as in the log) but may step back a little.
    t += offset % 100000;
    e.timeMs = t;
    last = std::max(last, t);
    builder.apply(1 + static_cast<std::uint64_t>(offset < 0), e, out);
  }
  builder.interruptAll(last + 1, out);
  check(builder.openCalls() == 0, "calls left open after interruptAll");
  for (const auto& c : out.cdrs) {
    bool abandoned = c.disposition == sb::store::Disposition::kAbandoned;
    check(!c.shortAbandon || abandoned, "short abandon that is not an abandon");
    check(!c.answeredInSl || c.disposition == sb::store::Disposition::kAnswered,
          "in SL but not answered");
    check(c.waitMs >= 0 && c.talkMs >= 0 && c.holdMs >= 0 && c.ivrMs >= 0 && c.wrapUpMs >= 0,
          "negative duration");
  }
  for (const auto& a : out.agentStates) check(a.endMs > a.startMs, "empty agent interval");
  return 0;
}
