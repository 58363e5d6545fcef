#!/usr/bin/env python3
"""The WebSocket event stream resumes without a gap or a duplicate (`/api/v1/tenants/{tenant}/
stream`): a supervisor connects with after=0 while SIPp calls run and reads part of the
events; disconnects; more calls are placed; reconnecting with after=<last id seen> (while yet
more calls run, so the store catch-up meets live events) delivers exactly the ids after it —
the same ids, in the same order and with the same content as GET /events?after= — then live
events keep arriving. Another tenant's events never reach the stream; kinds= filters; an
upgrade without a valid token, for another tenant or with a bad `after` is refused before the
handshake (no 101); a plain GET is 426; an unmasked or oversized client frame closes the
connection (1002, 1009). Our own WebSocket client (wsclient.py) checks the handshake
(Sec-WebSocket-Accept), masks its frames and answers pings."""

import json
import time

from api import Api, new_token, token_entry
from harness import ANSWERS, Server, check, step, test_main, wait_until
from peers import SippRun, run_sipp
from wsclient import OP_TEXT, WsClient, WsClosed, WsRefused, frame

SUP, BETA_ADMIN, OP = new_token(), new_token(), new_token()
API = {"tokens": [token_entry("it-supervisor", SUP, "supervisor", tenant="it"),
                  token_entry("beta-admin", BETA_ADMIN, "tenant_admin", tenant="beta"),
                  token_entry("operator", OP, "operator")]}
BETA_NUMBER = "6000"
BETA = {"id": "beta", "name": "Beta Tenant Ltd", "domains": ["beta.test"],
        "numbers": [{"number": BETA_NUMBER, "app": "answer"}]}
EVENTS_PER_CALL = 6  # call_created, leg_created, ringing, answered, leg_ended, call_ended
STREAM = "/api/v1/tenants/{}/stream"
LOAD = 20  # calls while the stream resumes


def calls(ctx, sb, n: int, number: str = ANSWERS.number) -> None:
    r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=n, service=number,
                 duration_ms=100, timeout_s=30)
    check(r.ok(calls=n), f"{n} call(s) to {number} ({r.summary()})", r)


def committed(sb) -> None:
    """Waits until every call event the server logged is committed to the event log."""
    sb.wait_idle()
    wait_until(lambda: sb.health().get("events_committed") == len(sb.call_events()), 10,
               "every logged event committed")


def rest_events(api: Api, tenant: str, after: int, token: str) -> list[dict]:
    """The tenant's event log after `after`, all pages."""
    out: list[dict] = []
    for _ in range(100):
        r = api.get(f"/api/v1/tenants/{tenant}/events?after={after}&limit=1000", token)
        check(r.status == 200, f"GET /events?after={after}: 200", r)
        page = r.json()["events"]
        if not page:
            return out
        out += page
        after = page[-1]["id"]
    raise AssertionError("more than 100 pages of events")


def read(ws: WsClient, count: int, timeout: float = 10.0) -> list[dict]:
    """The next `count` events of the stream (each one text message of JSON)."""
    deadline = time.monotonic() + timeout
    out = []
    while len(out) < count:
        out.append(json.loads(ws.recv_text(max(0.0, deadline - time.monotonic()))))
    return out


def read_through(ws: WsClient, last_id: int, limit: int, timeout: float = 15.0) -> list[dict]:
    """Events until the one with id `last_id` (at most `limit` of them)."""
    deadline = time.monotonic() + timeout
    out: list[dict] = []
    while (not out or out[-1]["id"] < last_id) and len(out) < limit:
        out.append(json.loads(ws.recv_text(max(0.0, deadline - time.monotonic()))))
    return out


def refused(sb, path: str, token: str | None = None) -> WsRefused | None:
    try:
        ws = WsClient.connect(sb.host, sb.http_port, path, token=token)
    except WsRefused as e:
        return e
    ws.close()
    return None


def _closed_with(ws: WsClient) -> int | None:
    """The code of the server's close frame (None if it sent anything else first)."""
    try:
        ws.recv_message(5)
    except WsClosed as c:
        return c.code
    finally:
        ws.abort()
    return None


