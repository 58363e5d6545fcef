#!/usr/bin/env python3
"""Authentication and hostile input at the REST API: unknown, wrong and malformed credentials
are 401 with WWW-Authenticate and an `api_auth_failed` security event that never holds the
secret; a user logs in with an argon2id password (hash made by the system libsodium), uses
and ends the session; failed logins from one address are rate limited (429) without locking
out another. Broken bodies (invalid JSON, 10,000 '[', invalid UTF-8, not an object, an
unknown agent action) are 400 with a message; a 2 MiB body is 413, oversized headers 431;
bad query parameters are 400. CDRs of real SIPp calls come as JSON and CSV (header line,
disposition, a caller starting with '=' neutralised and quoted). A recording downloads with
ranges; made-up or traversing recording ids never download a file. Clients sending their
headers byte by byte slower than the read timeout are cut off while a normal client is
served throughout. Afterwards /healthz is 200 and the API still answers."""

import base64
import csv
import hashlib
import http.client
import io
import json
import select
import socket
import threading
import time

from api import Api, new_token, password_hash, token_entry
from harness import (ANSWERS, HANGS_UP, Number, Server, TestFailure, check, step, test_main,
                     wait_until)
from peers import run_sipp

OP, SUP = new_token(), new_token()
PASSWORD = "it-" + new_token()[3:19]
RECORDED = Number("4010", record=True)
CALLER = "=1+2,3"  # a formula a spreadsheet would run, with a comma CSV must quote
CONTACT_CENTER = {
    "queues": [{"name": "sales"}],
    "agents": [{"name": "alice", "extension": "1001", "queues": ["sales"]}],
}
AGENT_STATE = "/api/v1/tenants/it/agents/alice/state"
CDRS = "/api/v1/tenants/it/cdrs"
CSV_HEADER = ("id,call,start_ms,number,caller,queue,agent,disposition,hangup_cause,hangup_side,"
              "ivr_ms,wait_ms,talk_ms,hold_ms,wrap_up_ms,answered_in_sl,short_abandon")
READ_TIMEOUT_S = 10  # api::HttpConfig::readTimeout


def api_section(user_hash: str | None) -> dict:
    section = {"tokens": [token_entry("operator", OP, "operator"),
                          token_entry("it-supervisor", SUP, "supervisor", tenant="it")]}
    if user_hash:
        section["users"] = [{"name": "ursula", "role": "supervisor", "tenant": "it",
                             "password_hash": user_hash}]
    return section


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def is_400(r, what: str, needle: str = "") -> None:
    msg = r.error_message() or ""
    check(r.status == 400 and r.error_code() == "invalid_input" and msg and needle in msg,
          f"{what}: 400 invalid_input with a message ({r.status} {msg!r})", r)


def raw_exchange(sb, head: bytes, body: bytes = b"", timeout: float = 10.0) -> bytes:
    """Sends a request over a raw socket, the body in 64 KiB pieces, and stops sending as soon
    as an answer is readable (a server refusing a large body answers early and closes);
    returns what was read until the server closed."""
    s = socket.create_connection((sb.host, sb.http_port), timeout=timeout)
    out = b""
    try:
        s.sendall(head)
        for at in range(0, len(body), 65536):
            if select.select([s], [], [], 0)[0]:
                break
            try:
                s.sendall(body[at:at + 65536])
            except (BrokenPipeError, ConnectionResetError):
                break
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not select.select([s], [], [], max(0.0, deadline - time.monotonic()))[0]:
                break
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                head_end = out.index(b"\r\n\r\n") + 4
                length = [int(l.split(b":")[1]) for l in out[:head_end].split(b"\r\n")
                          if l.lower().startswith(b"content-length:")]
                if length and len(out) >= head_end + length[0]:
                    break
    finally:
        s.close()
    return out


