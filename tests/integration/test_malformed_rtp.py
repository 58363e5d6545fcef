#!/usr/bin/env python3
"""Malformed RTP in the middle of a call is counted and dropped; the call goes on. The test's
peer sends the server bad versions, truncated headers, CSRC/extension/padding lengths past the
end, an empty and a 64 KiB datagram, an unknown payload type and an SSRC change, then checks
that the greeting still streams and that /healthz counted the junk."""

import struct

from harness import Number, Server, check, step, test_main
from peers import SippRun
from rtp import PCMU, RtpPeer

GREETING = Number("4100", greeting="This greeting keeps playing while we are sent garbage. "
                                   "It should not stop. One, two, three, four, five, six.")

JUNK = [
    b"",                                                        # 0 bytes
    b"\x80\x00\x00",                                            # shorter than a header
    bytes([0x40]) + bytes(171),                                 # version 1
    bytes([0x8F, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]),             # 15 CSRCs, none there
    bytes([0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF]),  # extension too long
    bytes([0xA0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0xFF]),    # padding past the start
    bytes([0x80]) + bytes(65000),                               # 64 KiB
]


def run(ctx) -> None:
    """Junk RTP is counted, the stream to the caller goes on, the server survives."""
    with Server(ctx, numbers=[GREETING]) as sb, RtpPeer() as peer:
        sipp = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=GREETING.number,
                       duration_ms=4000, timeout_s=20,
                       extra=["-key", "rtp_port", str(peer.port)]).start()
        try:
            check(peer.wait_for_packets(10, 10), "the greeting streams")
            before = sb.health()["rtp_malformed"]
            with step("send junk, an unknown payload type and a new SSRC"):
                for j in JUNK:
                    peer.send_raw(j)
                peer.send_raw(struct.pack("!BBHII", 0x80, 99, 1, 1, 7) + bytes(160))
                peer.send_raw(struct.pack("!BBHII", 0x80, 0, 1, 1, 8) + bytes(160))
                peer.send_raw(struct.pack("!BBHII", 0x80, 0, 2, 161, 9) + bytes(160))
                mark = len(peer.received(PCMU))
            r = sipp.wait()
        finally:
            sipp.kill()
        check(r.ok(calls=1), f"the call went on to its normal end ({r.summary()})", r)
        after = len(peer.received(PCMU)) - mark
        check(after >= 50, f"the greeting kept streaming after the junk ({after} packets)")
        counted = sb.health()["rtp_malformed"] - before
        check(counted >= 6, f"the junk was counted as malformed ({counted})")
        sb.wait_idle()
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
