#include "app/demo.h"

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "app/server.h"
#include "base/log.h"
#include "crowd/crowd.h"

namespace sb::app {
namespace {

/// The crowd's settings from the demo section: where the node listens (its first UDP
/// listener), which extensions the agents register as, with their passwords.
crowd::CrowdConfig crowdConfig(const Config& c, const DemoConfig& d, const DemoOptions& o) {
  crowd::CrowdConfig cc;
  for (const auto& l : c.sip) {
    if (l.transport != sip::Transport::kUdp) continue;
    cc.serverAddress = l.address == "0.0.0.0" ? "127.0.0.1" : l.address;
    cc.serverPort = l.port;
    break;
  }
  for (const auto& t : c.tenants) {
    if (t.id != d.tenant) continue;
    cc.domain = t.domains.front();
    for (const auto& user : d.agents) {
      for (const auto& e : t.extensions) {
        if (e.user == user) cc.agents.push_back({e.user, e.password});
      }
    }
  }
  cc.number = d.number;
  cc.callsPerMinute = o.callsPerMinute.value_or(d.callsPerMinute);
  cc.talkMean = std::chrono::seconds(d.talkMeanS);
  cc.patienceMean = std::chrono::seconds(d.patienceMeanS);
  cc.menuDigits = d.menuDigits;
  cc.agentNoAnswer = d.agentNoAnswer;
  cc.rtpPortMin = d.rtpPortMin;
  cc.rtpPortMax = d.rtpPortMax;
  cc.maxCalls = o.maxCalls;
  cc.seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return cc;
}

}  // namespace

int runDemo(Config config, const DemoOptions& options) {
  if (!config.demo) {
    std::cerr << "switchboard demo: the configuration has no demo: section\n";
    return 2;
  }
  DemoConfig demo = *config.demo;
  crowd::CrowdConfig cc = crowdConfig(config, demo, options);
  Server server(std::move(config));
  server.setWallboard(std::chrono::seconds(10));
  server.setConfigPath(options.configPath);
  if (auto r = server.start(); !r) {
    std::cerr << "switchboard: " << r.error().message << "\n";
    return 1;
  }
  crowd::Crowd people(cc, [](const std::string& line) { spdlog::info("{}", line); });
  if (auto r = people.start(); !r) {
    std::cerr << "switchboard demo: " << r.error().message << "\n";
    server.stop();
    server.run();
    return 1;
  }
  spdlog::info("demo: {} simulated agents on {}, customers call {} at {}/min; Ctrl-C stops",
               cc.agents.size(), demo.tenant, demo.number, cc.callsPerMinute);
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  std::thread timer;
  if (options.durationS > 0) {
    timer = std::thread([&] {
      std::unique_lock lock(m);
      if (!cv.wait_for(lock, std::chrono::seconds(options.durationS), [&] { return finished; })) {
        server.stop();
      }
    });
  }
  server.run();  // until the duration passes or SIGINT/SIGTERM
  {
    std::lock_guard lock(m);
    finished = true;
  }
  cv.notify_all();
  if (timer.joinable()) timer.join();
  auto s = people.stats();
  people.stop();
  spdlog::info(
      "demo: customers placed {} calls, {} reached an agent, {} abandoned; agents answered {}, "
      "missed {}",
      s.callsPlaced, s.connectedToAgent, s.abandoned, s.agentAnswered, s.agentMissed);
  return 0;
}

}  // namespace sb::app
