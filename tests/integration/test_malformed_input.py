#!/usr/bin/env python3
"""Malformed input from a raw socket: every broken request that still names its Via, From, To,
Call-ID and CSeq gets a well-formed 400 (505 allowed for a wrong version) echoing them; the
rest, responses and ACKs get no answer; none crashes the server and an OPTIONS right after
each still gets 200. Then 1,000 seeded random mutations, garbage over TCP and an oversized TCP
message, and a final OPTIONS (docs/errors.md)."""

from __future__ import annotations

import os
import random
import re
import socket
import time
from dataclasses import dataclass

from harness import Server, check, step, test_main
from peers import RawSip, parse_response

PID = os.getpid()


@dataclass
class Case:
    name: str
    data: bytes
    want: str  # "400", "400|505", "416", "420", "200", "none"
    call_id: str = ""


def request(case: str, *, method: str = "OPTIONS", uri: str | None = None,
            version: str = "SIP/2.0", via: str | None = "default", cseq: str | None = None,
            call_id: str | None = "default", extra: str = "", body: str = "",
            content_length: str | None = None, target: str = "",
            local: str = "") -> tuple[str, str]:
    """A request with the usual headers, any of which can be replaced or dropped (None)."""
    cid = f"{case}-{PID}@malformed" if call_id == "default" else call_id
    lines = [f"{method} {uri or f'sip:4000@{target}'} {version}"]
    if via == "default":
        lines.append(f"Via: SIP/2.0/UDP {local};branch=z9hG4bK-{case}-{PID};rport")
    elif via is not None:
        lines.append(f"Via: {via}")
    lines.append("Max-Forwards: 70")
    lines.append(f"From: <sip:tester@{local.split(':')[0]}>;tag=t-{case}")
    lines.append(f"To: <sip:4000@{target}>")
    if cid is not None:
        lines.append(f"Call-ID: {cid}")
    lines.append(f"CSeq: {cseq if cseq is not None else '1 ' + method}")
    if extra:
        lines.append(extra.rstrip("\r\n"))
    lines.append(f"Content-Length: {content_length if content_length is not None else len(body)}")
    return "\r\n".join(lines) + "\r\n\r\n" + body, cid or ""


def cases(sb: Server, raw: RawSip) -> list[Case]:
    t, l = sb.target, f"{raw.local_ip}:{raw.local_port}"
    out: list[Case] = []

    def add(name: str, want: str, **kw) -> None:
        text, cid = request(name, target=t, local=l, **kw)
        out.append(Case(name, text.encode("latin-1"), want, cid))

    add("bad-cseq-number", "none", cseq="abc OPTIONS")           # cannot be echoed: dropped
    add("cseq-method-mismatch", "400", cseq="1 INVITE")
    add("cseq-too-large", "none", cseq="4294967296 OPTIONS")     # >= 2**31: cannot be echoed
    add("missing-call-id", "none", call_id=None)
    add("missing-via", "none", via=None)
    add("bad-via-protocol", "none", via=f"SIP/1.0/UDP {l};branch=z9hG4bK-x")
    add("sip-3.0", "400|505", version="SIP/3.0")
    add("bad-request-uri", "400", uri="sip:")
    add("content-length-beyond-body", "400", content_length="500", body="v=0\r\n")
    add("negative-content-length", "400", content_length="-5")
    add("nul-in-header", "400", extra="Subject: a\x00b")
    add("header-without-colon", "400", extra="This line has no colon")
    add("duplicate-call-id", "400", extra=f"Call-ID: second-{PID}@malformed")
    add("too-many-headers", "400", extra="\r\n".join(f"X-Filler-{i}: {i}" for i in range(300)))
    add("huge-header-within-limits", "200", extra="X-Huge: " + "a" * 60000)
    add("unsupported-uri-scheme", "416", uri="mailto:someone@example.com")
    add("unsupported-require", "420", extra="Require: 100rel-from-the-future")
    ack, cid = request("malformed-ack", method="ACK", cseq="x ACK", target=t, local=l)
    out.append(Case("malformed-ack", ack.encode(), "none", cid))
    out.append(Case("stray-response", (
        f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {l};branch=z9hG4bK-stray-{PID}\r\n"
        f"From: <sip:a@{t}>;tag=1\r\nTo: <sip:b@{t}>;tag=2\r\nCall-ID: stray-{PID}\r\n"
        f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), "none", f"stray-{PID}"))
    rng = random.Random(20240601)
    out.append(Case("garbage-bytes", bytes(rng.randrange(256) for _ in range(700)), "none"))
    out.append(Case("garbage-text", b"HELLO THERE\r\n\r\n", "none"))
    out.append(Case("start-line-only", b"OPTIONS sip:4000@127.0.0.1 SIP/2.0\r\n\r\n", "none"))
    out.append(Case("binary-after-start-line",
                    f"OPTIONS sip:4000@{t} SIP/2.0\r\n".encode() + bytes(range(256)), "none"))
    return out


