#!/usr/bin/env python3
"""Helpers of bench/inbound_calls.sh (the inbound contact-center benchmark). Standard library only.

  inbound_calls.py config  OUT SIP_PORT HTTP_PORT WORK AGENTS WRAP_UP_S OFFER_TIMEOUT_S
  inbound_calls.py media   OUT SECONDS          raw PCMU (u-law) file: a 400 Hz tone, 20 ms frames
  inbound_calls.py register SIP_PORT AGENTS CONTACT_PORT
                           REGISTER every agent extension (MD5 digest) with its Contact at the
                           agents' SIPp UAS on 127.0.0.1:CONTACT_PORT; prints "registered N of M"
  inbound_calls.py monitor HTTP_PORT OUT STOP_FILE MAX_S
                           polls /healthz every 0.5 s until STOP_FILE exists (or MAX_S): peak legs,
                           dialogs, media sessions and control-loop lag, as key=value lines in OUT
  inbound_calls.py latency SERVER_LOG [SKIP_LINES]
                           queued -> offered -> accepted per contact from the server's acd events
                           after the first SKIP_LINES lines (agent states are followed from the
                           start), p50/p95/p99, share within 1 s, ready agents at each enqueue

Every loop is bounded in count and time; loopback only.
"""

import hashlib
import json
import math
import os
import re
import socket
import sys
import time
import urllib.request

TENANT = "bench"
NUMBER = "7000"
FIRST_EXT = 20000  # agent extensions 20000.. (5 digits: no clash with feature codes or DIDs)


def password(ext: int) -> str:
    return f"bench-{ext}-secret"


