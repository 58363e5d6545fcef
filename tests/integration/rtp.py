"""An RTP peer for the integration tests, independent of the server's code: G.711 µ-law by the
ITU formula, RFC 4733 events, packet capture, and the signal checks the tests assert with
(RMS level, Goertzel power at a frequency). Python standard library only.

The peer binds a UDP port on loopback; the SIP side (SIPp with `-key rtp_port N`) advertises
that port in its SDP. The peer learns where to send from the first packet the server sends
(symmetric RTP), or from `remote` set explicitly.
"""

from __future__ import annotations

import math
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

PCMU = 0
EVENT_PT = 101
DTMF_EVENTS = {d: i for i, d in enumerate("0123456789*#ABCD")}
DTMF_FREQS = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
    "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
}


def ulaw_encode(sample: int) -> int:
    """G.711 µ-law of one 16-bit sample (bias 0x84, clip 32635)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def ulaw_decode(code: int) -> int:
    code = ~code & 0xFF
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -magnitude if sign else magnitude


def ulaw_decode_bytes(payload: bytes) -> list[int]:
    return [ulaw_decode(b) for b in payload]


def tone(freqs: tuple[float, ...], seconds: float, level: float = 6000.0) -> list[int]:
    """Samples at 8 kHz of the sum of sines at `freqs`."""
    n = int(seconds * 8000)
    return [int(sum(level * math.sin(2 * math.pi * f * i / 8000) for f in freqs))
            for i in range(n)]


def rms(samples: list[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def goertzel(samples: list[int], freq: float) -> float:
    """Normalised power of `freq` in `samples` (8 kHz)."""
    if not samples:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / 8000)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + coeff * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return power / (len(samples) ** 2)


@dataclass
class Packet:
    arrival: float
    pt: int
    marker: bool
    seq: int
    ts: int
    ssrc: int
    payload: bytes
    source: tuple[str, int]


@dataclass
class RtpPeer:
    """One RTP endpoint on loopback. Use as a context manager."""

    host: str = "127.0.0.1"
    remote: tuple[str, int] | None = None
    packets: list[Packet] = field(default_factory=list)
    malformed: int = 0

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._rx = threading.Thread(target=self._receive, daemon=True)
        self._rx.start()

    def __enter__(self) -> "RtpPeer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._rx.join(timeout=2)
        self.sock.close()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data, src = self.sock.recvfrom(65536)
            except (socket.timeout, OSError):
                continue
            if len(data) < 12 or data[0] >> 6 != 2:
                self.malformed += 1
                continue
            b1 = data[1]
            seq, ts, ssrc = struct.unpack("!HII", data[2:12])
            cc = data[0] & 0x0F
            with self._lock:
                if self.remote is None:
                    self.remote = src
                self.packets.append(Packet(time.monotonic(), b1 & 0x7F, bool(b1 & 0x80), seq,
                                           ts, ssrc, data[12 + 4 * cc:], src))

    # -- what was received

    def received(self, pt: int | None = PCMU) -> list[Packet]:
        with self._lock:
            return [p for p in self.packets if pt is None or p.pt == pt]

    def audio(self) -> list[int]:
        """The µ-law audio received so far, decoded, in arrival order."""
        return [ulaw_decode(b) for p in self.received(PCMU) for b in p.payload]

    def wait_for_packets(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received(None)) >= count:
                return True
            time.sleep(0.02)
        return False

    def aim(self, host: str, port: int) -> None:
        """Sends to (host, port) from now on, as a real phone does with the SDP it got: a
        freshly bridged leg may get no packet to latch on before the other side talks."""
        with self._lock:  # the receive thread latches `remote` under this lock
            self.remote = (host, port)

    def relatch(self) -> None:
        """Learns the far address again from the next packet (a new call of the same phone
        names the same port but meets a new server port)."""
        with self._lock:
            self.remote = None

    # -- sending (paced in real time: the peer is a phone, 20 ms per packet)

    def _send(self, pt: int, payload: bytes, marker: bool = False, ts: int | None = None) -> None:
        if self.remote is None:
            return
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, self._seq,
                             self._ts if ts is None else ts, self._ssrc)
        self._seq = (self._seq + 1) & 0xFFFF
        self.sock.sendto(header + payload, self.remote)

    def send_raw(self, data: bytes) -> None:
        if self.remote is not None:
            self.sock.sendto(data, self.remote)

    def send_audio(self, samples: list[int]) -> None:
        """Sends `samples` as 20 ms PCMU packets at real-time pace."""
        start = time.monotonic()
        for i in range(0, len(samples), 160):
            frame = samples[i:i + 160] + [0] * max(0, 160 - len(samples[i:i + 160]))
            self._send(PCMU, bytes(ulaw_encode(s) for s in frame), marker=(i == 0))
            self._ts = (self._ts + 160) & 0xFFFFFFFF
            delay = start + (i // 160 + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def send_dtmf_event(self, digit: str, duration_ms: int = 120) -> None:
        """One RFC 4733 event: packets every 20 ms with a growing duration, three end packets."""
        event = DTMF_EVENTS[digit]
        start_ts = self._ts
        steps = max(1, duration_ms // 20)
        for i in range(1, steps + 1):
            payload = struct.pack("!BBH", event, 10, i * 160)
            self._send(EVENT_PT, payload, marker=(i == 1), ts=start_ts)
            time.sleep(0.02)
        for _ in range(3):
            self._send(EVENT_PT, struct.pack("!BBH", event, 0x80 | 10, steps * 160), ts=start_ts)
        self._ts = (self._ts + steps * 160) & 0xFFFFFFFF

    def send_inband_dtmf(self, digit: str, tone_ms: int = 120, gap_ms: int = 120) -> None:
        self.send_audio(tone(DTMF_FREQS[digit], tone_ms / 1000, level=5000.0) +
                        [0] * (8 * gap_ms))
