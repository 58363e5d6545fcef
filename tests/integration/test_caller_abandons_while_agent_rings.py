#!/usr/bin/env python3
"""The caller abandons while the ACD's offer rings the agent (R1, R3): a caller dials a `flow`
number whose first node queues it for "sales"; the only agent, alice, is ready, so her phone
rings at once and never answers (offer timeout 30 s, far beyond the call). The caller hangs up
while it rings. Pinned: the ACD logs contact_abandoned; alice's ringing leg is CANCELled (her
phone's scenario passes); alice goes back to ready with reason "abandoned" (not a miss, never
stuck in offered); the next caller is offered to alice at once, she answers, both hear each
other; nothing is left behind. Both offers are made while the ACD is still enqueueing the
caller (alice is ready when it arrives): the regression pinned is an offer made inside
enqueue() that lost its caller, so the agent's phone showed From "callback" and, once she
answered, her leg was hung up while the caller waited on hold for ever."""

import re
import time

from harness import EXTENSIONS, Number, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun, server_media_address, sip_messages
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

LINE = Number("5200", app="flow", flow="main")
FLOW = {
    "name": "main",
    "start": "sales",
    "nodes": {
        "sales": {"type": "queue", "queue": "sales", "next": "bye"},
        "bye": {"type": "hangup"},
    },
}
CONTACT_CENTER = {
    "queues": [{"name": "sales", "strategy": "longest_idle", "offer_timeout_s": 30,
                "wrap_up_s": 1, "miss_delay_s": 20}],
    "agents": [{"name": "alice", "extension": "1001", "queues": ["sales"], "logged_in": True}],
    "flows": [{"name": "main", "definition": FLOW}],
}


def alice_states(sb: Server) -> list[tuple[str, str]]:
    return [(e["to"], e.get("reason", "")) for e in sb.acd_events("agent_state")
            if e.get("agent") == "alice"]


def invites_received(phone: SippRun) -> list[str]:
    """The INVITEs a running SIPp phone has received so far (its -trace_msg file)."""
    return [m for d, m in sip_messages(phone.read("messages.log"))
            if d == "received" and m.startswith("INVITE ")]


