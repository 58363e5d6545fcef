#!/usr/bin/env python3
"""Retransmissions under loss: 100 calls over UDP with SIPp dropping 10% of packets (-lost 10).
Every call must complete: SIPp retransmits its requests, the server must retransmit its 2xx
until the ACK (RFC 3261 §13.3.1.4) and answer retransmitted requests from its transactions."""

import re
from collections import Counter

from harness import ANSWERS, Server, check, step, test_main
from peers import run_sipp

CALLS = 100


def run(ctx) -> None:
    """100 calls with 10% packet loss: 0 failed."""
    with Server(ctx) as sb:
        with step(f"{CALLS} calls, 10% loss"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=CALLS,
                         rate=10, limit=CALLS, service=ANSWERS.number, duration_ms=300,
                         timeout_s=90, extra=["-lost", "10"], label="lossy-calls")
            check(r.ok(calls=CALLS), f"{CALLS} of {CALLS} calls completed, 0 failed "
                  f"({r.summary()})", r)
            check(r.retransmissions > 0, f"SIPp had to retransmit ({r.retransmissions} "
                  "retransmissions): the loss really happened", r)
            # 200 OK for the INVITE received more than once for a call = server retransmitted.
            per_call = Counter()
            for m in r.received(r"SIP/2\.0 200"):
                if re.search(r"^CSeq: *1 INVITE", m, re.M):
                    per_call[re.search(r"^Call-ID: *(\S+)", m, re.M | re.I).group(1)] += 1
            retransmitted = sum(1 for n in per_call.values() if n > 1)
            print(f"info - calls whose 200 OK the server retransmitted: {retransmitted}")
            check(r.stat("FailedMaxUDPRetrans") == 0, "no call gave up retransmitting", r)
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
