#!/usr/bin/env python3
"""Mid-call re-INVITE: hold (a=sendonly) is answered a=recvonly, unhold (a=sendrecv) is answered
a=sendrecv, each 2xx ACKed; an INFO in between gets 200; BYE ends the call (SIPp, UDP).
(The o= line of those answers is checked by test_reinvite_answer_keeps_sdp_origin.py.)"""

from collections import defaultdict

from harness import ANSWERS, Server, check, step, test_main
from peers import parse_response, run_sipp

CALLS = 2


def sdp_direction(body: str) -> str:
    for d in ("sendrecv", "sendonly", "recvonly", "inactive"):
        if f"a={d}" in body:
            return d
    return "none (sendrecv implied)"


def run(ctx) -> None:
    """re-INVITE hold/unhold answered recvonly/sendrecv; INFO 200; BYE."""
    with Server(ctx) as sb:
        with step("hold, INFO, unhold, BYE"):
            r = run_sipp(ctx, sb, "hold_unhold_with_reinvite.xml", calls=CALLS, rate=10,
                         service=ANSWERS.number, timeout_s=30)
            check(r.ok(calls=CALLS), f"every step answered as expected ({r.summary()})", r)
            by_call = defaultdict(list)
            for text in r.received(r"SIP/2\.0 200"):
                status, _reason, h, body = parse_response(text)
                if h["cseq"][0].endswith("INVITE"):
                    by_call[h["call-id"][0]].append(body)
            check(len(by_call) == CALLS, f"{CALLS} calls traced")
            for call_id, bodies in by_call.items():
                dirs = [sdp_direction(b) for b in bodies]
                check(dirs == ["sendrecv", "recvonly", "sendrecv"],
                      f"call {call_id}: answer directions sendrecv, recvonly, sendrecv "
                      f"(got {dirs})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
