# Shared helpers for the end-to-end benchmarks (sourced, not run). Bash, python3 for free ports
# and the health check, sipp for load. Every process started here is recorded and stopped by
# bench_cleanup (installed as an EXIT trap by bench_init).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
SCENARIOS="$REPO_DIR/tests/integration/scenarios"
BENCH_PIDS=()
SERVER_PID=""
WORK=""

bench_init() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/sb-bench-$1-XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  command -v sipp >/dev/null || { echo "sipp is not installed (Debian: sip-tester)" >&2; exit 2; }
  command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 2; }
}

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  if [[ -n "$WORK" && -z "${BENCH_KEEP:-}" ]]; then rm -rf "$WORK"; fi
  if [[ -n "${BENCH_KEEP:-}" ]]; then echo "work directory kept: $WORK"; fi
}

# free_port [udp+tcp|tcp|udp] -> a port bindable on 127.0.0.1 for the given protocols.
free_port() {
  python3 - "$1" <<'PY'
import socket, sys
kind = sys.argv[1]
for _ in range(100):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM if "tcp" in kind else socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    try:
        socks = []
        if "udp" in kind:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); socks.append(u); u.bind(("127.0.0.1", port))
        if "tcp" in kind:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); socks.append(t); t.bind(("127.0.0.1", port))
        for s in socks: s.close()
        # SIPp media sockets use port and port+2.
        if kind == "udp" :
            for p in (port + 2,):
                v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); v.bind(("127.0.0.1", p)); v.close()
        print(port); sys.exit(0)
    except OSError:
        for s in socks: s.close()
sys.exit("no free port")
PY
}

# launch_server BINARY CONFIG: starts the server on CONFIG, waits for /healthz on $HTTP_PORT.
# Sets SERVER_PID; the server is stopped by bench_cleanup.
launch_server() {
  local binary="$1" config="$2"
  "$binary" serve --config "$config" >"$WORK/server.stdout" 2>"$WORK/server.stderr" &
  SERVER_PID=$!
  BENCH_PIDS+=("$SERVER_PID")
  python3 - "$HTTP_PORT" "$SERVER_PID" <<'PY' || { tail -20 "$WORK/server.stderr" >&2; exit 1; }
import os, sys, time, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("server exited during start-up")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit("server not healthy within 15 s")
PY
}

# start_server BINARY MAX_CALLS: writes a config in $WORK, starts the server, waits for /healthz.
# Sets SERVER_PID, SIP_PORT, HTTP_PORT.
start_server() {
  local binary="$1" max_calls="${2:-100000}"
  SIP_PORT="$(free_port udp+tcp)"
  HTTP_PORT="$(free_port tcp)"
  cat >"$WORK/bench.yaml" <<YAML
sip:
  listen:
    - { transport: udp, address: 127.0.0.1, port: $SIP_PORT }
    - { transport: tcp, address: 127.0.0.1, port: $SIP_PORT }
http:
  address: 127.0.0.1
  port: $HTTP_PORT
log_level: warn
limits:
  max_calls: $max_calls
media:
  rtp_ports: [10000, 39999]   # 15,000 RTP/RTCP pairs: one per call leg
  rtp_timeout_s: 0
  tts_cache: $WORK/tts
  recordings: $WORK/recordings
store:
  path: $WORK/events.db
tenants:
  - id: bench
    domains: [127.0.0.1, localhost]
    extensions:
      - { user: "1001", password: "bench-1001-secret" }
    numbers:
      - { number: "4000", answer_after_ms: 0 }
      # answer, a 1 s prompt, and the server hangs up (bench/sipp_cps.sh ... prompt)
      - { number: "4010", greeting: "Thank you for calling.", hangup_after_ms: 1000 }
YAML
  launch_server "$binary" "$WORK/bench.yaml"
}

# stop_server: SIGTERM and wait (bounded); prints the exit code.
stop_server() {
  [[ -z "$SERVER_PID" ]] && return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local code=0
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "server did not exit within 10 s of SIGTERM; killing it" >&2
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  wait "$SERVER_PID" 2>/dev/null || code=$?
  echo "server exit code: $code"
  SERVER_PID=""
}

# cpu_ticks PID -> utime+stime in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# status_kib PID KEY -> e.g. VmRSS, VmHWM in KiB.
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# sipp_stat FILE NAME -> the last value of a column of a SIPp -trace_stat CSV (e.g.
# "SuccessfulCall(C)").
sipp_stat() {
  awk -F';' -v col="$2" '
    $1 == "StartTime" { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    (col in idx) { v = $(idx[col]) }
    END { print (v == "" ? 0 : v) }' "$1"
}

# hms_to_s "HH:MM:SS" or "HH:MM:SS:uuuuuu" -> seconds.
hms_to_s() { awk -F: '{ s = $1 * 3600 + $2 * 60 + $3; if (NF > 3) s += $4 / 1e6; print s }' <<<"$1"; }
