// The generated month of report_query (month.h): traffic shape, CDR generation, loading.

#include "month.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "report/cdr_builder.h"
#include "store/sqlite_store.h"

namespace sb::bench {

using store::Cdr;
using store::Disposition;

std::vector<TenantPlan> monthPlan(double scale) {
  auto n = [&](double cdrs) { return static_cast<std::int64_t>(std::llround(cdrs * scale)); };
  return {{"acme", n(10'000'000), 20, 500}, {"other", n(1'000'000), 5, 50}};
}

std::int64_t monthStartMs() {
  using namespace std::chrono;
  sys_days d{year{2026} / June / 1};
  return static_cast<std::int64_t>(d.time_since_epoch().count()) * 86'400'000;
}

std::int64_t monthEndMs() {
  return monthStartMs() + std::int64_t{kDays} * 86'400'000;
}

void die(const std::string& what) {
  std::fprintf(stderr, "report_query: %s\n", what.c_str());
  std::exit(1);
}

namespace {

constexpr std::uint64_t kSeed = 20260601;

/// Relative call volume of quarter hour `i` of the month: a business-day curve (peaks late
/// morning and early afternoon, quiet nights), weekends lighter.
double intervalWeight(int i) {
  static constexpr double kHour[24] = {0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.25, 0.60,
                                       1.00, 1.20, 1.25, 1.20, 1.00, 1.10, 1.20, 1.15,
                                       1.00, 0.85, 0.60, 0.45, 0.35, 0.25, 0.15, 0.08};
  static constexpr double kWeekday[7] = {1.15, 1.0, 1.0, 1.0, 0.95, 0.45, 0.30};  // Mon..Sun
  return kHour[(i % kPerDay) / 4] * kWeekday[(i / kPerDay) % 7];
}

// ---- CDR generation --------------------------------------------------------------------------

/// Seeded CDRs of one tenant, interval by interval, classified like the builder's.
class CdrGenerator {
 public:
  CdrGenerator(const TenantPlan& plan, std::uint64_t seed) : plan_(plan), rng_(seed) {
    double sum = 0;
    for (int i = 0; i < kIntervals; ++i) {
      weights_.push_back(intervalWeight(i));
      sum += weights_.back();
      maxWeight_ = std::max(maxWeight_, weights_.back());
    }
    totalWeight_ = sum;
    double q = 0;
    for (int k = 1; k <= plan.queues; ++k) queueCum_.push_back(q += 1.0 / std::pow(k, 0.8));
  }

  /// Appends the CDRs that start in quarter hour `i`; over all intervals exactly plan.cdrs.
  void interval(int i, std::vector<Cdr>& out) {
    cum_ += weights_[static_cast<std::size_t>(i)];
    auto upto = static_cast<std::int64_t>(
        std::llround(static_cast<double>(plan_.cdrs) * cum_ / totalWeight_));
    if (i == kIntervals - 1) upto = plan_.cdrs;
    double load = weights_[static_cast<std::size_t>(i)] / maxWeight_;
    std::int64_t from = monthStartMs() + std::int64_t{i} * store::kIntervalMs;
    for (; made_ < upto; ++made_)
      out.push_back(make(from + uniformMs(0, store::kIntervalMs), load));
  }

 private:
  std::int64_t uniformMs(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi - 1)(rng_);
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  std::int64_t expMs(double meanMs, std::int64_t capMs) {
    double v = std::exponential_distribution<double>(1.0 / meanMs)(rng_);
    return std::min(static_cast<std::int64_t>(v), capMs);
  }
  std::int64_t logNormalMs(double medianMs, double sigma, std::int64_t lo, std::int64_t hi) {
    double v = std::lognormal_distribution<double>(std::log(medianMs), sigma)(rng_);
    return std::clamp(static_cast<std::int64_t>(v), lo, hi);
  }
  int pickQueue() {
    double u = std::uniform_real_distribution<double>(0, queueCum_.back())(rng_);
    return static_cast<int>(std::upper_bound(queueCum_.begin(), queueCum_.end(), u) -
                            queueCum_.begin());
  }
  std::string agentOf(int queue) {
    int per = plan_.agents / plan_.queues;
    char buf[32];
    std::snprintf(buf, sizeof buf, "agent-%03d", queue * per + static_cast<int>(uniformMs(0, per)));
    return buf;
  }

