// CdrBuilder over hand-written event sequences: every disposition, hang-up side and cause,
// hold, overflow, offers that fail before one is answered, transfer, wrap-up held and released.

#include "report/cdr_builder.h"

#include "report/internal/builder_fixture.h"

namespace sb::report::testing {
namespace {

using store::Disposition;

TEST_F(BuilderTest, AnsweredCallIsHeldForWrapUpAndReleasedWhenItEnds) {
  inbound(0, 1, 1, "13800000010");
  queueAndAnswer(2000, 3000, 1, 1, 2, "alice");
  call(20000, "leg_ended", 1, 2, "normal", 1);  // the agent hangs up
  acd(20000, "contact_ended", {{"call", "1"}, {"agent", "alice"}, {"queue", "sales"}});
  agentState(20000, "alice", "on_call", "wrap_up", "call_ended");
  call(20001, "leg_ended", 1, 1, "peer_hung_up");
  call(20001, "call_ended", 1, 1, "peer_hung_up");
  EXPECT_TRUE(out.cdrs.empty());
  EXPECT_EQ(builder.openCalls(), 1u);
  agentState(25000, "alice", "wrap_up", "ready", "wrap_up_end");
  const store::Cdr& c = only();
  EXPECT_EQ(builder.openCalls(), 0u);
  EXPECT_EQ(c.run, 1u);
  EXPECT_EQ(c.call, 1u);
  EXPECT_EQ(c.tenant, "acme");
  EXPECT_EQ(c.number, "5100");
  EXPECT_EQ(c.caller, "13800000010");
  EXPECT_EQ(c.disposition, Disposition::kAnswered);
  EXPECT_EQ(c.queue, "sales");
  EXPECT_EQ(c.agent, "alice");
  EXPECT_EQ(c.startMs, kT0);
  EXPECT_EQ(c.answerMs, kT0);
  EXPECT_EQ(c.queuedMs, kT0 + 2000);
  EXPECT_EQ(c.offeredMs, kT0 + 2000);
  EXPECT_EQ(c.acceptedMs, kT0 + 3000);
  EXPECT_EQ(c.endMs, kT0 + 20001);
  EXPECT_EQ(c.wrapUpEndMs, kT0 + 25000);
  EXPECT_EQ(c.ivrMs, 2000);
  EXPECT_EQ(c.waitMs, 1000);
  EXPECT_EQ(c.talkMs, 17000);  // accepted -> contact_ended
  EXPECT_EQ(c.holdMs, 0);
  EXPECT_EQ(c.wrapUpMs, 5000);
  EXPECT_EQ(c.hangupCause, "normal");
  EXPECT_EQ(c.hangupSide, "agent");
  EXPECT_TRUE(c.answeredInSl);
  EXPECT_FALSE(c.abandonedInSl);
  EXPECT_FALSE(c.shortAbandon);
  ASSERT_EQ(c.legs.size(), 2u);
  EXPECT_EQ(c.legs[0].role, "caller");
  EXPECT_EQ(c.legs[0].peer, "13800000010");
  EXPECT_EQ(c.legs[0].cause, "peer_hung_up");
  EXPECT_EQ(c.legs[1].role, "agent");
  EXPECT_EQ(c.legs[1].agent, "alice");
  EXPECT_EQ(c.legs[1].peer, "sip:alice@h");
  EXPECT_EQ(c.legs[1].ringingMs, kT0 + 2000);
  EXPECT_EQ(c.legs[1].answeredMs, kT0 + 3000);
  EXPECT_EQ(c.legs[1].endedMs, kT0 + 20000);
}

TEST_F(BuilderTest, AnsweredWithoutWrapUpIsEmittedWhenTheAgentGoesReady) {
  inbound(0, 1, 1, "100");
  queueAndAnswer(1000, 30000, 1, 1, 2, "alice");
  hangUp(40000, 1, 1, "normal", 2);  // the caller hangs up first
  EXPECT_TRUE(out.cdrs.empty());     // the ACD's contact_ended is still to come
  acd(40000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  EXPECT_TRUE(out.cdrs.empty());  // and the agent's next state
  agentState(40000, "alice", "on_call", "ready", "call_ended");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kAnswered);
  EXPECT_EQ(c.hangupSide, "caller");
  EXPECT_EQ(c.hangupCause, "normal");
  EXPECT_EQ(c.wrapUpEndMs, 0);
  EXPECT_EQ(c.wrapUpMs, 0);
  EXPECT_EQ(c.waitMs, 29000);
  EXPECT_FALSE(c.answeredInSl);  // 29 s > 20 s
  EXPECT_EQ(c.talkMs, 10000);
}

TEST_F(BuilderTest, AbandonsAfterCallEndAreClassifiedByTheirWait) {
  // The ACD's contact_abandoned follows the call's end (the app tells it on leg end).
  struct Case {
    std::uint64_t call;
    std::int64_t waitMs;
    bool inSl;
    bool isShort;
  };
  for (Case k : {Case{1, 3000, true, true}, Case{2, 5000, true, true}, Case{3, 5001, true, false},
                 Case{4, 20000, true, false}, Case{5, 30000, false, false}}) {
    std::int64_t base = static_cast<std::int64_t>(k.call) * 100000;
    std::uint64_t leg = k.call * 10;
    inbound(base, k.call, leg, "200");
    std::string c = std::to_string(k.call);
    acd(base + 1000, "contact_queued", {{"call", c}, {"queue", "sales"}});
    hangUp(base + 1000 + k.waitMs, k.call, leg, "normal");
    acd(base + 1000 + k.waitMs, "contact_abandoned", {{"call", c}, {"queue", "sales"}});
  }
  ASSERT_EQ(out.cdrs.size(), 5u);
  for (const auto& c : out.cdrs) {
    SCOPED_TRACE(c.call);
    EXPECT_EQ(c.disposition, Disposition::kAbandoned);
    EXPECT_EQ(c.hangupSide, "caller");
    EXPECT_FALSE(c.answeredInSl);
  }
  EXPECT_EQ(out.cdrs[0].waitMs, 3000);
  EXPECT_TRUE(out.cdrs[0].shortAbandon);
  EXPECT_TRUE(out.cdrs[1].shortAbandon);  // <= threshold
  EXPECT_FALSE(out.cdrs[2].shortAbandon);
  EXPECT_TRUE(out.cdrs[2].abandonedInSl);
  EXPECT_TRUE(out.cdrs[3].abandonedInSl);  // <= 20 s
  EXPECT_FALSE(out.cdrs[4].abandonedInSl);
  EXPECT_EQ(out.cdrs[4].waitMs, 30000);
}

TEST_F(BuilderTest, CallbackIsNotAnAbandonAndItsLaterOffersAreNotThisCall) {
  inbound(0, 1, 1, "300");
  acd(1000, "contact_queued", {{"call", "1"}, {"queue", "sales"}});
  acd(9000, "contact_callback", {{"call", "1"}, {"queue", "sales"}});
  call(12000, "leg_ended", 1, 1, "normal");
  call(12000, "call_ended", 1, 1, "normal");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kCallback);
  EXPECT_EQ(c.waitMs, 8000);  // queued -> callback requested
  EXPECT_FALSE(c.shortAbandon);
  EXPECT_FALSE(c.abandonedInSl);
  // The callback is offered later under the same call reference; the agent dials a new call.
  acd(60000, "contact_offered", {{"call", "1"}, {"queue", "sales"}, {"agent", "bob"}});
  acd(62000, "contact_accepted", {{"call", "1"}, {"queue", "sales"}, {"agent", "bob"}});
  EXPECT_EQ(builder.openCalls(), 0u);
  EXPECT_EQ(out.cdrs.size(), 1u);
}

TEST_F(BuilderTest, CallbackOfferedWhileTheCallerStillListensIsNotAnAnswer) {
  inbound(0, 1, 1, "301");
  acd(1000, "contact_queued", {{"call", "1"}, {"queue", "sales"}});
  acd(9000, "contact_callback", {{"call", "1"}, {"queue", "sales"}});
  acd(9000, "contact_offered", {{"call", "1"}, {"queue", "sales"}, {"agent", "bob"}});
  acd(10000, "contact_accepted", {{"call", "1"}, {"queue", "sales"}, {"agent", "bob"}});
  hangUp(11000, 1, 1, "normal");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kCallback);
  EXPECT_EQ(c.agent, "");
  EXPECT_EQ(c.waitMs, 8000);
}

