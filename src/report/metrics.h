#pragma once
// Report figures (W1): queue and tenant figures over 15-minute interval sums (service level in
// three variants, ASA, AHT, abandons, ...), grouped into periods from 15 minutes to a year;
// agent figures over state intervals (time per state, occupancy); and the roll-up of CDRs into
// interval sums that the store's SQL must match. Definitions: docs/metrics.md. Pure
// functions, any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace sb::report {

/// How a tenant computes its service level (docs/metrics.md "Service level").
enum class SlVariant : std::uint8_t {
  kAnsweredOverAnswered,             ///< answered_in_sl / answered
  kAnsweredOverOffered,              ///< answered_in_sl / (offered - short_abandoned - callbacks)
  kAnsweredAndAbandonedOverOffered,  ///< (answered_in_sl + abandoned_in_sl) / (offered -
                                     ///< short_abandoned - callbacks)
};
/// Config name of a variant: "answered", "offered", "offered_with_abandons".
std::string_view slVariantName(SlVariant v);
/// Parses a config name; nullopt when unknown.
std::optional<SlVariant> parseSlVariant(std::string_view name);

/// One reported figure: its value (none when undefined, e.g. a ratio over 0 calls), unit
/// ("calls", "%", "ms") and formula with the numbers filled in, for the API to show.
struct Figure {
  std::optional<double> value;
  std::string unit;
  std::string formula;  ///< "answered_in_sl / answered = 42 / 50"
};

/// The figures of one queue (or of all a tenant's queues) over one period.
struct QueueFigures {
  std::string tenant;
  std::string queue;  ///< "" = all queues of the tenant
  std::int64_t fromMs = 0;
  std::int64_t toMs = 0;  ///< exclusive
  Figure offered;
  Figure answered;
  Figure abandoned;  ///< including short abandons
  Figure shortAbandoned;
  Figure callbacks;
  Figure left;
  Figure serviceLevel;        ///< %, in the tenant's variant
  Figure abandonRate;         ///< %, (abandoned - short) / (offered - short - callbacks)
  Figure asa;                 ///< ms, average speed of answer
  Figure aht;                 ///< ms, average handle time (talk + hold + wrap-up)
  Figure averageAbandonTime;  ///< ms, over all abandons
  Figure longestWait;         ///< ms
};

/// Figures of `sums` (already summed over the period and queues wanted) in variant `v`.
QueueFigures queueFigures(const store::IntervalSums& sums, SlVariant v);

/// Adds `b` into `a` (counts and durations summed, maxWaitMs the larger).
void addSums(store::IntervalSums& a, const store::IntervalSums& b);

/// Period length of a report.
enum class Grain : std::uint8_t { kQuarterHour, kHour, kDay, kMonth, kWhole };

/// The sums of one period and queue.
struct PeriodSums {
  std::int64_t fromMs = 0;
  std::int64_t toMs = 0;     ///< exclusive
  store::IntervalSums sums;  ///< queue "" when summed over queues; intervalStartMs = fromMs
};

/// The most periods one grouping returns (a year of 15-minute periods is 35,136).
inline constexpr std::size_t kMaxPeriods = 40000;
/// The most rows (periods × queues) one grouping returns: a month of 15-minute periods for 69
/// queues, a year of hours for 22.
inline constexpr std::size_t kMaxReportRows = 200000;

/// Sums the interval rows of one tenant in [fromMs, toMs) into periods of `grain` whose
/// boundaries are local midnight/hour at `utcOffsetMinutes` (a multiple of 15), clipped to
/// the range; `perQueue` gives one row per queue seen and period, else one per period over
/// all queues. Every period of the range is present, empty ones with zero sums. By period,
/// then queue. Errors: kInvalidInput (empty range, offset not a multiple of 15 minutes,
/// more than kMaxPeriods periods or kMaxReportRows rows).
Result<std::vector<PeriodSums>> groupIntervals(const std::vector<store::IntervalSums>& rows,
                                               std::int64_t fromMs, std::int64_t toMs, Grain grain,
                                               bool perQueue, int utcOffsetMinutes = 0);

/// The interval a CDR counts in: queuedMs floored to store::kIntervalMs.
std::int64_t intervalOf(const store::Cdr& cdr);
/// Adds one CDR into its interval's sums, as the store's roll-up does (counts from the
/// disposition and classification flags; maxWaitMs the larger).
void addCdr(store::IntervalSums& sums, const store::Cdr& cdr);
/// Rolls CDRs up into interval sums exactly as the store does: only CDRs with a queue, keyed
/// by (tenant, queue, intervalOf); ordered by tenant, interval, queue.
std::vector<store::IntervalSums> rollUp(const std::vector<store::Cdr>& cdrs);

/// An agent's figures over [fromMs, toMs).
struct AgentFigures {
  std::string tenant;
  std::string agent;
  std::int64_t fromMs = 0;
  std::int64_t toMs = 0;
  std::map<std::string, std::int64_t> stateMs;  ///< ms in each state, clipped to the range
  std::map<std::string, std::int64_t> notReadyByReasonMs;  ///< not_ready ms by reason
  std::int64_t loggedInMs = 0;                             ///< every state but logged_out
  Figure occupancy;          ///< %, (on_call + wrap_up) / (on_call + wrap_up + ready + offered)
  std::int64_t handled = 0;  ///< answered CDRs of the agent (countHandled)
};

/// Agent figures from the state intervals overlapping [fromMs, toMs), one per (tenant, agent),
/// by tenant then agent.
std::vector<AgentFigures> agentFigures(const std::vector<store::AgentStateInterval>& rows,
                                       std::int64_t fromMs, std::int64_t toMs);
/// Sets `handled` of each agent to its answered CDRs among `cdrs` whose acceptedMs is in the
/// agent's range (an agent without a figure yet gets none).
void countHandled(const std::vector<store::Cdr>& cdrs, std::vector<AgentFigures>& agents);

}  // namespace sb::report
