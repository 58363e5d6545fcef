#!/usr/bin/env bash
# Concurrent bridged calls with RTP both ways against the real binary: bridge_load registers
# extension 1001, places CALLS calls to a `connect` number (the server answers, rings 1001 and
# bridges), sends 20 ms PCMU from both ends of every call (4 RTP streams per call through the
# server), holds HOLD_S seconds measuring loss/jitter/transit, then hangs every call up.
#
#   bench/bridged_calls.sh [BINARY] [CALLS] [HOLD_S] [RECORD(0|1)]
#   defaults: build/release/src/app/switchboard, 2000 calls, 60 s, no recording
#   environment: BRIDGE_RATE (calls/s, default 200), BRIDGE_LOAD (the bridge_load binary;
#   default build/release/bench/bridge_load, else compiled with g++ into the work directory),
#   BRIDGE_REC_DIR (where recordings go, default the work directory; e.g. /dev/shm to take the
#   disk out of the figures), BENCH_KEEP=1 keeps the work directory (config, server log, tool
#   output, recordings).
#
# Prints the tool's summary, then the server's CPU over the hold (share of all cores, per call,
# per thread) and RSS (before the calls, during the hold, after), the tool's own CPU, the
# machine's busy share, what else ran, and the kernel's UDP receive-buffer drops. bridge_load
# and the server share the machine: on 2 cores the figures are a floor for the server. Bounded: the tool stops itself and runs under
# `timeout`; everything started here is killed on exit. Exit 0 when every call was set up,
# held and hung up cleanly, loss stayed < 0.1 % and added jitter (p99 over streams) < 1 ms,
# with the load generator on its 20 ms grid (bridge_load's "verdict" line).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BINARY="${1:-$REPO_DIR/build/release/src/app/switchboard}"
CALLS="${2:-2000}"
HOLD="${3:-60}"
RECORD="${4:-0}"
RATE="${BRIDGE_RATE:-200}"
[[ -x "$BINARY" ]] || { echo "no executable at $BINARY (build first: make build)" >&2; exit 2; }
[[ "$RECORD" == 0 || "$RECORD" == 1 ]] || { echo "RECORD must be 0 or 1" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sb-bench-bridged-XXXXXX")"
REC_DIR="$(mktemp -d "${BRIDGE_REC_DIR:-$WORK}/sb-recordings-XXXXXX")"
bridged_cleanup() {
  bench_cleanup
  [[ -z "${BENCH_KEEP:-}" ]] && rm -rf "$REC_DIR"
  return 0
}
trap bridged_cleanup EXIT
trap 'exit 130' INT TERM

LOAD="${BRIDGE_LOAD:-$(cd "$(dirname "$BINARY")/../.." && pwd)/bench/bridge_load}"
if [[ ! -x "$LOAD" ]]; then
  LOAD="$WORK/bridge_load"
  g++ -std=c++20 -O2 -Wall -Wextra "$BENCH_DIR"/bridge_load/*.cpp -lcrypto -o "$LOAD"
fi

# start_bridge_server: a config with the `connect` number and media settings, then /healthz.
start_bridge_server() {
  SIP_PORT="$(free_port udp)"
  HTTP_PORT="$(free_port tcp)"
  local record=false
  [[ "$RECORD" == 1 ]] && record=true
  mkdir -p "$WORK/tts"
  cat >"$WORK/bench.yaml" <<YAML
sip:
  listen:
    - { transport: udp, address: 127.0.0.1, port: $SIP_PORT }
http: { address: 127.0.0.1, port: $HTTP_PORT }
log_level: warn
limits: { max_calls: 50000 }
media:
  rtp_ports: [20000, 39999]
  rtp_timeout_s: 0
  recordings: $REC_DIR
  tts_cache: $WORK/tts
registrar: { min_expires: 60, max_expires: 3600, default_expires: 3600 }
tenants:
  - id: bench
    name: Bench
    domains: [127.0.0.1]
    extensions:
      - { user: "1001", password: "bench-1001-secret", name: "Agent" }
    numbers:
      - { number: "6000", app: connect, connect_to: "1001", record: $record }
YAML
  launch_server "$BINARY" "$WORK/bench.yaml"
}

# stat_ticks FILES... -> "pid name ticks" per /proc stat file (utime + stime), one awk for all.
stat_ticks() {
  cat "$@" 2>/dev/null | awk '{ n = $0; sub(/^[^(]*\(/, "", n); sub(/\).*$/, "", n); gsub(/ /, "_", n);
    r = $0; sub(/^[^)]*\) /, "", r); split(r, x, " "); print $1, n, x[12] + x[13] }'
}
# thread_ticks PID: per thread of PID; proc_ticks: every process (what else ran in the hold).
thread_ticks() { stat_ticks /proc/"$1"/task/*/stat; }
proc_ticks() { stat_ticks /proc/[0-9]*/stat; }
# udp_errors -> "RcvbufErrors InErrors" from /proc/net/snmp (every UDP socket of the host).
udp_errors() {
  awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
       $1 == "Udp:" { print $col["RcvbufErrors"], $col["InErrors"] }' /proc/net/snmp
}
# idle_ticks -> idle + iowait of all cores in USER_HZ from /proc/stat. With NO_HZ idle time is
# measured at idle entry/exit, while the busy columns are tick samples that alias with a 20 ms
# media grid (HZ=250): machine busy time is wall time minus this.
idle_ticks() { awk '$1 == "cpu" { print $5 + $6 }' /proc/stat; }
# wait_for FILE TEXT PID: until TEXT appears in FILE or PID exits.
wait_for() {
  while ! grep -q "$2" "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
}

