#!/usr/bin/env python3
"""Repeated authentication failures from one source ban it: after security.auth_fail_limit
failures a sip_source_banned event is logged and the source's packets get no answer at all,
while other sources are still served. The failing peer uses 127.0.0.2 so the ban cannot touch
the checks made from 127.0.0.1."""

import socket

from harness import EXTENSIONS, Server, Skip, check, step, test_main
from peers import DigestRegistrar, RawSip, run_sipp

LIMIT = 3
ATTACKER = "127.0.0.2"


def run(ctx) -> None:
    """A source failing auth auth_fail_limit times is banned (silence), others are not."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((ATTACKER, 0))
    except OSError as e:
        raise Skip(f"cannot bind {ATTACKER} (Linux routes all of 127/8 to loopback): {e}")
    with Server(ctx, auth_fail_limit=LIMIT, auth_fail_window_s=60, ban_s=300) as sb:
        with step(f"{LIMIT} failed registrations from {ATTACKER}"):
            with DigestRegistrar(sb, local_ip=ATTACKER) as attacker:
                for i in range(1, LIMIT + 1):
                    out = attacker.register("1001", "wrong-password")
                    check(out.challenge is not None and out.status == 403,
                          f"attempt {i}: 401, then {out.status_line or 'no answer'}", out.final)
                banned = sb.wait_for_events("sip_source_banned", count=1)
                failures = sb.security_events("sip_auth_failure")
                check(len(failures) == LIMIT, f"{LIMIT} sip_auth_failure events (got "
                      f"{len(failures)})", failures)
                check(all(e["source"].startswith(ATTACKER + ":") for e in failures),
                      "failures name the attacking source")
                check(len(banned) == 1 and banned[0].get("source") == ATTACKER,
                      f"one sip_source_banned event for {ATTACKER}: {banned}")
                out = attacker.register("1001", EXTENSIONS["1001"], timeout=2.0)
                check(out.challenge is None and out.final is None,
                      "now even the right password gets no answer from that source")

        with step("the banned source gets silence"):
            r = run_sipp(ctx, sb, "banned_source_gets_silence.xml", calls=1, service="1001",
                         local_ip=ATTACKER, timeout_s=20, label="silence")
            check(r.ok(calls=1), "REGISTER from the banned source: no answer within 3 s "
                  f"({r.summary()})", r)
            check(not r.received(r"SIP/2\.0"), "SIPp received no response at all", r)
            with RawSip(sb, local_ip=ATTACKER) as raw:
                answer = raw.probe(timeout=2.0)
                check(answer is None, "an OPTIONS from the banned source gets no answer either",
                      answer)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                tcp.bind((ATTACKER, 0))
                tcp.settimeout(5)
                tcp.connect((sb.host, sb.sip_port))
                with RawSip(sb, local_ip=ATTACKER) as helper:
                    _call_id, options = helper.options()
                try:
                    tcp.sendall(options.replace("SIP/2.0/UDP", "SIP/2.0/TCP").encode())
                    got = tcp.recv(4096)
                except (ConnectionResetError, BrokenPipeError):
                    got = b""
                check(got == b"", f"a TCP connection from the banned source is closed "
                      f"unanswered (got {got[:60]!r})")

        with step("other sources are still served"):
            r = run_sipp(ctx, sb, "options_ping.xml", calls=1, timeout_s=15, label="bystander")
            check(r.ok(calls=1), f"OPTIONS from 127.0.0.1 answered 200 ({r.summary()})", r)
            with DigestRegistrar(sb) as bystander:
                out = bystander.register("1002", EXTENSIONS["1002"])
                check(out.status == 200, f"1002 registers from 127.0.0.1: {out.status_line}",
                      out.final)
            check(len(sb.security_events("sip_source_banned")) == 1, "still exactly one ban")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
