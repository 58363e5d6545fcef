// Two crowds on loopback: one holds the agents (no customers, no registrar), the other's
// customers call an agent of the first directly (the number is the agent's user). Real SIP,
// real RTP, RFC 4733 "#" from the agent to the customer.
#include "crowd/crowd.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sb::crowd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

/// Collects the printed lines (they come from the crowds' threads).
struct Lines {
  std::mutex mutex;
  std::vector<std::string> lines;
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& l) {
      std::lock_guard lock(mutex);
      lines.push_back(l);
    };
  }
  bool contains(std::string_view part) {
    std::lock_guard lock(mutex);
    for (const auto& l : lines) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

/// Polls `done` until it holds or `limit` passes.
bool waitFor(const std::function<bool()>& done, std::chrono::steady_clock::duration limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));  // polling interval, not synchronisation
  }
  return true;
}

CrowdConfig agentsOnly(std::vector<AgentSeat> seats, std::uint16_t rtpMin) {
  CrowdConfig c;
  c.agents = std::move(seats);
  c.registerAgents = false;
  c.callsPerMinute = 0;
  c.ringMin = milliseconds(100);
  c.ringMax = milliseconds(300);
  c.agentNoAnswer = 0;
  c.talkMean = seconds(2);
  c.rtpPortMin = rtpMin;
  c.rtpPortMax = static_cast<std::uint16_t>(rtpMin + 199);
  c.seed = 7;
  return c;
}

CrowdConfig customersOf(std::uint16_t agentPort, std::string number, std::uint16_t rtpMin) {
  CrowdConfig c;
  c.serverPort = agentPort;
  c.number = std::move(number);
  c.callsPerMinute = 600;  // a call every 100 ms on average
  c.maxCalls = 2;
  c.patienceMean = seconds(20);
  c.talkMean = seconds(2);
  c.menuDelay = milliseconds(200);
  c.rtpPortMin = rtpMin;
  c.rtpPortMax = static_cast<std::uint16_t>(rtpMin + 199);
  c.seed = 11;
  return c;
}

TEST(CrowdTest, CustomersReachAnAgentWithMediaBothWaysAndStopLeavesNoLeg) {
  Lines lines;
  Crowd agents(agentsOnly({{"1001", "x"}, {"1002", "y"}}, 46000), lines.sink());
  ASSERT_TRUE(agents.start().ok());
  ASSERT_NE(agents.sipPort(), 0);
  Crowd customers(customersOf(agents.sipPort(), "1001", 46400), lines.sink());
  ASSERT_TRUE(customers.start().ok());

  // Two calls to one phone: the first is answered; the second is either rejected busy or,
  // when it comes after the first ended, answered too. Every call ends within the bounds.
  ASSERT_TRUE(waitFor(
      [&] {
        CrowdStats c = customers.stats();
        return c.callsPlaced == 2 && c.connectedToAgent + c.errors == 2 && c.legsLive == 0;
      },
      seconds(30)));
  CrowdStats c = customers.stats();
  CrowdStats a = agents.stats();
  EXPECT_GE(c.connectedToAgent, 1u);
  EXPECT_EQ(c.abandoned, 0u);
  EXPECT_EQ(c.callsAnswered, c.connectedToAgent);
  EXPECT_EQ(a.agentAnswered, c.connectedToAgent);
  EXPECT_EQ(a.agentBusy, c.errors);  // the only failure allowed: a 486 from the busy phone
  EXPECT_EQ(a.agentMissed, 0u);
  // RTP both ways: each side received what the other sent (tones, then the "#").
  EXPECT_GT(a.rtpIn, 50u);
  EXPECT_GT(a.rtpOut, 50u);
  EXPECT_GT(c.rtpIn, 50u);
  EXPECT_GT(c.rtpOut, 50u);
  EXPECT_TRUE(lines.contains("crowd: customer 138"));
  EXPECT_TRUE(lines.contains("crowd: agent 1001 answers"));
  EXPECT_TRUE(lines.contains("is talking to an agent"));

  customers.stop();
  agents.stop();
  for (const CrowdStats& s : {customers.stats(), agents.stats()}) {
    EXPECT_EQ(s.legsLive, 0u);
    EXPECT_EQ(s.dialogsLive, 0u);
    EXPECT_EQ(s.mediaSessions, 0u);
  }
}

TEST(CrowdTest, CustomersAbandonWhenNobodyAnswers) {
  Lines lines;
  CrowdConfig ac = agentsOnly({{"1001", "x"}}, 46800);
  ac.agentNoAnswer = 1.0;
  Crowd agents(ac, lines.sink());
  ASSERT_TRUE(agents.start().ok());
  CrowdConfig cc = customersOf(agents.sipPort(), "1001", 47200);
  cc.maxCalls = 1;
  cc.patienceMean = seconds(1);  // floored at 1 s, at most 5 s
  Crowd customers(cc, lines.sink());
  ASSERT_TRUE(customers.start().ok());

  ASSERT_TRUE(
      waitFor([&] { return customers.stats().abandoned == 1 && agents.stats().agentMissed == 1; },
              seconds(15)));
  EXPECT_EQ(customers.stats().connectedToAgent, 0u);
  EXPECT_EQ(customers.stats().errors, 0u);
  EXPECT_TRUE(lines.contains("abandons after"));
  EXPECT_TRUE(lines.contains("nobody picks up"));
  EXPECT_TRUE(waitFor([&] { return customers.stats().legsLive == 0; }, seconds(5)));
}

TEST(CrowdTest, StopHangsUpCallsInProgress) {
  Lines lines;
  CrowdConfig ac = agentsOnly({{"1001", "x"}}, 47600);
  ac.talkMean = seconds(60);
  Crowd agents(ac, lines.sink());
  ASSERT_TRUE(agents.start().ok());
  CrowdConfig cc = customersOf(agents.sipPort(), "1001", 48000);
  cc.maxCalls = 1;
  Crowd customers(cc, lines.sink());
  ASSERT_TRUE(customers.start().ok());
  ASSERT_TRUE(waitFor([&] { return customers.stats().connectedToAgent == 1; }, seconds(15)));

  customers.stop();  // BYEs the agent, which must see its call end
  EXPECT_EQ(customers.stats().legsLive, 0u);
  EXPECT_EQ(customers.stats().mediaSessions, 0u);
  EXPECT_TRUE(waitFor([&] { return agents.stats().legsLive == 0; }, seconds(5)));
  agents.stop();
  EXPECT_EQ(agents.stats().dialogsLive, 0u);
}

TEST(CrowdTest, RejectsBadConfig) {
  CrowdConfig c;
  c.serverAddress = "not-an-ip";
  Crowd crowd(c, {});
  auto r = crowd.start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidInput);
}

}  // namespace
}  // namespace sb::crowd
