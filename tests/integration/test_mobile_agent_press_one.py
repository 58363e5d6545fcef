#!/usr/bin/env python3
"""A mobile agent accepts with 1 and rejects with 9 (R4, T2): agent carol has no extension but
`mobile: "13800000001"` out trunk "carrier", a SIPp UAS whose media is the test's RTP peer.
A caller is queued; the server calls the mobile out the trunk, and when it answers plays
"Call for ... Press 1 to accept." (a mobile may be answered by its voicemail, so only a key
takes the call). First call: as soon as the prompt reaches the mobile it presses 1 (RFC 4733):
the offer is accepted and the mobile is bridged to the caller, audio both ways. Second call:
the mobile answers and presses 9: offer_failed reason rejected, the server hangs the mobile up,
the caller is never bridged to it (it hears hold music until it hangs up). Nothing is left."""

import re

from harness import Number, Server, check, step, test_main, wait_until
from peers import SippRun, server_media_address, sip_messages
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

MOBILE = "13800000001"
LINE = Number("5203", app="flow", flow="main")
FLOW = {
    "name": "main",
    "start": "sales",
    "nodes": {
        "sales": {"type": "queue", "queue": "sales", "next": "bye"},
        "bye": {"type": "hangup"},
    },
}
CONTACT_CENTER = {
    # The offer must outlast ring + prompt + the 8 s the mobile has to press 1; after the
    # rejection carol rests longer than the second call lasts, so she is not offered it again.
    "queues": [{"name": "sales", "offer_timeout_s": 25, "wrap_up_s": 1, "miss_delay_s": 60}],
    "agents": [{"name": "carol", "mobile": MOBILE, "trunk": "carrier", "queues": ["sales"],
                "logged_in": True}],
    "flows": [{"name": "main", "definition": FLOW}],
}


def invites_received(phone: SippRun) -> list[str]:
    return [m for d, m in sip_messages(phone.read("messages.log"))
            if d == "received" and m.startswith("INVITE ")]


def caller_leg(sb: Server, call_number: int) -> int:
    """The leg of the n-th inbound call (1-based), from the leg_created events."""
    legs = [e["leg"] for e in sb.call_events("leg_created") if e["detail"].startswith("inbound")]
    return legs[call_number - 1] if len(legs) >= call_number else 0


def bridged_with(sb: Server, leg: int) -> list[dict]:
    return [e for e in sb.call_events("bridged") if leg in (e["leg"], e["other"])]


