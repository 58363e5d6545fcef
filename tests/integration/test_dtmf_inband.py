#!/usr/bin/env python3
"""In-band DTMF: a caller whose offer has no telephone-event presses keys as tones in the
audio. The server detects them (spandsp), reports each once, and the IVR acts on them: 1 picks
"read back", 5 is read back. The test's RTP peer makes the tones itself (rtp.py)."""

from harness import Number, Server, check, step, test_main, wait_until
from peers import SippRun
from rtp import RtpPeer

IVR = Number("5000", app="demo_ivr")


def run(ctx) -> None:
    """In-band 1 then 5 are detected once each."""
    with Server(ctx, numbers=[IVR]) as sb, RtpPeer() as peer:
        sipp = SippRun(ctx, sb, "call_with_peer_media_no_events.xml", calls=1,
                       service=IVR.number, duration_ms=9000, timeout_s=30,
                       extra=["-key", "rtp_port", str(peer.port)]).start()
        try:
            with step("the welcome prompt starts"):
                check(peer.wait_for_packets(10, 10), "the server sends RTP (the menu prompt)")
            with step("press 1 in-band, then 5 after the read-back prompt"):
                peer.send_inband_dtmf("1")
                wait_until(lambda: [e["detail"] for e in sb.call_events("dtmf")] == ["1"], 5,
                           "digit 1 reported")
                peer.send_audio([0] * 8000)  # a second of silence between the key presses
                peer.send_inband_dtmf("5")
                wait_until(lambda: len(sb.call_events("dtmf")) >= 2, 5, "a second digit")
            r = sipp.wait()
        finally:
            sipp.kill()
        check(r.ok(calls=1), f"the call succeeded ({r.summary()})", r)
        sb.wait_idle()
        digits = [e["detail"] for e in sb.call_events("dtmf")]
        check(digits == ["1", "5"], f"digits 1 and 5, each once (got {digits})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
