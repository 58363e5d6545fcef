#!/usr/bin/env python3
"""`switchboard demo` (what `make run` starts) really runs the contact center: the shipped
examples/quickstart.yaml and flows/main.yaml, moved to free ports, with the simulated agents
and customers of its demo section. Within 30 s customers are queued, offered, bridged to
simulated agents who wrap up, the wallboard prints, and the demo exits 0 on its own with a
summary in which customers reached an agent."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from harness import check, free_port, step, test_main

REPO = Path(__file__).resolve().parents[2]


def run(ctx) -> None:
    """The demo places, queues, offers, bridges and wraps up calls by itself."""
    sip, http = free_port(udp=True, tcp=True), free_port(udp=False, tcp=True)
    rtp = 40000 + 1000 * (free_port() % 20)
    text = (REPO / "examples" / "quickstart.yaml").read_text()
    text = text.replace("port: 5060", f"port: {sip}").replace("port: 8080", f"port: {http}")
    text = text.replace("rtp_ports: [20000, 29999]", f"rtp_ports: [{rtp}, {rtp + 499}]")
    text = text.replace("rtp_ports: [45000, 49999]", f"rtp_ports: [{rtp + 500}, {rtp + 999}]")
    text = re.sub(r"tts_cache: \S+", f"tts_cache: {ctx.tts_cache}", text)
    text = re.sub(r"recordings: \S+", f"recordings: {ctx.workdir / 'recordings'}", text)
    text = text.replace("path: var/switchboard.db", f"path: {ctx.workdir / 'events.db'}")
    config = ctx.workdir / "quickstart.yaml"
    config.write_text(text)
    shutil.copytree(REPO / "examples" / "flows", ctx.workdir / "flows")
    with step("the demo runs 30 s and exits by itself"):
        proc = subprocess.run([str(ctx.binary), "demo", "--config", str(config),
                               "--duration", "30", "--rate", "40"],
                              capture_output=True, text=True, timeout=90)
        (ctx.workdir / "demo.log").write_text(proc.stdout + proc.stderr)
        check(proc.returncode == 0, f"exit 0 (got {proc.returncode})",
              proc.stderr[-2000:] + proc.stdout[-2000:])
    out = proc.stdout
    with step("the terminal shows the contact center at work"):
        for kind in ("contact_queued", "contact_offered", "contact_accepted", "contact_ended"):
            n = len(re.findall(rf"\] acd tenant=demo {kind} ", out))
            check(n >= 3, f"{n} {kind} events")
        wraps = len(re.findall(r"\] acd tenant=demo agent_state agent=sim\d \S+ to=wrap_up", out))
        check(wraps >= 3, f"{wraps} wrap-ups of simulated agents")
        check("] wallboard demo/sales: waiting" in out, "the wallboard prints")
        m = re.search(r"demo: customers placed (\d+) calls, (\d+) reached an agent", out)
        check(m is not None and int(m.group(2)) >= 3,
              f"the summary: customers reached agents ({m.group(0) if m else 'no summary'})")
        check(" error" not in out.lower() and "[critical]" not in out, "no error logged",
              "\n".join(l for l in out.splitlines() if "error" in l.lower())[:2000])


if __name__ == "__main__":
    test_main(run)
