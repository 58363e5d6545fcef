#!/usr/bin/env python3
"""Every event is recorded in the store (W1): SIPp calls to an answering number; each call
event the server logs is also a row of the SQLite event log (tenant, source "call", kind,
JSON body with call and leg), committed by the store writer (/healthz events_committed), in
order. A restart on the same database keeps the rows and continues their ids."""

import json
import sqlite3

from harness import ANSWERS, Server, check, step, test_main, wait_until
from peers import run_sipp

CALLS = 5


def rows(path) -> list[tuple]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT id, tenant, source, kind, body FROM events ORDER BY id").fetchall()


def run(ctx) -> None:
    """Call events land in the event log, in order, and survive a restart."""
    with Server(ctx, numbers=[ANSWERS]) as sb:
        with step(f"{CALLS} calls"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=CALLS,
                         service=ANSWERS.number, duration_ms=200, timeout_s=30)
            check(r.ok(calls=CALLS), f"{CALLS} calls ({r.summary()})", r)
            sb.wait_idle()
        logged = sb.call_events()
        with step("each logged event is a committed row"):
            wait_until(lambda: sb.health().get("events_committed") == len(logged), 5,
                       f"{len(logged)} events committed")
            stored = rows(sb.store_path)
            check(len(stored) == len(logged), f"{len(stored)} rows for {len(logged)} events")
            check([r[3] for r in stored] == [e["kind"] for e in logged],
                  "the same kinds in the same order")
            check(all(r[1] == "it" and r[2] == "call" for r in stored), "tenant and source set")
            bodies = [json.loads(r[4]) for r in stored]
            check(all(b["leg"] == e["leg"] and b["call"] == e["call"]
                      for b, e in zip(bodies, logged)), "bodies carry call and leg")
            check([r[0] for r in stored] == list(range(1, len(stored) + 1)), "ids 1..n")
    first = len(stored)
    with Server(ctx, numbers=[ANSWERS]) as sb:
        with step("after a restart the rows are kept and ids continue"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=1,
                         service=ANSWERS.number, duration_ms=200, timeout_s=30)
            check(r.ok(calls=1), f"one more call ({r.summary()})", r)
            sb.wait_idle()
            more = len(sb.call_events()) - first  # the log file holds both runs
            wait_until(lambda: sb.health().get("events_committed") == more, 5, "committed")
            stored = rows(sb.store_path)
            check(len(stored) == first + more, f"{first} + {more} rows ({len(stored)})")
            check(stored[first][0] == first + 1, f"ids continue at {first + 1}")


if __name__ == "__main__":
    test_main(run)
