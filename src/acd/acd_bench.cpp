// Routing decision cost at contact-center scale: 10,000 agents, 1,000 queues in 10 tenants,
// 100 skills, each agent in 5 queues with 3 skills, strategies mixed over the queues.
// Each iteration times one decision with a steady clock (manual time, so "Time" is the
// decision alone); the work that resets the scene (answer, hang up) runs untimed.
// Counters: p50/p99/p999 in microseconds, decisions_per_s over timed work, cycles_per_s over
// the whole loop including the reset work.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "acd/acd.h"

namespace sb::acd {
namespace {

constexpr int kTenants = 10;
constexpr int kQueuesPerTenant = 100;
constexpr int kAgentsPerTenant = 1000;
constexpr int kSkills = 100;

class NullPort : public AcdPort {
 public:
  void offer(const Offer& o) override { last = o; }
  void retract(OfferId, RetractReason) override {}
  void contactLeft(ContactId, LeaveReason) override {}
  void announce(ContactId, std::size_t, std::chrono::seconds) override {}
  void onEvent(const AcdEvent&) override { ++events; }
  Offer last;
  std::uint64_t events = 0;
};

struct Scene {
  ManualClock clock;
  NullPort port;
  Acd acd{clock, port, 7};
  std::vector<QueueId> queues;  // [tenant * kQueuesPerTenant + i]
  std::vector<AgentId> agents;
  std::vector<std::string> tenants;

  explicit Scene(bool loginReady) {
    Strategy strategies[] = {Strategy::kLongestIdle, Strategy::kRoundRobin,
                             Strategy::kFewestCalls, Strategy::kLeastTalkTime,
                             Strategy::kSkills,      Strategy::kRandom};
    std::mt19937_64 rng(1);
    for (int t = 0; t < kTenants; ++t) {
      tenants.push_back("tenant-" + std::to_string(t));
      for (int i = 0; i < kQueuesPerTenant; ++i) {
        QueueSpec s;
        s.tenant = tenants.back();
        s.name = "q" + std::to_string(i);
        s.strategy = strategies[i % 6];
        s.wrapUp = std::chrono::seconds(0);
        s.weight = 1.0 + (i % 3);
        // Queue i needs skill i; widening lets less skilled members in over time.
        s.requiredSkills = {{"s" + std::to_string(i % kSkills), 1 + i % 3}};
        s.widening = {{std::chrono::seconds(30), 2}, {std::chrono::seconds(60), 4}};
        queues.push_back(*acd.addQueue(s));
      }
    }
    for (int t = 0; t < kTenants; ++t) {
      for (int i = 0; i < kAgentsPerTenant; ++i) {
        AgentSpec spec{tenants[t], "a" + std::to_string(i), {}, {}};
        std::vector<int> own;
        while (own.size() < 3) {
          int s = static_cast<int>(rng() % kSkills);
          if (std::find(own.begin(), own.end(), s) == own.end()) own.push_back(s);
        }
        for (int s : own)
          spec.skills.emplace_back("s" + std::to_string(s), 3 + static_cast<int>(rng() % 8));
        AgentId a = *acd.addAgent(spec);
        agents.push_back(a);
        // Member of the queues of its three skills plus two others (with a skill deficit).
        for (int s : own) (void)acd.addMember(a, queues[t * kQueuesPerTenant + s]);
        for (int k = 0; k < 2; ++k) {
          (void)acd.addMember(
              a, queues[t * kQueuesPerTenant + static_cast<int>(rng() % kQueuesPerTenant)]);
        }
        (void)acd.login(a, loginReady);
      }
    }
  }
  ContactSpec contact(std::size_t queueIndex) {
    ContactSpec c;
    c.tenant = tenants[queueIndex / kQueuesPerTenant];
    c.queue = queues[queueIndex];
    return c;
  }
};

void report(benchmark::State& state, std::vector<double>& ns, double wallSeconds) {
  std::sort(ns.begin(), ns.end());
  auto at = [&](double p) {
    return ns[static_cast<std::size_t>(p * static_cast<double>(ns.size() - 1))] / 1e3;
  };
  double sum = 0;
  for (double v : ns) sum += v;
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["p999_us"] = at(0.999);
  state.counters["max_us"] = ns.back() / 1e3;
  state.counters["decisions_per_s"] = static_cast<double>(ns.size()) / (sum / 1e9);
  state.counters["cycles_per_s"] = static_cast<double>(ns.size()) / wallSeconds;
}

// A contact arrives with eligible ready agents: the engine picks one and offers.
void BM_EnqueueChoosesAgent(benchmark::State& state) {
  Scene scene(true);
  std::mt19937_64 rng(2);
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(state.max_iterations));
  auto wall0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    ContactSpec c = scene.contact(rng() % scene.queues.size());
    auto t0 = std::chrono::steady_clock::now();
    auto id = scene.acd.enqueue(std::move(c));
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(id);
    double d = std::chrono::duration<double, std::nano>(t1 - t0).count();
    ns.push_back(d);
    state.SetIterationTime(d / 1e9);
    const Offer& o = scene.port.last;
    if (!id.ok() || o.contact != *id) {
      state.SkipWithError("no offer made");
      break;
    }
    (void)scene.acd.offerAccepted(o.id);
    scene.clock.advance(std::chrono::milliseconds(1));
    (void)scene.acd.callEnded(o.agent);
    scene.acd.runDue();
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (!ns.empty()) report(state, ns, wall);
}
BENCHMARK(BM_EnqueueChoosesAgent)
    ->UseManualTime()
    ->Iterations(200000)
    ->Unit(benchmark::kMicrosecond);

// An agent becomes ready with contacts waiting in its 5 queues: the engine takes the best one
// across them (priority, weighted wait) and offers it.
void BM_ReadyChoosesContact(benchmark::State& state) {
  Scene scene(false);
  std::mt19937_64 rng(3);
  for (std::size_t q = 0; q < scene.queues.size(); ++q) {
    for (int k = 0; k < 5; ++k) {
      ContactSpec c = scene.contact(q);
      c.priority = static_cast<int>(rng() % 2);
      (void)scene.acd.enqueue(std::move(c));
      scene.clock.advance(std::chrono::milliseconds(1));
    }
  }
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(state.max_iterations));
  auto wall0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    AgentId a = scene.agents[rng() % scene.agents.size()];
    OfferId before = scene.port.last.id;
    auto t0 = std::chrono::steady_clock::now();
    auto r = scene.acd.ready(a);
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(r);
    double d = std::chrono::duration<double, std::nano>(t1 - t0).count();
    ns.push_back(d);
    state.SetIterationTime(d / 1e9);
    const Offer& o = scene.port.last;
    if (o.id == before || o.agent != a) {
      state.SkipWithError("no contact taken");
      break;
    }
    // Untimed: answer, ask for not ready after the call, hang up, and refill the queue.
    QueueId q = o.queue;
    (void)scene.acd.offerAccepted(o.id);
    (void)scene.acd.requestNext(a, AgentState::kNotReady, "bench");
    scene.clock.advance(std::chrono::milliseconds(1));
    (void)scene.acd.callEnded(a);
    ContactSpec c = scene.contact(q - 1);
    c.priority = static_cast<int>(rng() % 2);
    (void)scene.acd.enqueue(std::move(c));
    scene.acd.runDue();
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (!ns.empty()) report(state, ns, wall);
}
BENCHMARK(BM_ReadyChoosesContact)
    ->UseManualTime()
    ->Iterations(200000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace sb::acd
