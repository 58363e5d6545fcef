"""The peers of the integration tests: SIPp runs (scenarios/), a raw UDP socket for hand-written
messages, and a minimal digest-authenticating registrar. Python 3 standard library only."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from harness import ANSWERS, Context, Server, TestFailure, free_port, require_tool

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


# ----------------------------------------------------------------------------- SIPp


@dataclass
class SippResult:
    """What one SIPp run produced."""

    rc: int
    command: list[str]
    stats: dict[str, str]
    stdout: str
    errors: str
    messages: str
    workdir: Path
    elapsed_s: float
    timed_out: bool = False

    def stat(self, name: str) -> int:
        """A cumulative counter, e.g. stat('SuccessfulCall'); 0 if absent."""
        v = self.stats.get(f"{name}(C)", self.stats.get(name, "0"))
        try:
            return int(float(v))
        except ValueError:
            return 0

    @property
    def successful(self) -> int:
        return self.stat("SuccessfulCall")

    @property
    def failed(self) -> int:
        return self.stat("FailedCall")

    @property
    def created(self) -> int:
        return self.stat("TotalCallCreated")

    @property
    def retransmissions(self) -> int:
        return self.stat("Retransmissions")

    def ok(self, calls: int | None = None) -> bool:
        """SIPp exit 0, no failed call and (if given) exactly `calls` successful ones."""
        return (self.rc == 0 and not self.timed_out and self.failed == 0
                and (calls is None or self.successful == calls))

    def summary(self) -> str:
        return (f"rc={self.rc} created={self.created} successful={self.successful} "
                f"failed={self.failed} retransmissions={self.retransmissions} "
                f"elapsed={self.elapsed_s:.1f}s")

    def failure_counters(self) -> dict[str, int]:
        return {k[:-3]: int(float(v)) for k, v in self.stats.items()
                if k.startswith("Failed") and k.endswith("(C)") and v not in ("", "0")}

    def __str__(self) -> str:
        parts = [f"sipp: {' '.join(self.command)}", self.summary()]
        if self.failure_counters():
            parts.append(f"failure counters: {self.failure_counters()}")
        if self.errors.strip():
            parts.append("--- sipp unexpected messages/errors (head) ---\n" + self.errors[:4000])
        if self.messages.strip():
            parts.append("--- sipp message trace (tail) ---\n" + self.messages[-6000:])
        if self.stdout.strip():
            parts.append("--- sipp output (tail) ---\n" + self.stdout[-2000:])
        parts.append(f"(files in {self.workdir})")
        return "\n".join(parts)

    def received(self, start_line_regex: str) -> list[str]:
        """Messages SIPp received whose first line matches the regex (needs trace=True)."""
        return [m for d, m in sip_messages(self.messages)
                if d == "received" and re.match(start_line_regex, m.split("\n", 1)[0].strip())]

    def sent(self, start_line_regex: str) -> list[str]:
        """Messages SIPp sent whose first line matches the regex (needs trace=True)."""
        return [m for d, m in sip_messages(self.messages)
                if d == "sent" and re.match(start_line_regex, m.split("\n", 1)[0].strip())]


def sip_messages(trace: str) -> list[tuple[str, str]]:
    """(direction, message) pairs of a SIPp -trace_msg file; direction is sent or received."""
    out = []
    for chunk in re.split(r"^-{5,}.*$", trace, flags=re.M):
        m = re.search(r"^(?:UDP|TCP) message (sent|received)[^\n]*\n", chunk, flags=re.M)
        if not m:
            continue
        text = chunk[m.end():].replace("\r\n", "\n").strip("\n")
        if re.match(r"^(SIP/2\.0 \d{3}|[A-Z]+ \S+ SIP/2\.0)", text):
            out.append((m.group(1), text))
    return out


def _last_stats_row(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    rows = list(csv.reader(io.StringIO(path.read_text(errors="replace")), delimiter=";"))
    header, last = None, None
    for row in rows:
        if row and row[0] == "StartTime":
            header = row
        elif header and row:
            last = row
    if header is None or last is None:
        return {}
    return dict(zip(header, last))


class SippRun:
    """One SIPp process: start() it, then wait() for its SippResult (bounded by -timeout)."""

    def __init__(self, ctx: Context, server: Server | None, scenario: str, *, calls: int,
                 rate: float = 10, limit: int | None = None, transport: str = "u1",
                 service: str = ANSWERS.number, timeout_s: float = 30,
                 local_ip: str = "127.0.0.1", target: str | None = None,
                 auth: tuple[str, str] | None = None, trace: bool = True,
                 duration_ms: int | None = None, extra: Iterable[str] = (),
                 label: str | None = None) -> None:
        sipp = require_tool("sipp")
        label = label or Path(scenario).stem
        self.rundir = ctx.path(f"sipp-{label}")
        self.rundir.mkdir(parents=True)
        self.timeout_s = timeout_s
        local_port = free_port(udp=True, tcp=transport.startswith("t"))
        self.local_port = local_port
        media_port = free_port(udp=True, span=2, step=2)
        control_port = free_port(udp=True)
        cmd = [sipp, target or server.target, "-sf", str(SCENARIOS / scenario),
               "-i", local_ip, "-p", str(local_port), "-mp", str(media_port),
               "-cp", str(control_port), "-t", transport, "-s", service,
               "-m", str(calls), "-r", str(rate),
               "-timeout", f"{int(timeout_s)}s", "-timeout_error", "-nostdin",
               "-trace_stat", "-stf", str(self.rundir / "stats.csv"), "-fd", "1",
               "-trace_err", "-error_file", str(self.rundir / "errors.log")]
        if limit is not None:
            cmd += ["-l", str(limit)]
        if duration_ms is not None:
            cmd += ["-d", str(duration_ms)]
        if trace:
            cmd += ["-trace_msg", "-message_file", str(self.rundir / "messages.log")]
        if auth is not None:
            cmd += ["-au", auth[0], "-ap", auth[1]]
        cmd += list(extra)
        self.command = [str(c) for c in cmd]
        self.proc: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> "SippRun":
        self.started = time.monotonic()
        with open(self.rundir / "stdout.log", "wb") as out:
            self.proc = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.rundir)
        return self

    def read(self, name: str) -> str:
        p = self.rundir / name
        return p.read_text(errors="replace") if p.exists() else ""

    def sent_count(self, start_line_regex: str) -> int:
        """How many messages matching the regex SIPp has sent so far (needs trace=True)."""
        return sum(1 for d, m in sip_messages(self.read("messages.log"))
                   if d == "sent" and re.match(start_line_regex, m.split("\n", 1)[0]))

    def wait(self) -> SippResult:
        timed_out = False
        try:
            rc = self.proc.wait(timeout=self.timeout_s + 15)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.proc.kill()
            rc = self.proc.wait(timeout=10)
        return SippResult(rc=rc, command=self.command,
                          stats=_last_stats_row(self.rundir / "stats.csv"),
                          stdout=self.read("stdout.log"), errors=self.read("errors.log"),
                          messages=self.read("messages.log"), workdir=self.rundir,
                          elapsed_s=time.monotonic() - self.started, timed_out=timed_out)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def run_sipp(ctx: Context, server: Server | None, scenario: str, **kwargs) -> SippResult:
    """Runs `sipp` with a scenario from scenarios/ to completion, bounded by -m and -timeout.

    Keywords as SippRun: calls (required), rate, limit, transport (SIPp -t: u1 = UDP one
    socket, t1 = TCP one connection), service (Request-URI user), timeout_s, local_ip, auth
    (user, password), trace (full message log; False for load runs), duration_ms (-d, the
    length of <pause/>), extra (more SIPp arguments).
    """
    return SippRun(ctx, server, scenario, **kwargs).start().wait()


# ----------------------------------------------------------------------------- raw SIP


class RawSip:
    """A plain UDP socket for hand-written messages (malformed input, probes)."""

    def __init__(self, server: Server, local_ip: str = "127.0.0.1") -> None:
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((local_ip, 0))
        self.local_ip, self.local_port = self.sock.getsockname()
        self._n = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawSip":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendto(data, (self.server.host, self.server.sip_port))

    def recv(self, timeout: float) -> str | None:
        """The next datagram, or None at the deadline."""
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(70000)
            return data.decode(errors="replace")
        except socket.timeout:
            return None

    def options(self, call_id: str | None = None, extra_headers: str = "") -> tuple[str, str]:
        """(call_id, text) of a well-formed OPTIONS from this socket."""
        self._n += 1
        call_id = call_id or f"probe-{self._n}-{os.getpid()}@it"
        text = (f"OPTIONS sip:{ANSWERS.number}@{self.server.target} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {self.local_ip}:{self.local_port};branch=z9hG4bK-probe-"
                f"{os.getpid()}-{self._n};rport\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:probe@{self.local_ip}>;tag=probe{self._n}\r\n"
                f"To: <sip:{ANSWERS.number}@{self.server.target}>\r\n"
                f"Call-ID: {call_id}\r\n"
                f"CSeq: {self._n} OPTIONS\r\n"
                f"{extra_headers}"
                f"Content-Length: 0\r\n\r\n")
        return call_id, text

    def probe(self, timeout: float = 3.0) -> str | None:
        """Sends an OPTIONS; returns the first datagram received, or None at the deadline.

        The server handles one source's datagrams in order on one loop, so a reply to anything
        sent before the probe arrives before the probe's 200: the first datagram tells whether
        an earlier message was answered.
        """
        _call_id, text = self.options()
        self.send(text)
        return self.recv(timeout)


def parse_response(text: str) -> tuple[int, str, dict[str, list[str]], str]:
    """(status, reason, headers by lower-case name, body) of a SIP response."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    m = re.match(r"^SIP/2\.0 (\d{3}) ?(.*)$", lines[0])
    if not m:
        raise ValueError(f"not a SIP response: {lines[0]!r}")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(m.group(1)), m.group(2), headers, body


