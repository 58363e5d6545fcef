#!/usr/bin/env python3
"""A callback request keeps the caller's place (R3, F1): the flow's menu offers 1 = wait for
sales, 2 = be called back (callback node, queue sales, number "1003", an extension of the
tenant registered by a SIPp phone standing in for the customer). The only agent, bob, is
logged in but his phone is not registered yet, so every offer to him fails (unreachable) and
he rests a second after each. Caller A presses 2: contact_callback, the server thanks A and
hangs up. Caller B then presses 1 and waits, live. Bob's phone registers: the first contact he
gets is A's callback (it kept its place ahead of B, and B was never offered while A waited),
offered as a callback ("<tenant> callback" display). Bob answers, the server calls 1003 back,
the customer's phone rings and answers, bob and the customer hear each other; the customer
hangs up. After wrap-up bob gets B, who is bridged to him. Nothing is left behind."""

import re

from harness import EXTENSIONS, Number, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun, server_media_address, sip_messages
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

LINE = Number("5205", app="flow", flow="main")
FLOW = {
    "name": "main",
    "start": "menu",
    "nodes": {
        "menu": {"type": "menu", "prompt": "For sales press 1. To be called back press 2.",
                 "options": {"1": "sales", "2": "cb"}, "timeout": 8,
                 "next_timeout": "bye", "next_invalid": "bye"},
        "sales": {"type": "queue", "queue": "sales", "next": "bye"},
        "cb": {"type": "callback", "queue": "sales", "number": "1003",
               "prompt": "We will call you back.", "next": "bye"},
        "bye": {"type": "hangup"},
    },
}
CONTACT_CENTER = {
    "queues": [{"name": "sales", "offer_timeout_s": 10, "wrap_up_s": 1, "miss_delay_s": 1,
                "max_misses": 1000}],
    "agents": [{"name": "bob", "extension": "1002", "queues": ["sales"], "logged_in": True}],
    "flows": [{"name": "main", "definition": FLOW}],
}


def received(phone: SippRun, method: str) -> list[str]:
    """The requests of `method` a running SIPp phone has received so far."""
    return [m for d, m in sip_messages(phone.read("messages.log"))
            if d == "received" and m.startswith(method + " ")]


