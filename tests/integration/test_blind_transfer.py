#!/usr/bin/env python3
"""Blind transfer from the agent's phone (REFER, RFC 3515): a caller reaches agent 1001 through
a `connect` number; the agent's phone sends REFER to 1003. The server accepts (202, NOTIFY),
calls 1003 while the caller hears ringback, bridges the caller to 1003 when it answers, and
ends the agent's leg with BYE. The caller then hears 1003's audio. Nothing is left behind."""

from harness import EXTENSIONS, Number, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

LINE = Number("5002", app="connect", connect_to="1001")


def run(ctx) -> None:
    """REFER moves the caller from 1001 to 1003."""
    with Server(ctx, numbers=[LINE]) as sb, RtpPeer() as caller, RtpPeer() as first, \
            RtpPeer() as target:
        agent = SippRun(ctx, sb, "agent_answers_then_refers.xml", calls=1, timeout_s=40,
                        label="agent-1001",
                        extra=["-key", "rtp_port", str(first.port), "-key", "transfer_to",
                               "1003"]).start()
        other = SippRun(ctx, sb, "agent_phone_answers.xml", calls=1, timeout_s=40,
                        label="agent-1003", extra=["-key", "rtp_port", str(target.port)]).start()
        call = None
        try:
            with step("1001 and 1003 register"), DigestRegistrar(sb) as reg:
                for user, phone in (("1001", agent), ("1003", other)):
                    out = reg.register(user, EXTENSIONS[user],
                                       contact=f"sip:{user}@127.0.0.1:{phone.local_port}")
                    check(out.status == 200, f"{user} registered ({out.status_line})")
            call = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=LINE.number,
                           duration_ms=7000, timeout_s=40, label="caller",
                           extra=["-key", "rtp_port", str(caller.port)]).start()
            with step("the caller is bridged to 1001, then transferred to 1003"):
                wait_until(lambda: sb.call_events("transferred"), 10, "the transfer")
                wait_until(lambda: len(sb.call_events("bridged")) >= 2, 5, "the second bridge")
                a = agent.wait()
                check(a.ok(calls=1), f"1001: REFER accepted, NOTIFY, BYE ({a.summary()})", a)
            with step("the caller talks to 1003"):
                caller.send_audio(tone((1000,), 0.4))  # 1003's peer latches onto it
                check(target.wait_for_packets(5, 5), "1003 receives the caller")
                mark = len(caller.received())
                target.send_audio(tone((600,), 1.5))
                heard = [s for p in caller.received()[mark:] for s in
                         ulaw_decode_bytes(p.payload)]
                check(goertzel(heard, 600) > 1e6, "the caller hears 1003's 600 Hz "
                      f"(power {goertzel(heard, 600):.3g})")
            r = call.wait()
            check(r.ok(calls=1), f"the caller's call succeeded ({r.summary()})", r)
            o = other.wait()
            check(o.ok(calls=1), f"1003 got its BYE ({o.summary()})", o)
        finally:
            for p in (agent, other, call):
                if p is not None:
                    p.kill()
        sb.wait_idle()
        ended = sorted(e["detail"] for e in sb.call_events("leg_ended"))
        check(ended == ["normal", "peer_hung_up", "transferred"],
              f"caller normal, 1001 transferred, 1003 cleared after the caller ({ended})")
        check(len(sb.call_events("call_ended")) == 1, "one call")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
