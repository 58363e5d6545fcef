#!/usr/bin/env python3
"""The inbound contact center end to end (F1, R1, R4): a caller dials a `flow` number, hears
the welcome, presses 1 in the menu and is queued for "sales". The ACD offers the call to
alice first (skills strategy, her level is higher); her phone rings and nobody answers, so
after the offer timeout the offer is retracted (CANCEL) and bob's phone rings and answers.
The caller and bob hear each other. The caller hangs up: bob goes to wrap-up, then ready.
Alice, after her miss, is ready again. Nothing is left behind."""

import urllib.request

from harness import EXTENSIONS, Number, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

LINE = Number("5100", app="flow", flow="main")
FLOW = {
    "name": "main",
    "start": "welcome",
    "nodes": {
        "welcome": {"type": "say", "text": "Thank you for calling.", "next": "menu"},
        "menu": {"type": "menu", "prompt": "For sales press 1.", "options": {"1": "sales"},
                 "timeout": 8, "next_timeout": "bye", "next_invalid": "bye"},
        "sales": {"type": "queue", "queue": "sales", "next_timeout": "bye"},
        "bye": {"type": "hangup"},
    },
}
CONTACT_CENTER = {
    "queues": [{"name": "sales", "strategy": "skills", "skills": {"sales": 1},
                "offer_timeout_s": 3, "wrap_up_s": 2, "miss_delay_s": 1}],
    "agents": [
        {"name": "alice", "extension": "1001", "skills": {"sales": 9}, "queues": ["sales"],
         "logged_in": True},
        {"name": "bob", "extension": "1002", "skills": {"sales": 2}, "queues": ["sales"],
         "logged_in": True},
    ],
    "flows": [{"name": "main", "definition": FLOW}],
}


def states(sb: Server, agent: str) -> list[str]:
    return [e["to"] for e in sb.acd_events("agent_state") if e.get("agent") == agent]


def run(ctx) -> None:
    """menu -> queue -> alice no answer -> bob answers -> bridge -> hangup -> wrap-up."""
    with Server(ctx, numbers=[LINE], contact_center=CONTACT_CENTER) as sb, \
            RtpPeer() as caller, RtpPeer() as bob_audio:
        alice = SippRun(ctx, sb, "agent_phone_rings_until_cancelled.xml", calls=1,
                        timeout_s=40, label="alice-1001").start()
        bob = SippRun(ctx, sb, "agent_phone_answers.xml", calls=1, timeout_s=40,
                      label="bob-1002", extra=["-key", "rtp_port", str(bob_audio.port)]).start()
        call = None
        try:
            with step("alice and bob register"), DigestRegistrar(sb) as reg:
                for user, phone in (("1001", alice), ("1002", bob)):
                    out = reg.register(user, EXTENSIONS[user],
                                       contact=f"sip:{user}@127.0.0.1:{phone.local_port}")
                    check(out.status == 200, f"{user} registered ({out.status_line})")
            check(sb.domain_events("flow", "published") != [], "the flow was published")
            call = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=LINE.number,
                           duration_ms=14000, timeout_s=40, label="caller",
                           extra=["-key", "rtp_port", str(caller.port)]).start()
            with step("the caller hears the welcome and presses 1"):
                check(caller.wait_for_packets(25, 10), "prompt audio reaches the caller")
                caller.send_dtmf_event("1")
                wait_until(lambda: sb.acd_events("contact_queued"), 10, "the caller is queued")
            with step("alice rings first, misses, and the offer moves to bob"):
                wait_until(lambda: sb.acd_events("contact_accepted"), 15, "an agent accepts")
                offered = [e["agent"] for e in sb.acd_events("contact_offered")]
                check(offered == ["alice", "bob"], f"offered to alice, then bob ({offered})")
                failed = sb.acd_events("offer_failed")
                check(len(failed) == 1 and failed[0]["agent"] == "alice",
                      f"alice's offer failed once ({failed})")
                accepted = sb.acd_events("contact_accepted")
                check(accepted[0]["agent"] == "bob", f"bob accepted ({accepted})")
                a = alice.wait()
                check(a.ok(calls=1), f"alice's phone was CANCELled ({a.summary()})", a)
            with step("the caller and bob are bridged and hear each other"):
                wait_until(lambda: sb.call_events("bridged"), 5, "the bridge")
                caller.send_audio(tone((1000,), 0.4))
                check(bob_audio.wait_for_packets(5, 5), "bob receives the caller")
                mark = len(caller.received())
                bob_audio.send_audio(tone((600,), 1.0))
                heard = [s for p in caller.received()[mark:] for s in
                         ulaw_decode_bytes(p.payload)]
                check(goertzel(heard, 600) > 1e6, "the caller hears bob")
            with step("the caller hangs up: bob wraps up, then is ready"):
                r = call.wait()
                check(r.ok(calls=1), f"the caller's call succeeded ({r.summary()})", r)
                b = bob.wait()
                check(b.ok(calls=1), f"bob got the BYE ({b.summary()})", b)
                wait_until(lambda: states(sb, "bob")[-1:] == ["ready"], 8, "bob ready again")
                check(states(sb, "bob")[-4:] == ["offered", "on_call", "wrap_up", "ready"],
                      f"bob: offered, on call, wrap-up, ready ({states(sb, 'bob')})")
                check(states(sb, "alice")[-2:] == ["offered", "ready"],
                      f"alice: offered, then ready after the miss ({states(sb, 'alice')})")
        finally:
            for p in (alice, bob, call):
                if p is not None:
                    p.kill()
        sb.wait_idle()
        with step("/metrics shows the queue and the committed event log"):
            def metrics() -> str:
                with urllib.request.urlopen(f"http://{sb.host}:{sb.http_port}/metrics",
                                            timeout=5) as r:
                    check(r.headers.get("Content-Type", "").startswith("text/plain"),
                          "Prometheus text format")
                    return r.read().decode()
            labels = '{tenant="it",queue="sales"}'
            ready2 = 'switchboard_queue_agents{tenant="it",queue="sales",state="ready"} 2\n'
            # The snapshot is refreshed twice a second.
            wait_until(lambda: all(x in metrics() for x in (
                f"switchboard_queue_answered_total{labels} 1\n",
                "switchboard_event_log_lag 0\n", ready2)), 5, "queue and store figures")
            text = metrics()
            ready = [l for l in text.splitlines() if l.startswith("switchboard_queue_agents{")
                     and 'state="ready"' in l]
            check(ready == ['switchboard_queue_agents{tenant="it",queue="sales",state="ready"} 2'],
                  f"both agents ready again ({ready})")
            check("switchboard_legs 0\n" in text, "no leg left")
        entered = [e["node"] for e in sb.domain_events("flow") if "enter" in e.get("words", [])]
        check(entered == ["welcome", "menu", "sales"], f"flow steps logged ({entered})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
