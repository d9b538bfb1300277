#!/usr/bin/env bash
# Integration: bench/echo_server on a free port, gavel_loadgen against it for about a second,
# closed loop with the event mix on, then checks the JSON report: QPS > 0 and no errors.
# The server's port comes from its "listening on" line; nothing sleeps waiting for it.
set -euo pipefail
echo_server=$1
loadgen=$2
# Under --config=tsan: gRPC comes from Debian, uninstrumented; see the suppressions file.
export TSAN_OPTIONS="${TSAN_OPTIONS:-}:suppressions=$3"

exec 3< <(exec "$echo_server" --listen=127.0.0.1:0)
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
if ! read -r -t 30 -u 3 line; then
  echo "FAIL: echo_server printed no 'listening on' line" >&2
  exit 1
fi
[[ "$line" =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] || { echo "FAIL: unexpected line: $line" >&2; exit 1; }
port=${BASH_REMATCH[1]}

report=$("$loadgen" --target="127.0.0.1:$port" --concurrency=4 --duration=1s --warmup=200ms \
  --impression_rate=1 --click_rate=0.1 --json --progress=false)
echo "$report"

fail() { echo "FAIL: $*" >&2; exit 1; }
[[ "$report" =~ \"qps\":([0-9.]+) ]] || fail "no qps in report"
awk -v q="${BASH_REMATCH[1]}" 'BEGIN { exit !(q > 0) }' || fail "qps is ${BASH_REMATCH[1]}"
[[ "$report" =~ \"ok\":([0-9]+) ]] && ((BASH_REMATCH[1] > 0)) || fail "no successful calls"
[[ "$report" == *'"errors":{},'* ]] || fail "RunAuction errors in report"
[[ "$report" == *'"rpc_errors":{},'* ]] || fail "ReportEvents errors in report"
[[ "$report" =~ \"rpcs_ok\":([0-9]+) ]] && ((BASH_REMATCH[1] > 0)) || fail "no events reported"
[[ "$report" =~ \"not_sent\":([0-9]+) ]] && ((BASH_REMATCH[1] == 0)) || fail "calls not sent"
echo PASS
