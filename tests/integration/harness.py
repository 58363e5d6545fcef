"""Integration harness: the real `switchboard` binary on free loopback ports, driven by real peers.

Python 3 standard library only. Each test script does:

    from harness import Server, check, test_main
    from peers import run_sipp

    def run(ctx):
        with Server(ctx) as sb:
            r = run_sipp(ctx, sb, "options_ping.xml", calls=1)
            check(r.ok(calls=1), "OPTIONS answered 200", r)

    if __name__ == "__main__":
        test_main(run)

`test_main` parses `--binary PATH` (and `--keep` to keep the work directory), runs the test in a
fresh work directory and exits 0 (pass), 1 (fail) or 77 (skipped: a peer tool is missing; ctest
reports it as skipped through SKIP_RETURN_CODE). Every wait has a deadline; nothing sleeps in
place of synchronisation. The work directory (config, server stderr, SIPp traces) is removed on
success and kept, with its path printed, on failure. The peers (SIPp runner, raw UDP sockets,
a digest-authenticating registrar) are in peers.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

SKIP = 77

# Provisioning shared by the tests. Passwords are test-only values.
EXTENSIONS = {
    "1001": "it-1001-secret",
    "1002": "it-1002-secret",
    "1003": "it-1003-secret",
}


@dataclass(frozen=True)
class Number:
    number: str
    answer_after_ms: int = 0
    hangup_after_ms: int = 0
    app: str = "answer"          # answer | demo_ivr | connect | flow
    greeting: str = ""           # answer: spoken after the answer
    welcome: str = ""            # demo_ivr: the menu text
    connect_to: str = ""         # demo_ivr: extension for "press 2"
    trunk: str = ""              # demo_ivr/connect: dial `dial` out this trunk instead
    dial: str = ""
    record: bool = False         # record every call
    flow: str = ""               # flow: the tenant's flow that answers

    def yaml(self) -> str:
        fields = [f"number: {_yaml_str(self.number)}", f"app: {self.app}",
                  f"answer_after_ms: {self.answer_after_ms}",
                  f"hangup_after_ms: {self.hangup_after_ms}",
                  f"record: {'true' if self.record else 'false'}"]
        for key in ("greeting", "welcome", "connect_to", "trunk", "dial", "flow"):
            if getattr(self, key):
                fields.append(f"{key}: {_yaml_str(getattr(self, key))}")
        return "{ " + ", ".join(fields) + " }"


ANSWERS = Number("4000")                               # answers at once
RINGS = Number("4001", answer_after_ms=5000)           # rings 5 s: room for a CANCEL
HANGS_UP = Number("4002", hangup_after_ms=1000)        # the server sends BYE after 1 s
SLOW_ANSWER = Number("4003", answer_after_ms=300)      # short ring, then answers
UNKNOWN_NUMBER = "4999"
DEFAULT_NUMBERS = (ANSWERS, RINGS, HANGS_UP, SLOW_ANSWER)


class TestFailure(Exception):
    """An assertion of an integration test failed."""


class Skip(Exception):
    """A peer the test needs is not installed."""


def check(condition: bool, what: str, detail: object = None) -> None:
    """Prints `ok - what` or raises TestFailure with the detail (e.g. a SippResult)."""
    if condition:
        print(f"ok   - {what}", flush=True)
        return
    msg = f"FAIL - {what}"
    if detail is not None:
        msg += f"\n{detail}"
    raise TestFailure(msg)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Skip(f"{name} is not installed")
    return path


# ----------------------------------------------------------------------------- ports

_handed_out: set[int] = set()


def _bindable(port: int, udp: bool, tcp: bool, host: str = "127.0.0.1") -> bool:
    socks = []
    try:
        if udp:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind((host, port))
        if tcp:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_port(udp: bool = True, tcp: bool = False, span: int = 1, step: int = 1) -> int:
    """A port P such that P, P+step, ... (span ports) are bindable for the requested protocols.

    The kernel picks the candidate (bind to port 0), so concurrent tests rarely collide; ports
    handed out by this process are never handed out twice.
    """
    for _ in range(200):
        kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        ports = [base + i * step for i in range(span)]
        if any(p > 65535 or p in _handed_out for p in ports):
            continue
        if all(_bindable(p, udp, tcp) for p in ports):
            _handed_out.update(ports)
            return base
    raise RuntimeError("no free port found")


# ----------------------------------------------------------------------------- context


@dataclass
class Context:
    """What a test run gets: the binary, its work directory, its name."""

    binary: Path
    workdir: Path
    name: str
    keep: bool = False
    _counter: int = 0

    @property
    def tts_cache(self) -> Path:
        """Text-to-speech cache of the servers of this test."""
        return self.workdir / "tts-cache"

    def path(self, stem: str) -> Path:
        """A fresh file path in the work directory."""
        self._counter += 1
        return self.workdir / f"{self._counter:02d}-{stem}"


def wait_until(predicate: Callable[[], object], timeout: float, what: str,
               interval: float = 0.05) -> object:
    """Polls predicate until it returns a truthy value; raises TestFailure at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TestFailure(f"FAIL - timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


# ----------------------------------------------------------------------------- server


def nth_call(events: Iterable[dict], n: int) -> str | None:
    """The id of the n-th call (1-based) to appear in `events`, as logged. Call ids are unique
    across restarts (the node run's id is in their high bits), so tests count calls instead
    of assuming the first is call 1."""
    seen: list[str] = []
    for e in events:
        c = e.get("call")
        if c is not None and str(c) not in seen:
            seen.append(str(c))
    return seen[n - 1] if len(seen) >= n else None


def _yaml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


class Server:
    """The real binary with a generated config on free loopback ports.

    Use as a context manager: start() on entry; on exit stop() sends SIGTERM and asserts a clean
    exit (code 0 within the deadline) and that the process was alive until then.
    """

    def __init__(self, ctx: Context, *, numbers: Iterable[Number] = DEFAULT_NUMBERS,
                 extensions: dict[str, str] | None = None, auth_fail_limit: int = 5,
                 auth_fail_window_s: int = 60, ban_s: int = 300, max_calls: int = 50000,
                 log_level: str = "info", tcp: bool = True, name: str = "server",
                 rtp_timeout_s: int = 60,
                 digest_algorithms: tuple[str, ...] = ("MD5", "SHA-256"),
                 trunks: Iterable[dict] = (), contact_center: dict | None = None,
                 api: dict | None = None, extra_tenants: Iterable[dict] = ()) -> None:
        self.ctx = ctx
        self.numbers = list(numbers)
        self.extensions = dict(EXTENSIONS if extensions is None else extensions)
        self.auth_fail_limit = auth_fail_limit
        self.auth_fail_window_s = auth_fail_window_s
        self.ban_s = ban_s
        self.max_calls = max_calls
        self.log_level = log_level
        self.tcp = tcp
        self.name = name
        self.rtp_timeout_s = rtp_timeout_s
        # Above the benchmarks' range (10000-39999); ephemeral ports met here are skipped.
        self.rtp_base = 40000 + 1000 * random.randrange(14)
        self.digest_algorithms = digest_algorithms
        self.trunks = list(trunks)  # dicts of TrunkConfig keys (docs/config.md)
        # Tenant keys agents, queues, flows, lists, customers (docs/config.md), written as
        # JSON (which is YAML) under the tenant.
        self.contact_center = dict(contact_center or {})
        # The `api:` section (tokens, users, session_hours; docs/config.md) and more tenants
        # after "it" (dicts of tenant keys), both written as JSON (which is YAML).
        self.api = dict(api) if api is not None else None
        self.extra_tenants = list(extra_tenants)
        self.recordings = ctx.workdir / f"{name}-recordings"
        self.store_path = ctx.workdir / f"{name}.db"  # the event log (SQLite)
        self.host = "127.0.0.1"
        self.sip_port = 0
        self.http_port = 0
        self.proc: subprocess.Popen | None = None
        self.config_path = ctx.workdir / f"{name}.yaml"
        self.stderr_path = ctx.workdir / f"{name}.stderr.log"
        self.stdout_path = ctx.workdir / f"{name}.stdout.log"
        self.exit_code: int | None = None

    # -- config

    def config_text(self) -> str:
        lines = [
            "# generated by tests/integration/harness.py",
            "sip:",
            "  listen:",
            f"    - {{ transport: udp, address: {self.host}, port: {self.sip_port} }}",
        ]
        if self.tcp:
            lines.append(f"    - {{ transport: tcp, address: {self.host}, port: {self.sip_port} }}")
        lines += [
            "http:",
            f"  address: {self.host}",
            f"  port: {self.http_port}",
            f"log_level: {self.log_level}",
            "limits:",
            f"  max_calls: {self.max_calls}",
            "security:",
            f"  auth_fail_limit: {self.auth_fail_limit}",
            f"  auth_fail_window_s: {self.auth_fail_window_s}",
            f"  ban_s: {self.ban_s}",
            f"  digest_algorithms: [{', '.join(_yaml_str(a) for a in self.digest_algorithms)}]",
            "media:",
            # A window of its own, so that servers of tests running side by side rarely meet.
            f"  rtp_ports: [{self.rtp_base}, {self.rtp_base + 999}]",
            f"  rtp_timeout_s: {self.rtp_timeout_s}",
            f"  recordings: {_yaml_str(str(self.recordings))}",
            f"  tts_cache: {_yaml_str(str(self.ctx.tts_cache))}",
            "store:",
            f"  path: {_yaml_str(str(self.store_path))}",
            "registrar:",
            "  min_expires: 60",
            "  max_expires: 3600",
            "  default_expires: 3600",
        ]
        if self.trunks:
            lines.append("trunks:")
            for t in self.trunks:
                lines.append("  - { " + ", ".join(
                    f"{k}: {_yaml_str(v) if isinstance(v, str) else v}" for k, v in t.items())
                    + " }")
        lines += [
            "tenants:",
            "  - id: it",
            "    name: Integration Test Tenant",
            "    domains: [127.0.0.1, localhost]",
            "    extensions:",
        ]
        for user, password in self.extensions.items():
            lines.append(f"      - {{ user: {_yaml_str(user)}, password: {_yaml_str(password)}, "
                         f"name: {_yaml_str('Extension ' + user)} }}")
        lines.append("    numbers:")
        for n in self.numbers:
            lines.append(f"      - {n.yaml()}")
        for key, value in self.contact_center.items():
            lines.append(f"    {key}: {json.dumps(value)}")
        for tenant in self.extra_tenants:
            lines.append(f"  - {json.dumps(tenant)}")
        if self.api is not None:
            lines.append(f"api: {json.dumps(self.api)}")
        return "\n".join(lines) + "\n"

    # -- lifecycle

    def start(self, timeout: float = 15.0) -> "Server":
        last_error = ""
        for _attempt in range(3):  # a port picked free may be taken before we bind it
            self.sip_port = free_port(udp=True, tcp=self.tcp)
            self.http_port = free_port(udp=False, tcp=True)
            self.config_path.write_text(self.config_text())
            with open(self.stderr_path, "ab") as err, open(self.stdout_path, "ab") as out:
                self.proc = subprocess.Popen(
                    [str(self.ctx.binary), "serve", "--config", str(self.config_path)],
                    stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=self.ctx.workdir)
            try:
                self._wait_healthy(timeout)
            except TestFailure as e:
                code = self.proc.poll()
                last_error = str(e)
                if code is not None and "cannot bind" in self.stderr():
                    continue  # lost a port race: pick new ports
                self.kill()
                raise
            print(f"info - {self.name}: pid {self.proc.pid}, SIP udp/tcp {self.host}:"
                  f"{self.sip_port}, HTTP {self.http_port}", flush=True)
            return self
        raise TestFailure(f"FAIL - server could not bind free ports: {last_error}")

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise TestFailure(f"FAIL - server exited with {code} before becoming healthy\n"
                                  f"{self.stderr_tail()}")
            status, body = self.healthz()
            if status == 200:
                return
            last = f"{status} {body}"
            time.sleep(0.05)
        raise TestFailure(f"FAIL - /healthz not 200 within {timeout} s (last: {last})\n"
                          f"{self.stderr_tail()}")

    def healthz(self) -> tuple[int, str]:
        url = f"http://{self.host}:{self.http_port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")
        except (OSError, urllib.error.URLError) as e:
            return 0, str(e)

    def health(self) -> dict:
        """The /healthz JSON (status, calls, dialogs, media_sessions, rtp counters)."""
        code, body = self.healthz()
        check(code == 200, f"/healthz answers 200 (got {code})", body)
        return json.loads(body)

    def call_events(self, kind: str | None = None) -> list[dict]:
        """The call events the server logged ("event tenant=.. call=.. leg=.. KIND ..."), in
        order, each as {tenant, call, leg, kind, other, detail}."""
        out = []
        for line in self.stdout().splitlines():
            m = re.search(r"event tenant=(\S*) call=(\d+) leg=(\d+) (\w+)(?: other=(\d+))? ?(.*)$",
                          line)
            if m and (kind is None or m.group(4) == kind):
                out.append({"tenant": m.group(1), "call": int(m.group(2)),
                            "leg": int(m.group(3)), "kind": m.group(4),
                            "other": int(m.group(5) or 0), "detail": m.group(6).strip()})
        return out

    def domain_events(self, source: str, kind: str | None = None) -> list[dict]:
        """The ACD or flow events the server logged ("acd tenant=.. KIND key=value ..."), in
        order, each as a dict of its key=value pairs plus tenant, kind (the first word when it
        is not a pair: "step", "published", "contact_offered") and the other words."""
        out = []
        for line in self.stdout().splitlines():
            m = re.search(rf"\] {source} tenant=(\S*) (.*)$", line)
            if not m:
                continue
            words = m.group(2).split()
            first = words[0] if words and "=" not in words[0] else ""
            rest = words[1:] if first else words
            event = {"tenant": m.group(1), "kind": first,
                     "words": [w for w in rest if "=" not in w]}
            for w in words:
                if "=" in w:
                    k, v = w.split("=", 1)
                    event[k] = v
            if kind is None or event["kind"] == kind:
                out.append(event)
        return out

    def acd_events(self, kind: str | None = None) -> list[dict]:
        """ACD events (agent_state, contact_offered, offer_failed, contact_accepted, ...)."""
        return self.domain_events("acd", kind)

    def wait_idle(self, timeout: float = 10.0) -> dict:
        """Waits until no call leg and no media session is left; returns the health JSON."""
        last: dict = {}

        def idle() -> bool:
            nonlocal last
            last = self.health()
            return last.get("calls") == 0 and last.get("media_sessions") == 0 \
                and last.get("dialogs") == 0

        try:
            wait_until(idle, timeout, "no call leg, dialog or media session left")
        except TestFailure as e:
            raise TestFailure(f"{e}; last /healthz: {last}") from None
        return last

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self, what: str = "server still running") -> None:
        check(self.alive(), what, f"exit code {self.proc.poll() if self.proc else None}\n"
                                  f"{self.stderr_tail()}")

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM; asserts the server was still running and exits 0 within timeout."""
        if self.proc is None:
            return 0
        code = self.proc.poll()
        if code is not None:
            self.exit_code = code
            raise TestFailure(f"FAIL - {self.name} died during the test (exit code {code}"
                              f"{', signal ' + signal.Signals(-code).name if code < 0 else ''})"
                              f"\n{self.stderr_tail()}")
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TestFailure(f"FAIL - {self.name} did not exit within {timeout} s of SIGTERM\n"
                              f"{self.stderr_tail()}")
        self.exit_code = code
        check(code == 0, f"{self.name} exited cleanly on SIGTERM (exit code {code})",
              self.stderr_tail())
        bad = [p for p in ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                           "ThreadSanitizer", "terminate called", "Assertion")
               if p in self.stderr()]
        check(not bad, f"{self.name} stderr has no sanitizer/assert reports", bad)
        return code

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.stop()
        else:
            self.kill()  # the test already failed: report that, not the shutdown

    # -- stderr

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stdout(self) -> str:
        """The general log (spdlog's default logger writes to stdout)."""
        try:
            return self.stdout_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_tail(self, lines: int = 40) -> str:
        tail = self.stderr().splitlines()[-lines:]
        out = self.stdout().splitlines()[-lines:]
        return ("--- server stderr (tail) ---\n" + "\n".join(tail) +
                "\n--- server stdout (tail) ---\n" + "\n".join(out))

    def security_events(self, event: str | None = None) -> list[dict]:
        """The JSON security events on stderr, optionally only those named `event`."""
        out = []
        for line in self.stderr().splitlines():
            start = line.find('{"event":')
            if start < 0:
                continue
            try:
                obj = json.loads(line[start:])
            except json.JSONDecodeError:
                continue
            if event is None or obj.get("event") == event:
                out.append(obj)
        return out

    def wait_for_events(self, event: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        return wait_until(lambda: (lambda ev: ev if len(ev) >= count else None)(
            self.security_events(event)), timeout, f"{count} '{event}' event(s) on stderr")

    # -- resource usage (for benchmarks and leak checks)

    def rss_kib(self) -> int:
        return _proc_status_kib(self.proc.pid, "VmRSS")

    @property
    def target(self) -> str:
        return f"{self.host}:{self.sip_port}"


def _proc_status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


# ----------------------------------------------------------------------------- entry point


def test_main(run: Callable[[Context], None]) -> None:
    """Entry point of every test script: exit 0 pass, 1 fail, 77 skipped."""
    name = Path(sys.argv[0]).stem
    parser = argparse.ArgumentParser(description=(run.__doc__ or name).strip().splitlines()[0])
    parser.add_argument("--binary", required=True, help="path to the switchboard binary")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    binary = Path(args.binary).resolve()
    if not os.access(binary, os.X_OK):
        print(f"FAIL - {binary} is not an executable", flush=True)
        sys.exit(1)
    workdir = Path(tempfile.mkdtemp(prefix=f"sb-{name}-"))
    ctx = Context(binary=binary, workdir=workdir, name=name, keep=args.keep)
    print(f"# {name}: {(run.__doc__ or '').strip().splitlines()[0] if run.__doc__ else ''}",
          flush=True)
    started = time.monotonic()
    code = 0
    try:
        run(ctx)
    except Skip as e:
        print(f"skip - {e}", flush=True)
        code = SKIP
    except TestFailure as e:
        print(str(e), flush=True)
        code = 1
    except Exception:  # a harness bug or an unexpected peer failure: still a failed test
        traceback.print_exc()
        code = 1
    elapsed = time.monotonic() - started
    if code == 1 or args.keep:
        print(f"# work directory kept: {workdir}", flush=True)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    verdict = {0: "PASS", 1: "FAIL", SKIP: "SKIP"}[code]
    print(f"# {name}: {verdict} in {elapsed:.1f} s", flush=True)
    sys.exit(code)


@contextlib.contextmanager
def step(title: str):
    """Prints a heading for a group of checks."""
    print(f"## {title}", flush=True)
    yield
