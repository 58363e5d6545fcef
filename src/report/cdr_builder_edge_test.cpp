// CdrBuilder at the edges: recordings (also after the CDR), interruptAll, a stream that starts
// mid-call, malformed bodies, agent intervals, and the deadlines that release held CDRs.

#include "report/cdr_builder.h"

#include "report/internal/builder_fixture.h"

namespace sb::report::testing {
namespace {

using store::Disposition;

TEST_F(BuilderTest, RecordingStoppedAfterTheCdrIsIndexedWithTheCallsAgent) {
  inbound(0, 1, 1, "100");
  queueAndAnswer(1000, 2000, 1, 1, 2, "alice");
  call(2000, "recording_started", 1, 1, "/rec/acme/1-queue.wav");
  call(3000, "recording_started", 1, 2, "/rec/acme/1-agent.wav");
  call(4000, "recording_paused", 1, 1, "");
  call(5000, "recording_resumed", 1, 1, "");
  call(6000, "recording_stopped", 1, 2, "failed: disk full");
  hangUp(20000, 1, 1, "normal", 2);
  acd(20000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  agentState(20000, "alice", "on_call", "ready", "call_ended");
  ASSERT_EQ(out.cdrs.size(), 1u);
  EXPECT_EQ(out.cdrs[0].recording, "/rec/acme/1-queue.wav");
  EXPECT_TRUE(out.recordings.empty());
  // The media worker closes the file after the call is gone.
  call(20050, "recording_stopped", 1, 1, "/rec/acme/1-queue.wav 18000ms");
  ASSERT_EQ(out.recordings.size(), 1u);
  const store::RecordingEntry& r = out.recordings[0];
  EXPECT_EQ(r.run, 1u);
  EXPECT_EQ(r.call, 1u);
  EXPECT_EQ(r.leg, 1u);
  EXPECT_EQ(r.tenant, "acme");
  EXPECT_EQ(r.agent, "alice");
  EXPECT_EQ(r.path, "/rec/acme/1-queue.wav");
  EXPECT_EQ(r.startMs, kT0 + 2000);
  EXPECT_EQ(r.durationMs, 18000);
  EXPECT_EQ(r.bytes, 0);
  EXPECT_TRUE(r.sha256.empty());
  EXPECT_EQ(builder.openCalls(), 0u);  // no CDR is reopened by the late event
  EXPECT_EQ(builder.malformed(), 0u);
}

TEST_F(BuilderTest, RecordingWithSpacesInItsPathAndWhileTheCallIsOpen) {
  inbound(0, 1, 1, "100");
  call(100, "recording_started", 1, 1, "/rec/my dir/1.wav");
  call(5100, "recording_stopped", 1, 1, "/rec/my dir/1.wav 5000ms");
  ASSERT_EQ(out.recordings.size(), 1u);
  EXPECT_EQ(out.recordings[0].path, "/rec/my dir/1.wav");
  EXPECT_EQ(out.recordings[0].agent, "");
  call(5200, "recording_stopped", 1, 1, "/rec/my dir/1.wav five seconds");
  EXPECT_EQ(builder.malformed(), 1u);
}

TEST_F(BuilderTest, InterruptAllClosesOpenCallsHeldCdrsAndAgentIntervals) {
  agentState(0, "alice", "logged_out", "ready", "login");
  agentState(0, "bob", "logged_out", "ready", "login");
  // Call 1: answered, ended, alice in wrap-up when the node stops.
  inbound(0, 1, 1, "100");
  queueAndAnswer(1000, 2000, 1, 1, 2, "alice");
  hangUp(10000, 1, 1, "normal", 2);
  acd(10000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  agentState(10000, "alice", "on_call", "wrap_up", "call_ended");
  // Call 2: waiting in the queue, ringing bob.
  inbound(3000, 2, 3, "200");
  acd(4000, "contact_queued", {{"call", "2"}, {"queue", "sales"}});
  agentState(4000, "bob", "ready", "offered", "offer");
  acd(4000, "contact_offered", {{"call", "2"}, {"queue", "sales"}, {"agent", "bob"}});
  call(4000, "leg_created", 2, 4, "outbound to sip:bob@h");
  // Call 3: in the IVR.
  inbound(5000, 3, 5, "300");
  std::size_t intervalsBefore = out.agentStates.size();
  EXPECT_EQ(builder.openCalls(), 3u);
  builder.interruptAll(kT0 + 12000, out);
  EXPECT_EQ(builder.openCalls(), 0u);
  ASSERT_EQ(out.cdrs.size(), 3u);
  const store::Cdr& answered = out.cdrs[0];
  EXPECT_EQ(answered.disposition, Disposition::kAnswered);
  EXPECT_EQ(answered.wrapUpEndMs, kT0 + 12000);
  EXPECT_EQ(answered.wrapUpMs, 2000);
  EXPECT_EQ(answered.hangupSide, "caller");
  const store::Cdr& queued = out.cdrs[1];
  EXPECT_EQ(queued.disposition, Disposition::kInterrupted);
  EXPECT_EQ(queued.endMs, kT0 + 12000);
  EXPECT_EQ(queued.hangupSide, "system");
  EXPECT_EQ(queued.hangupCause, "interrupted");
  EXPECT_EQ(queued.queue, "sales");
  EXPECT_EQ(queued.waitMs, 8000);
  EXPECT_FALSE(queued.shortAbandon);
  ASSERT_EQ(queued.legs.size(), 2u);
  EXPECT_EQ(queued.legs[1].agent, "bob");
  EXPECT_EQ(queued.legs[1].endedMs, kT0 + 12000);
  EXPECT_EQ(queued.legs[1].cause, "interrupted");
  const store::Cdr& ivr = out.cdrs[2];
  EXPECT_EQ(ivr.disposition, Disposition::kInterrupted);
  EXPECT_EQ(ivr.ivrMs, 7000);
  // alice's wrap_up and bob's offered interval end at the interrupt.
  ASSERT_EQ(out.agentStates.size(), intervalsBefore + 2);
  for (std::size_t i = intervalsBefore; i < out.agentStates.size(); ++i) {
    EXPECT_EQ(out.agentStates[i].endMs, kT0 + 12000);
  }
  EXPECT_EQ(out.agentStates[intervalsBefore].agent, "alice");
  EXPECT_EQ(out.agentStates[intervalsBefore].state, "wrap_up");
  EXPECT_EQ(out.agentStates[intervalsBefore + 1].agent, "bob");
  EXPECT_EQ(out.agentStates[intervalsBefore + 1].state, "offered");
}

TEST_F(BuilderTest, AStreamStartingMidCallBuildsWhatItCan) {
  // A recovery replays a run whose early events are gone: the first event is the accept.
  acd(0, "contact_accepted", {{"call", "7"}, {"queue", "sales"}, {"agent", "alice"}});
  call(0, "bridged", 7, 70, "", 71);
  call(5000, "unhold", 7, 70, "by us");  // never held as far as we know
  call(9000, "leg_ended", 7, 71, "normal", 70);
  acd(9000, "contact_ended", {{"call", "7"}, {"agent", "alice"}});
  agentState(9000, "alice", "on_call", "ready", "call_ended");  // first sight of alice
  call(9000, "leg_ended", 7, 70, "peer_hung_up");
  call(9000, "call_ended", 7, 70, "peer_hung_up");
  const store::Cdr& c = only();
  EXPECT_EQ(c.call, 7u);
  EXPECT_EQ(c.disposition, Disposition::kAnswered);
  EXPECT_EQ(c.startMs, kT0);
  EXPECT_EQ(c.queuedMs, kT0);
  EXPECT_EQ(c.queue, "sales");
  EXPECT_EQ(c.agent, "alice");
  EXPECT_EQ(c.talkMs, 9000);
  EXPECT_EQ(c.hangupCause, "peer_hung_up");  // nothing qualified: the call's own cause
  EXPECT_EQ(c.legs.size(), 2u);
  EXPECT_TRUE(out.agentStates.empty());  // alice's earlier state is unknown
  EXPECT_EQ(builder.malformed(), 0u);
}

TEST_F(BuilderTest, MalformedBodiesAreCountedAndIgnored) {
  raw(0, "call", "call_created", "not json");
  raw(0, "call", "call_created", "[1,2]");
  raw(0, "call", "leg_created", R"({"call":"abc","leg":1})");
  raw(0, "call", "leg_created", R"({"call":-1,"leg":1})");
  raw(0, "call", "leg_created", R"({"call":1,"leg":1,"detail":42})");
  raw(0, "call", "leg_created", R"({"leg":1,"detail":"inbound from 1"})");  // no call
  raw(0, "call", "answered", R"({"call":1})");                              // no leg
  raw(0, "acd", "agent_state", R"({"from":"ready","to":"offered"})");       // no agent
  raw(0, "flow", "step", R"({"node":"x"})");                                // no call
  raw(0, "call", "call_created", "");
  raw(0, "acd", "contact_queued", R"({"call":{"x":1}})");
  EXPECT_EQ(builder.malformed(), 11u);
  EXPECT_EQ(builder.openCalls(), 0u);
  EXPECT_TRUE(out.empty());
  // Unknown kinds and sources are not malformed, just not ours.
  raw(0, "crm", "lookup", R"({"x":"y"})");
  raw(0, "acd", "owner_assigned", R"({"agent":"a","customer":"1"})");
  EXPECT_EQ(builder.malformed(), 11u);
}

TEST_F(BuilderTest, AgentIntervalsCloseAtEachTransitionAndSkipZeroLength) {
  agentState(0, "alice", "logged_out", "ready", "login");
  agentState(5000, "alice", "ready", "offered", "offer");
  agentState(5000, "alice", "offered", "ready", "abandoned");  // same millisecond
  agentState(5000, "alice", "ready", "offered", "offer");
  agentState(8000, "alice", "offered", "on_call", "accepted");
  agentState(20000, "alice", "on_call", "not_ready", "break");
  agentState(30000, "alice", "not_ready", "logged_out", "logout");
  tenant = "other";  // one agent per tenant: another tenant's alice is someone else
  agentState(31000, "alice", "logged_out", "ready", "login");
  ASSERT_EQ(out.agentStates.size(), 4u);  // logged_out stays open; other's alice is new
  const auto& a = out.agentStates;
  EXPECT_EQ(a[0].state, "ready");
  EXPECT_EQ(a[0].reason, "login");
  EXPECT_EQ(a[0].startMs, kT0);
  EXPECT_EQ(a[0].endMs, kT0 + 5000);
  EXPECT_EQ(a[1].state, "offered");
  EXPECT_EQ(a[1].reason, "offer");
  EXPECT_EQ(a[1].startMs, kT0 + 5000);
  EXPECT_EQ(a[1].endMs, kT0 + 8000);
  EXPECT_EQ(a[2].state, "on_call");
  EXPECT_EQ(a[2].reason, "accepted");
  EXPECT_EQ(a[3].state, "not_ready");
  EXPECT_EQ(a[3].reason, "break");
  EXPECT_EQ(a[3].startMs, kT0 + 20000);
  EXPECT_EQ(a[3].endMs, kT0 + 30000);
  for (const auto& i : a) {
    EXPECT_EQ(i.tenant, "acme");
    EXPECT_EQ(i.agent, "alice");
    EXPECT_EQ(i.run, 1u);
  }
  builder.interruptAll(kT0 + 40000, out);
  ASSERT_EQ(out.agentStates.size(), 6u);
  EXPECT_EQ(out.agentStates[4].tenant, "acme");
  EXPECT_EQ(out.agentStates[4].state, "logged_out");
  EXPECT_EQ(out.agentStates[5].tenant, "other");
  EXPECT_EQ(out.agentStates[5].state, "ready");
  EXPECT_EQ(out.agentStates[5].startMs, kT0 + 31000);
}

TEST_F(BuilderTest, NoAgentStateAfterContactEndedReleasesTheCdrAtTheDecisionDeadline) {
  inbound(0, 1, 1, "100");
  queueAndAnswer(1000, 2000, 1, 1, 2, "alice");
  hangUp(10000, 1, 1, "normal", 2);
  acd(10000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  inbound(11000, 2, 3, "200");  // within the decision time: still held
  EXPECT_TRUE(out.cdrs.empty());
  inbound(12001, 3, 4, "300");  // past it: emitted before this event is applied
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kAnswered);
  EXPECT_EQ(c.wrapUpMs, 0);
  EXPECT_EQ(c.wrapUpEndMs, 0);
  EXPECT_EQ(builder.openCalls(), 2u);
}

TEST_F(BuilderTest, QueuedCallWithoutAnAcdOutcomeIsAnAbandonAfterTheSettleTime) {
  inbound(0, 1, 1, "100");
  acd(1000, "contact_queued", {{"call", "1"}, {"queue", "sales"}});
  hangUp(4000, 1, 1, "normal");
  inbound(6000, 2, 2, "200");
  EXPECT_TRUE(out.cdrs.empty());
  inbound(6001, 3, 3, "300");
  const store::Cdr& c = only();
  EXPECT_EQ(c.disposition, Disposition::kAbandoned);
  EXPECT_EQ(c.waitMs, 3000);
  EXPECT_TRUE(c.shortAbandon);
}

TEST_F(BuilderTest, WrapUpHeldForTheMaximumIsReleasedWithoutAnEnd) {
  inbound(0, 1, 1, "100");
  queueAndAnswer(1000, 2000, 1, 1, 2, "alice");
  hangUp(10000, 1, 1, "normal", 2);
  acd(10000, "contact_ended", {{"call", "1"}, {"agent", "alice"}});
  agentState(10000, "alice", "on_call", "wrap_up", "call_ended");
  inbound(10000 + 3600000, 2, 3, "200");
  EXPECT_TRUE(out.cdrs.empty());
  inbound(10000 + 3600001, 3, 4, "300");
  EXPECT_EQ(only().wrapUpEndMs, 0);
  EXPECT_EQ(only().wrapUpMs, 0);
  agentState(10000 + 3600002, "alice", "wrap_up", "ready", "wrap_up_done");
  EXPECT_EQ(out.cdrs.size(), 1u);
  EXPECT_EQ(out.agentStates.back().state, "wrap_up");
}

TEST_F(BuilderTest, RunsAreSeparate) {
  inbound(0, 1, 1, "100");
  run = 2;
  inbound(0, 1, 1, "200");  // call 1 of run 2 is another call
  EXPECT_EQ(builder.openCalls(), 2u);
  hangUp(100, 1, 1, "normal");
  ASSERT_EQ(out.cdrs.size(), 1u);
  EXPECT_EQ(out.cdrs[0].run, 2u);
  EXPECT_EQ(out.cdrs[0].caller, "200");
}

TEST_F(BuilderTest, ThresholdsArePerTenant) {
  CdrBuilder b([](std::string_view t) {
    return t == "strict" ? Thresholds{10000, 2000} : Thresholds{};
  });
  store::Derived d;
  auto feed = [&](const std::string& t, std::uint64_t callId) {
    auto ev = [&](std::int64_t ms, const char* source, const char* kind, const char* body) {
      b.apply(1, {kT0 + ms, t, source, kind, body}, d);
    };
    std::string c = std::to_string(callId);
    std::string callBody = R"({"call":)" + c + R"(,"leg":)" + c + R"(,"detail":"inbound from 1"})";
    std::string endBody = R"({"call":)" + c + R"(,"leg":)" + c + R"(,"detail":"normal"})";
    std::string acdBody = R"({"call":")" + c + R"(","queue":"q"})";
    ev(0, "call", "leg_created", callBody.c_str());
    ev(0, "acd", "contact_queued", acdBody.c_str());
    ev(15000, "call", "leg_ended", endBody.c_str());
    ev(15000, "call", "call_ended", endBody.c_str());
    ev(15000, "acd", "contact_abandoned", acdBody.c_str());
  };
  feed("strict", 1);
  feed("relaxed", 2);
  ASSERT_EQ(d.cdrs.size(), 2u);
  EXPECT_FALSE(d.cdrs[0].abandonedInSl);  // 15 s > 10 s
  EXPECT_TRUE(d.cdrs[1].abandonedInSl);   // 15 s <= 20 s
}

}  // namespace
}  // namespace sb::report::testing

namespace sb::report::testing {
namespace {

// The node hanging the caller up (a timed hang-up, the API) ends the leg "normal" like the
// caller's own BYE; the event's `by: us` tells them apart.
TEST_F(BuilderTest, CallerLegHungUpByTheNodeIsTheSystemsSide) {
  inbound(0, 1, 1, "100");
  raw(2000, "call", "leg_ended", R"({"call":1,"leg":1,"detail":"normal","by":"us"})");
  call(2000, "call_ended", 1, 1, "normal");
  inbound(3000, 2, 2, "200");
  hangUp(5000, 2, 2, "normal");
  ASSERT_EQ(out.cdrs.size(), 2u);
  EXPECT_EQ(out.cdrs[0].hangupSide, "system");
  EXPECT_EQ(out.cdrs[0].hangupCause, "normal");
  EXPECT_EQ(out.cdrs[1].hangupSide, "caller");
}

}  // namespace
}  // namespace sb::report::testing