start_bridge_server
hz="$(getconf CLK_TCK)"
cores="$(nproc)"
echo "switchboard pid $SERVER_PID on udp 127.0.0.1:$SIP_PORT, http $HTTP_PORT; $CALLS calls at $RATE/s," \
     "hold ${HOLD} s, record=$RECORD, $cores cores"
ticks0="$(cpu_ticks "$SERVER_PID")"
rss0="$(status_kib "$SERVER_PID" VmRSS)"
cap=$(awk -v c="$CALLS" -v r="$RATE" -v h="$HOLD" 'BEGIN { printf "%d", 2 * c / r + h + 150 }')

set +e
timeout --signal=TERM --kill-after=10 "$((cap + 20))" "$LOAD" --server "127.0.0.1:$SIP_PORT" \
  --http "127.0.0.1:$HTTP_PORT" --calls "$CALLS" --rate "$RATE" --hold "$HOLD" \
  --agent-password bench-1001-secret --number 6000 --duration "$cap" >"$WORK/load.out" 2>&1 &
WRAP_PID=$!
BENCH_PIDS+=("$WRAP_PID")
sleep 0.2
LOAD_PID="$(cat "/proc/$WRAP_PID/task/$WRAP_PID/children" 2>/dev/null | awk '{print $1}')"

hold_ok=0
if wait_for "$WORK/load.out" "phase: hold-start" "$WRAP_PID"; then
  thread_ticks "$SERVER_PID" >"$WORK/threads0"; proc_ticks >"$WORK/procs0"
  h_t0="$(date +%s.%N)"; h_ticks0="$(cpu_ticks "$SERVER_PID")"; h_rss0="$(status_kib "$SERVER_PID" VmRSS)"
  l_ticks0="$(cpu_ticks "$LOAD_PID" 2>/dev/null || echo 0)"; udp0="$(udp_errors)"; m0="$(idle_ticks)"
  rss_max="$h_rss0"
  while ! grep -q "phase: hold-end" "$WORK/load.out" 2>/dev/null && kill -0 "$WRAP_PID" 2>/dev/null; do
    r="$(status_kib "$SERVER_PID" VmRSS 2>/dev/null || echo 0)"
    (( r > rss_max )) && rss_max="$r"
    sleep 1
  done
  if grep -q "phase: hold-end" "$WORK/load.out"; then
    h_t1="$(date +%s.%N)"; h_ticks1="$(cpu_ticks "$SERVER_PID")"; h_rss1="$(status_kib "$SERVER_PID" VmRSS)"
    l_ticks1="$(cpu_ticks "$LOAD_PID" 2>/dev/null || echo 0)"; udp1="$(udp_errors)"; m1="$(idle_ticks)"
    thread_ticks "$SERVER_PID" >"$WORK/threads1"; proc_ticks >"$WORK/procs1"
    (( h_rss1 > rss_max )) && rss_max="$h_rss1"
    hold_ok=1
  fi
fi
wait "$WRAP_PID"
load_rc=$?
set -e
kill -0 "$SERVER_PID" 2>/dev/null || { echo "SERVER DIED during the run" >&2; tail -20 "$WORK/server.stderr" >&2; exit 1; }
ticks1="$(cpu_ticks "$SERVER_PID")"
rss1="$(status_kib "$SERVER_PID" VmRSS)"
hwm="$(status_kib "$SERVER_PID" VmHWM)"