def exchange(raw: RawSip, case: Case, earlier_call_ids: set[str]) -> list[str]:
    """Sends the case then a probe OPTIONS; returns what arrived before the probe's 200.

    One source's datagrams are handled in order, so an answer to the case precedes the probe's.
    """
    raw.send(case.data)
    probe_id, probe = raw.options()
    raw.send(probe)
    before: list[str] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        msg = raw.recv(timeout=max(0.01, deadline - time.monotonic()))
        if msg is None:
            break
        m = re.search(r"^(?:Call-ID|i):\s*(\S+)", msg, re.M | re.I)
        cid = m.group(1) if m else ""
        if cid == probe_id:
            check(msg.startswith("SIP/2.0 200"), f"{case.name}: the OPTIONS after it gets 200",
                  msg[:300])
            return before
        if cid in earlier_call_ids and cid != case.call_id:
            print(f"info - {case.name}: late datagram for an earlier case ignored: "
                  f"{msg.splitlines()[0]}")
            continue
        before.append(msg)
    check(False, f"{case.name}: the OPTIONS after it was answered within 5 s")
    return before


def check_answer(case: Case, answers: list[str]) -> None:
    if case.want == "none":
        check(not answers, f"{case.name}: no answer", [a[:300] for a in answers])
        return
    check(len(answers) == 1, f"{case.name}: exactly one answer ({len(answers)})",
          [a[:300] for a in answers])
    status, reason, h, _body = parse_response(answers[0])
    wanted = [int(w) for w in case.want.split("|")]
    check(status in wanted, f"{case.name}: {status} {reason[:70]}", answers[0][:600])
    if case.call_id:
        check(h.get("call-id") == [case.call_id], f"{case.name}: Call-ID echoed",
              h.get("call-id"))
    check(bool(h.get("via")) and "branch=z9hG4bK-" + case.name in h["via"][0],
          f"{case.name}: top Via echoed with its branch", h.get("via"))
    check(";tag=" in h.get("to", [""])[0], f"{case.name}: To has a tag", h.get("to"))
    check(len(h.get("cseq", [])) == 1, f"{case.name}: one CSeq", h.get("cseq"))


def tcp_send(sb: Server, data: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Sends data on a new TCP connection; returns (bytes received, closed by the server)."""
    with socket.create_connection((sb.host, sb.sip_port), timeout=timeout) as s:
        got = b""
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before reading everything; what it sent is still here
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return got, False
            except ConnectionResetError:
                return got, True
            if not chunk:
                return got, True
            got += chunk
        return got, False


def mutate(rng: random.Random, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(5)
        pos = rng.randrange(len(data)) if data else 0
        if op == 0 and data:
            data[pos] = rng.randrange(256)                      # flip a byte
        elif op == 1:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 2 and data:
            del data[pos:pos + rng.randint(1, 32)]              # cut
        elif op == 3:
            data = data[:pos]                                   # truncate
        else:
            line = rng.choice([b"\r\nVia: ", b"\r\nCSeq: ", b"\r\nContent-Length: 99999",
                               b"\r\n\t folded", b"\r\nCall-ID: ", b"\r\n:", b"\x00", b"\r\n"])
            data[pos:pos] = line
    return bytes(data)


def run(ctx) -> None:
    """Broken SIP gets 400 or nothing, never a crash; OPTIONS still answered."""
    with Server(ctx) as sb, RawSip(sb) as raw:
        with step("one broken message at a time, each followed by an OPTIONS"):
            seen: set[str] = set()
            for case in cases(sb, raw):
                answers = exchange(raw, case, seen)
                check_answer(case, answers)
                if case.call_id:
                    seen.add(case.call_id)
            sb.assert_alive()

        with step("1,000 seeded random mutations of a valid OPTIONS (separate socket)"):
            rng = random.Random(7)
            base, _ = request("fuzz-base", target=sb.target, local="127.0.0.1:9")
            with RawSip(sb) as noisy:
                for _ in range(1000):
                    noisy.send(mutate(rng, base.encode()))
            reply = raw.probe(timeout=5)
            while reply is not None and not reply.startswith("SIP/2.0 200"):
                reply = raw.recv(timeout=5)
            check(reply is not None, "OPTIONS answered 200 after the burst")
            sb.assert_alive("server survived 1,000 mutated datagrams")

        with step("TCP: garbage closes the connection; oversized message gets 400 and close"):
            got, closed = tcp_send(sb, b"\x16\x03\x01\x02\x00garbage that is not SIP\r\n\r\n")
            check(closed, f"garbage on TCP: the server closed the connection (got {got[:80]!r})")
            big, cid = request("tcp-oversized", target=sb.target, local="127.0.0.1:9",
                               extra="X-Huge: " + "b" * 70000)
            big = big.replace("SIP/2.0/UDP", "SIP/2.0/TCP")
            got, closed = tcp_send(sb, big.encode())
            text = got.decode(errors="replace")
            check(text.startswith("SIP/2.0 400"), f"oversized (70 kB) message on TCP: "
                  f"{text.splitlines()[0] if text else 'nothing'}", text[:400])
            check(f"Call-ID: {cid}" in text, "the 400 echoes its Call-ID", text[:400])
            check(closed, "oversized message: the server closed the connection")
            opt, _ = request("tcp-after", target=sb.target, local="127.0.0.1:9")
            got, _ = tcp_send(sb, opt.replace("SIP/2.0/UDP", "SIP/2.0/TCP").encode(), timeout=3)
            check(got.startswith(b"SIP/2.0 200"), "a new TCP connection's OPTIONS gets 200",
                  got[:300])

        with step("still healthy"):
            check(raw.probe(timeout=3) is not None, "final OPTIONS answered")
            status, body = sb.healthz()
            check(status == 200, f"/healthz 200 ({body})")
            sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
