#include "app/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace sb::app {
namespace {

TEST(MetricsTest, RendersEveryFamilyInTheExpositionFormat) {
  MetricsSnapshot m;
  m.legs = 3;
  m.callsInbound = 10;
  m.eventsQueued = 105;
  m.eventsCommitted = 100;
  m.queues.push_back({"acme", "sales", 2, 12.5, 1, 0, 3, 1, 0, 40, 2});
  std::string text = renderMetrics(m);
  EXPECT_NE(text.find("# TYPE switchboard_legs gauge\nswitchboard_legs 3\n"), std::string::npos);
  EXPECT_NE(text.find("switchboard_calls_total{kind=\"inbound\"} 10\n"), std::string::npos);
  EXPECT_NE(text.find("switchboard_event_log_lag 5\n"), std::string::npos);
  EXPECT_NE(text.find("switchboard_queue_waiting{tenant=\"acme\",queue=\"sales\"} 2\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("switchboard_queue_oldest_wait_seconds{tenant=\"acme\",queue=\"sales\"} 12.5"),
      std::string::npos);
  EXPECT_NE(
      text.find("switchboard_queue_agents{tenant=\"acme\",queue=\"sales\",state=\"on_call\"} 3"),
      std::string::npos);
  // Every line is a comment or `name{labels} value`.
  std::regex sample(R"(^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$)");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  MetricsSnapshot m;
  m.queues.push_back({"a\"b", "q\\1\nx", 0, 0, 0, 0, 0, 0, 0, 0, 0});
  std::string text = renderMetrics(m);
  EXPECT_NE(text.find("tenant=\"a\\\"b\",queue=\"q\\\\1\\nx\""), std::string::npos);
}

}  // namespace
}  // namespace sb::app