def header(message: str, name: str) -> str:
    for line in message.split("\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def run(ctx) -> None:
    """callback request waits ahead of a live caller; agent answers; customer called back."""
    with Server(ctx, numbers=[LINE], contact_center=CONTACT_CENTER) as sb, \
            RtpPeer() as caller_a, RtpPeer() as caller_b, RtpPeer() as bob_audio, \
            RtpPeer() as customer_audio, DigestRegistrar(sb) as reg:
        bob = SippRun(ctx, sb, "agent_phone_answers.xml", calls=2, timeout_s=60,
                      label="bob-1002", extra=["-key", "rtp_port", str(bob_audio.port)])
        customer = SippRun(ctx, sb, "customer_phone_answers_then_hangs_up.xml", calls=1,
                           duration_ms=4000, timeout_s=60, label="customer-1003",
                           extra=["-key", "rtp_port", str(customer_audio.port)])
        runs = [bob, customer]
        try:
            with step("caller A asks for a callback while bob cannot be reached"):
                a = SippRun(ctx, sb, "call_with_peer_media_until_server_bye.xml", calls=1,
                            service=LINE.number, timeout_s=30, label="caller-a",
                            extra=["-key", "rtp_port", str(caller_a.port)])
                runs.append(a)
                a.start()
                check(caller_a.wait_for_packets(25, 10), "the menu reaches caller A")
                caller_a.send_dtmf_event("2")
                callback = wait_until(lambda: sb.acd_events("contact_callback"), 10,
                                      "contact_callback")
                contact_a = callback[0].get("contact")
                r = a.wait()
                check(r.ok(calls=1), f"the server thanked A and hung up ({r.summary()})", r)
                failed = sb.acd_events("offer_failed")
                check(failed and all(e["agent"] == "bob" and e.get("reason") == "unreachable"
                                     for e in failed),
                      f"bob's offers fail while his phone is not registered ({failed})")
            with step("caller B presses 1 and waits in the queue"):
                b = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=LINE.number,
                            duration_ms=25000, timeout_s=60, label="caller-b",
                            extra=["-key", "rtp_port", str(caller_b.port)])
                runs.append(b)
                b.start()
                check(caller_b.wait_for_packets(25, 10), "the menu reaches caller B")
                caller_b.send_dtmf_event("1")
                queued = wait_until(lambda: [e for e in sb.acd_events("contact_queued")
                                             if e.get("contact") != contact_a], 10,
                                    "B is queued")
                contact_b = queued[0].get("contact")
            with step("bob's phone registers: A's callback comes first"):
                bob.start()
                customer.start()
                for user, phone in (("1002", bob), ("1003", customer)):
                    out = reg.register(user, EXTENSIONS[user],
                                       contact=f"sip:{user}@127.0.0.1:{phone.local_port}")
                    check(out.status == 200, f"{user} registered ({out.status_line})")
                accepted = wait_until(lambda: sb.acd_events("contact_accepted"), 10,
                                      "bob accepts a contact")
                check(accepted[0].get("contact") == contact_a,
                      f"bob's first contact is A's callback ({accepted[0]})")
                offered = sb.acd_events("contact_offered")
                check(all(e.get("contact") == contact_a for e in offered),
                      f"B was never offered while A's callback waited ({offered})")
                check(offered[-1].get("reason") == "callback", f"offered as a callback "
                      f"({offered[-1]})")
                invite = wait_until(lambda: received(bob, "INVITE"), 5, "bob's INVITE")[0]
                check("callback" in header(invite, "From"),
                      f"bob's phone shows a callback ({header(invite, 'From')})")
            with step("the server calls the customer back and bridges bob to them"):
                invite = wait_until(lambda: received(customer, "INVITE"), 10,
                                    "the customer's phone rings")[0]
                check(invite.startswith("INVITE sip:1003@"), "the callback dials 1003",
                      invite.split("\n", 1)[0])
                wait_until(lambda: sb.call_events("bridged"), 5, "bob and the customer bridged")
                bob_audio.aim(*server_media_address(bob, "INVITE "))
                customer_audio.aim(*server_media_address(customer, "INVITE "))
                bob_audio.send_audio(tone((1000,), 0.4))
                check(customer_audio.wait_for_packets(5, 5), "the customer receives bob")
                mark = len(bob_audio.received())
                customer_audio.send_audio(tone((600,), 1.0))
                heard = [s for p in bob_audio.received()[mark:] for s in
                         ulaw_decode_bytes(p.payload)]
                check(goertzel(heard, 600) > 1e6, "bob hears the customer")
                c = customer.wait()
                check(c.ok(calls=1), f"the customer hung up ({c.summary()})", c)
                wait_until(lambda: len(received(bob, "BYE")) == 1, 5, "bob's leg is cleared")
            with step("after wrap-up bob gets caller B"):
                accepted = wait_until(lambda: sb.acd_events("contact_accepted")[1:], 10,
                                      "bob accepts B")
                check(accepted[0].get("contact") == contact_b and accepted[0]["agent"] == "bob",
                      f"bob accepted B ({accepted})")
                wait_until(lambda: len(sb.call_events("bridged")) >= 2, 5, "B bridged to bob")
                r = b.wait()
                check(r.ok(calls=1), f"B's call succeeded ({r.summary()})", r)
                p = bob.wait()
                check(p.ok(calls=2), f"bob's phone got both BYEs ({p.summary()})", p)
        finally:
            for p in runs:
                p.kill()
        sb.wait_idle()
        check(sb.acd_events("contact_abandoned") == [], "the callback is not an abandon")
        entered = [e["node"] for e in sb.domain_events("flow") if "enter" in e.get("words", [])]
        check(entered == ["menu", "cb", "bye", "menu", "sales"], f"flow steps ({entered})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