TEST_F(BuilderTest, LeftAfterMaxWaitThenVoicemail) {
  inbound(0, 1, 1, "400");
  acd(1000, "contact_queued", {{"call", "1"}, {"queue", "sales"}});
  acd(61000, "contact_left", {{"call", "1"}, {"queue", "sales"}, {"reason", "max_wait"}});
  call(61000, "recording_started", 1, 1, "/rec/vm.wav");
  hangUp(90000, 1, 1, "normal");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kLeft);
  EXPECT_EQ(c.waitMs, 60000);
  EXPECT_EQ(c.ivrMs, 1000);
  EXPECT_EQ(c.recording, "/rec/vm.wav");
}

TEST_F(BuilderTest, SelfServiceIvrOnly) {
  inbound(0, 1, 1, "500");
  domain(100, "flow", "step", {{"call", "1"}, {"leg", "1"}, {"node", "menu"}, {"type", "say"}});
  hangUp(8000, 1, 1, "normal");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kSelfService);
  EXPECT_EQ(c.hangupSide, "caller");
  EXPECT_EQ(c.ivrMs, 8000);
  EXPECT_EQ(c.waitMs, 0);
  EXPECT_TRUE(c.queue.empty());
}

TEST_F(BuilderTest, FlowHangupNodeIsTheSystemsSide) {
  inbound(0, 1, 1, "600");
  domain(
      100, "flow", "step",
      {{"call", "1"}, {"leg", "1"}, {"node", "refused"}, {"type", "hangup"}, {"words", "enter"}});
  hangUp(100, 1, 1, "normal");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kSelfService);
  EXPECT_EQ(c.hangupSide, "system");
  EXPECT_EQ(c.hangupCause, "normal");
}

