#!/usr/bin/env bash
# Calls per second against the real binary, SIPp as the caller. Two kinds of call:
#   bye     INVITE -> 200 -> ACK -> BYE from the caller at once (number 4000; every call still
#           gets its media session: ports bound, SDP answer)
#           (tests/integration/scenarios/call_answered_then_caller_hangs_up.xml, no hold time)
#   prompt  INVITE -> 200 -> ACK, the server speaks a ~1 s prompt (RTP to SIPp's media port)
#           and hangs up with BYE after 1 s (number 4010; server_hangs_up_after_answer.xml)
#
#   bench/sipp_cps.sh [BINARY] [RATE] [DURATION_S] [bye|prompt]
#   defaults: build/release/src/app/switchboard, 3000 calls/s, 60 s, bye
#
# Prints attempted/successful/failed calls, the achieved rate, failure %, and the server's CPU
# (share of one core over the run) and RSS. Bounded: SIPp stops after RATE*DURATION calls or
# DURATION+30 s, whichever comes first. SIPp and the server share the machine, so on 2 cores
# the figure is a floor for the server, not a ceiling. Exit 0 when no call failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BINARY="${1:-$REPO_DIR/build/release/src/app/switchboard}"
RATE="${2:-3000}"
DURATION="${3:-60}"
MODE="${4:-bye}"
case "$MODE" in
  bye) NUMBER=4000; SCENARIO=call_answered_then_caller_hangs_up.xml ;;
  prompt) NUMBER=4010; SCENARIO=server_hangs_up_after_answer.xml ;;
  *) echo "mode must be bye or prompt, got '$MODE'" >&2; exit 2 ;;
esac
[[ -x "$BINARY" ]] || { echo "no executable at $BINARY (build first: make build)" >&2; exit 2; }
bench_init cps

CALLS=$((RATE * DURATION))
LIMIT=$((RATE * 2 > 1000 ? RATE * 2 : 1000))   # concurrent calls cap: a stalled server shows as failures, not as unbounded memory
start_server "$BINARY" 200000
echo "switchboard pid $SERVER_PID on udp 127.0.0.1:$SIP_PORT; SIPp: $RATE calls/s for ${DURATION} s ($CALLS calls, $MODE)"

ticks0="$(cpu_ticks "$SERVER_PID")"
rss0="$(status_kib "$SERVER_PID" VmRSS)"
t0="$(date +%s.%N)"
set +e
sipp "127.0.0.1:$SIP_PORT" -sf "$SCENARIOS/$SCENARIO" \
  -s "$NUMBER" -i 127.0.0.1 -p "$(free_port udp)" -mp "$(free_port udp)" -cp "$(free_port udp)" \
  -t u1 -r "$RATE" -m "$CALLS" -l "$LIMIT" -d 0 \
  -timeout "$((DURATION + 30))s" -timeout_error -nostdin \
  -trace_stat -stf "$WORK/stats.csv" -fd 5 \
  -trace_err -error_file "$WORK/errors.log" >"$WORK/sipp.out" 2>&1 &
SIPP_PID=$!
BENCH_PIDS+=("$SIPP_PID")
wait "$SIPP_PID"
sipp_rc=$?
set -e
t1="$(date +%s.%N)"
kill -0 "$SERVER_PID" 2>/dev/null || { echo "SERVER DIED during the run" >&2; tail -20 "$WORK/server.stderr" >&2; exit 1; }
ticks1="$(cpu_ticks "$SERVER_PID")"
rss1="$(status_kib "$SERVER_PID" VmRSS)"
hwm="$(status_kib "$SERVER_PID" VmHWM)"
hz="$(getconf CLK_TCK)"

created="$(sipp_stat "$WORK/stats.csv" 'TotalCallCreated')"
ok="$(sipp_stat "$WORK/stats.csv" 'SuccessfulCall(C)')"
failed="$(sipp_stat "$WORK/stats.csv" 'FailedCall(C)')"
retrans="$(sipp_stat "$WORK/stats.csv" 'Retransmissions(C)')"
elapsed="$(hms_to_s "$(sipp_stat "$WORK/stats.csv" 'ElapsedTime(C)')")"
wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"

awk -v rate="$RATE" -v dur="$DURATION" -v created="$created" -v ok="$ok" -v failed="$failed" \
    -v retrans="$retrans" -v elapsed="$elapsed" -v wall="$wall" -v t0="$ticks0" -v t1="$ticks1" \
    -v hz="$hz" -v rss0="$rss0" -v rss1="$rss1" -v hwm="$hwm" -v rc="$sipp_rc" 'BEGIN {
  e = (elapsed > 0 ? elapsed : wall)
  cpu = (t1 - t0) / hz
  printf "target rate        %d calls/s for %d s\n", rate, dur
  printf "attempted calls    %d\n", created
  printf "successful calls   %d\n", ok
  printf "failed calls       %d (%.3f%%)\n", failed, (created > 0 ? 100 * failed / created : 0)
  printf "achieved rate      %.0f calls/s (successful / %.1f s SIPp elapsed)\n", ok / e, e
  printf "SIPp retransmits   %d\n", retrans
  printf "server CPU         %.1f s over %.1f s wall = %.0f%% of one core\n", cpu, wall, 100 * cpu / wall
  printf "server RSS         %.1f MiB before, %.1f MiB after, peak %.1f MiB\n", rss0 / 1024, rss1 / 1024, hwm / 1024
  printf "sipp exit code     %d\n", rc
}'
if [[ "$failed" != "0" && -s "$WORK/errors.log" ]]; then
  echo "--- first SIPp errors ---"; head -20 "$WORK/errors.log"
fi
stop_server
[[ "$failed" == "0" && "$sipp_rc" == "0" ]]
