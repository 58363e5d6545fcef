// Agent figures over state intervals (docs/metrics.md "Agent states", "Occupancy").

#include <algorithm>
#include <tuple>

#include "report/metrics.h"

namespace sb::report {

namespace {

std::int64_t stateOf(const AgentFigures& a, const char* state) {
  auto it = a.stateMs.find(state);
  return it == a.stateMs.end() ? 0 : it->second;
}

void setOccupancy(AgentFigures& a) {
  std::int64_t onCall = stateOf(a, "on_call");
  std::int64_t wrapUp = stateOf(a, "wrap_up");
  std::int64_t ready = stateOf(a, "ready");
  std::int64_t offered = stateOf(a, "offered");
  std::int64_t busy = onCall + wrapUp;
  std::int64_t denominator = busy + ready + offered;
  a.occupancy.unit = "%";
  std::string& f = a.occupancy.formula;
  f = "100 * (on_call + wrap_up) / (on_call + wrap_up + ready + offered) = 100 * (";
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on literal + temporary.
  f += std::to_string(onCall);
  f += " + ";
  f += std::to_string(wrapUp);
  f += ") / (";
  f += std::to_string(onCall);
  f += " + ";
  f += std::to_string(wrapUp);
  f += " + ";
  f += std::to_string(ready);
  f += " + ";
  f += std::to_string(offered);
  f += ")";
  if (denominator > 0) {
    a.occupancy.value = 100.0 * static_cast<double>(busy) / static_cast<double>(denominator);
  } else {
    a.occupancy.formula += " (no time available or busy: no value)";
  }
}

}  // namespace

std::vector<AgentFigures> agentFigures(const std::vector<store::AgentStateInterval>& rows,
                                       std::int64_t fromMs, std::int64_t toMs) {
  std::map<std::pair<std::string, std::string>, AgentFigures> byAgent;
  for (const auto& r : rows) {
    std::int64_t ms = std::min(r.endMs, toMs) - std::max(r.startMs, fromMs);
    if (ms <= 0) continue;
    auto [it, inserted] = byAgent.try_emplace({r.tenant, r.agent});
    AgentFigures& a = it->second;
    if (inserted) {
      a.tenant = r.tenant;
      a.agent = r.agent;
      a.fromMs = fromMs;
      a.toMs = toMs;
    }
    a.stateMs[r.state] += ms;
    if (r.state == "not_ready") a.notReadyByReasonMs[r.reason] += ms;
    if (r.state != "logged_out") a.loggedInMs += ms;
  }
  std::vector<AgentFigures> out;
  out.reserve(byAgent.size());
  for (auto& [key, a] : byAgent) {
    setOccupancy(a);
    out.push_back(std::move(a));
  }
  return out;
}

void countHandled(const std::vector<store::Cdr>& cdrs, std::vector<AgentFigures>& agents) {
  std::map<std::pair<std::string, std::string>, AgentFigures*> index;
  for (auto& a : agents) {
    a.handled = 0;
    index[{a.tenant, a.agent}] = &a;
  }
  for (const auto& c : cdrs) {
    if (c.disposition != store::Disposition::kAnswered || c.agent.empty()) continue;
    auto it = index.find({c.tenant, c.agent});
    if (it == index.end()) continue;
    AgentFigures& a = *it->second;
    if (c.acceptedMs >= a.fromMs && c.acceptedMs < a.toMs) ++a.handled;
  }
}

}  // namespace sb::report
