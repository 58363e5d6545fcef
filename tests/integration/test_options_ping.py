#!/usr/bin/env python3
"""OPTIONS ping over UDP and TCP: 200 with Allow, a To tag and rport filled in (SIPp)."""

from harness import Server, check, step, test_main
from peers import parse_response, run_sipp

METHODS = ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS")


def check_answer(text: str, transport: str) -> None:
    status, _reason, headers, _body = parse_response(text)
    check(status == 200, f"{transport}: status 200")
    allow = ", ".join(headers.get("allow", []))
    check(all(m in allow for m in METHODS), f"{transport}: Allow lists {', '.join(METHODS)} "
          f"(got '{allow}')")
    to = headers.get("to", [""])[0]
    check(";tag=" in to, f"{transport}: To carries the server's tag (RFC 3261 §8.2.6.2)", to)
    via = headers.get("via", [""])[0]
    check("rport=" in via, f"{transport}: Via rport filled in (RFC 3581 §4)", via)


def run(ctx) -> None:
    """OPTIONS ping over UDP and TCP: 200 with Allow, a To tag and rport filled in (SIPp)."""
    with Server(ctx) as sb:
        for transport, mode in (("UDP", "u1"), ("TCP", "t1")):
            with step(f"OPTIONS over {transport}"):
                r = run_sipp(ctx, sb, "options_ping.xml", calls=5, rate=20, transport=mode,
                             timeout_s=20, label=f"options-{transport.lower()}")
                check(r.ok(calls=5), f"{transport}: 5 of 5 pings answered 200 with Allow "
                      f"({r.summary()})", r)
                answers = r.received(r"SIP/2\.0 200")
                check(len(answers) == 5, f"{transport}: 5 responses in the trace", r)
                check_answer(answers[0], transport)
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
