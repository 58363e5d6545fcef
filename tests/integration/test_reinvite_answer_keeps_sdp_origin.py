#!/usr/bin/env python3
"""The server's SDP answers within one call keep one o= line and raise its version when the
description changes (RFC 3264 §8: "the o= line of the new SDP MUST be identical to that in the
previous SDP, except that the version in the origin field MUST increment by one"; RFC 6337
§5.3 applies it to answers). A peer that sees a new session id on a re-INVITE answer may treat
it as a different session; one that sees an unchanged version may ignore the new direction
(hold). Same scenario as test_reinvite_hold: hold, INFO, unhold, BYE."""

from collections import defaultdict

from harness import ANSWERS, Server, check, step, test_main
from peers import parse_response, run_sipp

CALLS = 2


def origin(body: str) -> tuple[str, str, int, str]:
    """(username, session id, version, address) of the o= line."""
    line = next(ln for ln in body.splitlines() if ln.startswith("o="))
    user, sess_id, version, _net, _addrtype, address = line[2:].split()
    return user, sess_id, int(version), address


def run(ctx) -> None:
    """re-INVITE answers keep the o= session id and increment its version."""
    with Server(ctx) as sb:
        r = run_sipp(ctx, sb, "hold_unhold_with_reinvite.xml", calls=CALLS, rate=10,
                     service=ANSWERS.number, timeout_s=30)
        check(r.ok(calls=CALLS), f"the calls themselves succeed ({r.summary()})", r)
        by_call = defaultdict(list)
        for text in r.received(r"SIP/2\.0 200"):
            _status, _reason, h, body = parse_response(text)
            if h["cseq"][0].endswith("INVITE"):
                by_call[h["call-id"][0]].append(origin(body))
        check(len(by_call) == CALLS and all(len(o) == 3 for o in by_call.values()),
              "three SDP answers per call (initial, hold, unhold)", dict(by_call))
        with step("o= of the answers, per call"):
            for call_id, origins in by_call.items():
                print(f"info - {call_id}: {origins}")
                check(len({(u, s, a) for u, s, _v, a in origins}) == 1,
                      f"{call_id}: same username, session id and address in every answer")
                versions = [v for _u, _s, v, _a in origins]
                check(all(b == a + 1 for a, b in zip(versions, versions[1:])),
                      f"{call_id}: version +1 with each changed answer (got {versions})")
            ids = {o[0][1] for o in by_call.values()}
            check(len(ids) == CALLS, f"different calls have different session ids ({ids})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
