#!/usr/bin/env python3
"""Early media while the agent's phone rings (T3): a caller reaches extension 1001 through a
`connect` number. The server sends 183 with its SDP answer and plays ringback (US cadence,
440 + 480 Hz) to the caller while 1001 rings for 3 s; the caller's leg is answered only when
1001 answers, and then the two are bridged."""

from harness import EXTENSIONS, Number, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

LINE = Number("5002", app="connect", connect_to="1001")
RING_MS = 3000


def run(ctx) -> None:
    """Ringback is early media; 200 OK to the caller follows the agent's."""
    with Server(ctx, numbers=[LINE]) as sb, RtpPeer() as caller, RtpPeer() as phone:
        agent = SippRun(ctx, sb, "agent_phone_answers.xml", calls=1, timeout_s=40,
                        duration_ms=RING_MS, label="agent-1001",
                        extra=["-key", "rtp_port", str(phone.port)]).start()
        call = None
        try:
            with step("1001 registers"), DigestRegistrar(sb) as reg:
                out = reg.register("1001", EXTENSIONS["1001"],
                                   contact=f"sip:1001@127.0.0.1:{agent.local_port}")
                check(out.status == 200, f"1001 registered ({out.status_line})")
            call = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=LINE.number,
                           duration_ms=2000, timeout_s=40, label="caller",
                           extra=["-key", "rtp_port", str(caller.port)]).start()
            with step("while 1001 rings, the caller hears ringback and is not answered"):
                check(caller.wait_for_packets(40, 5), "RTP reaches the caller before the answer")
                check(not sb.call_events("answered"), "no leg is answered yet",
                      sb.call_events())
                early = [s for p in caller.received() for s in ulaw_decode_bytes(p.payload)]
                check(goertzel(early, 440) > 1e6 and goertzel(early, 480) > 1e6,
                      f"ringback tones 440 Hz ({goertzel(early, 440):.3g}) and 480 Hz "
                      f"({goertzel(early, 480):.3g})")
                rings = sb.call_events("ringing")
                check(any(e["detail"] == "early media" for e in rings),
                      "the caller's leg went to early media", rings)
            with step("1001 answers: the caller is answered and bridged"):
                wait_until(lambda: sb.call_events("bridged"), 10, "the bridge")
                answered = sb.call_events("answered")
                check(len(answered) == 2, f"both legs answered ({answered})")
                inbound = next(e["leg"] for e in rings if e["detail"] == "early media")
                check(answered[-1]["leg"] == inbound,
                      "the caller's leg is answered after the agent's", answered)
                caller.send_audio(tone((1000,), 0.4))
                check(phone.wait_for_packets(5, 5), "1001 receives the caller")
                mark = len(caller.received())
                phone.send_audio(tone((600,), 1.0))
                heard = [s for p in caller.received()[mark:] for s in
                         ulaw_decode_bytes(p.payload)]
                check(goertzel(heard, 600) > 1e6, "the caller hears 1001")
            r = call.wait()
            check(r.ok(calls=1), f"the caller saw 183 then 200 ({r.summary()})", r)
            check(any(m.startswith("SIP/2.0 183") for m in r.received(r"SIP/2.0 183")),
                  "SIPp received the 183")
            a = agent.wait()
            check(a.ok(calls=1), f"1001 got its BYE ({a.summary()})", a)
        finally:
            for p in (agent, call):
                if p is not None:
                    p.kill()
        sb.wait_idle()
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