TEST_F(BuilderTest, CancelledBeforeAnswerIsUnansweredByTheCaller) {
  call(0, "call_created", 1, 1, "5100");
  call(0, "leg_created", 1, 1, "inbound from 700");
  call(0, "ringing", 1, 1);
  hangUp(3000, 1, 1, "cancelled");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kUnanswered);
  EXPECT_EQ(c.hangupCause, "cancelled");
  EXPECT_EQ(c.hangupSide, "caller");
  EXPECT_EQ(c.answerMs, 0);
  EXPECT_EQ(c.ivrMs, 0);
}

TEST_F(BuilderTest, RejectedInboundIsUnansweredBySystem) {
  call(0, "call_created", 1, 1, "5100");
  call(0, "leg_created", 1, 1, "inbound from 701");
  hangUp(10, 1, 1, "unavailable");
  EXPECT_EQ(only().disposition, Disposition::kUnanswered);
  EXPECT_EQ(only().hangupSide, "system");
}

TEST_F(BuilderTest, OutboundCallWithoutACaller) {
  call(0, "call_created", 1, 1, "sip:900@trunk");
  call(0, "leg_created", 1, 1, "outbound to sip:900@trunk");
  call(500, "ringing", 1, 1);
  hangUp(30000, 1, 1, "no_answer");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kOutbound);
  EXPECT_EQ(c.hangupCause, "no_answer");  // nothing connected: the call's own cause
  EXPECT_EQ(c.hangupSide, "system");
  ASSERT_EQ(c.legs.size(), 1u);
  EXPECT_EQ(c.legs[0].role, "outbound");
  EXPECT_EQ(c.legs[0].peer, "sip:900@trunk");
}