class SlowClient(threading.Thread):
    """Sends a request's header one byte per second until the server cuts it off."""

    def __init__(self, sb, deadline_s: float) -> None:
        super().__init__(daemon=True)
        self.sb = sb
        self.deadline_s = deadline_s
        self.request = (b"GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Authorization: Bearer " + OP.encode() + b"\r\n"
                        b"X-Slow: " + b"s" * 64 + b"\r\n\r\n")
        self.sent = 0
        self.answer = b""
        self.cut_after: float | None = None  # seconds from connect to the server's close
        self.error = ""

    def run(self) -> None:
        try:
            s = socket.create_connection((self.sb.host, self.sb.http_port), timeout=5)
        except OSError as e:
            self.error = str(e)
            return
        start = time.monotonic()
        try:
            while self.sent < len(self.request) and time.monotonic() - start < self.deadline_s:
                try:
                    s.sendall(self.request[self.sent:self.sent + 1])
                except (BrokenPipeError, ConnectionResetError):
                    self.cut_after = time.monotonic() - start
                    return
                self.sent += 1
                # The pace of this client: one byte a second, watching for the server's close.
                if select.select([s], [], [], 1.0)[0]:
                    try:
                        data = s.recv(4096)
                    except ConnectionResetError:
                        data = b""
                    self.answer += data
                    if not data:
                        self.cut_after = time.monotonic() - start
                        return
        finally:
            s.close()