  Cdr make(std::int64_t startMs, double load);
  void answer(Cdr& c, int queue);
  void notAnswered(Cdr& c, double u);

  const TenantPlan& plan_;
  std::mt19937_64 rng_;
  std::vector<double> weights_;
  std::vector<double> queueCum_;
  double totalWeight_ = 0;
  double maxWeight_ = 0;
  double cum_ = 0;
  std::int64_t made_ = 0;
  double waitMeanMs_ = 0;  // of the CDR being made: its queue's, scaled by the load
};

Cdr CdrGenerator::make(std::int64_t startMs, double load) {
  Cdr c;
  c.tenant = plan_.name;
  int queue = pickQueue();
  char buf[64];
  std::snprintf(buf, sizeof buf, "q%02d", queue + 1);
  c.queue = buf;
  std::snprintf(buf, sizeof buf, "+1800555%04d", 100 + queue);
  c.number = buf;
  std::snprintf(buf, sizeof buf, "+1%03d%07d", static_cast<int>(uniformMs(201, 990)),
                static_cast<int>(uniformMs(0, 10'000'000)));
  c.caller = buf;
  c.startMs = startMs;
  c.answerMs = startMs + uniformMs(200, 1'200);
  c.queuedMs = c.answerMs + uniformMs(4'000, 25'000);  // IVR: greeting, menu
  c.ivrMs = c.queuedMs - c.answerMs;
  // Queues differ (6-30 s mean wait) and waits grow with the traffic.
  waitMeanMs_ = (6'000.0 + 24'000.0 * queue / std::max(1, plan_.queues - 1)) * (0.4 + load);
  c.legs.push_back({1, "caller", c.caller, "", startMs, 0, c.answerMs, 0, "normal"});
  double u = std::uniform_real_distribution<double>(0, 1)(rng_);
  if (u < 0.85) {
    answer(c, queue);
  } else {
    notAnswered(c, u);
  }
  c.legs.front().endedMs = c.endMs;
  report::classify(c, report::Thresholds{});
  return c;
}

void CdrGenerator::answer(Cdr& c, int queue) {
  c.disposition = Disposition::kAnswered;
  c.waitMs = expMs(waitMeanMs_, 900'000);
  c.acceptedMs = c.queuedMs + c.waitMs;
  c.offeredMs = c.acceptedMs - std::min(c.waitMs, uniformMs(2'000, 8'000));  // the phone rang
  c.agent = agentOf(queue);
  std::uint64_t leg = 2;
  if (chance(0.05)) {  // a first offer that was not picked up
    std::string missed = agentOf(queue);
    c.legs.push_back({leg++, "agent", "sip:" + missed + "@" + c.tenant + ".sb.example", missed,
                      c.offeredMs, c.offeredMs + 80, 0, c.offeredMs + 1'500, "no_answer"});
  }
  c.holdMs = chance(0.18) ? expMs(60'000, 900'000) : 0;
  c.talkMs = logNormalMs(240'000, 0.7, 10'000, 3 * 3'600'000);
  c.endMs = c.acceptedMs + c.talkMs + c.holdMs;
  c.wrapUpMs = chance(0.65) ? logNormalMs(30'000, 0.8, 2'000, 1'800'000) : 0;
  c.wrapUpEndMs = c.wrapUpMs > 0 ? c.endMs + c.wrapUpMs : 0;
  bool callerHungUp = chance(0.6);
  c.hangupSide = callerHungUp ? "caller" : "agent";
  c.hangupCause = "normal";
  c.legs.push_back({leg, "agent", "sip:" + c.agent + "@" + c.tenant + ".sb.example", c.agent,
                    c.offeredMs, c.offeredMs + 80, c.acceptedMs, c.endMs, "normal"});
  if (chance(0.8)) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "/var/spool/switchboard/recordings/%s/%lld-%llu.wav",
                  c.tenant.c_str(), static_cast<long long>(c.acceptedMs),
                  static_cast<unsigned long long>(leg));
    c.recording = buf;
  }
}

// u in [0.85, 1): abandoned 10 % (a third within 5 s), callback 3 %, left 2 %.
void CdrGenerator::notAnswered(Cdr& c, double u) {
  c.hangupCause = "normal";
  c.hangupSide = "caller";
  std::int64_t afterMs = 0;  // the caller's time after leaving the queue
  if (u < 0.95) {
    c.disposition = Disposition::kAbandoned;
    c.waitMs = chance(1.0 / 3) ? uniformMs(500, 5'001) : 5'001 + expMs(45'000, 900'000);
    if (chance(0.2)) c.offeredMs = c.queuedMs + c.waitMs - std::min(c.waitMs, uniformMs(1, 6'000));
  } else if (u < 0.98) {
    c.disposition = Disposition::kCallback;
    c.waitMs = 30'000 + expMs(60'000, 600'000);
    afterMs = 15'000;  // confirmation prompt
  } else {
    c.disposition = Disposition::kLeft;
    c.waitMs = chance(0.7) ? 300'000 : uniformMs(0, 2'000);  // max wait, or no agents
    afterMs = uniformMs(5'000, 60'000);                      // voicemail
  }
  c.endMs = c.queuedMs + c.waitMs + afterMs;
}

}  // namespace

LoadStats generateMonth(const std::string& path, const std::vector<TenantPlan>& plan) {
  auto opened = store::SqliteStore::open({path});
  if (!opened) die(opened.error().message);
  auto& db = **opened;
  std::vector<CdrGenerator> gens;
  for (std::size_t t = 0; t < plan.size(); ++t) gens.emplace_back(plan[t], kSeed + t);
  LoadStats st;
  auto t0 = std::chrono::steady_clock::now();
  store::Derived batch;
  auto flush = [&] {
    auto a0 = std::chrono::steady_clock::now();
    if (auto r = db.append({}, batch); !r) die(r.error().message);
    st.appendS += msSince(a0) / 1000;
    st.cdrs += static_cast<std::int64_t>(batch.cdrs.size());
    batch.cdrs.clear();
  };
  std::vector<Cdr> interval;
  std::uint64_t run = 0, call = 0;
  for (int i = 0; i < kIntervals; ++i) {
    interval.clear();
    for (auto& g : gens) g.interval(i, interval);
    std::sort(interval.begin(), interval.end(),
              [](const Cdr& a, const Cdr& b) { return a.startMs < b.startMs; });
    auto weekRun = static_cast<std::uint64_t>(1 + i / (7 * kPerDay));  // a weekly restart
    if (weekRun != run) run = weekRun, call = 0;
    for (auto& c : interval) {
      c.run = run;
      c.call = ++call;
      batch.cdrs.push_back(std::move(c));
      if (batch.cdrs.size() == kBatch) flush();
    }
    if ((i + 1) % (5 * kPerDay) == 0 && st.appendS > 0) {
      std::fprintf(stderr, "  day %2d: %lld CDRs stored, %.0f CDRs/s in append\n",
                   (i + 1) / kPerDay, static_cast<long long>(st.cdrs),
                   static_cast<double>(st.cdrs) / st.appendS);
    }
  }
  if (!batch.cdrs.empty()) flush();
  st.wallS = msSince(t0) / 1000;
  return st;
}

}  // namespace sb::bench
