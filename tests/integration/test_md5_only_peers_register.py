#!/usr/bin/env python3
"""Peers that answer only the topmost digest challenge and only know MD5 - SIPp 3.6
([authentication]) and sipsak 0.9.8 (README quick start: `sipsak -U -C ... -a PASSWORD`) - must
be able to register. Both tools take the first WWW-Authenticate and give up when it is SHA-256
("createAuthHeader: authentication must use MD5", "unsupported authentication algorithm"), so
the server's 401 lists MD5 first and SHA-256 second; this pins that order."""

import re
import subprocess

from harness import EXTENSIONS, Server, check, free_port, require_tool, step, test_main
from peers import run_sipp


def run(ctx) -> None:
    """SIPp and sipsak (MD5, topmost challenge only) register with digest."""
    sipsak = require_tool("sipsak")
    results: list[tuple[bool, str, object]] = []
    with Server(ctx) as sb:
        with step("SIPp [authentication]: register, unregister"):
            r = run_sipp(ctx, sb, "register_then_unregister.xml", calls=1, service="1001",
                         auth=("1001", EXTENSIONS["1001"]), timeout_s=15)
            results.append((r.ok(calls=1), f"SIPp registers and unregisters 1001 "
                            f"({r.summary()})", r.errors.strip()[:400]))
        with step("SIPp [authentication]: wrong password gets 403"):
            r = run_sipp(ctx, sb, "register_rejected.xml", calls=1, service="1001",
                         auth=("1001", "wrong-password"), timeout_s=15, label="sipp-wrong")
            results.append((r.ok(calls=1), f"SIPp with a wrong password: 401 then 403 "
                            f"({r.summary()})", r.errors.strip()[:400]))
        with step("sipsak usrloc registration"):
            cmd = [sipsak, "-U", "-vv", "-C", f"sip:1001@127.0.0.1:{free_port()}",
                   "-s", f"sip:1001@127.0.0.1:{sb.sip_port}", "-u", "1001",
                   "-a", EXTENSIONS["1001"],
                   "-x", "300", "-l", str(free_port())]
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=30)
            out = p.stdout.decode(errors="replace")
            err = re.findall(r"^error:.*$", out, re.M)
            results.append((p.returncode == 0, f"sipsak -U registers 1001 (exit code "
                            f"{p.returncode}{', ' + err[0] if err else ''})", out[-600:]))
        for ok, what, detail in results:
            print(f"{'ok  ' if ok else 'FAIL'} - {what}")
        sb.assert_alive()
        failed = [(w, d) for ok, w, d in results if not ok]
        check(not failed, f"{len(results) - len(failed)} of {len(results)} MD5-only "
              "registrations succeeded", "\n".join(f"{w}\n{d}" for w, d in failed))


if __name__ == "__main__":
    test_main(run)
