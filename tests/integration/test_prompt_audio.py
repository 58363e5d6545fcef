#!/usr/bin/env python3
"""What the server sends is real audio: a call to a number with a spoken greeting (flite,
rendered off the hot path) gets RTP that decodes to speech of a plausible length, as one
well-formed stream (one SSRC, sequence +1 and timestamp +160 per 20 ms packet, PCMU, marker on
the first), and nothing after the BYE. SIPp does the signalling; the test's own RTP peer
(rtp.py, independent of the server's G.711 code) receives and decodes."""

import time

from harness import Number, Server, check, step, test_main
from peers import run_sipp
from rtp import PCMU, RtpPeer, rms

GREETING = Number("4100", greeting="Hello from Switchboard. This is a test of the media engine.")


def run(ctx) -> None:
    """Spoken greeting on the wire: non-silent, plausible length, a clean RTP stream."""
    with Server(ctx, numbers=[GREETING]) as sb, RtpPeer() as peer:
        with step("call the greeting number for 5 s"):
            r = run_sipp(ctx, sb, "call_with_peer_media.xml", calls=1, service=GREETING.number,
                         duration_ms=5000, timeout_s=20, extra=["-key", "rtp_port", str(peer.port)])
            check(r.ok(calls=1), f"the call succeeded ({r.summary()})", r)
            after_bye = len(peer.received(None))
        packets = peer.received(PCMU)
        with step("the RTP stream"):
            check(len(packets) >= 75, f"at least 1.5 s of audio packets arrived ({len(packets)})")
            check(len({p.ssrc for p in packets}) == 1, "one SSRC throughout")
            seq_ok = all((b.seq - a.seq) & 0xFFFF == 1 for a, b in zip(packets, packets[1:]))
            ts_ok = all((b.ts - a.ts) & 0xFFFFFFFF == 160 for a, b in zip(packets, packets[1:]))
            check(seq_ok, "sequence numbers increase by one")
            check(ts_ok, "timestamps increase by 160 (20 ms at 8 kHz)")
            check(all(len(p.payload) == 160 for p in packets), "160-byte PCMU payloads")
            check(packets[0].marker, "the first packet has the marker bit")
            source = packets[0].source
            check(source[0] == "127.0.0.1" and all(p.source == source for p in packets),
                  f"sent from one address ({source})")
        with step("the audio"):
            audio = peer.audio()
            frames = [audio[i:i + 160] for i in range(0, len(audio), 160)]
            loud = sum(1 for f in frames if rms(f) > 200)
            seconds = loud * 0.02
            check(1.0 <= seconds <= 6.0,
                  f"speech of plausible length: {seconds:.2f} s of non-silent audio")
            check(rms(audio) > 300, f"audible overall level (RMS {rms(audio):.0f})")
        with step("nothing after the BYE"):
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:
                time.sleep(0.05)  # observation window: packets still in flight would land here
            check(len(peer.received(None)) <= after_bye + 2,
                  f"no RTP after the call ended ({len(peer.received(None)) - after_bye} late)")
        sb.wait_idle()
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
