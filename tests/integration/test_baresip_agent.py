#!/usr/bin/env python3
"""A real softphone as the agent: baresip (Debian) registers as extension 1002 with digest and
auto-answer, its microphone a 600 Hz sine (ausine). A SIPp caller reaches a `connect` number,
the server rings baresip, bridges the call, and the caller's RTP peer hears baresip's tone
while baresip (its sndfile filter writes what it decodes) hears the caller's 1000 Hz tone.
The caller hangs up; the server ends baresip's call with BYE."""

import re
import subprocess
import threading
import wave

from harness import Number, Server, check, free_port, require_tool, step, test_main, wait_until
from peers import SippRun
from rtp import RtpPeer, goertzel, tone, ulaw_decode_bytes

AGENT = "1002"
PASSWORD = "it-1002-secret"
LINE = Number("5002", app="connect", connect_to=AGENT)


def baresip_config(confdir, sip_port: int) -> None:
    confdir.mkdir(parents=True)
    (confdir / "config").write_text("\n".join([
        f"sip_listen 127.0.0.1:{sip_port}",
        "net_interface 127.0.0.1",       # loopback only: SDP and Contact name 127.0.0.1
        "audio_source ausine,600",
        "ausrc_srate 48000",              # ausine makes 48 kHz stereo only; baresip resamples
        "ausrc_channels 2",
        "audio_player aufile,/dev/null",
        "module_path /usr/lib/baresip/modules",
        "module g711.so",
        "module ausine.so",
        "module aufile.so",
        "module sndfile.so",
        f"snd_path {confdir}",
        "module_app account.so",
        "module_app menu.so",
        "",
    ]))


def run(ctx) -> None:
    """baresip registers, auto-answers, and talks both ways through the bridge."""
    binary = require_tool("baresip")
    # The default offer (MD5 only): libre 1.0 rejects a 401 that also offers SHA-256.
    with Server(ctx, numbers=[LINE], digest_algorithms=("MD5",)) as sb, RtpPeer() as caller:
        confdir = ctx.workdir / "baresip"
        baresip_config(confdir, free_port(udp=True, tcp=True))
        (confdir / "accounts").write_text(
            f"<sip:{AGENT}@127.0.0.1:{sb.sip_port}>;auth_pass={PASSWORD};answermode=auto;"
            "regint=300;audio_codecs=PCMU\n")
        log = open(ctx.workdir / "baresip.log", "wb")
        phone = subprocess.Popen([binary, "-f", str(confdir), "-v"], stdin=subprocess.PIPE,
                                 stdout=log, stderr=subprocess.STDOUT)
        call = None
        try:
            with step("baresip registers with digest"):
                wait_until(lambda: re.search(r"200 OK", (ctx.workdir / "baresip.log").read_text(
                    errors="replace")), 10, "baresip's registration (200 OK in its log)")
            call = SippRun(ctx, sb, "call_with_peer_media.xml", calls=1, service=LINE.number,
                           duration_ms=6000, timeout_s=30, label="caller",
                           extra=["-key", "rtp_port", str(caller.port)]).start()
            with step("the server rings baresip, which answers; the call is bridged"):
                wait_until(lambda: sb.call_events("bridged"), 10, "the bridge")
            with step("both talk"):
                caller.wait_for_packets(1, 5)  # ringback, then baresip's tone: latch onto it
                mark = len(caller.received())
                caller.send_audio(tone((1000,), 3.0))
                heard = [s for p in caller.received()[mark:] for s in ulaw_decode_bytes(p.payload)]
                check(goertzel(heard, 600) > 10 * goertzel(heard, 1000) and
                      goertzel(heard, 600) > 1e6,
                      f"the caller hears baresip's 600 Hz (power {goertzel(heard, 600):.3g})")
            r = call.wait()
            check(r.ok(calls=1), f"the caller's call succeeded ({r.summary()})", r)
            sb.wait_idle()
        finally:
            if call is not None:
                call.kill()
            phone.terminate()
            try:
                phone.wait(timeout=5)
            except subprocess.TimeoutExpired:
                phone.kill()
            log.close()
        with step("what baresip heard (its sndfile recording of the decoded audio)"):
            decoded = sorted(confdir.glob("*dec*.wav"))
            check(decoded, f"baresip wrote its decoded audio ({list(confdir.iterdir())})")
            with wave.open(str(decoded[-1])) as w:
                check(w.getframerate() == 8000 and w.getnchannels() == 1,
                      f"8 kHz mono ({w.getframerate()} Hz, {w.getnchannels()} channels)")
                raw = w.readframes(w.getnframes())
                width = w.getsampwidth()
            samples = [int.from_bytes(raw[i:i + width], "little", signed=True)
                       for i in range(0, len(raw) - width + 1, width)]
            check(goertzel(samples, 1000) > 10 * goertzel(samples, 600) and
                  goertzel(samples, 1000) > 1e5,
                  f"baresip heard the caller's 1000 Hz (power {goertzel(samples, 1000):.3g})")
        ended = sorted(e["detail"] for e in sb.call_events("leg_ended"))
        check(ended == ["normal", "peer_hung_up"], f"both legs ended ({ended})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