TEST_F(BuilderTest, HoldCountsOnceWhileBothSidesAreHeldAndIsTakenFromTalk) {
  inbound(0, 1, 1, "800");
  queueAndAnswer(1000, 2000, 1, 1, 2, "alice");
  call(10000, "hold", 1, 2, "by the party");  // the agent's phone holds
  call(10000, "hold", 1, 1, "by us");         // we hold the caller (music)
  call(15000, "unhold", 1, 1, "by us");
  call(16000, "unhold", 1, 2, "by the party");
  call(30000, "hold", 1, 1, "by us");  // still on hold when the agent ends the call
  call(32000, "leg_ended", 1, 2, "normal", 1);
  acd(32000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  agentState(32000, "alice", "on_call", "ready", "call_ended");
  call(32000, "leg_ended", 1, 1, "peer_hung_up");
  call(32000, "call_ended", 1, 1, "peer_hung_up");
  const store::Cdr& c = only();
  EXPECT_EQ(c.holdMs, 6000 + 2000);
  EXPECT_EQ(c.talkMs, 30000 - 8000);
  EXPECT_EQ(c.hangupSide, "agent");
}

TEST_F(BuilderTest, HoldBeforeTheAgentDoesNotCount) {
  inbound(0, 1, 1, "801");
  call(500, "hold", 1, 1, "by us");
  queueAndAnswer(1000, 4000, 1, 1, 2, "alice");
  call(6000, "unhold", 1, 1, "by us");
  hangUp(10000, 1, 1, "normal", 2);
  acd(10000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  agentState(10000, "alice", "on_call", "ready", "call_ended");
  EXPECT_EQ(only().holdMs, 2000);  // from the accept at 4 s
  EXPECT_EQ(only().talkMs, 4000);
}

TEST_F(BuilderTest, OverflowMovesTheQueueAndTheWaitCarriesOver) {
  inbound(0, 1, 1, "900");
  acd(1000, "contact_queued", {{"call", "1"}, {"queue", "sales"}});
  acd(31000, "contact_overflowed", {{"call", "1"}, {"queue", "support"}});
  queueAndAnswer(40000, 45000, 1, 1, 2, "bob", "support");
  hangUp(60000, 1, 1, "normal", 2);
  acd(60000, "contact_ended", {{"call", "1"}, {"agent", "bob"}});
  agentState(60000, "bob", "on_call", "ready", "call_ended");
  const store::Cdr& c = only();
  EXPECT_EQ(c.queue, "support");
  EXPECT_EQ(c.queuedMs, kT0 + 1000);  // the first queue's join
  EXPECT_EQ(c.waitMs, 44000);
}

TEST_F(BuilderTest, MissedOffersGoToTheNextAgentAndDoNotDecideTheHangup) {
  inbound(0, 1, 1, "1000");
  acd(1000, "contact_queued", {{"call", "1"}, {"queue", "sales"}});
  acd(1000, "contact_offered", {{"call", "1"}, {"queue", "sales"}, {"agent", "alice"}});
  call(1000, "leg_created", 1, 2, "outbound to sip:2001@h");
  acd(1000, "contact_offered", {{"call", "1"}, {"queue", "sales"}, {"agent", "carol"}});
  acd(1000, "offer_failed", {{"call", "1"}, {"agent", "carol"}, {"reason", "unreachable"}});
  call(21000, "leg_ended", 1, 2, "no_answer");
  acd(21000, "offer_failed", {{"call", "1"}, {"agent", "alice"}, {"reason", "no_answer"}});
  acd(26000, "contact_offered", {{"call", "1"}, {"queue", "sales"}, {"agent", "bob"}});
  call(26000, "leg_created", 1, 3, "outbound to sip:2002@h");
  call(28000, "answered", 1, 3);
  acd(28000, "contact_accepted", {{"call", "1"}, {"queue", "sales"}, {"agent", "bob"}});
  hangUp(50000, 1, 1, "normal", 3);
  acd(50000, "contact_ended", {{"call", "1"}, {"agent", "bob"}});
  agentState(50000, "bob", "on_call", "ready", "call_ended");
  const store::Cdr& c = only();
  ASSERT_EQ(c.legs.size(), 3u);
  EXPECT_EQ(c.legs[1].agent, "alice");
  EXPECT_EQ(c.legs[1].cause, "no_answer");
  EXPECT_EQ(c.legs[2].agent, "bob");
  EXPECT_EQ(c.agent, "bob");
  EXPECT_EQ(c.offeredMs, kT0 + 1000);
  EXPECT_EQ(c.hangupCause, "normal");
  EXPECT_EQ(c.hangupSide, "caller");
}

TEST_F(BuilderTest, BlindTransferMarksTheTargetLeg) {
  inbound(0, 1, 1, "1100");
  queueAndAnswer(1000, 2000, 1, 1, 2, "alice");
  call(10000, "leg_created", 1, 3, "outbound to sip:+4930123@trunk");
  call(12000, "answered", 1, 3);
  call(12000, "transferred", 1, 2, "", 3);
  call(12000, "leg_ended", 1, 2, "transferred");
  acd(12000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  agentState(12000, "alice", "on_call", "wrap_up", "call_ended");
  call(12000, "bridged", 1, 1, "", 3);
  agentState(17000, "alice", "wrap_up", "ready", "wrap_up_end");
  EXPECT_TRUE(out.cdrs.empty());  // the caller still talks to the transfer target
  call(40000, "leg_ended", 1, 3, "normal", 1);
  call(40000, "leg_ended", 1, 1, "peer_hung_up");
  call(40000, "call_ended", 1, 1, "peer_hung_up");
  const store::Cdr& c = only();
  EXPECT_EQ(c.legs[2].role, "transfer");
  EXPECT_EQ(c.hangupCause, "normal");  // the target's end, not the agent's "transferred"
  EXPECT_EQ(c.hangupSide, "system");
  EXPECT_EQ(c.talkMs, 10000);  // with the agent: accepted -> contact_ended
  EXPECT_EQ(c.wrapUpMs, 5000);
  EXPECT_EQ(c.endMs, kT0 + 40000);
}

TEST_F(BuilderTest, WrapUpEnteredBeforeContactEndedStillHoldsTheCdr) {
  inbound(0, 1, 1, "1200");
  queueAndAnswer(1000, 2000, 1, 1, 2, "alice");
  agentState(9000, "alice", "on_call", "wrap_up", "call_ended");
  acd(9000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  hangUp(9000, 1, 2, "normal", 1);
  EXPECT_TRUE(out.cdrs.empty());
  agentState(12000, "alice", "wrap_up", "not_ready", "break");
  EXPECT_EQ(only().wrapUpMs, 3000);
  EXPECT_EQ(only().wrapUpEndMs, kT0 + 12000);
}

}  // namespace
}  // namespace sb::report::testing
