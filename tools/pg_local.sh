#!/usr/bin/env bash
# A throwaway PostgreSQL 15 (Debian's postgresql-15) in one directory, for people and scripts: the
# same setup as the tests' fixture (tests/pg/pg_server.h). initdb into DIR/data; user "gavel" with
# trust authentication for local connections; database "gavel"; fsync, synchronous_commit and
# full_page_writes on; a Unix socket in DIR and TCP on 127.0.0.1:PORT. PostgreSQL refuses to run as
# root, so as root it runs as the unprivileged user nobody (DIR is chowned to it).
#
#   tools/pg_local.sh start DIR [PORT]   start (initdb first if DIR has no cluster); prints the
#                                        connection string; PORT: default the last one, else free
#   tools/pg_local.sh stop DIR           fast shutdown; the data stays, start reuses it
#   tools/pg_local.sh status DIR         prints the connection strings; exit 3 if not running
#
# start on a running DIR prints its connection string again and changes nothing. Remove DIR after
# stop to throw the cluster away.
set -euo pipefail

BIN=/usr/lib/postgresql/15/bin
USER_NAME=nobody

die() { echo "pg_local: $*" >&2; exit 1; }
usage() { echo "usage: tools/pg_local.sh start DIR [PORT] | stop DIR | status DIR" >&2; exit 2; }

cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || usage
[[ -x "$BIN/postgres" ]] || die "PostgreSQL 15 not found in $BIN: run ./setup.sh"

# Runs a command as the server's user, in DIR (its own directory, which it can always reach).
as_server() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd "$dir" && setpriv --reuid="$(id -u "$USER_NAME")" --regid="$(id -g "$USER_NAME")" \
      --clear-groups -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

running() {
  [[ -f "$dir/data/PG_VERSION" ]] && as_server "$BIN/pg_ctl" status -D "$dir/data" >/dev/null 2>&1
}
port() { cat "$dir/port" 2>/dev/null || true; }
url() { echo "postgresql://gavel@127.0.0.1:$(port)/gavel"; }
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

start() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if running; then url; return; fi
  # The socket's path, DIR/.s.PGSQL.PORT, must fit in 107 bytes.
  ((${#dir} <= 90)) || die "$dir is too long for a Unix socket path (at most 90 characters)"
  if [[ $(id -u) -eq 0 ]]; then
    chown "$USER_NAME:" "$dir"
    chmod 0755 "$dir"
    as_server test -w "$dir" 2>/dev/null ||
      die "user $USER_NAME cannot reach $dir (a parent directory is not searchable, as /root" \
        "is): use a directory under /tmp"
  fi
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    as_server "$BIN/initdb" -D "$dir/data" -U gavel --auth=trust --encoding=UTF8 --locale=C \
      --no-sync --no-instructions >"$dir/initdb.log" 2>&1 ||
      die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
  fi
  local p=${3:-$(port)}
  [[ -n "$p" ]] || p=$(free_port)
  echo "$p" >"$dir/port"
  as_server "$BIN/pg_ctl" start -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -s \
    -o "-p $p -k '$dir' -h 127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on" ||
    die "postgres did not start; the end of $dir/postgres.log:
$(tail -n 15 "$dir/postgres.log")"
  local exists
  exists=$("$BIN/psql" -X -h "$dir" -p "$p" -U gavel -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'gavel'")
  [[ "$exists" == 1 ]] || "$BIN/createdb" -h "$dir" -p "$p" -U gavel gavel
  url
}

case "$cmd" in
  start)
    start "$@"
    ;;
  stop)
    if running; then
      as_server "$BIN/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 -s
    else
      echo "pg_local: not running in $dir" >&2
    fi
    ;;
  status)
    if running; then
      echo "running: $(url)"
      echo "socket:  host=$(cd "$dir" && pwd) port=$(port) dbname=gavel user=gavel"
    else
      echo "not running in $dir"
      exit 3
    fi
    ;;
  *)
    usage
    ;;
esac
