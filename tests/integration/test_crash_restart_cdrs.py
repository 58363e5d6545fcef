#!/usr/bin/env python3
"""A node killed under load loses no record (W1): SIPp places recorded calls; the server is
killed with SIGKILL mid-load; on restart the run that never finished is closed — every call
of it has exactly one CDR, the completed ones as they ended, the ones in progress as
`interrupted` — and a third start adds nothing. Every recording the log says was closed is
indexed with its size and SHA-256 and is a playable WAV file."""

import hashlib
import sqlite3
import wave

from harness import Number, Server, check, step, test_main, wait_until
from peers import SippRun

RECORDED = Number("560", app="answer", record=True)
CALLS = 400


def query(path, sql, *args):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute(sql, args).fetchall()


def run(ctx) -> None:
    """SIGKILL during load, restart twice: CDRs match the calls exactly, once each."""
    sb = Server(ctx, numbers=[RECORDED], name="node")
    sb.start()
    sipp = SippRun(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=CALLS, rate=40,
                   limit=200, service=RECORDED.number, duration_ms=1500, timeout_s=30,
                   trace=False).start()
    try:
        with step("kill -9 while calls are up and others have ended"):
            wait_until(lambda: len(sb.call_events("call_ended")) >= 40, 20, "40 calls ended")
            sb.kill()
    finally:
        sipp.kill()
    created = {r[0] for r in query(sb.store_path,
                                   "SELECT call_id FROM events WHERE run = 1 AND kind = 'call_created'")}
    ended = {r[0] for r in query(sb.store_path,
                                 "SELECT call_id FROM events WHERE run = 1 AND kind = 'call_ended'")}
    check(len(ended) >= 40 and len(created) > len(ended),
          f"the log holds ended calls and calls in progress ({len(ended)} of {len(created)} ended)")
    for attempt in (1, 2):
        with step(f"restart {attempt}: the killed run is closed"):
            sb.start()
            sb.stop()
            rows = query(sb.store_path,
                         "SELECT call_id, disposition, hangup_cause, recording FROM cdrs WHERE run = 1")
            calls = [r[0] for r in rows]
            check(len(calls) == len(set(calls)), "one CDR per call", len(calls))
            check(set(calls) == created, f"a CDR for each of the {len(created)} calls",
                  sorted(created ^ set(calls))[:10])
            interrupted = {r[0] for r in rows if r[1] == "interrupted"}
            check(interrupted == created - ended,
                  f"the {len(created - ended)} calls in progress are interrupted",
                  (len(interrupted), sorted(interrupted ^ (created - ended))[:10]))
            done = [r for r in rows if r[0] in ended]
            check(all(r[1] == "self_service" and r[2] == "normal" for r in done),
                  "the completed calls as they ended", done[:3])
            check(all(r[3] for r in done), "each completed call names its recording")
            runs = query(sb.store_path, "SELECT id, finished_ms IS NOT NULL FROM runs ORDER BY id")
            check(all(f for _, f in runs), "every run is finished", runs)
    with step("every closed recording is indexed and playable"):
        closed = query(sb.store_path,
                       "SELECT call_id, body FROM events WHERE run = 1 AND kind = 'recording_stopped'"
                       " AND body NOT LIKE '%failed%'")
        index = query(sb.store_path,
                      "SELECT call_id, path, bytes, sha256, duration_ms FROM recordings WHERE run = 1")
        check(len(index) == len(closed) and len(index) > 0,
              f"{len(closed)} closed recordings, {len(index)} indexed")
        for call, path, size, digest, duration in index:
            data = open(path, "rb").read()
            check(len(data) == size and hashlib.sha256(data).hexdigest() == digest,
                  f"call {call}: size and SHA-256 as indexed")
            with wave.open(path, "rb") as w:
                frames = w.getnframes()
                check(w.getnchannels() == 2 and w.getframerate() == 8000 and frames > 0,
                      f"call {call}: a stereo 8 kHz WAV with audio", (w.getparams(), duration))


if __name__ == "__main__":
    test_main(run)
