#!/usr/bin/env python3
"""A tenant's webhook receives its committed events (issue 5): calls to an answering number;
a local HTTP receiver gets POSTs with the tenant's call_ended events only (the kinds
configured), each batch signed with HMAC-SHA256 over timestamp + body under the tenant's
secret, with an idempotency key; the receiver first answers 503 and the batch comes again
with the same key."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import ANSWERS, Server, check, step, test_main, wait_until
from peers import run_sipp

SECRET = "webhook-secret-0123456789"
CALLS = 3


class Receiver(BaseHTTPRequestHandler):
    posts: list = []
    answers: list = [503]  # the first POST fails, later ones succeed
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Receiver.lock:
            Receiver.posts.append((dict(self.headers), body))
            status = Receiver.answers.pop(0) if Receiver.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def run(ctx) -> None:
    """Signed, filtered, retried with the same idempotency key."""
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    try:
        hooks = {"webhooks": [{"url": url, "secret": SECRET, "events": ["call_ended"]}]}
        with Server(ctx, numbers=[ANSWERS], contact_center=hooks) as sb:
            with step(f"{CALLS} calls"):
                r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=CALLS,
                             service=ANSWERS.number, duration_ms=200, timeout_s=30)
                check(r.ok(calls=CALLS), f"{CALLS} calls ({r.summary()})", r)

            def delivered() -> list:
                with Receiver.lock:
                    ok = [p for i, p in enumerate(Receiver.posts) if i > 0]
                return [e for _, b in ok for e in json.loads(b)["events"]]

            with step("the receiver gets every call_ended event, after one retry"):
                wait_until(lambda: len({e["id"] for e in delivered()}) == CALLS, 20,
                           f"{CALLS} call_ended events delivered")
                events = delivered()
                check(all(e["kind"] == "call_ended" and e["tenant"] == "it" for e in events),
                      "only the tenant's call_ended events", events)
            with step("each POST is signed; the retried batch keeps its key"):
                with Receiver.lock:
                    posts = list(Receiver.posts)
                for headers, body in posts:
                    ts = headers["X-Switchboard-Timestamp"]
                    want = hmac.new(SECRET.encode(), ts.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
                    check(headers["X-Switchboard-Signature"] == "sha256=" + want,
                          "signature verifies")
                check(posts[0][0]["Idempotency-Key"] == posts[1][0]["Idempotency-Key"] and
                      posts[0][1] == posts[1][1], "the batch refused with 503 came again, same key")
                check(SECRET not in sb.stderr() and SECRET not in sb.stdout(),
                      "the secret is never logged")
    finally:
        receiver.shutdown()


if __name__ == "__main__":
    test_main(run)