def run(ctx) -> None:
    """queue -> alice rings -> caller hangs up -> CANCEL, alice ready -> next call to alice."""
    with Server(ctx, numbers=[LINE], contact_center=CONTACT_CENTER) as sb, \
            RtpPeer() as caller, RtpPeer() as caller2, RtpPeer() as alice_audio, \
            DigestRegistrar(sb) as reg:
        ringing = SippRun(ctx, sb, "agent_phone_rings_until_cancelled.xml", calls=1,
                          timeout_s=30, label="alice-rings").start()
        answering = SippRun(ctx, sb, "agent_phone_answers.xml", calls=1, timeout_s=60,
                            label="alice-answers",
                            extra=["-key", "rtp_port", str(alice_audio.port)])
        runs = [ringing, answering]
        try:
            ringing_contact = f"sip:1001@127.0.0.1:{ringing.local_port}"
            out = reg.register("1001", EXTENSIONS["1001"], contact=ringing_contact)
            check(out.status == 200, f"alice's phone registered ({out.status_line})")
            with step("the caller is queued and alice's phone rings"):
                first = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1,
                                service=LINE.number, duration_ms=4000, timeout_s=30,
                                label="caller-abandons",
                                extra=["-key", "rtp_port", str(caller.port)]).start()
                runs.append(first)
                wait_until(lambda: ringing.sent_count(r"SIP/2\.0 180") >= 1, 10,
                           "alice's phone rings")
                check(first.proc.poll() is None, "the caller is still on the line while alice "
                      "rings (the abandon happens during the ring)")
                offered = sb.acd_events("contact_offered")
                check([e["agent"] for e in offered] == ["alice"],
                      f"the contact was offered to alice ({offered})")
            with step("the caller hangs up while alice rings"):
                r = first.wait()
                check(r.ok(calls=1), f"the caller hung up with BYE ({r.summary()})", r)
                hung_up = time.monotonic()
                a = ringing.wait()
                check(a.ok(calls=1), f"alice's phone got CANCEL, answered 487 ({a.summary()})", a)
                late = time.monotonic() - hung_up
                check(late < 3, f"...at once, not at the offer timeout ({late:.1f} s after)")
                abandoned = wait_until(lambda: sb.acd_events("contact_abandoned"), 5,
                                       "contact_abandoned")
                check(len(abandoned) == 1 and abandoned[0].get("contact") ==
                      offered[0].get("contact"), f"one contact_abandoned, the offered contact "
                      f"({abandoned})")
                wait_until(lambda: alice_states(sb)[-1:] and alice_states(sb)[-1][0] == "ready",
                           5, "alice ready again")
                check(alice_states(sb)[-2:] == [("offered", "offer"), ("ready", "abandoned")],
                      f"alice: offered, then ready (abandoned) ({alice_states(sb)})")
                check(sb.acd_events("offer_failed") == [],
                      f"the abandon is not counted as alice's miss ({sb.acd_events('offer_failed')})")
                sb.wait_idle()
            with step("alice's phone now answers; the next caller is offered to her"):
                out = reg.register("1001", EXTENSIONS["1001"], contact=ringing_contact, expires=0)
                check(out.status == 200, f"the ringing phone unregistered ({out.status_line})")
                answering.start()
                out = reg.register("1001", EXTENSIONS["1001"],
                                   contact=f"sip:1001@127.0.0.1:{answering.local_port}")
                check(out.status == 200, f"the answering phone registered ({out.status_line})")
                second = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1,
                                 service=LINE.number, duration_ms=6000, timeout_s=30,
                                 label="caller-served",
                                 extra=["-key", "rtp_port", str(caller2.port)]).start()
                runs.append(second)
                wait_until(lambda: sb.acd_events("contact_accepted"), 10, "alice accepts")
                offered = sb.acd_events("contact_offered")
                check([e["agent"] for e in offered] == ["alice", "alice"],
                      f"the second contact was offered to alice too ({offered})")
                accepted = sb.acd_events("contact_accepted")
                check(accepted[0]["agent"] == "alice" and
                      accepted[0].get("contact") == offered[1].get("contact"),
                      f"alice accepted the second contact ({accepted})")
                invite = wait_until(lambda: invites_received(answering), 5, "alice's INVITE")[0]
                check("<sip:sipp@" in invite.split("\nFrom:", 1)[1].split("\n", 1)[0],
                      "alice's phone is offered the caller (From sip:sipp@...), not a callback",
                      invite)
                wait_until(lambda: sb.call_events("bridged"), 5, "the bridge")
                caller2.aim(*server_media_address(second, "SIP/2.0 200"))
                alice_audio.aim(*server_media_address(answering, "INVITE "))
                caller2.send_audio(tone((1000,), 0.4))
                check(alice_audio.wait_for_packets(5, 5), "alice receives the caller")
                mark = len(caller2.received())
                alice_audio.send_audio(tone((600,), 1.0))
                heard = [s for p in caller2.received()[mark:] for s in
                         ulaw_decode_bytes(p.payload)]
                check(goertzel(heard, 600) > 1e6, "the caller hears alice")
                r = second.wait()
                check(r.ok(calls=1), f"the second caller's call succeeded ({r.summary()})", r)
                a = answering.wait()
                check(a.ok(calls=1), f"alice's phone got the BYE ({a.summary()})", a)
                wait_until(lambda: alice_states(sb)[-1:] == [("ready", "wrap_up_end")], 8,
                           "alice ready after wrap-up")
                check([s for s, _ in alice_states(sb)[-4:]] ==
                      ["offered", "on_call", "wrap_up", "ready"],
                      f"alice: offered, on call, wrap-up, ready ({alice_states(sb)})")
        finally:
            for p in runs:
                p.kill()
        sb.wait_idle()
        check(len(sb.acd_events("contact_abandoned")) == 1, "still exactly one abandon")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
