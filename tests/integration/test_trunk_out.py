#!/usr/bin/env python3
"""Out a trunk with digest auth and a channel limit (T1): a `connect` number dials external
number 15551234 out trunk "carrier" (a SIPp UAS that challenges with 407; the test checks the
retried INVITE's digest response itself). The caller is bridged to the carrier and hears it.
The trunk has one channel: a second caller while the first talks is refused at once (early
media, then 480: the server never answers a call it cannot place)."""

import hashlib
import re

from harness import Number, Server, check, step, test_main, wait_until
from peers import SippRun, run_sipp
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

USER, PASSWORD = "sb-trunk", "trunk-secret-1"
OUT = Number("5003", app="connect", trunk="carrier", dial="15551234")


def run(ctx) -> None:
    """407 answered with the trunk's credentials; second call refused by the channel limit."""
    with RtpPeer() as caller, RtpPeer() as far:
        carrier = SippRun(ctx, None, "carrier_challenges_then_answers.xml", calls=1,
                          timeout_s=40, label="carrier", target="127.0.0.1:9",
                          extra=["-key", "rtp_port", str(far.port), "-key", "trunk_user", USER,
                                 "-key", "trunk_pass", PASSWORD])
        trunk = {"name": "carrier", "address": "127.0.0.1", "port": carrier.local_port,
                 "username": USER, "password": PASSWORD, "channels": 1}
        with Server(ctx, numbers=[OUT], trunks=[trunk]) as sb:
            carrier.start()
            call = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=OUT.number,
                           duration_ms=6000, timeout_s=40, label="caller",
                           extra=["-key", "rtp_port", str(caller.port)]).start()
            try:
                with step("the call goes out the trunk, authenticated, and is bridged"):
                    wait_until(lambda: sb.call_events("bridged"), 10, "the bridge")
                    caller.send_audio(tone((1000,), 0.4))
                    check(far.wait_for_packets(5, 5), "the carrier side receives the caller")
                    mark = len(caller.received())
                    far.send_audio(tone((600,), 1.0))
                    heard = [s for p in caller.received()[mark:]
                             for s in ulaw_decode_bytes(p.payload)]
                    check(goertzel(heard, 600) > 1e6, "the caller hears the carrier side")
                with step("a second call while the only channel is busy"):
                    second = run_sipp(ctx, sb, "early_media_then_unavailable.xml", calls=1,
                                      service=OUT.number, timeout_s=15, label="second")
                    check(second.ok(calls=1), f"183, then 480 without an answer "
                          f"({second.summary()})", second)
                r = call.wait()
                check(r.ok(calls=1), f"the first call succeeded ({r.summary()})", r)
                c = carrier.wait()
                check(c.ok(calls=1), f"the carrier saw 407, an INVITE with credentials, BYE "
                      f"({c.summary()})", c)
            finally:
                call.kill()
                carrier.kill()
            invites = [m for m in c.received(r"INVITE ")]
            check(len(invites) == 2 and all(m.startswith("INVITE sip:15551234@") for m in invites),
                  f"two INVITEs for sip:15551234@ (challenge, retry) ({len(invites)})")
            check("Proxy-Authorization: Digest" in invites[1] and f'username="{USER}"' in invites[1],
                  "the retry carries the trunk's credentials")
            auth = dict(re.findall(r'(\w+)="?([^",\r\n]+)"?',
                                   invites[1].split("Proxy-Authorization: Digest", 1)[1]
                                   .split("\n", 1)[0]))
            md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
            ha1 = md5(f"{USER}:carrier:{PASSWORD}")
            ha2 = md5(f"INVITE:{auth['uri']}")
            expected = md5(f"{ha1}:{auth['nonce']}:{auth['nc']}:{auth['cnonce']}:auth:{ha2}")
            check(auth.get("qop") == "auth" and auth.get("response") == expected,
                  "the digest response is right (RFC 2617 qop=auth, checked here)", auth)
            check(PASSWORD not in sb.stdout() + sb.stderr(), "the trunk password is never logged")
            sb.wait_idle()
            ended = sorted(e["detail"] for e in sb.call_events("leg_ended"))
            check(ended.count("unavailable") == 1,
                  f"the second caller was refused as unavailable ({ended})")
            sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
