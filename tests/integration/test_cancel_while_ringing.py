#!/usr/bin/env python3
"""CANCEL while the number rings (answer_after_ms 5000): 200 for the CANCEL, 487 for the INVITE,
ACK; and no 200 later from the cancelled answer timer (SIPp stays 5.5 s to see it)."""

from harness import RINGS, Server, check, step, test_main
from peers import parse_response, run_sipp

CALLS = 3


def run(ctx) -> None:
    """CANCEL while ringing: 200, 487, ACK; no late answer."""
    with Server(ctx) as sb:
        with step(f"{CALLS} calls to {RINGS.number}, each cancelled after 180"):
            r = run_sipp(ctx, sb, "caller_cancels_before_answer_timer_fires.xml", calls=CALLS,
                         rate=10, service=RINGS.number, timeout_s=30)
            check(r.ok(calls=CALLS), f"INVITE, 180, CANCEL -> 200, 487, ACK, then 5.5 s of "
                  f"silence ({r.summary()})", r)
            finals = [parse_response(m) for m in r.received(r"SIP/2\.0 (200|487)")]
            cancel_oks = [f for f in finals if f[0] == 200]
            invite_487 = [f for f in finals if f[0] == 487]
            check(len(cancel_oks) == CALLS and all("CANCEL" in f[2]["cseq"][0]
                                                   for f in cancel_oks),
                  f"every 200 answers a CANCEL, none an INVITE ({len(cancel_oks)})")
            check(len(invite_487) == CALLS and all("INVITE" in f[2]["cseq"][0]
                                                   for f in invite_487),
                  f"every INVITE ended 487 ({len(invite_487)})")
            check(r.stat("OutOfCallMsgs") == 0 and r.stat("DeadCallMsgs") == 0,
                  "no stray messages after the calls ended", r)
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
