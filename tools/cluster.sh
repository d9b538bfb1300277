#!/usr/bin/env bash
# A local Gavel cluster in one command: a throwaway PostgreSQL 15 (tools/pg_local.sh) and N
# gavel_server replicas sharing it (--store), each on its own port, all from the demo catalog with
# one token key (any replica verifies tokens any other signed). For trying replicas and for the
# replica benchmarks; docs/billing.md, "PostgreSQL store".
#
#   tools/cluster.sh start DIR [N]   build (optimized), start PostgreSQL and N replicas (default 3);
#                                    prints the comma-separated addresses for clients
#   tools/cluster.sh stop DIR        stop the replicas and PostgreSQL (the data stays in DIR)
#   tools/cluster.sh status DIR      the replicas' addresses and whether each is running
#
# Extra gavel_server flags can be given in GAVEL_SERVER_FLAGS; the replicas run with
# --insecure_no_client_auth unless those name a --clients_file. DIR must be under /tmp (or another
# directory an unprivileged user can reach) when run as root, since PostgreSQL runs as nobody.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "cluster: $*" >&2; exit 1; }
usage() { echo "usage: tools/cluster.sh start DIR [N] | stop DIR | status DIR" >&2; exit 2; }
cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || usage

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

start() {
  local n=${1:-3}
  [[ "$n" =~ ^[1-9][0-9]?$ ]] || die "N must be 1-99, got $n"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ ! -s "$dir/addresses" ]] || die "$dir already has a cluster (tools/cluster.sh stop $dir first)"
  ./setup.sh >/dev/null
  bazel build -c opt --config=opt //server:gavel_server //tools/cli:gavel_cli >/dev/null 2>&1 ||
    die "build failed: bazel build -c opt --config=opt //server:gavel_server"
  mkdir -p "$dir/bin"
  install -m 755 bazel-bin/server/gavel_server bazel-bin/tools/cli/gavel_cli "$dir/bin/"
  local conninfo
  conninfo=$(tools/pg_local.sh start "$dir/pg" | tail -1)
  [[ -s "$dir/token_keys" ]] ||
    (umask 077 && printf 'k1 %s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
      >"$dir/token_keys")
  [[ -s "$dir/admin_api_key" ]] ||
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$dir/admin_api_key")
  # The schema once, before the replicas race to it (they would each apply it safely anyway).
  "$dir/bin/gavel_server" --store="$conninfo" --migrate_only >/dev/null
  local addresses=()
  # Replicas listen on 127.0.0.1 only: without client keys, unless GAVEL_SERVER_FLAGS gives a
  # --clients_file.
  local auth_flag=--insecure_no_client_auth
  [[ "${GAVEL_SERVER_FLAGS:-}" == *--clients_file* ]] && auth_flag=""
  for ((i = 1; i <= n; i++)); do
    local port
    port=$(free_port)
    # shellcheck disable=SC2086
    setsid "$dir/bin/gavel_server" --listen="127.0.0.1:$port" --catalog=data/demo_catalog.json \
      --model=data/default_model.txt --admin_api_key_file="$dir/admin_api_key" \
      --token_key_file="$dir/token_keys" --store="$conninfo" $auth_flag ${GAVEL_SERVER_FLAGS:-} \
      >"$dir/replica$i.log" 2>&1 &
    echo $! >"$dir/replica$i.pid"
    addresses+=("127.0.0.1:$port")
  done
  for ((i = 1; i <= n; i++)); do
    for _ in $(seq 600); do
      grep -q "^listening on" "$dir/replica$i.log" && break
      kill -0 "$(cat "$dir/replica$i.pid")" 2>/dev/null ||
        die "replica $i exited: $(tail -n 5 "$dir/replica$i.log")"
      sleep 0.1
    done
    grep -q "^listening on" "$dir/replica$i.log" || die "replica $i did not start in 60 s"
  done
  (IFS=,; echo "${addresses[*]}") >"$dir/addresses"
  echo "PostgreSQL: $conninfo"
  echo "replicas (logs in $dir/replica*.log): $(cat "$dir/addresses")"
  echo "  try:  $dir/bin/gavel_cli --server=$(cat "$dir/addresses") auction \"wireless headphones\""
  cat "$dir/addresses"
}

stop() {
  for pidfile in "$dir"/replica*.pid; do
    [[ -f "$pidfile" ]] || continue
    local pid
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
  rm -f "$dir/addresses"
  [[ ! -d "$dir/pg" ]] || tools/pg_local.sh stop "$dir/pg" >/dev/null
  echo "stopped"
}

status() {
  [[ -s "$dir/addresses" ]] || { echo "no cluster in $dir"; exit 3; }
  local i=1
  for a in $(tr , ' ' <"$dir/addresses"); do
    if kill -0 "$(cat "$dir/replica$i.pid" 2>/dev/null)" 2>/dev/null; then
      echo "replica $i $a running"
    else
      echo "replica $i $a stopped"
    fi
    i=$((i + 1))
  done
  tools/pg_local.sh status "$dir/pg" | head -1
}

case "$cmd" in
  start) start "${3:-3}" ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
