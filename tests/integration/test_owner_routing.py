#!/usr/bin/env python3
"""Owner routing with fallback (R2, C1): the customer "sipp" (SIPp's From user) is owned by bob.
The flow looks the caller up and queues it with owner "${customer.owner}", owner_wait 10 s.
alice has the higher skill and has been idle longest, so the queue's own strategy would pick
her; the call must be offered to bob first (contact_queued reason owner_wait, offer reason
owner), bridged to him, both hearing each other. Second call: bob's phone is no longer
registered, so his owner offer fails (unreachable) and the call falls back to the queue at
once, not after the 10 s owner wait: offered to alice, bridged to her. Nothing is left.
Every offer here is made inside enqueue() (the agents are ready when the caller arrives), so
each agent's INVITE must present the caller, not a callback."""

import re
import time

from harness import EXTENSIONS, Number, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun, server_media_address, sip_messages
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

LINE = Number("5202", app="flow", flow="main")
FLOW = {
    "name": "main",
    "start": "who",
    "nodes": {
        "who": {"type": "lookup", "next": "sales"},
        "sales": {"type": "queue", "queue": "sales", "owner": "${customer.owner}",
                  "owner_wait": 10, "next": "bye"},
        "bye": {"type": "hangup"},
    },
}
CONTACT_CENTER = {
    "queues": [{"name": "sales", "strategy": "skills", "skills": {"sales": 1},
                "offer_timeout_s": 10, "wrap_up_s": 1, "miss_delay_s": 5}],
    "agents": [
        {"name": "alice", "extension": "1001", "skills": {"sales": 9}, "queues": ["sales"],
         "logged_in": True},
        {"name": "bob", "extension": "1002", "skills": {"sales": 2}, "queues": ["sales"],
         "logged_in": True},
    ],
    "customers": [{"number": "sipp", "name": "Sipp Customer", "owner": "bob"}],
    "flows": [{"name": "main", "definition": FLOW}],
}


def states(sb: Server, agent: str) -> list[str]:
    return [e["to"] for e in sb.acd_events("agent_state") if e.get("agent") == agent]


def invites_received(phone: SippRun) -> list[str]:
    """The INVITEs a running SIPp phone has received so far (its -trace_msg file)."""
    return [m for d, m in sip_messages(phone.read("messages.log"))
            if d == "received" and m.startswith("INVITE ")]


def talk(caller: RtpPeer, agent: RtpPeer, who: str) -> None:
    """Caller and agent hear each other (the agent's peer latches on the caller's audio)."""
    caller.send_audio(tone((1000,), 0.4))
    check(agent.wait_for_packets(5, 5), f"{who} receives the caller")
    mark = len(caller.received())
    agent.send_audio(tone((600,), 1.0))
    heard = [s for p in caller.received()[mark:] for s in ulaw_decode_bytes(p.payload)]
    check(goertzel(heard, 600) > 1e6, f"the caller hears {who}")


