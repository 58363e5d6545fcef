#!/usr/bin/env python3
"""Flows are data, published without a restart (F2): the tenant's flow lives in a file next
to the configuration. A first call starts on version 1 and waits in a collect node. The file
is changed and the server gets SIGHUP: version 2 is published (logged with its author), a new
call runs version 2, and the call in progress finishes on version 1 (its exit node exists
only there). An invalid file on the next SIGHUP is refused with a message naming the file
and line, and calls keep getting version 2."""

import json
import signal

from harness import nth_call, Number, Server, check, step, test_main, wait_until
from peers import SippRun

LINE = Number("5100", app="flow", flow="main")


def flow(version: int) -> dict:
    return {
        "name": "main",
        "start": f"v{version}_hello",
        "nodes": {
            f"v{version}_hello": {"type": "collect", "prompt": f"This is version {version}.",
                                  "var": "x", "timeout": 4, "next": f"v{version}_bye"},
            f"v{version}_bye": {"type": "hangup"},
        },
    }


def entered(sb: Server, call: int) -> list[str]:
    """The nodes the call-th call of the run entered, in order."""
    steps = sb.domain_events("flow")
    cid = nth_call(steps, call)
    return [e["node"] for e in steps if e.get("call") == cid and "enter" in e["words"]]


def run(ctx) -> None:
    """SIGHUP publishes the changed flow; a running call keeps its version."""
    path = ctx.workdir / "main.json"
    path.write_text(json.dumps(flow(1)))
    cc = {"flows": [{"name": "main", "file": str(path)}]}
    with Server(ctx, numbers=[LINE], contact_center=cc) as sb:
        first = SippRun(ctx, sb, "server_hangs_up_after_answer.xml", calls=1,
                        service=LINE.number, timeout_s=30, label="first").start()
        second = None
        try:
            with step("the first call runs version 1"):
                wait_until(lambda: entered(sb, 1) == ["v1_hello"], 10, "call 1 in v1_hello")
            with step("the file changes and SIGHUP publishes version 2"):
                path.write_text(json.dumps(flow(2), indent=1))
                sb.proc.send_signal(signal.SIGHUP)
                wait_until(lambda: any(e.get("version") == "2"
                                       for e in sb.domain_events("flow", "published")),
                           10, "version 2 published")
                pub = sb.domain_events("flow", "published")[-1]
                check(pub.get("author") == "reload", f"published by the reload ({pub})")
            with step("a new call runs version 2; the first finishes on version 1"):
                second = SippRun(ctx, sb, "server_hangs_up_after_answer.xml", calls=1,
                                 service=LINE.number, timeout_s=30, label="second").start()
                wait_until(lambda: entered(sb, 2)[:1] == ["v2_hello"], 10, "call 2 in v2")
                wait_until(lambda: "v1_bye" in entered(sb, 1), 15, "call 1 leaves by v1_bye")
                check(entered(sb, 1) == ["v1_hello", "v1_bye"],
                      f"call 1 stayed on version 1 ({entered(sb, 1)})")
                for run_, name in ((first, "first"), (second, "second")):
                    r = run_.wait()
                    check(r.ok(calls=1), f"the {name} call was hung up by its flow "
                          f"({r.summary()})", r)
            with step("an invalid file is refused and version 2 stays"):
                path.write_text('{"name": "main", "start": "nowhere", "nodes": {}}')
                sb.proc.send_signal(signal.SIGHUP)
                wait_until(lambda: "reload:" in sb.stdout() and "main.json" in sb.stdout(),
                           10, "the reload warning")
                warning = [l for l in sb.stdout().splitlines() if "reload:" in l][-1]
                check("main.json:" in warning, f"the warning names the file ({warning})")
                check(len(sb.domain_events("flow", "published")) == 2, "no version 3")
        finally:
            for p in (first, second):
                if p is not None:
                    p.kill()
        sb.wait_idle()
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
