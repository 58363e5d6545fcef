#!/usr/bin/env bash
# Memory per established dialog: SIPp places N calls (default 10000, at RATE/s, default 1000)
# that stay up; once all are ACKed we wait SETTLE seconds (default 35: RFC 6026 Timer L = 64*T1
# = 32 s, after which the INVITE server transactions are gone and only dialogs remain) and read
# the server's RSS. Bytes per dialog = (RSS with N dialogs - RSS before) / N. Then the calls end
# with BYE when their hold time runs out and the RSS is read once more.
#
#   bench/dialog_memory.sh [BINARY] [N] [RATE] [SETTLE_S]
#
# Bounded: SIPp places exactly N calls and has a global timeout; every process is stopped on
# exit. Exit 0 when every call was established and ended cleanly.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BINARY="${1:-$REPO_DIR/build/release/src/app/switchboard}"
N="${2:-10000}"
RATE="${3:-1000}"
SETTLE="${4:-35}"
[[ -x "$BINARY" ]] || { echo "no executable at $BINARY (build first: make build)" >&2; exit 2; }
bench_init dialogs

# Every held call has a media session (two sockets): the server needs 2·N descriptors.
if (( N * 2 + 200 > $(ulimit -Hn) )); then
  echo "note: the hard open-file limit ($(ulimit -Hn)) allows about $(( ($(ulimit -Hn) - 200) / 2 )) held calls with media; calls beyond are refused" >&2
fi
ESTABLISH_S=$(((N + RATE - 1) / RATE))
HOLD_S=$((ESTABLISH_S + SETTLE + 20))      # every call outlives the measurement
SIPP_TIMEOUT=$((ESTABLISH_S * 3 + HOLD_S + 60))
start_server "$BINARY" $((N * 2))
echo "switchboard pid $SERVER_PID on udp 127.0.0.1:$SIP_PORT; $N calls at $RATE/s, each held ${HOLD_S} s"
sleep 1   # let the freshly started process settle its allocations before the baseline
rss_base="$(status_kib "$SERVER_PID" VmRSS)"

cd "$WORK"
sipp "127.0.0.1:$SIP_PORT" -sf "$SCENARIOS/call_answered_then_caller_hangs_up.xml" \
  -s 4000 -i 127.0.0.1 -p "$(free_port udp)" -mp "$(free_port udp)" -cp "$(free_port udp)" \
  -t u1 -r "$RATE" -m "$N" -l "$N" -d "$((HOLD_S * 1000))" \
  -timeout "${SIPP_TIMEOUT}s" -timeout_error -nostdin \
  -trace_stat -stf "$WORK/stats.csv" -trace_counts -fd 1 \
  -trace_err -error_file "$WORK/errors.log" >"$WORK/sipp.out" 2>&1 &
SIPP_PID=$!
BENCH_PIDS+=("$SIPP_PID")

# Established = ACKs SIPp has sent (first *_ACK_Sent column of the -trace_counts file).
acked() {
  local f
  f="$(ls "$WORK"/*_counts.csv 2>/dev/null | head -1 || true)"
  [[ -n "$f" ]] || { echo 0; return; }
  awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /_ACK_Sent$/) { c = i; break }; next }
             c { v = $c } END { print v + 0 }' "$f"
}
deadline=$(( $(date +%s) + ESTABLISH_S * 3 + 30 ))
while :; do
  up="$(acked)"
  [[ "$up" -ge "$N" ]] && break
  kill -0 "$SIPP_PID" 2>/dev/null || { echo "SIPp exited early" >&2; tail -20 "$WORK/sipp.out" >&2; exit 1; }
  [[ "$(date +%s)" -lt "$deadline" ]] || { echo "only $up of $N calls established in time" >&2; exit 1; }
  sleep 1
done
rss_up="$(status_kib "$SERVER_PID" VmRSS)"
echo "all $N calls established; waiting ${SETTLE} s for the INVITE transactions to expire"
sleep "$SETTLE"   # a measurement interval (Timer L), not synchronisation
kill -0 "$SERVER_PID" 2>/dev/null || { echo "SERVER DIED" >&2; tail -20 "$WORK/server.stderr" >&2; exit 1; }
rss_settled="$(status_kib "$SERVER_PID" VmRSS)"
failed_during_hold="$(sipp_stat "$WORK/stats.csv" 'FailedCall(C)')"

echo "waiting for the calls to end (hold time ${HOLD_S} s, BYE from SIPp)"
set +e
wait "$SIPP_PID"
sipp_rc=$?
set -e
rss_end="$(status_kib "$SERVER_PID" VmRSS)"
hwm="$(status_kib "$SERVER_PID" VmHWM)"
ok="$(sipp_stat "$WORK/stats.csv" 'SuccessfulCall(C)')"
failed="$(sipp_stat "$WORK/stats.csv" 'FailedCall(C)')"

awk -v n="$N" -v b="$rss_base" -v u="$rss_up" -v s="$rss_settled" -v e="$rss_end" -v h="$hwm" \
    -v ok="$ok" -v failed="$failed" -v fh="$failed_during_hold" -v settle="$SETTLE" 'BEGIN {
  printf "dialogs held       %d (failed while held: %d)\n", n, fh
  printf "RSS before         %.1f MiB\n", b / 1024
  printf "RSS all up         %.1f MiB  (dialogs + INVITE transactions in Timer L)\n", u / 1024
  printf "RSS after %3d s    %.1f MiB  (dialogs only)\n", settle, s / 1024
  printf "RSS after BYEs     %.1f MiB  (peak %.1f MiB)\n", e / 1024, h / 1024
  printf "bytes per dialog   %.0f  (with transactions: %.0f)\n", (s - b) * 1024 / n, (u - b) * 1024 / n
  printf "calls ended        %d successful, %d failed\n", ok, failed
  if (s >= u) print "note: RSS did not fall when the transactions expired - the allocator keeps freed memory, so bytes per dialog is an upper bound that includes it"
}'
stop_server
[[ "$failed" == "0" && "$ok" == "$N" ]]
