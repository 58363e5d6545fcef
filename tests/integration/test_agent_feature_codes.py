#!/usr/bin/env python3
"""Agent control from the phone (R4): alice's registered phone dials *2 (not ready), *1
(ready) and *0 (log out); each is answered, confirmed by speech and hung up by the server, and
the ACD logs the transition with its reason. The same code dialled from an address that alice
never registered from is refused (603) and logged as a security event: the From header alone
proves nothing."""

from harness import EXTENSIONS, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun

CONTACT_CENTER = {
    "queues": [{"name": "sales"}],
    "agents": [{"name": "alice", "extension": "1001", "queues": ["sales"], "logged_in": True}],
}


def states(sb: Server) -> list[tuple[str, str]]:
    return [(e["to"], e.get("reason", "")) for e in sb.acd_events("agent_state")]


def run(ctx) -> None:
    """*2, *1, *0 from alice's phone; *2 from a stranger is refused."""
    with Server(ctx, numbers=[], contact_center=CONTACT_CENTER) as sb:
        codes = [SippRun(ctx, sb, "agent_dials_feature_code.xml", calls=1, service=code,
                         timeout_s=20, label=f"dial{code[1:]}", extra=["-key", "user", "1001"])
                 for code in ("*2", "*1", "*0")]
        with step("alice's phone registers from the address it will dial from"), \
                DigestRegistrar(sb) as reg:
            for phone in codes:  # one binding per SIPp port: each call comes from its own
                out = reg.register("1001", EXTENSIONS["1001"],
                                   contact=f"sip:1001@127.0.0.1:{phone.local_port}")
                check(out.status == 200, f"registered ({out.status_line})")
        expected = [("not_ready", "break"), ("ready", "ready"), ("logged_out", "logout")]
        for phone, code, (state, reason) in zip(codes, ("*2", "*1", "*0"), expected):
            with step(f"{code}: {state}"):
                r = phone.start().wait()
                check(r.ok(calls=1), f"{code} answered, confirmed, hung up ({r.summary()})", r)
                wait_until(lambda: states(sb)[-1:] and states(sb)[-1][0] == state, 5,
                           f"alice {state}")
                check(states(sb)[-1][1] != "", f"the transition has a reason ({states(sb)[-1]})")
        with step("a stranger dialling *1 as 1001 is refused"):
            before = states(sb)
            stranger = SippRun(ctx, sb, "feature_code_from_stranger_refused.xml", calls=1,
                               service="*1", timeout_s=20, label="stranger",
                               extra=["-key", "user", "1001"]).start().wait()
            check(stranger.ok(calls=1), f"603 ({stranger.summary()})", stranger)
            ev = sb.wait_for_events("feature_code_refused", 1)
            check(ev[0].get("reason") == "not_registered_there" and ev[0].get("user") == "1001",
                  f"security event feature_code_refused ({ev[0]})")
            check(states(sb) == before, "alice's state did not change")
        sb.wait_idle()
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