# ----------------------------------------------------------------------------- digest client


def _digest_hash(algorithm: str, text: str) -> str:
    name = {"MD5": "md5", "SHA-256": "sha256"}[algorithm.upper()]
    return hashlib.new(name, text.encode()).hexdigest()


def parse_challenge(value: str) -> dict[str, str]:
    """Parameters of a `Digest ...` WWW-Authenticate value (quotes removed, names lower-case)."""
    _scheme, _, rest = value.partition(" ")
    return {k.lower(): v.strip('"') for k, v in
            re.findall(r'([A-Za-z-]+)=("[^"]*"|[^,\s]+)', rest)}


@dataclass
class RegisterOutcome:
    """The answers to one REGISTER exchange: the challenge (if any) and the final response."""

    challenge: str | None
    final: str | None

    @property
    def status(self) -> int:
        return parse_response(self.final)[0] if self.final else 0

    @property
    def status_line(self) -> str:
        return self.final.split("\r\n", 1)[0].split("\n", 1)[0] if self.final else ""


class DigestRegistrar:
    """A minimal UAC that REGISTERs with digest (RFC 3261 §22, RFC 7616/8760 SHA-256 and MD5).

    Independent of the server's code and of SIPp/sipsak, which only answer the first challenge
    and only with MD5. Sends from its own UDP socket (bind to local_ip, e.g. 127.0.0.2).
    """

    def __init__(self, server: Server, local_ip: str = "127.0.0.1") -> None:
        self.raw = RawSip(server, local_ip)
        self.server = server
        self.cseq = 0
        self.call_id = f"reg-{os.getpid()}-{self.raw.local_port}@it"

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> "DigestRegistrar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _request(self, user: str, expires: int, authorization: str | None,
                 contact: str | None = None) -> str:
        self.cseq += 1
        host = self.server.host
        local = f"{self.raw.local_ip}:{self.raw.local_port}"
        lines = [f"REGISTER sip:{host}:{self.server.sip_port} SIP/2.0",
                 f"Via: SIP/2.0/UDP {local};branch=z9hG4bK-reg-{os.getpid()}-{self.cseq}-"
                 f"{self.raw.local_port};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{user}@{host}>;tag=reg{self.raw.local_port}",
                 f"To: <sip:{user}@{host}>",
                 f"Call-ID: {self.call_id}",
                 f"CSeq: {self.cseq} REGISTER",
                 f"Contact: <{contact or f'sip:{user}@{local}'}>",
                 f"Expires: {expires}"]
        if authorization:
            lines.append(f"Authorization: {authorization}")
        lines += ["User-Agent: switchboard-it-digest", "Content-Length: 0"]
        return "\r\n".join(lines) + "\r\n\r\n"

    def _final(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.raw.recv(max(0.01, deadline - time.monotonic()))
            if msg is None:
                return None
            if re.match(r"SIP/2\.0 [2-6]\d\d", msg) and f"CSeq: {self.cseq} " in msg:
                return msg
        return None

    def register(self, user: str, password: str, *, auth_user: str | None = None,
                 algorithm: str = "SHA-256", qop: bool = True, expires: int = 120,
                 timeout: float = 3.0, contact: str | None = None) -> RegisterOutcome:
        """REGISTER, answer the 401 with the challenge of `algorithm`, return both answers.
        `contact` replaces the Contact URI (a phone listening elsewhere, e.g. a SIPp UAS)."""
        self.raw.send(self._request(user, expires, None, contact))
        first = self._final(timeout)
        if first is None or parse_response(first)[0] != 401:
            return RegisterOutcome(None, first)
        challenges = [parse_challenge(v) for v in parse_response(first)[2].get(
            "www-authenticate", [])]
        ch = next((c for c in challenges if c.get("algorithm", "MD5").upper()
                   == algorithm.upper()), None)
        if ch is None:
            raise TestFailure(f"FAIL - no {algorithm} challenge in\n{first}")
        name = auth_user or user
        uri = f"sip:{self.server.host}:{self.server.sip_port}"
        ha1 = _digest_hash(algorithm, f"{name}:{ch['realm']}:{password}")
        ha2 = _digest_hash(algorithm, f"REGISTER:{uri}")
        value = (f'Digest username="{name}", realm="{ch["realm"]}", nonce="{ch["nonce"]}", '
                 f'uri="{uri}", algorithm={algorithm}')
        if qop:
            cnonce = f"c{self.cseq}{os.getpid()}"
            response = _digest_hash(algorithm, f"{ha1}:{ch['nonce']}:00000001:{cnonce}:auth:{ha2}")
            value += f', qop=auth, nc=00000001, cnonce="{cnonce}"'
        else:
            response = _digest_hash(algorithm, f"{ha1}:{ch['nonce']}:{ha2}")
        value += f', response="{response}"'
        if "opaque" in ch:
            value += f', opaque="{ch["opaque"]}"'
        self.raw.send(self._request(user, expires, value, contact))
        return RegisterOutcome(first, self._final(timeout))


def server_media_address(phone: "SippRun", start_line: str, timeout: float = 5.0
                         ) -> tuple[str, int]:
    """The media address (c= host, m=audio port) of the server's SDP in the first message
    `phone` received whose first line starts with `start_line` ("INVITE " for a phone, "SIP/2.0
    200" for a caller); waits up to `timeout` for it (needs trace=True)."""
    from harness import TestFailure, wait_until  # noqa: PLC0415 (harness imports this module)
    msg = wait_until(lambda: [m for d, m in sip_messages(phone.read("messages.log"))
                              if d == "received" and m.startswith(start_line) and
                              "\nm=audio " in m], timeout, f"{start_line!r} with SDP")[0]
    host = re.search(r"^c=IN IP4 (\S+)", msg, flags=re.M)
    port = re.search(r"^m=audio (\d+) ", msg, flags=re.M)
    if not (host and port):
        raise TestFailure(f"FAIL - {start_line!r} carries no media address\n{msg}")
    return host.group(1), int(port.group(1))
