"""Helpers of the REST API tests: credentials for the `api:` config section and a small HTTP
client over http.client (one request per connection, any method, raw bodies and headers).
Python 3 standard library only. A user's argon2id password hash comes from
`switchboard hash-password`, or, from a binary without that command, from the system
libsodium (the library the server links) through ctypes."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import http.client
import json
import secrets
import subprocess
from dataclasses import dataclass, field


# ----------------------------------------------------------------------------- credentials


def new_token() -> str:
    """A random API token (what a client sends as `Bearer <token>`)."""
    return "it-" + secrets.token_hex(24)


def token_entry(name: str, token: str, role: str, tenant: str = "", agent: str = "") -> dict:
    """One `api.tokens` entry: the server keeps only the SHA-256 of the token."""
    entry = {"name": name, "role": role, "sha256": hashlib.sha256(token.encode()).hexdigest()}
    if tenant:
        entry["tenant"] = tenant
    if agent:
        entry["agent"] = agent
    return entry


def password_hash(binary, password: str) -> tuple[str | None, str]:
    """(hash, how it was made) of `password` for `api.users`: `switchboard hash-password`
    when the binary has it, else libsodium; (None, why not) when neither is available."""
    try:
        out = subprocess.run([str(binary), "hash-password"], input=password + "\n",
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        out = None
        why = str(e)
    if out is not None:
        line = out.stdout.strip()
        if out.returncode == 0 and line.startswith("$argon2id$"):
            return line, "switchboard hash-password"
        why = f"switchboard hash-password: exit {out.returncode} {out.stderr.strip()[:200]}"
    h = argon2id_hash(password)
    if h is not None:
        return h, "libsodium crypto_pwhash_str"
    return None, why + "; libsodium cannot be loaded either"


def argon2id_hash(password: str) -> str | None:
    """A crypto_pwhash_str (argon2id, interactive limits) text of `password`, computed by the
    system libsodium; None when libsodium cannot be loaded."""
    path = ctypes.util.find_library("sodium")
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    if lib.sodium_init() < 0:
        return None
    lib.crypto_pwhash_strbytes.restype = ctypes.c_size_t
    lib.crypto_pwhash_opslimit_interactive.restype = ctypes.c_ulonglong
    lib.crypto_pwhash_memlimit_interactive.restype = ctypes.c_size_t
    lib.crypto_pwhash_str.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong,
                                      ctypes.c_ulonglong, ctypes.c_size_t]
    out = ctypes.create_string_buffer(lib.crypto_pwhash_strbytes())
    pw = password.encode()
    if lib.crypto_pwhash_str(out, pw, len(pw), lib.crypto_pwhash_opslimit_interactive(),
                             lib.crypto_pwhash_memlimit_interactive()) != 0:
        return None
    return out.value.decode()


# ----------------------------------------------------------------------------- HTTP


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> object:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def error_code(self) -> str | None:
        """`error.code` of a `{"error":{"code","message"}}` body, else None."""
        j = self.json()
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return j["error"].get("code")
        return None

    def error_message(self) -> str | None:
        j = self.json()
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return j["error"].get("message")
        return None

    def __str__(self) -> str:
        return f"{self.status} {self.reason} {self.headers} {self.text[:600]!r}"


class Api:
    """Requests to one server's HTTP port."""

    def __init__(self, server, timeout: float = 10.0) -> None:
        self.host = server.host
        self.port = server.http_port
        self.timeout = timeout

    def request(self, method: str, path: str, token: str | None = None,
                body: object = None, raw: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        """`body` is sent as JSON, `raw` as is; `token` as `Authorization: Bearer`."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            return Reply(resp.status, resp.reason,
                         {k.lower(): v for k, v in resp.getheaders()}, payload)
        finally:
            conn.close()

    def get(self, path: str, token: str | None = None, **kw) -> Reply:
        return self.request("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, body: object = None, **kw) -> Reply:
        return self.request("POST", path, token, body=body, **kw)
