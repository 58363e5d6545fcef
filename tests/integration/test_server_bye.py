#!/usr/bin/env python3
"""The server hangs up: a number with hangup_after_ms 1000 sends BYE about a second after the
ACK, in the caller's dialog; SIPp answers it 200 (UDP and TCP)."""

import re

from harness import HANGS_UP, Server, check, step, test_main
from peers import run_sipp


def run(ctx) -> None:
    """The server sends BYE after hangup_after_ms; SIPp answers 200."""
    with Server(ctx) as sb:
        for transport, mode in (("UDP", "u1"), ("TCP", "t1")):
            with step(f"server BYE over {transport}"):
                r = run_sipp(ctx, sb, "server_hangs_up_after_answer.xml", calls=3, rate=10,
                             transport=mode, service=HANGS_UP.number, timeout_s=30,
                             label=f"server-bye-{transport.lower()}")
                check(r.ok(calls=3), f"{transport}: 3 calls ended by the server's BYE "
                      f"({r.summary()})", r)
                byes = r.received(r"BYE ")
                check(len(byes) == 3, f"{transport}: one BYE per call ({len(byes)})", r)
                head = byes[0].split("\n\n", 1)[0]
                check(re.search(r"^CSeq: *\d+ BYE", head, re.M) is not None,
                      f"{transport}: BYE has its own CSeq", head)
                check(re.search(r"^To:.*tag=\d+SIPpTag", head, re.M | re.I) is not None and
                      re.search(r"^From:.*tag=", head, re.M | re.I) is not None,
                      f"{transport}: BYE is in the caller's dialog (tags swapped)", head)
                check(re.search(rf"^Via: SIP/2\.0/{transport} ", head, re.M) is not None,
                      f"{transport}: BYE's Via names {transport}", head)
                # A BYE retransmission would be received more than once per call.
                call_ids = [re.search(r"^Call-ID: *(\S+)", b, re.M | re.I).group(1) for b in byes]
                check(len(set(call_ids)) == 3, f"{transport}: no duplicate BYE")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
