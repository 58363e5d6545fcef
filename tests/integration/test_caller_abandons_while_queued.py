#!/usr/bin/env python3
"""The caller abandons while waiting in the queue (R1, R3): the "sales" queue accepts callers
with no agent logged in (join_when_no_agents), its only agent alice is logged out. A caller
dials the `flow` number, is queued, hears the hold music (the default: US ringback, 440 + 480
Hz) and hangs up. Pinned: contact_queued then contact_abandoned for that contact, no offer was
ever made, the flow logs the queue node's "caller hung up", and nothing is left behind."""

from harness import Number, Server, check, step, test_main, wait_until
from peers import SippRun
from rtp import RtpPeer, goertzel

LINE = Number("5201", app="flow", flow="main")
FLOW = {
    "name": "main",
    "start": "sales",
    "nodes": {
        "sales": {"type": "queue", "queue": "sales", "next": "bye"},
        "bye": {"type": "hangup"},
    },
}
CONTACT_CENTER = {
    "queues": [{"name": "sales", "join_when_no_agents": True, "leave_when_no_agents": False,
                "offer_timeout_s": 10}],
    "agents": [{"name": "alice", "extension": "1001", "queues": ["sales"], "logged_in": False}],
    "flows": [{"name": "main", "definition": FLOW}],
}


def run(ctx) -> None:
    """queue with nobody logged in -> hold music -> caller hangs up -> abandoned."""
    with Server(ctx, numbers=[LINE], contact_center=CONTACT_CENTER) as sb, RtpPeer() as caller:
        call = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=LINE.number,
                       duration_ms=5000, timeout_s=30, label="caller",
                       extra=["-key", "rtp_port", str(caller.port)]).start()
        try:
            with step("the caller is queued and hears the hold music"):
                queued = wait_until(lambda: sb.acd_events("contact_queued"), 10,
                                    "the caller is queued")
                check(queued[0].get("reason") == "queued", f"queued for the queue ({queued})")
                # Two seconds of the ringback's first burst (2 s on, 4 s off).
                check(caller.wait_for_packets(100, 10), "hold music RTP reaches the caller")
                music = caller.audio()
                check(min(goertzel(music, 440), goertzel(music, 480)) > 1e5,
                      f"it is the ringback tone, 440 + 480 Hz ({goertzel(music, 440):.3g}, "
                      f"{goertzel(music, 480):.3g})")
                check(call.proc.poll() is None, "the caller is still waiting")
            with step("the caller hangs up"):
                r = call.wait()
                check(r.ok(calls=1), f"the caller hung up with BYE ({r.summary()})", r)
                abandoned = wait_until(lambda: sb.acd_events("contact_abandoned"), 5,
                                       "contact_abandoned")
                check(len(abandoned) == 1 and abandoned[0].get("contact") ==
                      queued[0].get("contact") and abandoned[0].get("reason") == "caller_hangup",
                      f"the queued contact is abandoned ({abandoned})")
                check(sb.acd_events("contact_offered") == [], "no offer was ever made")
        finally:
            call.kill()
        sb.wait_idle()
        steps = [(e["node"], " ".join(e["words"])) for e in sb.domain_events("flow")
                 if "node" in e]
        check(steps == [("sales", "enter"), ("sales", "caller hung up")],
              f"flow: entered the queue, the caller hung up there ({steps})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
