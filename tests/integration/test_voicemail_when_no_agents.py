#!/usr/bin/env python3
"""Voicemail when nobody can answer (F1, R1): the "sales" queue refuses callers while no agent
is logged in (join_when_no_agents false; its only agent alice is logged out), so the flow's
queue node exits next_no_agents to a voicemail node. The caller hears the greeting and the
beep (1000 Hz), then speaks (a 1400 Hz tone, 2 s) and presses #; the server stops the
recording and hangs up (BYE). Pinned: the voicemail WAV exists under the server's recordings
directory and holds the tone, the flow logged the queue's "no agents" and the voicemail's
"recorded", the ACD never queued the caller, and nothing is left behind."""

import time
import wave

from harness import Number, Server, check, step, test_main, wait_until
from peers import SippRun
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

LINE = Number("5204", app="flow", flow="main")
BEEP_HZ, MESSAGE_HZ = 1000, 1400
FLOW = {
    "name": "main",
    "start": "sales",
    "nodes": {
        "sales": {"type": "queue", "queue": "sales", "next_no_agents": "vm", "next": "bye"},
        "vm": {"type": "voicemail", "prompt": "Nobody can take your call. Please leave a message.",
               "max_seconds": 20},
        "bye": {"type": "hangup"},
    },
}
CONTACT_CENTER = {
    "queues": [{"name": "sales", "join_when_no_agents": False}],
    "agents": [{"name": "alice", "extension": "1001", "queues": ["sales"], "logged_in": False}],
    "flows": [{"name": "main", "definition": FLOW}],
}


def frames(peer: RtpPeer) -> list[list[int]]:
    """The received audio, one decoded list per 20 ms packet."""
    return [ulaw_decode_bytes(p.payload) for p in peer.received()]


def is_beep(frame: list[int]) -> bool:
    """A 20 ms frame that is (nearly) a pure 1000 Hz tone: a pure tone's normalised Goertzel
    power is half its mean square; speech spreads its energy over many frequencies."""
    mean_square = sum(x * x for x in frame) / len(frame) if frame else 0.0
    return mean_square > 500 ** 2 and goertzel(frame, BEEP_HZ) > 0.3 * mean_square


def beep_over(peer: RtpPeer) -> bool:
    """The beep (250 ms) has arrived, at least 5 frames of it in a row, and after it a frame
    that is not the beep (or, when the server sends nothing after its prompts, 200 ms of
    nothing)."""
    f = frames(peer)
    flags = [is_beep(x) for x in f]
    run_end = next((i + 5 for i in range(len(flags) - 4) if all(flags[i:i + 5])), None)
    if run_end is None:
        return False
    while run_end < len(flags) and flags[run_end]:
        run_end += 1
    if run_end < len(flags):
        return True
    return time.monotonic() - peer.received()[-1].arrival > 0.2


def run(ctx) -> None:
    """queue, no agents -> voicemail: greeting, beep, message, # -> WAV with the message."""
    with Server(ctx, numbers=[LINE], contact_center=CONTACT_CENTER) as sb, RtpPeer() as caller:
        call = SippRun(ctx, sb, "call_with_peer_media_until_server_bye.xml", calls=1,
                       service=LINE.number, timeout_s=30, label="caller",
                       extra=["-key", "rtp_port", str(caller.port)]).start()
        try:
            with step("the caller hears the greeting and the beep"):
                wait_until(lambda: beep_over(caller), 15, "the beep, then its end")
                greeting = [s for f in frames(caller) for s in f]
                check(len(greeting) > 8000, f"a greeting before the beep "
                      f"({len(greeting) / 8000:.1f} s of audio)")
            with step("the caller leaves a message and presses #"):
                caller.send_audio(tone((MESSAGE_HZ,), 2.0))
                caller.send_dtmf_event("#")
                r = call.wait()
                check(r.ok(calls=1), f"the server hung up after the message ({r.summary()})", r)
        finally:
            call.kill()
        sb.wait_idle()
        with step("the recording"):
            files = sorted(sb.recordings.rglob("*-voicemail.wav"))
            check(len(files) == 1, f"one voicemail recording ({[str(f) for f in files]})")
            with wave.open(str(files[0])) as w:
                channels, rate, width = w.getnchannels(), w.getframerate(), w.getsampwidth()
                raw = w.readframes(w.getnframes())
            check(rate == 8000 and width == 2, f"16-bit 8 kHz WAV ({width * 8} bit, {rate} Hz, "
                  f"{channels} channel(s))")
            samples = [int.from_bytes(raw[i:i + 2], "little", signed=True)
                       for i in range(0, len(raw), 2)]
            caller_side = samples[0::channels]  # stereo recordings keep the caller on the left
            window = 1600  # 200 ms
            toned = [i for i in range(0, len(caller_side) - window, window)
                     if goertzel(caller_side[i:i + window], MESSAGE_HZ) > 1e6]
            check(len(toned) * window >= 8000 * 1.4,
                  f"the message tone is in the recording ({len(toned) * window / 8000:.1f} s of "
                  f"{len(caller_side) / 8000:.1f} s)")
            beeped = [(ch, i) for ch in range(channels)
                      for side in [samples[ch::channels]]
                      for i in range(0, len(side) - window, window)
                      if goertzel(side[i:i + window], BEEP_HZ) > 1e6]
            check(len(caller_side) < 8000 * 10,
                  f"the recording ends at the # ({len(caller_side) / 8000:.1f} s), not at "
                  f"max_seconds")
            check(beeped == [], f"the recording starts after the beep ({len(beeped)} windows "
                  f"with the beep)")
        steps = [(e["node"], " ".join(e["words"])) for e in sb.domain_events("flow")
                 if "node" in e]
        check(steps == [("sales", "enter"), ("sales", "no_agents"), ("vm", "enter"),
                        ("vm", "recorded")],
              f"flow: queue without agents, then the voicemail recorded ({steps})")
        check(sb.acd_events("contact_queued") == [], "the ACD never queued the caller")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
