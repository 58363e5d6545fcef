#!/usr/bin/env python3
"""A second, independent SIP implementation against the server (sipsak): OPTIONS over UDP and
TCP (sipsak exits 0 on a 2xx), trace mode (OPTIONS with Max-Forwards 0 is answered by us,
RFC 3261 §11.1), and a flood of 300 OPTIONS after which the server still answers.
(sipsak's digest registration is in test_md5_only_peers_register.py.)"""

import re
import subprocess

from harness import ANSWERS, Server, check, free_port, require_tool, step, test_main


def sipsak(args: list[str], timeout: float = 20) -> tuple[int, str]:
    cmd = [require_tool("sipsak"), *args]
    print(f"info - {' '.join(cmd)}")
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return -1, (e.stdout or b"").decode(errors="replace") + "\n(killed: timeout)"
    return p.returncode, p.stdout.decode(errors="replace")


def run(ctx) -> None:
    """sipsak OPTIONS (UDP, TCP), trace mode and a flood against the server."""
    require_tool("sipsak")
    with Server(ctx) as sb:
        uri = f"sip:{ANSWERS.number}@127.0.0.1:{sb.sip_port}"
        with step("OPTIONS over UDP"):
            rc, out = sipsak(["-vv", "-s", uri, "-l", str(free_port())])
            check(rc == 0, f"sipsak exit code 0 (got {rc})", out)
            check(re.search(r"^SIP/2\.0 200 OK", out, re.M) is not None,
                  "reply is 200 OK", out)
            check(re.search(r"^Allow: .*INVITE", out, re.M) is not None, "reply has Allow", out)
        with step("OPTIONS over TCP"):
            rc, out = sipsak(["-E", "tcp", "-vv", "-s", uri])
            check(rc == 0 and "200 OK" in out, f"sipsak -E tcp exit code 0, 200 OK (got {rc})",
                  out)
        with step("trace mode: Max-Forwards 0 first"):
            rc, out = sipsak(["-T", "-s", uri])
            check(rc == 0 and re.search(r"^0: .*200 OK", out, re.M) is not None,
                  f"the first hop (Max-Forwards 0) is answered 200 by the server (exit {rc})", out)
        with step("flood of 300 OPTIONS, then one more"):
            rc, out = sipsak(["-F", "-e", "300", "-s", uri], timeout=30)
            check(rc == 0 and "flood end reached" in out, f"sipsak flood completed (exit {rc})",
                  out[-400:])
            rc, out = sipsak(["-vv", "-s", uri])
            check(rc == 0, f"an OPTIONS after the flood gets 200 (exit {rc})", out[-400:])
            status, body = sb.healthz()
            check(status == 200, f"/healthz 200 after the flood ({body})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
