"""A WebSocket client (RFC 6455) over a raw socket, written for the tests: the opening
handshake with its Sec-WebSocket-Key / Sec-WebSocket-Accept check (§4.1, §4.2.2), masked
client frames (§5.3), text, binary, ping, pong and close frames, fragmented messages (§5.4).
Python 3 standard library only; independent of the server's WebSocket code.

    ws = WsClient.connect(host, port, "/api/v1/tenants/it/stream?after=0", token=token)
    message = ws.recv_text(timeout=5)      # answers pings on the way
    ws.close()                             # the closing handshake

An upgrade the server refuses raises WsRefused with its HTTP status, headers and body.
"""

from __future__ import annotations

import base64
import hashlib
import os
import select
import socket
import struct
import time
from dataclasses import dataclass, field

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


class WsError(Exception):
    """A protocol violation by the server, or the connection ended unexpectedly."""


class WsTimeout(WsError):
    """Nothing (complete) arrived before the deadline."""


@dataclass
class WsRefused(Exception):
    """The server answered the upgrade with something other than 101."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def __str__(self) -> str:
        return f"upgrade refused: {self.status} {self.reason} {self.body[:300]!r}"


@dataclass
class WsClosed(Exception):
    """The server closed the connection (its close frame's code and reason; 1006 if none)."""

    code: int
    reason: str

    def __str__(self) -> str:
        return f"closed by the server: {self.code} {self.reason!r}"


def accept_value(key: str) -> str:
    """The Sec-WebSocket-Accept the server must send for `key` (RFC 6455 §4.2.2 step 5.4)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte masking key (RFC 6455 §5.3); also unmasks."""
    if not payload:
        return b""
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def frame(opcode: int, payload: bytes, fin: bool = True, masked: bool = True) -> bytes:
    """One frame as a client sends it (masked unless told otherwise)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + mask(payload, key)


class WsClient:
    """One client connection. Not thread-safe."""

    def __init__(self, sock: socket.socket, leftover: bytes, response_headers: dict[str, str]):
        self.sock = sock
        self.buf = bytearray(leftover)
        self.response_headers = response_headers
        self.closed_by_server: WsClosed | None = None
        self.pings_answered = 0
        self.pongs: list[bytes] = []
        self._sent_close = False

    # -- opening handshake

    @classmethod
    def connect(cls, host: str, port: int, path: str, token: str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 5.0,
                key: str | None = None) -> "WsClient":
        """Opens the connection and performs the handshake (RFC 6455 §4.1). `token` goes in
        `Authorization: Bearer`. Raises WsRefused for a non-101 answer, WsError for a 101
        that is not a valid WebSocket acceptance."""
        key = key or base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13", "User-Agent: switchboard-it-ws"]
        if token is not None:
            lines.append(f"Authorization: Bearer {token}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            deadline = time.monotonic() + timeout
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = _recv_some(sock, deadline)
                if not chunk:
                    raise WsError(f"connection closed during the handshake after {data!r}")
                data += chunk
                if len(data) > 65536:
                    raise WsError("handshake answer too long")
            head, _, rest = data.partition(b"\r\n\r\n")
            status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
            parts = status_line.split(" ", 2)
            status = int(parts[1])
            reason = parts[2] if len(parts) > 2 else ""
            hdrs: dict[str, str] = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                hdrs[name.strip().lower()] = value.strip()
            if status != 101:
                body = rest
                length = int(hdrs.get("content-length", "0") or 0)
                while len(body) < length:
                    chunk = _recv_some(sock, deadline)
                    if not chunk:
                        break
                    body += chunk
                sock.close()
                raise WsRefused(status, reason, hdrs, body[:length] if length else body)
            # RFC 6455 §4.1: the client fails the connection unless all of these hold.
            if hdrs.get("upgrade", "").lower() != "websocket":
                raise WsError(f"101 without Upgrade: websocket ({hdrs})")
            if "upgrade" not in [t.strip().lower() for t in hdrs.get("connection", "").split(",")]:
                raise WsError(f"101 without Connection: Upgrade ({hdrs})")
            if hdrs.get("sec-websocket-accept") != accept_value(key):
                raise WsError(f"wrong Sec-WebSocket-Accept {hdrs.get('sec-websocket-accept')!r},"
                              f" expected {accept_value(key)!r}")
            if hdrs.get("sec-websocket-extensions") or hdrs.get("sec-websocket-protocol"):
                raise WsError(f"extension/protocol we did not ask for ({hdrs})")
        except BaseException:
            sock.close()
            raise
        return cls(sock, rest, hdrs)

    # -- frames

    def send_text(self, text: str) -> None:
        self.sock.sendall(frame(OP_TEXT, text.encode()))

    def send_ping(self, payload: bytes = b"") -> None:
        self.sock.sendall(frame(OP_PING, payload))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _need(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            chunk = _recv_some(self.sock, deadline)
            if not chunk:
                raise WsClosed(1006, "connection closed without a close frame")
            self.buf += chunk

    def recv_frame(self, timeout: float) -> tuple[bool, int, bytes]:
        """(fin, opcode, payload) of the next frame. WsTimeout when none arrives in time."""
        deadline = time.monotonic() + timeout
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        if b0 & 0x70:
            raise WsError(f"reserved bits set without an extension (0x{b0:02x})")
        if b1 & 0x80:
            raise WsError("the server masked a frame (RFC 6455 §5.1 forbids it)")
        n = b1 & 0x7F
        at = 2
        if n == 126:
            self._need(4, deadline)
            n = struct.unpack("!H", bytes(self.buf[2:4]))[0]
            at = 4
        elif n == 127:
            self._need(10, deadline)
            n = struct.unpack("!Q", bytes(self.buf[2:10]))[0]
            at = 10
        self._need(at + n, deadline)
        payload = bytes(self.buf[at:at + n])
        del self.buf[:at + n]
        opcode = b0 & 0x0F
        if opcode >= 0x8 and (n > 125 or not b0 & 0x80):
            raise WsError("a control frame that is fragmented or longer than 125 bytes")
        return bool(b0 & 0x80), opcode, payload

    def recv_message(self, timeout: float) -> tuple[int, bytes]:
        """(opcode, payload) of the next data message, reassembling fragments, answering
        pings with pongs and a close frame with a close frame (then raising WsClosed)."""
        deadline = time.monotonic() + timeout
        opcode, parts = None, []
        while True:
            fin, op, payload = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if op == OP_PING:
                self.sock.sendall(frame(OP_PONG, payload))
                self.pings_answered += 1
                continue
            if op == OP_PONG:
                self.pongs.append(payload)
                continue
            if op == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                reason = payload[2:].decode(errors="replace")
                self.closed_by_server = WsClosed(code, reason)
                if not self._sent_close:
                    self._sent_close = True
                    try:
                        self.sock.sendall(frame(OP_CLOSE, payload[:2]))
                    except OSError:
                        pass
                raise self.closed_by_server
            if op == OP_CONT:
                if opcode is None:
                    raise WsError("a continuation frame without a message to continue")
            elif op in (OP_TEXT, OP_BINARY):
                if opcode is not None:
                    raise WsError("a new message inside a fragmented one")
                opcode = op
            else:
                raise WsError(f"unknown opcode {op}")
            parts.append(payload)
            if fin:
                return opcode, b"".join(parts)

    def recv_text(self, timeout: float) -> str:
        """The next text message (UTF-8 checked)."""
        op, payload = self.recv_message(timeout)
        if op != OP_TEXT:
            raise WsError(f"expected a text message, got opcode {op}")
        return payload.decode("utf-8")

    def ping(self, payload: bytes = b"it-ping", timeout: float = 5.0) -> bool:
        """Sends a ping; True when the matching pong arrives within timeout (data messages
        arriving meanwhile are kept for recv, not lost)."""
        self.send_ping(payload)
        deadline = time.monotonic() + timeout
        kept: list[bytes] = []
        try:
            while payload not in self.pongs:
                fin, op, data = self.recv_frame(max(0.0, deadline - time.monotonic()))
                if op == OP_PONG:
                    self.pongs.append(data)
                elif op == OP_PING:
                    self.sock.sendall(frame(OP_PONG, data))
                else:
                    kept.append(_reframe(fin, op, data))
        except WsTimeout:
            return False
        finally:
            self.buf[0:0] = b"".join(kept)
        self.pongs.remove(payload)
        return True

    def close(self, code: int = 1000, reason: str = "", timeout: float = 5.0) -> WsClosed | None:
        """The closing handshake (RFC 6455 §7.1.2): send a close frame, read until the server's
        close frame (data messages meanwhile are dropped), then close the socket. Returns the
        server's close (None when it did not answer in time)."""
        answer = None
        try:
            if not self._sent_close:
                self._sent_close = True
                self.sock.sendall(frame(OP_CLOSE, struct.pack("!H", code) + reason.encode()))
            deadline = time.monotonic() + timeout
            while True:
                try:
                    self.recv_message(max(0.0, deadline - time.monotonic()))
                except WsClosed as c:
                    answer = c if c.code != 1006 else None
                    break
        except (WsTimeout, OSError):
            pass
        finally:
            self.sock.close()
        return answer

    def abort(self) -> None:
        """Drops the TCP connection without a closing handshake."""
        self.sock.close()


def _reframe(fin: bool, op: int, payload: bytes) -> bytes:
    return frame(op, payload, fin=fin, masked=False)


def _recv_some(sock: socket.socket, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise WsTimeout("deadline passed")
    ready, _, _ = select.select([sock], [], [], left)
    if not ready:
        raise WsTimeout("deadline passed")
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""