echo "--- bridge_load output (last lines) ---"
sed -n '/--- bridge_load summary/,$p' "$WORK/load.out"
grep -q -- "--- bridge_load summary" "$WORK/load.out" || tail -20 "$WORK/load.out"
echo "--- server ---"
if (( hold_ok )); then
  awk -v calls="$CALLS" -v t0="$h_t0" -v t1="$h_t1" -v a="$h_ticks0" -v b="$h_ticks1" -v hz="$hz" \
      -v cores="$cores" -v rss0="$rss0" -v rh0="$h_rss0" -v rh1="$h_rss1" -v rmax="$rss_max" \
      -v rss1="$rss1" -v hwm="$hwm" -v la="$l_ticks0" -v lb="$l_ticks1" \
      -v u0="$udp0" -v u1="$udp1" -v m0="$m0" -v m1="$m1" 'BEGIN {
    wall = t1 - t0; cpu = (b - a) / hz; one = 100 * cpu / wall
    split(u0, x, " "); split(u1, y, " ")
    printf "server CPU (hold)  %.1f s over %.1f s = %.1f%% of %d cores (%.0f%% of one core)\n", cpu, wall, one / cores, cores, one
    printf "CPU per call       %.4f%% of one core (%.2f ms CPU per call-second)\n", one / calls, 1000 * cpu / wall / calls
    printf "server RSS         %.1f MiB before calls, %.1f MiB hold start, %.1f MiB hold end (max %.1f), %.1f MiB after, peak %.1f MiB\n", rss0 / 1024, rh0 / 1024, rh1 / 1024, rmax / 1024, rss1 / 1024, hwm / 1024
    printf "RSS per call       %.1f KiB ((max during hold - before) / %d calls)\n", (rmax - rss0) / calls, calls
    printf "tool CPU (hold)    %.0f%% of one core\n", 100 * (lb - la) / hz / wall
    busy = 100 * cores * (1 - (m1 - m0) / (wall * hz * cores)); tool = 100 * (lb - la) / hz / wall
    printf "machine CPU (hold) %.0f%% busy of %d cores (wall time minus idle); not server or tool: %.0f%% of one core (kernel threads, other and short-lived processes)\n", busy / cores, cores, busy - one - tool
    printf "UDP drops (hold)   RcvbufErrors %d, InErrors %d (whole host, /proc/net/snmp)\n", y[1] - x[1], y[2] - x[2]
  }'
  echo "server threads (hold, % of one core):"
  join <(sort "$WORK/threads0") <(sort "$WORK/threads1") | awk -v hz="$hz" -v t0="$h_t0" -v t1="$h_t1" '
    { printf "  %-12s tid %-8s %5.1f%%\n", $2, $1, 100 * ($5 - $3) / hz / (t1 - t0) }' | sort -k4 -rn | head -8
  others="$(join <(sort "$WORK/procs0") <(sort "$WORK/procs1") | awk -v hz="$hz" -v t0="$h_t0" -v t1="$h_t1" \
    -v s="$SERVER_PID" -v l="$LOAD_PID" '$1 != s && $1 != l && ($5 - $3) / hz / (t1 - t0) >= 0.02 {
      printf " %s(%s) %.0f%%", $2, $1, 100 * ($5 - $3) / hz / (t1 - t0) }')"
  others_sum="$(join <(sort "$WORK/procs0") <(sort "$WORK/procs1") | awk -v hz="$hz" -v t0="$h_t0" -v t1="$h_t1" \
    -v s="$SERVER_PID" -v l="$LOAD_PID" '$1 != s && $1 != l { d += $5 - $3 } END { printf "%.0f", 100 * d / hz / (t1 - t0) }')"
  echo "other processes    ${others_sum}% of one core in all;${others:- none above 2% each}"
else
  echo "the hold phase was not reached; server CPU $(( (ticks1 - ticks0) / hz )) s over the run"
fi
# The log goes to stdout (spdlog levels in brackets); stderr has the security events.
warns="$(cat "$WORK/server.stdout" "$WORK/server.stderr" | grep -cE '\[(warning|error|critical)\]' || true)"
echo "server log         $warns warning/error lines"
if [[ "$warns" != 0 ]]; then
  cat "$WORK/server.stdout" "$WORK/server.stderr" | grep -E '\[(warning|error|critical)\]' |
    sed -E 's/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -8
fi
if [[ "$RECORD" == 1 ]]; then
  echo "recordings         $(find "$REC_DIR" -type f | wc -l) files, $(du -sh "$REC_DIR" | cut -f1) in $REC_DIR"
fi
echo "bridge_load exit   $load_rc"
stop_server
[[ "$load_rc" == 0 ]]
