#!/usr/bin/env bash
# REST API throughput with wrk on loopback (issue 5: >= 10,000 simple GET requests/s).
#
#   bench/api_requests.sh [BINARY] [DURATION_S] [CONNECTIONS]
#   defaults: build/release/src/app/switchboard, 10 s, 64 connections, 2 wrk threads
#
# Three kinds of GET, each for DURATION_S: /healthz (no auth, atomics), the tenant resource
# (bearer token checked, tenant resolved, answered on the api loop) and the queues with live
# figures (token + a round trip through the control loop). wrk and the server share the
# machine's cores, so the figures are a floor for the server. Exit 0 when every run had no
# non-2xx answer and no socket error.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BINARY="${1:-$REPO_DIR/build/release/src/app/switchboard}"
DURATION="${2:-10}"
CONNECTIONS="${3:-64}"
[[ -x "$BINARY" ]] || { echo "no executable at $BINARY (build first: make build)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: wrk)" >&2; exit 2; }
bench_init api

TOKEN="bench-api-token-0123456789"
DIGEST="$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)"
SIP_PORT="$(free_port udp+tcp)"
HTTP_PORT="$(free_port tcp)"
cat >"$WORK/api.yaml" <<YAML
sip:
  listen:
    - { transport: udp, address: 127.0.0.1, port: $SIP_PORT }
http:
  address: 127.0.0.1
  port: $HTTP_PORT
log_level: warn
media:
  tts_cache: $WORK/tts
  recordings: $WORK/recordings
store:
  path: $WORK/events.db
api:
  tokens:
    - { name: bench, role: tenant_admin, tenant: bench, sha256: "$DIGEST" }
tenants:
  - id: bench
    domains: [127.0.0.1]
    extensions:
      - { user: "1001", password: "bench-1001-secret" }
    queues:
      - { name: sales }
      - { name: support }
    agents:
      - { name: alice, extension: "1001", queues: [sales, support], logged_in: true }
YAML
launch_server "$BINARY" "$WORK/api.yaml"
echo "switchboard pid $SERVER_PID, HTTP 127.0.0.1:$HTTP_PORT; wrk: 2 threads, $CONNECTIONS connections, ${DURATION} s per path"

status=0
for path in /healthz /api/v1/tenants/bench /api/v1/tenants/bench/queues; do
  out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" \
         "http://127.0.0.1:$HTTP_PORT$path")"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  bad="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  errs="$(awk '/Socket errors/ {print}' <<<"$out")"
  printf '%-32s %10s req/s   p50 %8s   p99 %8s   non-2xx %s %s\n' "$path" "$rps" "$p50" "$p99" \
    "${bad:-0}" "${errs}"
  [[ -z "$bad" && -z "$errs" ]] || status=1
done
stop_server
exit "$status"
