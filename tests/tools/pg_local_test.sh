#!/usr/bin/env bash
# tools/pg_local.sh: start prints a connection string that works (as the unprivileged user nobody
# when run as root), status and stop report and stop, start again reuses the data, and as root a
# directory nobody cannot reach is refused with a clear message.
set -euo pipefail
pg_local=$1
psql=/usr/lib/postgresql/15/bin/psql
fail() { echo "FAIL: $*" >&2; exit 1; }

# Under /tmp: as root the server's user must reach it, and Bazel's TEST_TMPDIR is under /root.
dir=$(mktemp -d /tmp/gavel-pg-local-test-XXXXXX)
chmod 0755 "$dir"  # mktemp's 0700 would keep nobody out
trap '"$pg_local" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

url=$("$pg_local" start "$dir/pg")
echo "start: $url"
[[ "$url" =~ ^postgresql://gavel@127\.0\.0\.1:[0-9]+/gavel$ ]] || fail "unexpected URL: $url"
[[ "$("$pg_local" start "$dir/pg")" == "$url" ]] || fail "a second start changed the URL"
[[ "$("$pg_local" status "$dir/pg")" == "running: $url"* ]] || fail "status does not say running"

row=$("$psql" -X -tA "$url" -c "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept');
  SELECT current_user, current_setting('fsync'), current_setting('synchronous_commit')")
[[ "$row" == *"gavel|on|on" ]] || fail "unexpected row: $row"
owner=$(stat -c %U "$dir/pg/data")
if [[ $(id -u) -eq 0 ]]; then
  [[ "$owner" == nobody ]] || fail "data owned by $owner, not nobody"
fi

"$pg_local" stop "$dir/pg"
status=0
"$pg_local" status "$dir/pg" >/dev/null || status=$?
((status == 3)) || fail "status after stop exited $status, not 3"

[[ "$("$pg_local" start "$dir/pg")" == "$url" ]] || fail "restart changed the URL"
[[ "$("$psql" -X -tA "$url" -c "SELECT v FROM t")" == kept ]] || fail "data lost across restart"
"$pg_local" stop "$dir/pg"

if [[ $(id -u) -eq 0 ]]; then
  hidden=$(mktemp -d /tmp/gavel-pg-local-hidden-XXXXXX)
  chmod 0700 "$hidden"
  message=$("$pg_local" start "$hidden/pg" 2>&1) && fail "start under a 0700 root directory worked"
  rm -rf "$hidden"
  [[ "$message" == *"user nobody cannot reach"* ]] || fail "unclear refusal: $message"
fi
echo PASS
