#!/usr/bin/env python3
"""Calls to an answering number: 50 calls INVITE/100/180/200(SDP)/ACK/BYE with none failed;
the SDP answer accepts audio with PCMU; an unknown number gets 404 (SIPp over UDP)."""

from harness import ANSWERS, UNKNOWN_NUMBER, Server, check, step, test_main
from peers import parse_response, run_sipp

CALLS = 50


def run(ctx) -> None:
    """50 answered calls, 0 failed; SDP answer checked; unknown number 404."""
    with Server(ctx) as sb:
        with step("one call, fully traced"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=1,
                         service=ANSWERS.number, duration_ms=200, timeout_s=20, label="one-call")
            check(r.ok(calls=1), f"INVITE/200/ACK/BYE/200 ({r.summary()})", r)
            statuses = [m.split("\n", 1)[0] for m in r.received(r"SIP/2\.0")]
            check(statuses[:3] == ["SIP/2.0 100 Trying", "SIP/2.0 180 Ringing", "SIP/2.0 200 OK"],
                  f"100, 180, 200 in order (got {statuses})")
            status, _reason, h, body = parse_response(r.received(r"SIP/2\.0 200")[0])
            check(h.get("content-type", [""])[0] == "application/sdp", "200 carries SDP")
            check("m=audio " in body and "a=rtpmap:0 PCMU/8000" in body,
                  "SDP answer has m=audio and a=rtpmap:0 PCMU/8000", body)
            check("c=IN IP4 127.0.0.1" in body, "answer's media address is the SIP address",
                  body)
            check(h.get("contact") and h["contact"][0].startswith("<sip:"),
                  f"200 has a Contact ({h.get('contact')})")
            to_tags = {parse_response(m)[2]["to"][0].split(";tag=")[-1]
                       for m in r.received(r"SIP/2\.0 (180|200)")}
            check(len(to_tags) == 1, f"180 and 200 carry the same To tag ({to_tags})")

        with step(f"{CALLS} calls at 10 calls/s"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=CALLS,
                         rate=10, limit=CALLS, service=ANSWERS.number, duration_ms=1000,
                         timeout_s=45, trace=False, label="fifty-calls")
            check(r.ok(calls=CALLS), f"{CALLS} of {CALLS} calls completed, 0 failed "
                  f"({r.summary()})", r)
            print(f"info - SIPp retransmissions: {r.retransmissions}, call rate "
                  f"{r.stats.get('CallRate(C)')}/s")

        with step("unknown number"):
            r = run_sipp(ctx, sb, "call_to_unknown_number.xml", calls=1,
                         service=UNKNOWN_NUMBER, timeout_s=20, label="unknown-number")
            check(r.ok(calls=1), f"INVITE to {UNKNOWN_NUMBER} answered 404 and ACKed "
                  f"({r.summary()})", r)
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
