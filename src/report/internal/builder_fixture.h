#pragma once
// Tests' event feed for CdrBuilder: writes events the way app/event_log.cpp does (call bodies
// with numeric ids, ACD and flow bodies with string fields) and collects what they derive.

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "report/cdr_builder.h"

namespace sb::report::testing {

/// 2026-12-01 14:00:00 UTC, a multiple of 15 minutes.
inline constexpr std::int64_t kT0 = 1796133600000;

class BuilderTest : public ::testing::Test {
 protected:
  using Fields = std::initializer_list<std::pair<const char*, std::string>>;

  /// Feeds a call event at kT0 + ms.
  void call(std::int64_t ms, const char* kind, std::uint64_t callId, std::uint64_t leg,
            const std::string& detail = "", std::uint64_t other = 0) {
    nlohmann::json body = {{"call", callId}, {"leg", leg}, {"detail", detail}};
    if (other != 0) body["other"] = other;
    raw(ms, "call", kind, body.dump());
  }
  /// Feeds an ACD or flow event with string fields.
  void domain(std::int64_t ms, const char* source, const char* kind, Fields fields) {
    nlohmann::json body = nlohmann::json::object();
    for (const auto& [k, v] : fields) body[k] = v;
    raw(ms, source, kind, body.dump());
  }
  void acd(std::int64_t ms, const char* kind, Fields fields) { domain(ms, "acd", kind, fields); }
  void raw(std::int64_t ms, const char* source, const char* kind, const std::string& body) {
    builder.apply(run, {kT0 + ms, tenant, source, kind, body}, out);
  }

  /// An inbound call answered by the IVR: call_created, caller leg, ringing, answered.
  void inbound(std::int64_t ms, std::uint64_t callId, std::uint64_t leg, const std::string& from) {
    call(ms, "call_created", callId, leg, "5100");
    call(ms, "leg_created", callId, leg, "inbound from " + from);
    call(ms, "ringing", callId, leg);
    call(ms, "answered", callId, leg);
  }
  /// The call joins `queue`, is offered to `agent` on leg `agentLeg`, and the agent answers.
  void queueAndAnswer(std::int64_t queuedMs, std::int64_t answerMs, std::uint64_t callId,
                      std::uint64_t callerLeg, std::uint64_t agentLeg, const std::string& agent,
                      const std::string& queue = "sales") {
    std::string c = std::to_string(callId);
    acd(queuedMs, "contact_queued", {{"call", c}, {"queue", queue}});
    agentState(queuedMs, agent, "ready", "offered", "offer");
    acd(queuedMs, "contact_offered", {{"call", c}, {"queue", queue}, {"agent", agent}});
    call(queuedMs, "leg_created", callId, agentLeg, "outbound to sip:" + agent + "@h");
    call(queuedMs, "ringing", callId, agentLeg);
    call(answerMs, "answered", callId, agentLeg);
    agentState(answerMs, agent, "offered", "on_call", "accepted");
    acd(answerMs, "contact_accepted", {{"call", c}, {"queue", queue}, {"agent", agent}});
    call(answerMs, "bridged", callId, callerLeg, "", agentLeg);
  }
  void agentState(std::int64_t ms, const std::string& agent, const char* from, const char* to,
                  const char* reason) {
    acd(ms, "agent_state", {{"agent", agent}, {"from", from}, {"to", to}, {"reason", reason}});
  }
  /// The caller (leg `first`) hangs up with `cause`, the other leg follows, the call ends.
  void hangUp(std::int64_t ms, std::uint64_t callId, std::uint64_t first, const char* cause,
              std::uint64_t second = 0) {
    call(ms, "leg_ended", callId, first, cause, second);
    if (second != 0) call(ms, "leg_ended", callId, second, "peer_hung_up");
    call(ms, "call_ended", callId, second != 0 ? second : first,
         second != 0 ? "peer_hung_up" : cause);
  }
  /// The one CDR emitted so far.
  const store::Cdr& only() {
    EXPECT_EQ(out.cdrs.size(), 1u);
    return out.cdrs.at(0);
  }

  std::uint64_t run = 1;
  std::string tenant = "acme";
  CdrBuilder builder{[](std::string_view) { return Thresholds{}; }};
  store::Derived out;
};

}  // namespace sb::report::testing