def run(ctx) -> None:
    """owner bob first; bob unreachable -> fallback to alice at once."""
    with Server(ctx, numbers=[LINE], contact_center=CONTACT_CENTER) as sb, \
            RtpPeer() as caller1, RtpPeer() as caller2, RtpPeer() as alice_audio, \
            RtpPeer() as bob_audio, DigestRegistrar(sb) as reg:
        alice = SippRun(ctx, sb, "agent_phone_answers.xml", calls=1, timeout_s=60,
                        label="alice-1001",
                        extra=["-key", "rtp_port", str(alice_audio.port)]).start()
        bob = SippRun(ctx, sb, "agent_phone_answers.xml", calls=1, timeout_s=60,
                      label="bob-1002", extra=["-key", "rtp_port", str(bob_audio.port)]).start()
        runs = [alice, bob]
        try:
            for user, phone in (("1001", alice), ("1002", bob)):
                out = reg.register(user, EXTENSIONS[user],
                                   contact=f"sip:{user}@127.0.0.1:{phone.local_port}")
                check(out.status == 200, f"{user} registered ({out.status_line})")
            with step("the owner's customer calls: offered to bob, not alice"):
                first = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1,
                                service=LINE.number, duration_ms=6000, timeout_s=30,
                                label="caller-1", extra=["-key", "rtp_port", str(caller1.port)])
                runs.append(first)
                first.start()
                wait_until(lambda: sb.acd_events("contact_accepted"), 10, "an agent accepts")
                queued = sb.acd_events("contact_queued")
                check([(e.get("agent"), e.get("reason")) for e in queued] == [("bob", "owner_wait")],
                      f"the contact waits for its owner bob ({queued})")
                offered = [(e["agent"], e.get("reason")) for e in sb.acd_events("contact_offered")]
                check(offered == [("bob", "owner")], f"offered to bob as the owner ({offered})")
                accepted = sb.acd_events("contact_accepted")
                check(accepted[0]["agent"] == "bob", f"bob accepted ({accepted})")
                invite = wait_until(lambda: invites_received(bob), 5, "bob's INVITE")[0]
                check("<sip:sipp@" in invite.split("\nFrom:", 1)[1].split("\n", 1)[0],
                      "bob's phone is offered the caller (From sip:sipp@...)", invite)
                wait_until(lambda: sb.call_events("bridged"), 5, "the bridge")
                caller1.aim(*server_media_address(first, "SIP/2.0 200"))
                bob_audio.aim(*server_media_address(bob, "INVITE "))
                talk(caller1, bob_audio, "bob")
                r = first.wait()
                check(r.ok(calls=1), f"the first call succeeded ({r.summary()})", r)
                b = bob.wait()
                check(b.ok(calls=1), f"bob's phone got the BYE ({b.summary()})", b)
                check(invites_received(alice) == [], "alice's phone never rang")
                wait_until(lambda: states(sb, "bob")[-1:] == ["ready"], 8, "bob ready again")
                sb.wait_idle()
            with step("bob's phone is gone: his owner offer fails, alice takes the call"):
                out = reg.register("1002", EXTENSIONS["1002"], expires=0,
                                   contact=f"sip:1002@127.0.0.1:{bob.local_port}")
                check(out.status == 200, f"bob's phone unregistered ({out.status_line})")
                marks = {k: len(sb.acd_events(k)) for k in
                         ("contact_queued", "contact_offered", "offer_failed", "contact_accepted")}
                second = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1,
                                 service=LINE.number, duration_ms=6000, timeout_s=30,
                                 label="caller-2", extra=["-key", "rtp_port", str(caller2.port)])
                runs.append(second)
                second.start()
                started = time.monotonic()
                wait_until(lambda: len(sb.acd_events("contact_accepted")) >
                           marks["contact_accepted"], 10, "an agent accepts the second call")
                took = time.monotonic() - started
                queued = sb.acd_events("contact_queued")[marks["contact_queued"]:]
                check([(e.get("agent"), e.get("reason")) for e in queued][:1] ==
                      [("bob", "owner_wait")], f"it waits for bob first ({queued})")
                offered = [(e["agent"], e.get("reason")) for e in
                           sb.acd_events("contact_offered")[marks["contact_offered"]:]]
                check(offered == [("bob", "owner"), ("alice", "queue")],
                      f"offered to bob (owner), then alice (queue) ({offered})")
                failed = sb.acd_events("offer_failed")[marks["offer_failed"]:]
                check([(e["agent"], e.get("reason")) for e in failed] == [("bob", "unreachable")],
                      f"bob's offer failed: unreachable ({failed})")
                check(took < 8, f"the fallback is at once, not after the owner wait ({took:.1f} s)")
                accepted = sb.acd_events("contact_accepted")[marks["contact_accepted"]:]
                check(accepted[0]["agent"] == "alice", f"alice accepted ({accepted})")
                invite = wait_until(lambda: invites_received(alice), 5, "alice's INVITE")[0]
                check("<sip:sipp@" in invite.split("\nFrom:", 1)[1].split("\n", 1)[0],
                      "alice's phone is offered the caller (From sip:sipp@...)", invite)
                wait_until(lambda: len(sb.call_events("bridged")) >= 2, 5, "the second bridge")
                caller2.aim(*server_media_address(second, "SIP/2.0 200"))
                alice_audio.aim(*server_media_address(alice, "INVITE "))
                talk(caller2, alice_audio, "alice")
                r = second.wait()
                check(r.ok(calls=1), f"the second call succeeded ({r.summary()})", r)
                a = alice.wait()
                check(a.ok(calls=1), f"alice's phone got the BYE ({a.summary()})", a)
        finally:
            for p in runs:
                p.kill()
        sb.wait_idle()
        entered = [e["node"] for e in sb.domain_events("flow") if "enter" in e.get("words", [])]
        check(entered == ["who", "sales", "who", "sales"], f"flow steps logged ({entered})")
        found = [e for e in sb.domain_events("flow") if e.get("node") == "who"
                 and "found" in e.get("words", [])]
        check(len(found) == 2, f"the lookup found the customer both times ({len(found)})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
