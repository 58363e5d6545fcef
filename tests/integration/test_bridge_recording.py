#!/usr/bin/env python3
"""A bridged call with media both ways and a two-channel recording. Extension 1001 registers
(digest) with the Contact of a SIPp UAS, the agent's phone. A SIPp caller reaches the demo IVR,
presses 2 (RFC 4733 from the test's RTP peer), hears ringback while the server calls 1001, and
is bridged when the agent answers. The caller sends a 1000 Hz tone, the agent a 600 Hz tone:
each side must hear the other's, and the call's recording (record: true) must hold the caller
in the left channel and the agent in the right. The caller hangs up; the server clears the
agent's leg with BYE and nothing is left."""

import threading
import wave

from harness import EXTENSIONS, Number, Server, check, step, test_main, wait_until
from peers import DigestRegistrar, SippRun
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

IVR = Number("5000", app="demo_ivr", connect_to="1001", record=True)
CALLER_HZ, AGENT_HZ = 1000, 600


def dominant(samples: list[int]) -> str:
    c, a = goertzel(samples, CALLER_HZ), goertzel(samples, AGENT_HZ)
    if max(c, a) < 1e6:  # our tones have ~9e6; speech spreads its energy over many bins
        return "silence"
    return "caller" if c > 10 * a else "agent" if a > 10 * c else "mixed"


def run(ctx) -> None:
    """Caller and agent hear each other; the recording has one party per channel."""
    with Server(ctx, numbers=[IVR]) as sb, RtpPeer() as caller, RtpPeer() as agent:
        phone = SippRun(ctx, sb, "agent_phone_answers.xml", calls=1, timeout_s=40,
                        extra=["-key", "rtp_port", str(agent.port)], label="agent").start()
        call = None
        try:
            with step("1001 registers with the agent phone's Contact"), DigestRegistrar(sb) as reg:
                out = reg.register("1001", EXTENSIONS["1001"],
                                   contact=f"sip:1001@127.0.0.1:{phone.local_port}")
                check(out.status == 200, f"REGISTER accepted ({out.status_line})")
            call = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=IVR.number,
                           duration_ms=10000, timeout_s=40,
                           extra=["-key", "rtp_port", str(caller.port)], label="caller").start()
            with step("caller presses 2 during the welcome"):
                check(caller.wait_for_packets(10, 10), "the menu prompt plays")
                caller.send_dtmf_event("2")
                wait_until(lambda: sb.call_events("bridged"), 10, "the bridge")
            with step("both parties talk"):
                caller.send_audio(tone((CALLER_HZ,), 0.5))  # the agent's peer latches on it
                check(agent.wait_for_packets(10, 5), "the agent's phone receives the caller")
                mark_caller = len(caller.received())
                mark_agent = len(agent.received())
                t = threading.Thread(target=agent.send_audio, args=(tone((AGENT_HZ,), 2.0),))
                t.start()
                caller.send_audio(tone((CALLER_HZ,), 2.0))
                t.join()
            heard_by_caller = [s for p in caller.received()[mark_caller:] for s in
                               ulaw_decode_bytes(p.payload)]
            heard_by_agent = [s for p in agent.received()[mark_agent:] for s in
                              ulaw_decode_bytes(p.payload)]
            check(dominant(heard_by_agent) == "caller",
                  f"the agent hears the caller's {CALLER_HZ} Hz ({dominant(heard_by_agent)})")
            check(dominant(heard_by_caller) == "agent",
                  f"the caller hears the agent's {AGENT_HZ} Hz ({dominant(heard_by_caller)})")
            r = call.wait()
            check(r.ok(calls=1), f"the caller's call succeeded ({r.summary()})", r)
            p = phone.wait()
            check(p.ok(calls=1), f"the agent's phone got its BYE ({p.summary()})", p)
        finally:
            phone.kill()
            if call is not None:
                call.kill()
        sb.wait_idle()
        with step("the recording"):
            files = sorted(sb.recordings.rglob("*-full.wav"))
            check(len(files) == 1, f"one call recording ({[str(f) for f in files]})")
            with wave.open(str(files[0])) as w:
                check(w.getnchannels() == 2 and w.getframerate() == 8000 and
                      w.getsampwidth() == 2, "stereo 16-bit 8 kHz WAV")
                frames = w.readframes(w.getnframes())
            samples = [int.from_bytes(frames[i:i + 2], "little", signed=True)
                       for i in range(0, len(frames), 2)]
            left, right = samples[0::2], samples[1::2]
            window = 8000  # look at every second of the file: the bridged talk is in there
            lefts = {dominant(left[i:i + window]) for i in range(0, len(left), window)}
            rights = {dominant(right[i:i + window]) for i in range(0, len(right), window)}
            check("caller" in lefts and "agent" not in lefts,
                  f"left channel is the caller ({lefts})")
            check("agent" in rights and "caller" not in rights,
                  f"right channel is the agent ({rights})")
        ended = {e["leg"]: e["detail"] for e in sb.call_events("leg_ended")}
        check(sorted(ended.values()) == ["normal", "peer_hung_up"],
              f"caller ended normally, agent cleared after it ({ended})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
