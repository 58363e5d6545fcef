#!/usr/bin/env python3
"""A flow's own wait limit (R1): the queue node says max_wait 2 s while the queue itself has
none and no agent is free. After 2 s the ACD gives the caller back (contact_left withdrawn —
not an abandon), the flow takes next_timeout, says goodbye and hangs up; nothing is left."""

import time

from harness import Number, Server, check, step, test_main
from peers import SippRun

LINE = Number("5100", app="flow", flow="main")
FLOW = {
    "name": "main", "start": "sales",
    "nodes": {
        "sales": {"type": "queue", "queue": "sales", "max_wait": 2, "next_timeout": "sorry"},
        "sorry": {"type": "say", "text": "Sorry, all agents are busy.", "next": "bye"},
        "bye": {"type": "hangup"},
    },
}
CONTACT_CENTER = {
    "queues": [{"name": "sales", "join_when_no_agents": True}],
    "agents": [{"name": "alice", "extension": "1001", "queues": ["sales"]}],
    "flows": [{"name": "main", "definition": FLOW}],
}


def run(ctx) -> None:
    """max_wait on the queue node sends the caller on after 2 s."""
    with Server(ctx, numbers=[LINE], contact_center=CONTACT_CENTER) as sb:
        with step("the caller waits 2 s, then hears the timeout branch and is hung up"):
            started = time.monotonic()
            r = SippRun(ctx, sb, "server_hangs_up_after_answer.xml", calls=1,
                        service=LINE.number, timeout_s=30, label="caller").start().wait()
            took = time.monotonic() - started
            check(r.ok(calls=1), f"hung up by the flow ({r.summary()})", r)
            check(2.0 <= took < 8.0, f"after the 2 s wait and the prompt ({took:.1f} s)")
        sb.wait_idle()
        steps = [(e["node"], " ".join(e["words"])) for e in sb.domain_events("flow", "step")]
        check(steps[:2] == [("sales", "enter"), ("sales", "timeout")],
              f"the queue node ended by its timeout ({steps})")
        left = sb.acd_events("contact_left")
        check(len(left) == 1 and left[0].get("reason") == "withdrawn",
              f"the ACD let the caller go as withdrawn ({left})")
        check(sb.acd_events("contact_abandoned") == [], "not counted as an abandon")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
