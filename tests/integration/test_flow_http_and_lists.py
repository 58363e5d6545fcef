#!/usr/bin/env python3
"""A flow consults the tenant's own system and lists (F1, F3): a blacklisted caller is hung up
at once; another caller's record is fetched over HTTP from the tenant's server (a test HTTP
server here) with the caller number in the URL, and the JSON answer's field decides the
branch; when the tenant's server is too slow the flow takes its error exit after the node's
timeout instead of waiting. Flow steps show each decision."""

import http.server
import json
import threading
import time

from harness import nth_call, Number, Server, check, step, test_main, wait_until
from peers import SippRun

LINE = Number("5100", app="flow", flow="main")


class Crm(http.server.BaseHTTPRequestHandler):
    """The tenant's system: /customers/<number> answers JSON; /slow/... answers after 3 s."""

    paths: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        Crm.paths.append(self.path)
        if self.path.startswith("/slow/"):
            time.sleep(3)
        body = json.dumps({"tier": "gold", "name": "Vera"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def flow(crm_port: int) -> dict:
    return {
        "name": "main", "start": "screen",
        "nodes": {
            "screen": {"type": "branch", "conditions": [
                {"if": {"in_list": "blacklist"}, "next": "refused"},
                {"if": {"caller": "888"}, "next": "slow"}], "else": "fetch"},
            "fetch": {"type": "http", "method": "GET",
                      "url": f"http://127.0.0.1:{crm_port}/customers/${{caller}}",
                      "timeout_ms": 2000, "result_var": "crm", "next": "tier",
                      "next_error": "failed"},
            "slow": {"type": "http", "method": "GET",
                     "url": f"http://127.0.0.1:{crm_port}/slow/${{caller}}",
                     "timeout_ms": 800, "result_var": "crm", "next": "tier",
                     "next_error": "failed"},
            "tier": {"type": "branch", "conditions": [
                {"if": {"var": "crm.tier", "equals": "gold"}, "next": "gold"}],
                "else": "regular"},
            "gold": {"type": "say", "text": "Hello ${crm.name}.", "next": "bye"},
            "regular": {"type": "say", "text": "Hello.", "next": "bye"},
            "failed": {"type": "say", "text": "Sorry.", "next": "bye"},
            "refused": {"type": "hangup", "reason": "blacklisted"},
            "bye": {"type": "hangup"},
        },
    }


def entered(sb: Server, call: int) -> list[str]:
    """The nodes call `call` went through, in order (a node's entry and its result are two
    steps of the log; a branch logs only the condition it took)."""
    nodes: list[str] = []
    steps = sb.domain_events("flow")
    cid = nth_call(steps, call)
    for e in steps:
        if e.get("call") == cid and (not nodes or nodes[-1] != e["node"]):
            nodes.append(e["node"])
    return nodes


def call_as(ctx, sb: Server, user: str) -> None:
    r = SippRun(ctx, sb, "agent_dials_feature_code.xml", calls=1, service=LINE.number,
                timeout_s=20, label=f"caller-{user}", extra=["-key", "user", user]).start().wait()
    check(r.ok(calls=1), f"caller {user}: answered and hung up by the flow ({r.summary()})", r)


def run(ctx) -> None:
    """Blacklist, HTTP lookup into a branch, HTTP timeout to the error exit."""
    crm = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Crm)
    threading.Thread(target=crm.serve_forever, daemon=True).start()
    cc = {"flows": [{"name": "main", "definition": flow(crm.server_address[1])}],
          "lists": {"blacklist": ["666"]}}
    try:
        with Server(ctx, numbers=[LINE], contact_center=cc) as sb:
            with step("a blacklisted caller is hung up without a request"):
                call_as(ctx, sb, "666")
                check(entered(sb, 1) == ["screen", "refused"], f"steps {entered(sb, 1)}")
                check(Crm.paths == [], f"no request to the tenant's system ({Crm.paths})")
            with step("the tenant's answer picks the branch"):
                call_as(ctx, sb, "777")
                check(Crm.paths == ["/customers/777"], f"GET with the caller ({Crm.paths})")
                check(entered(sb, 2) == ["screen", "fetch", "tier", "gold", "bye"],
                      f"steps {entered(sb, 2)}")
            with step("a slow tenant system: the error exit after the timeout"):
                started = time.monotonic()
                call_as(ctx, sb, "888")
                took = time.monotonic() - started
                check(entered(sb, 3) == ["screen", "slow", "failed", "bye"],
                      f"steps {entered(sb, 3)}")
                check(took < 3.0, f"the caller did not wait for the slow answer ({took:.1f} s)")
            sb.wait_idle()
            sb.assert_alive()
    finally:
        crm.shutdown()


if __name__ == "__main__":
    test_main(run)