def ids(events: list[dict]) -> list[int]:
    return [e["id"] for e in events]


def run(ctx) -> None:
    """after=0, cut, calls, after=<last>: exactly the ids that followed, then live."""
    with Server(ctx, numbers=[ANSWERS], api=API, extra_tenants=[BETA]) as sb:
        api = Api(sb)
        with step("refused before the upgrade"):
            e = refused(sb, STREAM.format("it") + "?after=0")
            check(e is not None and e.status == 401 and e.headers.get("www-authenticate"),
                  f"no token: 401 with WWW-Authenticate, no 101 ({e})")
            e = refused(sb, STREAM.format("it"), token=new_token())
            check(e is not None and e.status == 401, f"unknown token: 401 ({e})")
            e = refused(sb, STREAM.format("beta"), token=SUP)
            check(e is not None and e.status == 404, f"it's supervisor on beta's stream: 404 ({e})")
            e = refused(sb, STREAM.format("it") + f"?access_token={BETA_ADMIN}")
            check(e is not None and e.status == 404, f"beta's admin on it's stream: 404 ({e})")
            for bad in ("abc", "-1", "1x"):
                e = refused(sb, STREAM.format("it") + f"?after={bad}", token=SUP)
                check(e is not None and e.status == 400 and
                      json.loads(e.body)["error"]["code"] == "invalid_input",
                      f"after={bad}: 400 invalid_input ({e})")
            r = api.get(STREAM.format("it"), SUP)
            check(r.status == 426 and r.headers.get("upgrade", "").lower() == "websocket",
                  f"plain GET on the stream path: 426 with Upgrade: websocket ({r})")

        with step("the WebSocket framing rules (RFC 6455 §5.1, §7.4.1)"):
            ws = WsClient.connect(sb.host, sb.http_port, STREAM.format("it") + "?after=0",
                                  token=SUP)
            ws.send_text('{"hello": "server"}')
            check(ws.ping(), "a masked text message is taken, the connection stays up")
            ws.send_raw(frame(OP_TEXT, b"unmasked", masked=False))
            check(_closed_with(ws) == 1002, "an unmasked client frame: closed with 1002")
            ws = WsClient.connect(sb.host, sb.http_port, STREAM.format("it") + "?after=0",
                                  token=SUP)
            ws.send_text("x" * (64 * 1024 + 1))
            check(_closed_with(ws) == 1009, "a message over 64 KiB: closed with 1009")

        with step("connected from the start: the first events live"):
            ws = WsClient.connect(sb.host, sb.http_port, STREAM.format("it") + "?after=0",
                                  token=SUP)
            check(ws.ping(), "the stream answers a ping with a pong")
            calls(ctx, sb, 3)
            first = read(ws, 2 * EVENTS_PER_CALL + 2)  # cut in the middle of the third call
            check(ids(first) == list(range(1, len(first) + 1)),
                  f"ids 1..{len(first)} in order ({ids(first)})")
            check(first[0]["kind"] == "call_created" and first[0]["source"] == "call",
                  f"the first is call_created ({first[0]})")
            last = first[-1]["id"]
            closed = ws.close()
            check(closed is not None and closed.code == 1000,
                  f"closing handshake answered with 1000 ({closed})")

        with step("more calls while disconnected"):
            calls(ctx, sb, 3)
            committed(sb)

        with step(f"reconnect with after={last} in the middle of a load of calls"):
            # 20 calls over a second: the reconnect lands while events are being committed,
            # so the store catch-up and the live events meet.
            more = SippRun(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=LOAD,
                           rate=20, service=ANSWERS.number, duration_ms=500, timeout_s=30,
                           label="during-catch-up").start()
            try:
                logged = len(sb.call_events())
                wait_until(lambda: len(sb.call_events()) >= logged + 2 * EVENTS_PER_CALL, 10,
                           "the load under way")
                ws = WsClient.connect(sb.host, sb.http_port,
                                      STREAM.format("it") + f"?after={last}&access_token={SUP}")
                at_connect = len(sb.call_events())
                r = more.wait()
            finally:
                more.kill()
            check(r.ok(calls=LOAD), f"{LOAD} calls during the catch-up ({r.summary()})", r)
            committed(sb)
            check(at_connect < len(sb.call_events()),
                  f"events kept coming after the reconnect ({at_connect} logged at the upgrade, "
                  f"{len(sb.call_events())} in all): the catch-up met live events")
            expected = rest_events(api, "it", last, SUP)
            check(len(expected) == (3 + 3 + LOAD) * EVENTS_PER_CALL - last,
                  f"{len(expected)} events after id {last} in the log")
            got = read_through(ws, expected[-1]["id"], len(expected))
            check(ids(got) == ids(expected),
                  f"the stream resumes with exactly the log's ids after {last} "
                  f"({ids(got)[:5]}... vs {ids(expected)[:5]}...)",
                  (ids(got), ids(expected)))
            check(ids(got) == list(range(last + 1, last + 1 + len(got))),
                  f"ids continue at {last + 1} with no gap and no duplicate")
            check(got == expected, "the same events as GET /events (kind, call, body, time)")

        with step("live events keep arriving after the catch-up"):
            calls(ctx, sb, 1)
            live = read(ws, EVENTS_PER_CALL)
            top = got[-1]["id"]
            check(ids(live) == list(range(top + 1, top + 1 + EVENTS_PER_CALL)),
                  f"the next call's events are ids {top + 1}.. ({ids(live)})")
            check([e["kind"] for e in live] ==
                  ["call_created", "leg_created", "ringing", "answered", "leg_ended",
                   "call_ended"], f"kinds of one call in order ({[e['kind'] for e in live]})")

        with step("another tenant's events never reach the stream"):
            beta = WsClient.connect(sb.host, sb.http_port, STREAM.format("beta") + "?after=0",
                                    token=BETA_ADMIN)
            calls(ctx, sb, 1, BETA_NUMBER)
            beta_events = read(beta, EVENTS_PER_CALL)
            beta_ids = set(ids(beta_events))
            check(min(beta_ids) > live[-1]["id"], f"beta's call has ids of its own ({beta_ids})")
            calls(ctx, sb, 1)
            committed(sb)
            after_beta = read(ws, EVENTS_PER_CALL)
            check(not beta_ids & set(ids(after_beta)) and
                  all(e["call"] not in {b["call"] for b in beta_events} for e in after_beta),
                  f"it's stream skips beta's events ({ids(after_beta)} vs {sorted(beta_ids)})")
            check(ids(after_beta) == ids(rest_events(api, "it", live[-1]["id"], SUP)),
                  "and matches it's log")
            check(ids(rest_events(api, "beta", 0, BETA_ADMIN)) == sorted(beta_ids),
                  "beta's stream and beta's log agree")
            beta.close()

        with step("kinds=call_ended delivers only that kind, replayed then live"):
            ended = [e for e in rest_events(api, "it", 0, SUP) if e["kind"] == "call_ended"]
            check(len(ended) == 3 + 3 + LOAD + 1 + 1, f"{len(ended)} call_ended events in it's log")
            only = WsClient.connect(sb.host, sb.http_port,
                                    STREAM.format("it") + "?after=0&kinds=call_ended", token=SUP)
            replay = read_through(only, ended[-1]["id"], len(ended))
            check(replay == ended, f"the replay is exactly it's call_ended events "
                                   f"({ids(replay)} vs {ids(ended)})")
            calls(ctx, sb, 1)
            nxt = read(only, 1)[0]
            check(nxt["kind"] == "call_ended" and nxt["id"] > ended[-1]["id"],
                  f"the next message is the new call's call_ended ({nxt})")
            everything = read(ws, EVENTS_PER_CALL)
            check(everything[-1] == nxt and
                  [e for e in everything if e["kind"] == "call_ended"] == [nxt],
                  "the unfiltered stream has it among the call's other events")
            only.close()
            ws.close()
        sb.assert_alive()
        check(sb.healthz()[0] == 200, "/healthz still 200")


if __name__ == "__main__":
    test_main(run)
