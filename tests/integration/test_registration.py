#!/usr/bin/env python3
"""REGISTER with digest authentication (a minimal UAC in harness.DigestRegistrar, independent of
the server): the 401 offers MD5 then SHA-256 with qop=auth; SHA-256 and MD5 credentials get 200
with the binding and its expires; refresh and unregister (Expires: 0) work; too short an expiry
gets 423; a wrong password, an unknown user, another user's credentials and the RFC 2069 form
without qop all get the same 403 and a sip_auth_failure JSON event on stderr, with no password
in the logs."""

import re

from harness import EXTENSIONS, Server, check, step, test_main
from peers import DigestRegistrar, parse_challenge, parse_response


def contacts(final: str) -> list[str]:
    return parse_response(final)[2].get("contact", [])


def run(ctx) -> None:
    """Digest REGISTER/refresh/unREGISTER; 423; identical 403s; security events."""
    with Server(ctx, auth_fail_limit=10) as sb, DigestRegistrar(sb) as ua:
        with step("the challenge"):
            out = ua.register("1001", EXTENSIONS["1001"], algorithm="SHA-256")
            _s, _r, h, _b = parse_response(out.challenge)
            chs = [parse_challenge(v) for v in h.get("www-authenticate", [])]
            algorithms = [c.get("algorithm") for c in chs]
            check(algorithms == ["MD5", "SHA-256"],
                  f"401 offers MD5 (topmost, for MD5-only peers) then SHA-256 (got {algorithms})")
            check(all(c.get("realm") == "127.0.0.1" and c.get("qop") == "auth" and c.get("nonce")
                      for c in chs), "realm is the tenant's first domain, qop=auth, a nonce")

        with step("SHA-256 registration, refresh, unregister"):
            check(out.status == 200, f"SHA-256 credentials: {out.status_line}", out.final)
            bound = contacts(out.final)
            m = re.search(r"expires=(\d+)", bound[0] if bound else "")
            check(m is not None and 0 < int(m.group(1)) <= 120,
                  f"200 returns our binding with expires in (0, 120] ({bound})")
            check(f":{ua.raw.local_port}" in bound[0], "the binding is our Contact", bound)
            out = ua.register("1001", EXTENSIONS["1001"], algorithm="SHA-256", expires=600)
            m = re.search(r"expires=(\d+)", contacts(out.final)[0])
            check(out.status == 200 and len(contacts(out.final)) == 1 and
                  540 <= int(m.group(1)) <= 600,
                  f"refresh with Expires: 600 keeps one binding, expires ~600 "
                  f"({contacts(out.final)})")
            out = ua.register("1001", EXTENSIONS["1001"], algorithm="SHA-256", expires=0)
            check(out.status == 200 and not contacts(out.final),
                  f"Expires: 0 removes it: 200 with no binding left ({contacts(out.final)})")

        with step("MD5 registration; the RFC 2069 form is refused"):
            out = ua.register("1002", EXTENSIONS["1002"], algorithm="MD5")
            check(out.status == 200, f"MD5 qop=auth: {out.status_line}", out.final)
            out = ua.register("1002", EXTENSIONS["1002"], algorithm="MD5", expires=0)
            check(out.status == 200, "MD5 unregister 200")
            out = ua.register("1002", EXTENSIONS["1002"], algorithm="MD5", qop=False)
            check(out.status == 403, f"the RFC 2069 form (no qop, no client nonce) is refused "
                  f"although offered qop=auth: {out.status_line}", out.final)
            check(any(e.get("reason") == "qop_required"
                      for e in sb.wait_for_events("sip_auth_failure")),
                  "logged as sip_auth_failure, reason qop_required")

        with step("interval too brief"):
            out = ua.register("1003", EXTENSIONS["1003"], expires=30)
            h = parse_response(out.final)[2] if out.final else {}
            check(out.status == 423 and h.get("min-expires") == ["60"],
                  f"Expires: 30 < min_expires 60: {out.status_line}, Min-Expires "
                  f"{h.get('min-expires')}", out.final)
            check(len(sb.security_events("sip_auth_failure")) == 1,
                  "a 423 is not an auth failure (still 1 event)")

        with step("bad credentials: wrong password, unknown user, someone else's credentials"):
            wrong = ua.register("1001", "not-the-password")
            unknown = ua.register("7777", "whatever-password")
            borrowed = ua.register("1002", EXTENSIONS["1001"], auth_user="1001")
            wrong_md5 = ua.register("1001", "not-the-password", algorithm="MD5")
            for name, out in (("wrong password", wrong), ("unknown user", unknown),
                              ("1001's credentials for 1002", borrowed),
                              ("wrong password, MD5", wrong_md5)):
                check(out.status == 403, f"{name}: {out.status_line}", out.final)
            lines = {o.status_line for o in (wrong, unknown, borrowed, wrong_md5)}
            check(len(lines) == 1, f"one and the same response line for all ({lines})")

        with step("security events"):
            events = sb.wait_for_events("sip_auth_failure", count=5)
            check(len(events) == 5, f"5 sip_auth_failure events (got {len(events)})", events)
            for e in events:
                check(e.get("tenant") == "it" and e.get("method") == "REGISTER" and
                      e.get("source") == f"127.0.0.1:{ua.raw.local_port}" and e.get("reason")
                      and e.get("user"), f"event names tenant, method, source, user, reason: {e}")
            check(sorted(e["user"] for e in events) == ["1001", "1001", "1001", "1002", "7777"],
                  "events name the user whose credentials were tried",
                  [e["user"] for e in events])
            check(any(e["reason"] == "user_mismatch" for e in events),
                  "borrowed credentials are reported as user_mismatch",
                  [e["reason"] for e in events])
            text = sb.stderr()
            check(all(p not in text for p in ("not-the-password", "whatever-password",
                                              *EXTENSIONS.values())),
                  "no password appears in the logs")
            check(not sb.security_events("sip_source_banned"), "5 failures < limit 10: no ban")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
