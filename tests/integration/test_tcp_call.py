#!/usr/bin/env python3
"""The call scenario over TCP (SIPp -t t1: one connection): INVITE/200/ACK/BYE with SDP, 30
calls, 0 failed; responses come back on the caller's connection with a TCP Contact."""

from harness import ANSWERS, Server, check, step, test_main
from peers import parse_response, run_sipp

CALLS = 30


def run(ctx) -> None:
    """INVITE/BYE over TCP: traced call, then 30 calls with 0 failed."""
    with Server(ctx) as sb:
        with step("one call over TCP, traced"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=1,
                         transport="t1", service=ANSWERS.number, duration_ms=200,
                         timeout_s=20, label="tcp-one-call")
            check(r.ok(calls=1), f"INVITE/200/ACK/BYE/200 over TCP ({r.summary()})", r)
            _s, _r, h, body = parse_response(r.received(r"SIP/2\.0 200")[0])
            check(h["via"][0].startswith("SIP/2.0/TCP"), "the 200's Via is the TCP one",
                  h["via"])
            check("transport=tcp" in h.get("contact", [""])[0].lower(),
                  f"the 200's Contact says transport=tcp ({h.get('contact')})")
            check("a=rtpmap:0 PCMU/8000" in body, "SDP answer accepts PCMU", body)
            check(r.retransmissions == 0, "no SIPp retransmissions on a reliable transport", r)

        with step(f"{CALLS} calls over one TCP connection"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=CALLS,
                         rate=10, limit=CALLS, transport="t1", service=ANSWERS.number,
                         duration_ms=500, timeout_s=45, trace=False, label="tcp-calls")
            check(r.ok(calls=CALLS), f"{CALLS} of {CALLS} calls completed, 0 failed "
                  f"({r.summary()})", r)
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