def cmd_config(out, sip_port, http_port, work, agents, wrap_up, offer_timeout) -> None:
    agents, sip_port, http_port = int(agents), int(sip_port), int(http_port)
    lines = [
        "sip:",
        f"  listen: [{{ transport: udp, address: 127.0.0.1, port: {sip_port} }}]",
        f"http: {{ address: 127.0.0.1, port: {http_port} }}",
        # acd/flow events are logged at info: they carry the queued/accepted timestamps.
        "log_level: info",
        "limits: { max_calls: 50000 }",
        "media:",
        "  rtp_ports: [10000, 39999]   # 15,000 RTP/RTCP pairs; a call takes two (caller + agent leg)",
        "  rtp_timeout_s: 0",
        f"  tts_cache: {work}/tts",
        f"  recordings: {work}/recordings",
        f"store: {{ path: {work}/events.db }}",
        "registrar: { min_expires: 60, max_expires: 3600, default_expires: 3600,"
        " max_bindings_per_aor: 1 }",
        "tenants:",
        f"  - id: {TENANT}",
        "    name: Bench",
        "    domains: [127.0.0.1]",
        "    extensions:",
    ]
    for i in range(agents):
        ext = FIRST_EXT + i
        lines.append(f'      - {{ user: "{ext}", password: "{password(ext)}" }}')
    lines += [
        "    numbers:",
        f'      - {{ number: "{NUMBER}", app: flow, flow: inbound }}',
        "    queues:",
        f"      - {{ name: support, strategy: longest_idle, wrap_up_s: {int(wrap_up)},"
        f" offer_timeout_s: {int(offer_timeout)}, miss_delay_s: 1, max_misses: 1000 }}",
        "    agents:",
    ]
    for i in range(agents):
        ext = FIRST_EXT + i
        lines.append(f'      - {{ name: a{ext}, extension: "{ext}", queues: [support],'
                     " logged_in: true }")
    lines += [
        "    flows:",
        "      - name: inbound",
        "        definition:",
        "          name: inbound",
        "          start: welcome",
        "          nodes:",
        '            welcome: { type: say, text: "Thank you for calling.", next: wait }',
        "            wait: { type: queue, queue: support, next: bye }",
        "            bye: { type: hangup }",
    ]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def ulaw(sample: int) -> int:
    """G.711 u-law encode of a 16-bit sample (ITU-T G.711, bias 0x84)."""
    sign = 0x80 if sample < 0 else 0
    s = min(abs(sample), 32635) + 0x84
    exp = 7
    while exp > 0 and not s & (0x4000 >> (7 - exp)):
        exp -= 1
    mant = (s >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def cmd_media(out, seconds) -> None:
    n = int(float(seconds) * 8000) // 160 * 160
    data = bytes(ulaw(int(8000 * math.sin(2 * math.pi * 400 * i / 8000))) for i in range(n))
    with open(out, "wb") as f:
        f.write(data)


def digest(user, realm, pw, method, uri, nonce, qop, nc, cnonce) -> str:
    h = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha1, ha2 = h(f"{user}:{realm}:{pw}"), h(f"{method}:{uri}")
    if qop:
        return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return h(f"{ha1}:{nonce}:{ha2}")


def challenge(msg: str):
    """The first MD5 (or algorithm-less) WWW-Authenticate challenge: dict of its params."""
    for line in msg.split("\r\n"):
        if not line.lower().startswith("www-authenticate:"):
            continue
        params = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', line)}
        if params.get("algorithm", "MD5").upper() == "MD5":
            return params
    return None


def cmd_register(sip_port, agents, contact_port) -> None:
    """Pipelined: up to WINDOW REGISTERs in flight, each answered 401 -> REGISTER with
    Authorization -> 200. Retransmits after 1 s (3 tries). Bounded by 120 s in all."""
    sip_port, agents, contact_port = int(sip_port), int(agents), int(contact_port)
    server = ("127.0.0.1", sip_port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    lport = sock.getsockname()[1]
    sock.settimeout(0.05)
    uri = f"sip:127.0.0.1:{sip_port}"
    state = {}  # ext -> [cseq, authorization or None, sent_at, tries, done]

    def request(ext: int) -> bytes:
        cseq, auth = state[ext][0], state[ext][1]
        lines = [f"REGISTER {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK-ib-{ext}-{cseq};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{ext}@127.0.0.1>;tag=ib{ext}",
                 f"To: <sip:{ext}@127.0.0.1>",
                 f"Call-ID: ibreg-{ext}-{os.getpid()}@bench",
                 f"CSeq: {cseq} REGISTER",
                 f"Contact: <sip:{ext}@127.0.0.1:{contact_port}>",
                 "Expires: 3600"]
        if auth:
            lines.append(f"Authorization: {auth}")
        lines += ["Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    pending = list(range(FIRST_EXT + agents - 1, FIRST_EXT - 1, -1))
    window, ok, failed = 64, 0, 0
    deadline = time.monotonic() + 120
    while (pending or state) and time.monotonic() < deadline:
        while pending and len(state) < window:
            ext = pending.pop()
            state[ext] = [1, None, time.monotonic(), 1]
            sock.sendto(request(ext), server)
        try:
            msg = sock.recv(65535).decode(errors="replace")
        except socket.timeout:
            msg = None
        now = time.monotonic()
        if msg:
            m = re.match(r"SIP/2\.0 (\d{3})", msg)
            c = re.search(r"Call-ID: ibreg-(\d+)-", msg)
            q = re.search(r"CSeq: (\d+) REGISTER", msg)
            if m and c and q and int(c.group(1)) in state:
                ext, code, cseq = int(c.group(1)), int(m.group(1)), int(q.group(1))
                st = state[ext]
                if cseq == st[0] and code == 401 and st[1] is None:
                    ch = challenge(msg)
                    if ch is None:
                        failed += 1
                        del state[ext]
                    else:
                        qop = "auth" if "auth" in ch.get("qop", "").split(",") else ""
                        resp = digest(str(ext), ch["realm"], password(ext), "REGISTER", uri,
                                      ch["nonce"], qop, "00000001", "ibcn")
                        auth = (f'Digest username="{ext}", realm="{ch["realm"]}", '
                                f'nonce="{ch["nonce"]}", uri="{uri}", response="{resp}", '
                                "algorithm=MD5")
                        if qop:
                            auth += ', qop=auth, nc=00000001, cnonce="ibcn"'
                        if "opaque" in ch:
                            auth += f', opaque="{ch["opaque"]}"'
                        st[0], st[1], st[2], st[3] = cseq + 1, auth, now, 1
                        sock.sendto(request(ext), server)
                elif cseq == st[0] and code == 200:
                    ok += 1
                    del state[ext]
                elif cseq == st[0] and code >= 300:
                    failed += 1
                    print(f"register {ext}: {msg.splitlines()[0]}", file=sys.stderr)
                    del state[ext]
        for ext, st in list(state.items()):
            if now - st[2] > 1.0:
                if st[3] >= 3:
                    failed += 1
                    del state[ext]
                else:
                    st[2], st[3] = now, st[3] + 1
                    sock.sendto(request(ext), server)
    failed += len(state) + len(pending)
    print(f"registered {ok} of {agents} ({failed} failed)")
    sys.exit(0 if ok == agents else 1)


def cmd_monitor(http_port, out, stop_file, max_s) -> None:
    peak = {"calls": 0, "dialogs": 0, "media_sessions": 0, "control_loop_lag_ms": 0}
    errors, samples, first, last = 0, 0, None, None
    deadline = time.monotonic() + float(max_s)
    url = f"http://127.0.0.1:{int(http_port)}/healthz"
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                body = json.loads(r.read())
            samples += 1
            point = (time.monotonic(), int(body.get("rtp_in", 0)), int(body.get("rtp_out", 0)))
            first = first or point
            last = point
            for k in peak:
                peak[k] = max(peak[k], int(body.get(k, 0)))
        except (OSError, ValueError):
            errors += 1
        time.sleep(0.5)
    with open(out, "w") as f:
        for k, v in peak.items():
            f.write(f"peak_{k}={v}\n")
        f.write(f"samples={samples}\nerrors={errors}\n")
        if first and last and last[0] > first[0]:
            f.write(f"rtp_in={last[1] - first[1]}\nrtp_out={last[2] - first[2]}\n"
                    f"rtp_in_pps={(last[1] - first[1]) / (last[0] - first[0]):.0f}\n"
                    f"rtp_out_pps={(last[2] - first[2]) / (last[0] - first[0]):.0f}\n")


TS = re.compile(r"^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})\]")


def stamp(line: str):
    m = TS.match(line)
    if not m:
        return None
    y, mo, d, h, mi, s, ms = (int(x) for x in m.groups())
    # Seconds within a day are enough for differences (a run crossing midnight is not handled).
    return d * 86400 + h * 3600 + mi * 60 + s + ms / 1000


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(math.ceil(p / 100 * len(xs))) - 1)]


def cmd_latency(log, skip="0") -> None:
    queued, offered, accepted, ready_at_enqueue = {}, {}, {}, []
    ready = 0
    offers = failed_offers = left = abandoned = 0
    ev = re.compile(r"\bacd tenant=\S+ (\w+)(.*)$")
    call_ev = re.compile(r"\bevent tenant=\S+ call=(\d+) leg=(\d+) (\w+)")
    answered, bridged, talk = {}, {}, []
    prompt_ev = re.compile(r"\bflow tenant=\S+ call=(\d+) leg=\d+ node=welcome type=say (enter|played)")
    prompt_in, prompt_len = {}, []
    skip = int(skip)
    with open(log, errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = ev.search(line)
            if not m:
                e = call_ev.search(line) if n > skip else None
                p = prompt_ev.search(line) if n > skip and e is None else None
                if p and p.group(2) == "enter":
                    prompt_in[int(p.group(1))] = stamp(line)
                elif p and int(p.group(1)) in prompt_in:
                    prompt_len.append(stamp(line) - prompt_in[int(p.group(1))])
                if e:
                    call, leg, kind = int(e.group(1)), int(e.group(2)), e.group(3)
                    if kind == "answered":
                        answered.setdefault(call, (leg, stamp(line)))
                    elif kind == "bridged" and call in answered and answered[call][0] == leg:
                        bridged[call] = stamp(line)
                    elif kind == "leg_ended" and call in bridged and answered[call][0] == leg:
                        talk.append(stamp(line) - bridged[call])
                continue
            if n <= skip and m.group(1) != "agent_state":
                continue
            t = stamp(line)
            kind, rest = m.group(1), m.group(2)
            c = re.search(r" contact=(\d+)", rest)
            cid = int(c.group(1)) if c else None
            if kind == "agent_state":
                if " from=ready" in rest:
                    ready -= 1
                if " to=ready" in rest:
                    ready += 1
            elif kind == "contact_queued" and cid is not None:
                queued[cid] = t
                ready_at_enqueue.append(ready)
            elif kind == "contact_offered" and cid is not None:
                offers += 1
                offered.setdefault(cid, t)
            elif kind == "contact_accepted" and cid is not None:
                accepted[cid] = t
            elif kind == "offer_failed":
                failed_offers += 1
            elif kind == "contact_abandoned":
                abandoned += 1
            elif kind == "contact_left":
                left += 1
    waits = [accepted[c] - queued[c] for c in accepted if c in queued and queued[c] is not None]
    ring = [accepted[c] - offered[c] for c in accepted if c in offered and offered[c] is not None]
    to_offer = [offered[c] - queued[c] for c in offered if c in queued and queued[c] is not None]
    print(f"contacts queued    {len(queued)}, accepted {len(accepted)}, abandoned {abandoned},"
          f" left {left}; offers {offers}, failed offers {failed_offers}")
    if waits:
        within = sum(1 for w in waits if w <= 1.0)
        print("queued->accepted   p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms; %.2f%% within 1 s"
              % (1000 * pct(waits, 50), 1000 * pct(waits, 95), 1000 * pct(waits, 99),
                 1000 * max(waits), 100 * within / len(waits)))
    if to_offer:
        print("queued->offered    p50 %.0f ms, p95 %.0f ms, p99 %.0f ms (ACD pick + originate)"
              % (1000 * pct(to_offer, 50), 1000 * pct(to_offer, 95), 1000 * pct(to_offer, 99)))
    if ring:
        print("offered->accepted  p50 %.0f ms, p95 %.0f ms, p99 %.0f ms (agent INVITE -> 200 -> bridge)"
              % (1000 * pct(ring, 50), 1000 * pct(ring, 95), 1000 * pct(ring, 99)))
    if prompt_len:
        print("prompt played in   p50 %.0f ms, p95 %.0f ms, max %.0f ms (the prompt is ~1,560 ms:"
              " more means the media loops fell behind their 20 ms tick and skipped frames)"
              % (1000 * pct(prompt_len, 50), 1000 * pct(prompt_len, 95), 1000 * max(prompt_len)))
    setup = [bridged[c] - answered[c][1] for c in bridged]
    if setup:
        print("answer->bridged    p50 %.0f ms, p95 %.0f ms, p99 %.0f ms (prompt + queue + offer)"
              % (1000 * pct(setup, 50), 1000 * pct(setup, 95), 1000 * pct(setup, 99)))
    if talk:
        print("talk (bridged)     min %.1f s, p50 %.1f s over %d calls" % (min(talk), pct(talk, 50), len(talk)))
    if ready_at_enqueue:
        print(f"ready agents       at enqueue: min {min(ready_at_enqueue)},"
              f" median {int(pct(ready_at_enqueue, 50))}; enqueues with none ready:"
              f" {sum(1 for r in ready_at_enqueue if r <= 0)}")


if __name__ == "__main__":
    cmds = {"config": cmd_config, "media": cmd_media, "register": cmd_register,
            "monitor": cmd_monitor, "latency": cmd_latency}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
