#!/usr/bin/env python3
"""The caller hangs up at every phase of a call, and nothing is left behind: no leg, dialog or
media session (the server's /healthz gauges), one call_ended per call. Phases: during the
welcome prompt, while the server rings an agent whose phone never answers (the ring leg is
cancelled), and before the answer (CANCEL while ringing)."""

import time

from harness import EXTENSIONS, Number, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun, run_sipp
from rtp import RtpPeer

IVR = Number("5000", app="demo_ivr", connect_to="1001")
SLOW = Number("4001", answer_after_ms=5000)


def run(ctx) -> None:
    """Hang-ups during prompt, agent ringing and our ringing leave nothing behind."""
    with Server(ctx, numbers=[IVR, SLOW]) as sb:
        with step("hang up during the welcome prompt"):
            r = run_sipp(ctx, sb, "call_answered_then_caller_hangs_up.xml", calls=3, rate=5,
                         service=IVR.number, duration_ms=700, timeout_s=20, label="prompt")
            check(r.ok(calls=3), f"3 calls ({r.summary()})", r)
            sb.wait_idle()
        with step("hang up while the agent's phone rings"), RtpPeer() as caller:
            phone = SippRun(ctx, sb, "agent_phone_rings_until_cancelled.xml", calls=1,
                            timeout_s=30, label="agent").start()
            try:
                with DigestRegistrar(sb) as reg:
                    out = reg.register("1001", EXTENSIONS["1001"],
                                       contact=f"sip:1001@127.0.0.1:{phone.local_port}")
                    check(out.status == 200, f"REGISTER accepted ({out.status_line})")
                call = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=IVR.number,
                               duration_ms=4000, timeout_s=30, label="caller",
                               extra=["-key", "rtp_port", str(caller.port)]).start()
                check(caller.wait_for_packets(5, 10), "the menu prompt plays")
                caller.send_dtmf_event("2")
                wait_until(lambda: phone.sent_count(r"SIP/2\.0 180") >= 1, 10,
                           "the agent's phone rings")
                r = call.wait()
                check(r.ok(calls=1), f"the caller hung up ({r.summary()})", r)
                hung_up = time.monotonic()
                p = phone.wait()
                check(p.ok(calls=1), f"the agent's ringing leg was cancelled ({p.summary()})", p)
                late = time.monotonic() - hung_up
                check(late < 3, f"...at once, not at the ring timeout ({late:.1f} s after)")
            finally:
                phone.kill()
            sb.wait_idle()
        with step("CANCEL before the answer"):
            r = run_sipp(ctx, sb, "caller_cancels_before_answer_timer_fires.xml", calls=2,
                         service=SLOW.number, timeout_s=20, label="cancel")
            check(r.ok(calls=2), f"2 cancelled calls ({r.summary()})", r)
            sb.wait_idle()
        calls = {e["call"] for e in sb.call_events("call_created")}
        ended = [e["call"] for e in sb.call_events("call_ended")]
        check(len(ended) == len(calls) == 6 and set(ended) == calls,
              f"every call ended exactly once ({len(calls)} created, {len(ended)} ended)")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
