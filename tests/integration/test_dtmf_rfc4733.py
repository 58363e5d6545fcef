#!/usr/bin/env python3
"""RFC 4733 digits from a real peer: SIPp plays its stock telephone-event captures (digit 1,
then 7) into the demo IVR. The server reports each digit exactly once (the captures repeat the
end packet, RFC 4733 §2.5.1.4), the menu takes 1 ("read back"), the read-back takes 7, and the
call ends cleanly with nothing left behind."""

from harness import Number, Server, check, step, test_main
from peers import run_sipp

IVR = Number("5000", app="demo_ivr")


def run(ctx) -> None:
    """SIPp pcap DTMF 1 and 7 reach the IVR once each."""
    with Server(ctx, numbers=[IVR]) as sb:
        with step("caller presses 1 then 7"):
            r = run_sipp(ctx, sb, "ivr_menu_keys_from_pcap.xml", calls=1, service=IVR.number,
                         timeout_s=30)
            check(r.ok(calls=1), f"the call succeeded ({r.summary()})", r)
        sb.wait_idle()
        digits = [e["detail"] for e in sb.call_events("dtmf")]
        check(digits == ["1", "7"], f"digits 1 and 7, each once (got {digits})",
              sb.stdout()[-3000:])
        ended = sb.call_events("call_ended")
        check(len(ended) == 1 and ended[0]["detail"] == "normal",
              f"one call, ended normally ({ended})")
        sb.assert_alive()


if __name__ == "__main__":
    test_main(run)
