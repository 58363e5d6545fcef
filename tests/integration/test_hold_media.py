#!/usr/bin/env python3
"""Hold and unhold change what flows: a caller listening to a long greeting puts the server on
hold (re-INVITE a=sendonly, answered a=recvonly) and the server stops sending RTP; after the
unhold (a=sendrecv) it sends again, on the same SSRC and timestamp line. The INFO sent while on
hold carries a DTMF digit (application/dtmf-relay), reported like any other digit."""

from harness import Number, Server, check, step, test_main
from peers import run_sipp
from rtp import PCMU, RtpPeer

LONG = Number("4100", greeting=(
    "Thank you for calling. This message is long on purpose. It keeps playing while you put "
    "us on hold and take us off hold again, so that the test can see the audio stop and "
    "start. Please stay on the line. Thank you for your patience."))


def run(ctx) -> None:
    """No RTP from the server while it is held; RTP again after the unhold."""
    with Server(ctx, numbers=[LONG]) as sb, RtpPeer() as peer:
        with step("answer, hold 2.5 s (with an INFO), unhold, BYE"):
            r = run_sipp(ctx, sb, "hold_unhold_with_peer_media.xml", calls=1,
                         service=LONG.number, timeout_s=30,
                         extra=["-key", "rtp_port", str(peer.port)])
            check(r.ok(calls=1), f"every step answered as expected ({r.summary()})", r)
        packets = peer.received(PCMU)
        check(len(packets) > 100, f"audio before and after the hold ({len(packets)} packets)")
        gaps = [(b.arrival - a.arrival, i) for i, (a, b) in enumerate(zip(packets, packets[1:]))]
        gap, at = max(gaps)
        check(2.0 <= gap <= 4.0, f"the server was silent while held ({gap:.2f} s)")
        before, after = packets[:at + 1], packets[at + 1:]
        check(len(before) >= 50 and len(after) >= 50,
              f"it sent before the hold and after the unhold ({len(before)}, {len(after)})")
        check(len({p.ssrc for p in packets}) == 1, "one SSRC across the hold")
        check(all(0 < (b.ts - a.ts) & 0xFFFFFFFF < 160 * 400 for a, b in zip(packets, packets[1:])),
              "timestamps keep moving forward across the hold")
        events = [e["kind"] for e in sb.call_events() if e["kind"] in ("hold", "unhold", "dtmf")]
        check(events[:2] == ["hold", "dtmf"] and "unhold" in events,
              f"hold, the INFO digit, unhold reported ({events})")
        sb.wait_idle()
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