def run(ctx) -> None:
    """Bad credentials, bad bodies, bad queries, CSV, recordings, slow clients: all refused
    cleanly; the server keeps serving."""
    hashed, how = password_hash(ctx.binary, PASSWORD)
    print(f"info - the user's password hash: {how}", flush=True)
    with Server(ctx, numbers=[ANSWERS, HANGS_UP, RECORDED], contact_center=CONTACT_CENTER,
                api=api_section(hashed)) as sb:
        api = Api(sb)
        with step("unknown, wrong and malformed credentials: 401 and api_auth_failed"):
            unknown, near = new_token(), OP[:-1] + ("0" if OP[-1] != "0" else "1")
            secrets_sent = [unknown, near, "bm90LWJhc2U2NA", "Zm9vYmFy"]
            for label, auth in (("unknown token", f"Bearer {unknown}"),
                                ("a real token with one digit changed", f"Bearer {near}"),
                                ("Bearer without a token", "Bearer"),
                                ("an unknown scheme", f"Token {OP}x"),
                                ("Basic that is not base64", "Basic !!!" + secrets_sent[2]),
                                ("Basic without a colon", "Basic " + secrets_sent[3])):
                r = api.get(CDRS, headers={"Authorization": auth})
                check(r.status == 401 and r.error_code() == "unauthorized" and
                      r.headers.get("www-authenticate", "").startswith("Bearer"),
                      f"{label}: 401 unauthorized with WWW-Authenticate ({r.status})", r)
            r = api.get(CDRS)
            check(r.status == 401 and "www-authenticate" in r.headers, "no credential: 401", r)
            events = sb.wait_for_events("api_auth_failed", 7)
            check(all(e.get("source") == "127.0.0.1" and e.get("reason") for e in events),
                  f"{len(events)} api_auth_failed events with source and reason", events)
            logs = sb.stderr() + sb.stdout()
            leaked = [t for t in secrets_sent + [OP] if t in logs]
            check(not leaked, "no token or credential text in any event or log line", leaked)

        with step("login with a user's password, the session, logout"):
            if hashed is None:
                print(f"info - no argon2id hash ({how}): no user login checks (everything "
                      "else runs)", flush=True)
            else:
                r = api.post("/api/v1/login", body={"user": "ursula", "password": PASSWORD})
                token = (r.json() or {}).get("token", "")
                check(r.status == 200 and len(token) == 64 and
                      r.json().get("expires_in_s", 0) > 0,
                      f"login: 200 with a session token ({r.status})", r)
                me = api.get("/api/v1/me", token).json()
                check(me == {"subject": "ursula", "role": "supervisor", "tenant": "it"},
                      f"the session is ursula, supervisor of it ({me})")
                check(api.get(CDRS, token).status == 200, "the session reads the CDRs")
                me = api.get("/api/v1/me", headers={"Authorization": basic("ursula", PASSWORD)})
                check(me.status == 200 and me.json().get("subject") == "ursula",
                      f"Basic with the password works too ({me.status})", me)
                wrong = api.post("/api/v1/login", body={"user": "ursula", "password": "nope-1"})
                nobody = api.post("/api/v1/login", body={"user": "nobody", "password": PASSWORD})
                check(wrong.status == 401 and nobody.status == 401 and wrong.body == nobody.body,
                      f"wrong password and unknown user: the same 401 ({wrong.status}, "
                      f"{nobody.status})", (wrong, nobody))
                for bad_body, what in ((b"{", "a broken body"),
                                       (b'{"user": "ursula"}', "no password"),
                                       (b'{"user": 1, "password": 2}', "not strings")):
                    is_400(api.request("POST", "/api/v1/login", raw=bad_body), f"login, {what}")
                check(PASSWORD not in sb.stderr() + sb.stdout(), "the password is never logged")
                r = api.post("/api/v1/logout", token)
                check(r.status == 200, f"logout: 200 ({r.status})", r)
                r = api.get("/api/v1/me", token)
                check(r.status == 401, f"the ended session: 401 ({r.status})", r)
                check(token not in sb.stderr() + sb.stdout(), "the session token is never logged")

                # Failed logins from 127.0.0.2 hit its limit; 127.0.0.1 still logs in.
                statuses = []
                for _ in range(12):
                    c = Api(sb)
                    statuses.append(_login_from("127.0.0.2", c, "ursula", "wrong-1"))
                check(statuses[:10] == [401] * 10 and statuses[10:] == [429, 429],
                      f"127.0.0.2: 10 failures, then 429 ({statuses})")
                sb.wait_for_events("api_auth_rate_limited", 1)
                r = api.post("/api/v1/login", body={"user": "ursula", "password": PASSWORD})
                check(r.status == 200, f"127.0.0.1 is not locked out ({r.status})", r)

        with step("broken bodies: 400 with a message, 413, 431"):
            is_400(api.request("POST", AGENT_STATE, SUP, raw=b'{"action": "ready"'),
                   "unterminated JSON", "byte")
            is_400(api.request("POST", AGENT_STATE, SUP, raw=b"[" * 10000),
                   "10,000 nested '['", "nested")
            is_400(api.request("POST", "/api/v1/login", raw=b"[" * 10000),
                   "10,000 '[' as a login", "nested")
            is_400(api.request("POST", AGENT_STATE, SUP, raw=b'{"action": "\xff"}'),
                   "invalid UTF-8", "UTF-8")
            is_400(api.request("POST", AGENT_STATE, SUP, raw=b"[1]"), "an array", "object")
            is_400(api.request("POST", AGENT_STATE, SUP, raw=b""), "an empty body")
            is_400(api.post(AGENT_STATE, SUP, {"action": 5}), "a number as action", "action")
            is_400(api.post(AGENT_STATE, SUP, {"action": "dance"}), "an unknown agent action",
                   "action")
            state = api.get("/api/v1/tenants/it/agents/alice", SUP).json()["live"]["state"]
            check(state == "logged_out", f"alice's state untouched by all of it ({state})")
            big = b'{"action": "' + b"x" * (2 * 1024 * 1024) + b'"}'
            answer = raw_exchange(sb, (f"POST {AGENT_STATE} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                       f"Authorization: Bearer {SUP}\r\n"
                                       f"Content-Type: application/json\r\n"
                                       f"Content-Length: {len(big)}\r\n\r\n").encode(), big)
            check(answer.startswith(b"HTTP/1.1 413 "), f"a 2 MiB body: 413 ({answer[:60]!r})")
            r = api.get("/api/v1/me", SUP, headers={"X-Big": "a" * 20000})
            check(r.status == 431, f"a 20 KB header: 431 ({r.status})", r)
            r = api.get("/api/v1/me", SUP, headers={f"X-H{i}": "b" * 100 for i in range(200)})
            check(r.status == 431, f"200 headers of 100 bytes: 431 ({r.status})", r)

        with step("bad query parameters: 400"):
            base = "/api/v1/tenants/it"
            for query, needle in ((f"{CDRS}?limit=abc", "limit"), (f"{CDRS}?limit=0", "limit"),
                                  (f"{CDRS}?limit=10001", "limit"), (f"{CDRS}?from=abc", "from"),
                                  (f"{CDRS}?from=2000&to=1000", "before"),
                                  (f"{CDRS}?from=1000&to=1000", "before"),
                                  (f"{CDRS}?to=99999999999999999999999", "to"),
                                  (f"{CDRS}?from=0&to=99999999999", "year"),
                                  (f"{CDRS}?after=-5", "after"),
                                  (f"{CDRS}?disposition=won", "disposition"),
                                  (f"{CDRS}?format=csv&limit=abc", "limit"),
                                  (f"{base}/abandoned?from=5&to=1", "before"),
                                  (f"{base}/events?after=-1", "after"),
                                  (f"{base}/events?limit=abc", "limit"),
                                  (f"{base}/customers?limit=abc", "limit"),
                                  (f"{base}/recordings?limit=abc", "limit"),
                                  (f"{base}/reports/queues?grain=week", "grain"),
                                  (f"{base}/reports/queues?tz_offset_min=x", "tz_offset_min"),
                                  (f"{base}/reports/agents?from=9&to=3", "before")):
                is_400(api.get(query, SUP), query.replace(base, ""), needle)

        with step("CDRs of real calls as JSON and CSV"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=2,
                         service=ANSWERS.number, duration_ms=200, timeout_s=20)
            check(r.ok(calls=2), f"2 answered calls ({r.summary()})", r)
            r = run_sipp(ctx, sb, "agent_dials_feature_code.xml", calls=1,
                         service=HANGS_UP.number, timeout_s=20, label="formula-caller",
                         extra=["-key", "user", CALLER])
            check(r.ok(calls=1), f"a call from {CALLER!r}, hung up by the server ({r.summary()})",
                  r)
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=1,
                         service=RECORDED.number, duration_ms=600, timeout_s=20,
                         label="recorded")
            check(r.ok(calls=1), f"a recorded call ({r.summary()})", r)
            sb.wait_idle()
            cdrs = wait_until(lambda: (lambda c: c if len(c) == 4 else None)(
                api.get(CDRS, SUP).json()["cdrs"]), 5, "4 CDRs")
            answered = [c for c in cdrs if c["number"] == ANSWERS.number]
            check(len(answered) == 2 and all(
                c["disposition"] == "self_service" and c["hangup_side"] == "caller" and
                c["hangup_cause"] == "normal" and c["caller"] == "sipp" for c in answered),
                  "the 2 calls to the answering number: self_service, caller hung up, normal",
                  answered)
            formula = [c for c in cdrs if c["number"] == HANGS_UP.number]
            check(len(formula) == 1 and formula[0]["caller"] == CALLER,
                  f"the JSON keeps the caller as sent ({formula})")
            server_hung_up = formula[0]
            r = api.get(f"{CDRS}?format=csv", SUP)
            check(r.status == 200 and r.headers.get("content-type", "").startswith("text/csv"),
                  f"CSV: 200 text/csv ({r.status} {r.headers.get('content-type')})", r)
            lines = r.text.split("\r\n")
            check(lines[0] == CSV_HEADER and lines[-1] == "" and len(lines) == 6,
                  "the header line, 4 rows, CRLF line ends", lines)
            rows = list(csv.DictReader(io.StringIO(r.text)))
            check([row["id"] for row in rows] == [str(c["id"]) for c in cdrs] and
                  [row["disposition"] for row in rows] == [c["disposition"] for c in cdrs],
                  "the CSV rows are the JSON's CDRs, with their dispositions", rows)
            row = next(row for row in rows if row["number"] == HANGS_UP.number)
            check(row["caller"] == "'" + CALLER, f"the formula is neutralised ({row['caller']!r})")
            check(f",\"'{CALLER}\"," in r.text, "and quoted, for its comma")
            page = api.get(f"{CDRS}?format=csv&limit=1", SUP)
            check(page.status == 200 and page.headers.get("x-next-after") == str(cdrs[0]["id"])
                  and len(page.text.split("\r\n")) == 3,
                  f"limit=1: one row and X-Next-After ({page.headers.get('x-next-after')})", page)
            only = api.get(f"{CDRS}?disposition=self_service", SUP).json()["cdrs"]
            check(len(only) == 4, f"disposition=self_service filters ({len(only)})")

        with step("recordings: a real download with ranges; made-up ids never a file"):
            rec_base = "/api/v1/tenants/it/recordings"
            index = wait_until(lambda: api.get(rec_base, SUP).json()["recordings"], 5,
                               "the recording indexed")
            check(len(index) == 1, f"one recording in the index ({index})")
            rec = index[0]
            call, leg = rec["call"], rec["leg"]
            r = api.get(f"{rec_base}/{call}/{leg}", SUP)
            check(r.status == 200 and r.headers.get("content-type") == "audio/wav" and
                  r.body[:4] == b"RIFF" and len(r.body) == rec["bytes"] and
                  hashlib.sha256(r.body).hexdigest() == rec["sha256"],
                  f"the download is the indexed WAV ({r.status}, {len(r.body)} bytes)", r)
            part = api.get(f"{rec_base}/{call}/{leg}", SUP, headers={"Range": "bytes=0-11"})
            check(part.status == 206 and part.body == r.body[:12] and
                  part.headers.get("content-range") == f"bytes 0-11/{len(r.body)}",
                  f"Range bytes=0-11: 206 ({part.status} {part.headers.get('content-range')})",
                  part)
            part = api.get(f"{rec_base}/{call}/{leg}", SUP,
                           headers={"Range": f"bytes={len(r.body) + 10}-"})
            check(part.status == 416, f"a range past the end: 416 ({part.status})", part)

        with step("slow clients are cut off; a normal client is served meanwhile"):
            slow = [SlowClient(sb, deadline_s=READ_TIMEOUT_S * 3) for _ in range(5)]
            for s in slow:
                s.start()
            served, worst, failed = 0, 0.0, []
            deadline = time.monotonic() + READ_TIMEOUT_S * 3 + 5
            while any(s.is_alive() for s in slow) and time.monotonic() < deadline:
                t0 = time.monotonic()
                r = api.get("/api/v1/me", SUP)
                worst = max(worst, time.monotonic() - t0)
                if r.status != 200:
                    failed.append(str(r))
                served += 1
                # the normal client's own pace: at most 20 requests a second
                select.select([], [], [], 0.05)
            for s in slow:
                s.join(timeout=5)
            check(served >= 50 and not failed and worst < 1.0,
                  f"{served} requests served meanwhile, the slowest in {worst * 1000:.0f} ms",
                  failed[:5])
            cuts = [(s.cut_after, s.sent, s.answer[:40], s.error) for s in slow]
            check(all(s.cut_after is not None and READ_TIMEOUT_S - 1 <= s.cut_after <=
                      READ_TIMEOUT_S + 5 and s.sent < len(s.request) and
                      not s.answer.startswith(b"HTTP/1.1 200") for s in slow),
                  f"each slow client cut off after about {READ_TIMEOUT_S} s, its request "
                  f"unanswered (cut after s, bytes sent, answer): {cuts}")

        with step("afterwards the server still serves"):
            check(sb.healthz()[0] == 200, "/healthz 200")
            r = api.get("/api/v1/tenants/it", SUP)
            check(r.status == 200 and r.json().get("id") == "it", f"the API answers ({r.status})")
            sb.assert_alive()

        # Last, so that everything above has run when one of these fails; both are reported.
        problems: list[str] = []

        def expect(condition: bool, what: str, detail: object = None) -> None:
            try:
                check(condition, what, detail)
            except TestFailure as e:
                problems.append(str(e))

        with step("made-up and traversing recording ids never download a file"):
            bad = []
            for path in ("..%2F..%2Fetc%2Fpasswd/1", f"..%2F..%2Fetc%2Fpasswd/{leg}", "1/1",
                         f"1/{leg}", f"0/{leg}", f"{call % (1 << 32)}/{leg}", f"{call}/1",
                         f"{call}/..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e",
                         f"{call}abc/{leg}", f"-1/{leg}", f"{call + 1}/{leg}"):
                got = api.get(f"{rec_base}/{path}", SUP)
                if got.status not in (400, 404) or got.body[:4] == b"RIFF" or \
                        b"root:" in got.body or got.headers.get("content-type") == "audio/wav":
                    bad.append((path, got.status, got.headers.get("content-type"),
                                got.body[:16]))
            expect(not bad, f"recordings/<made-up call>/<leg>: 404/400, never a file (the only "
                            f"recording is {call}/{leg})", bad)

        with step("the CDR of a call the server hung up says so"):
            # 4002 answers and sends BYE after 1 s (hangup_after_ms); SIPp only answers it.
            expect(server_hung_up["hangup_side"] == "system",
                   f"call {server_hung_up['call']} to {HANGS_UP.number}: hangup_side system "
                   f"(got {server_hung_up['hangup_side']!r}, cause "
                   f"{server_hung_up['hangup_cause']!r})", server_hung_up)
        if problems:
            raise TestFailure("\n".join(problems))

def _login_from(source: str, api: Api, user: str, password: str) -> int:
    c = http.client.HTTPConnection(api.host, api.port, timeout=10, source_address=(source, 0))
    try:
        c.request("POST", "/api/v1/login", body=json.dumps({"user": user, "password": password}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


if __name__ == "__main__":
    test_main(run)
