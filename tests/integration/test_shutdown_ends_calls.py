#!/usr/bin/env python3
"""Graceful shutdown: SIGTERM while calls are up sends each caller a BYE (README: "Stop it with
Ctrl-C: active calls get a BYE") and the process exits 0. Over UDP and over TCP, where the BYE
must be written before the connection is closed (the race this test pins)."""

from harness import ANSWERS, Server, check, step, test_main, wait_until
from peers import SippRun

CALLS = 5


def run(ctx) -> None:
    """SIGTERM with calls up: every caller receives a BYE; exit code 0."""
    for transport, mode in (("UDP", "u1"), ("TCP", "t1")):
        with step(f"shutdown with {CALLS} {transport} calls up"):
            sb = Server(ctx, name=f"server-{transport.lower()}").start()
            sipp = None
            try:
                # The scenario waits up to 10 s after its ACK for a BYE; 4000 never hangs up
                # by itself, so only the shutdown can send it.
                sipp = SippRun(ctx, sb, "server_hangs_up_after_answer.xml", calls=CALLS,
                               rate=20, limit=CALLS, transport=mode, service=ANSWERS.number,
                               timeout_s=30, label=f"shutdown-{transport.lower()}").start()
                wait_until(lambda: sipp.sent_count(r"ACK ") >= CALLS, 10,
                           f"{CALLS} answered and ACKed calls")
                print(f"info - {CALLS} calls up; sending SIGTERM")
                sb.stop()  # asserts exit code 0 within the deadline
                r = sipp.wait()
            finally:
                sb.kill()
                if sipp is not None:
                    sipp.kill()
            check(r.ok(calls=CALLS), f"{transport}: every caller got a BYE and answered it "
                  f"({r.summary()})", r)
            check(f"shutting down, ending {CALLS} dialogs" in sb.stdout(),
                  f"{transport}: the server logged ending {CALLS} dialogs", sb.stderr_tail())


if __name__ == "__main__":
    test_main(run)
