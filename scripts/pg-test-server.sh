#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (the store contract tests, CTest fixture "pg").
#   pg-test-server.sh start DIR   initdb into DIR, start on a free 127.0.0.1 port (and a unix
#                                 socket in DIR), create database switchboard_test, write a libpq
#                                 conninfo string to DIR/conninfo
#   pg-test-server.sh stop DIR    stop it (fast shutdown) and remove DIR
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user and DIR is
# owned by it. Settings favour speed (fsync off: the data is thrown away); PG_TEST_DURABLE=1
# keeps PostgreSQL's durable defaults (for benchmarks). PGBIN overrides where the server binaries
# are. Fails loudly when PostgreSQL is not installed: tests must fail, not skip.
set -euo pipefail

die() {
  echo "pg-test-server: $*" >&2
  exit 1
}

usage() { die "usage: $0 start|stop DIR"; }

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
[ -n "$dir" ] && [ "$dir" != "/" ] || die "refusing DIR '$dir'"
marker="$dir/.pg-test-server"

find_bin() {
  local candidates=()
  [ -n "${PGBIN:-}" ] && candidates+=("$PGBIN")
  candidates+=(/usr/lib/postgresql/15/bin)
  local d
  for d in /usr/lib/postgresql/*/bin; do candidates+=("$d"); done
  for d in "${candidates[@]}"; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return 0
    fi
  done
  die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in ${candidates[*]};" \
    "install them (apt-get install postgresql, see scripts/install-deps.sh) or set PGBIN"
}

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_cluster() {
  [ -d "$dir" ] || return 0
  [ -e "$marker" ] || die "$dir exists but was not made by pg-test-server.sh; not touching it"
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bin
    bin=$(find_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null ||
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null ||
      echo "pg-test-server: warning: could not stop the server in $dir" >&2
  fi
  rm -rf "$dir"
}

start_cluster() {
  local bin
  bin=$(find_bin)
  command -v python3 >/dev/null || die "python3 is needed to pick a free port"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 ||
      die "running as root but there is no 'postgres' user to run the server (install postgresql)"
  fi
  stop_cluster  # a cluster left behind by an interrupted run
  mkdir -p "$dir"
  touch "$marker"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 20 "$dir/initdb.log")"

  local settings="-c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir'"
  settings+=" -c max_connections=100 -c shared_buffers=64MB"
  if [ "${PG_TEST_DURABLE:-0}" != 1 ]; then
    settings+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  local port="" attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "$settings -c port=$port" start >/dev/null 2>&1; then
      break
    fi
    # Most likely the port was taken between picking and binding: try another.
    port=""
  done
  [ -n "$port" ] || die "the server did not start; log: $(tail -n 20 "$dir/server.log" 2>/dev/null)"

  local ready=0 i
  for i in $(seq 1 60); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then
      ready=1
      break
    fi
    sleep 0.5
  done
  [ "$ready" = 1 ] || die "the server on port $port does not accept connections after 30 s"

  "$bin/psql" -q -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE switchboard_test" >/dev/null || die "CREATE DATABASE failed"
  echo "host=127.0.0.1 port=$port user=postgres dbname=switchboard_test" >"$dir/conninfo"
  echo "pg-test-server: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on" \
    "127.0.0.1:$port (socket in $dir); conninfo in $dir/conninfo"
}

case "$cmd" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) usage ;;
esac