def run(ctx) -> None:
    """mobile presses 1 -> bridged; mobile presses 9 -> rejected, caller not bridged."""
    with RtpPeer() as caller1, RtpPeer() as caller2, RtpPeer() as mobile:
        # The carrier: one SIPp UAS for both calls, its media the test's peer.
        carrier = SippRun(ctx, None, "agent_phone_answers.xml", calls=2, timeout_s=60,
                          label="carrier", target="127.0.0.1:9",
                          extra=["-key", "rtp_port", str(mobile.port)])
        trunks = [{"name": "carrier", "address": "127.0.0.1", "port": carrier.local_port,
                   "channels": 4}]
        runs = [carrier]
        with Server(ctx, numbers=[LINE], trunks=trunks, contact_center=CONTACT_CENTER) as sb:
            try:
                carrier.start()
                with step("the caller is queued; carol's mobile rings out the trunk"):
                    first = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1,
                                    service=LINE.number, duration_ms=12000, timeout_s=40,
                                    label="caller-1",
                                    extra=["-key", "rtp_port", str(caller1.port)])
                    runs.append(first)
                    first.start()
                    invite = wait_until(lambda: invites_received(carrier), 10,
                                        "the INVITE to the mobile")[0]
                    check(invite.startswith(f"INVITE sip:{MOBILE}@"),
                          f"the trunk INVITE is for {MOBILE}", invite.split("\n", 1)[0])
                    offered = sb.acd_events("contact_offered")
                    check([e["agent"] for e in offered] == ["carol"], f"offered to carol ({offered})")
                with step("the prompt reaches the mobile, which presses 1"):
                    check(mobile.wait_for_packets(10, 10), "the accept prompt reaches the mobile")
                    check(sb.acd_events("contact_accepted") == [],
                          "answering alone does not accept the offer")
                    mobile.send_dtmf_event("1")
                    accepted = wait_until(lambda: sb.acd_events("contact_accepted"), 15,
                                          "carol accepts")
                    check(accepted[0]["agent"] == "carol", f"carol accepted ({accepted})")
                with step("the mobile and the caller are bridged and hear each other"):
                    leg = caller_leg(sb, 1)
                    wait_until(lambda: bridged_with(sb, leg), 5, "the caller's leg is bridged")
                    caller1.aim(*server_media_address(first, "SIP/2.0 200"))
                    mark_mobile = len(mobile.received())
                    caller1.send_audio(tone((1000,), 1.0))
                    heard_by_mobile = [s for p in mobile.received()[mark_mobile:]
                                       for s in ulaw_decode_bytes(p.payload)]
                    check(goertzel(heard_by_mobile, 1000) > 1e6, "the mobile hears the caller")
                    mark = len(caller1.received())
                    mobile.send_audio(tone((600,), 1.0))
                    heard = [s for p in caller1.received()[mark:] for s in
                             ulaw_decode_bytes(p.payload)]
                    check(goertzel(heard, 600) > 1e6, "the caller hears the mobile")
                    r = first.wait()
                    check(r.ok(calls=1), f"the first call succeeded ({r.summary()})", r)
                    wait_until(lambda: len([m for d, m in sip_messages(carrier.read(
                        "messages.log")) if d == "received" and m.startswith("BYE ")]) == 1,
                        5, "the BYE to the mobile")
                    wait_until(lambda: [e["to"] for e in sb.acd_events("agent_state")
                                        if e.get("agent") == "carol"][-1:] == ["ready"], 8,
                               "carol ready after wrap-up")
                    sb.wait_idle()
                with step("second call: the mobile answers and presses 9"):
                    mobile.relatch()
                    mark_mobile = len(mobile.received(None))
                    marks = {k: len(sb.acd_events(k)) for k in
                             ("contact_offered", "offer_failed", "contact_accepted")}
                    bridges = len(sb.call_events("bridged"))
                    second = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1,
                                     service=LINE.number, duration_ms=8000, timeout_s=40,
                                     label="caller-2",
                                     extra=["-key", "rtp_port", str(caller2.port)])
                    runs.append(second)
                    second.start()
                    check(mobile.wait_for_packets(mark_mobile + 10, 10),
                          "the accept prompt reaches the mobile")
                    offered = sb.acd_events("contact_offered")[marks["contact_offered"]:]
                    check([e["agent"] for e in offered] == ["carol"],
                          f"offered to carol again ({offered})")
                    mobile.send_dtmf_event("9")
                    failed = wait_until(lambda: sb.acd_events("offer_failed")[
                        marks["offer_failed"]:], 15, "the offer fails")
                    check([(e["agent"], e.get("reason")) for e in failed] ==
                          [("carol", "rejected")], f"carol's offer failed: rejected ({failed})")
                    check(second.proc.poll() is None, "the caller is still waiting when the "
                          "mobile rejects")
                    c = carrier.wait()
                    check(c.ok(calls=2), f"the server hung the mobile up both times "
                          f"({c.summary()})", c)
                    r = second.wait()
                    check(r.ok(calls=1), f"the second caller hung up ({r.summary()})", r)
                    check(len(sb.call_events("bridged")) == bridges,
                          f"the second caller was never bridged ({sb.call_events('bridged')})")
                    check(len(sb.acd_events("contact_accepted")) == marks["contact_accepted"],
                          "no agent accepted the second call")
                    abandoned = wait_until(lambda: sb.acd_events("contact_abandoned"), 5,
                                           "contact_abandoned")
                    check(len(abandoned) == 1, f"the second caller abandoned ({abandoned})")
            finally:
                for p in runs:
                    p.kill()
            sb.wait_idle()
            sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
