#!/usr/bin/env bash
# Every benchmark: the micro-benchmarks of the build (src/**/*_bench, Google Benchmark), then
# the end-to-end ones against the real binary (call rate, memory per dialog).
#
#   bench/run_all.sh [BUILD_DIR]          default build/release (what `make bench` passes)
#
# Knobs (environment): CPS_RATE (3000), CPS_DURATION (60), DIALOGS (10000), DIALOG_RATE (1000),
# INBOUND_RATE (100), INBOUND_DURATION (30), API_DURATION (10), SKIP_MICRO=1, SKIP_E2E=1. Exit status is non-zero
# if any benchmark failed; all still run.
set -uo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
BUILD="${1:-$REPO_DIR/build/release}"
[[ "$BUILD" = /* ]] || BUILD="$REPO_DIR/$BUILD"
BINARY="$BUILD/src/app/switchboard"
status=0

echo "# Switchboard benchmarks — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo 'no git')"

if [[ -z "${SKIP_MICRO:-}" ]]; then
  mapfile -t micro < <(find "$BUILD/src" -name '*_bench' -type f -perm -u+x 2>/dev/null | sort)
  if [[ ${#micro[@]} -eq 0 ]]; then
    echo "## micro-benchmarks: none built under $BUILD/src (SB_BENCH=ON builds *_bench.cpp)"
  fi
  for b in "${micro[@]}"; do
    echo "## micro: ${b#$BUILD/}"
    timeout 600 "$b" --benchmark_counters_tabular=true || { echo "FAILED: $b"; status=1; }
  done
fi

if [[ -z "${SKIP_E2E:-}" ]]; then
  echo "## end-to-end: SIPp call rate"
  bash "$BENCH_DIR/sipp_cps.sh" "$BINARY" "${CPS_RATE:-3000}" "${CPS_DURATION:-60}" || status=1
  echo "## end-to-end: memory per dialog"
  bash "$BENCH_DIR/dialog_memory.sh" "$BINARY" "${DIALOGS:-10000}" "${DIALOG_RATE:-1000}" || status=1
  echo "## end-to-end: REST API requests/s (wrk)"
  bash "$BENCH_DIR/api_requests.sh" "$BINARY" "${API_DURATION:-10}" || status=1
  echo "## end-to-end: inbound contact center (IVR prompt, queue, agent, 10 s bridged talk)"
  bash "$BENCH_DIR/inbound_calls.sh" "$BINARY" "${INBOUND_RATE:-100}" "${INBOUND_DURATION:-30}" || status=1
fi
exit $status
