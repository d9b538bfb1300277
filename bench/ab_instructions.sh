#!/bin/bash
# Instructions per auction of gavel_server under valgrind's callgrind, A against B, interleaved:
#   bench/ab_instructions.sh OLD_BINARY NEW_BINARY
# For machines without hardware performance counters (perf stat says "not supported", as in
# most VMs): an instruction count does not move with the load of other processes, where CPU time
# per call does. Each run starts the server under callgrind with instrumentation off, turns it on
# once the server listens, drives it with gavel_loadgen at a fixed RATE (default 25 calls/s, open
# loop: the same seeded sequence of requests each run) for DURATION, dumps
# the counts, and prints Ir (instructions) per completed call: the whole process (gRPC, ingest
# and timer threads included) and the RunAuction handler alone (AuctionServiceImpl::RunAuction,
# inclusive), which excludes time-proportional background work.
# CATALOG (default bench/results/catalog_100000.json), QUERIES (default bench/results/queries.tsv),
# LOADGEN (default the opt build's gavel_loadgen), ROUNDS (default 2), DURATION (default 10s), RATE,
# OLD_ARGS / NEW_ARGS: extra server flags per side. Needs Debian's valgrind.
set -u
run() {
  local bin=$1 label=$2 extra=$3 dir
  dir=$(mktemp -d)
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dir/cg.out" \
    "$bin" $extra --listen=127.0.0.1:0 --insecure_no_client_auth --nohuge_pages \
    --catalog="${CATALOG:-bench/results/catalog_100000.json}" --ledger_dir="$dir/ledger" \
    > "$dir/out" 2>&1 &
  local pid=$!
  for _ in $(seq 1 900); do grep -q listening "$dir/out" && break; sleep 1; done
  local addr
  addr=$(grep -o 'listening on [^ ]*' "$dir/out" | cut -d' ' -f3)
  sleep 2
  callgrind_control -i on $pid > /dev/null 2>&1
  "$loadgen" --target="$addr" --queries="${QUERIES:-bench/results/queries.tsv}" --threads=1 \
    --rate="${RATE:-25}" --duration="${DURATION:-10s}" --warmup=0s --json > "$dir/r.json" 2>/dev/null
  callgrind_control -d $pid > /dev/null 2>&1
  sleep 1
  kill $pid; wait $pid 2>/dev/null
  local total handler
  total=$(grep -h '^summary:' "$dir/cg.out.1" | awk '{print $2}')
  handler=$(callgrind_annotate --inclusive=yes --threshold=100 "$dir/cg.out.1" 2>/dev/null |
            grep 'AuctionServiceImpl::RunAuction(' | head -1 | awk '{gsub(",", "", $1); print $1}')
  python3 -c "
import json
n = json.load(open('$dir/r.json'))['all_completed']
print('$label calls %d Ir/call %.0f handler_Ir/call %.0f' % (n, $total / n, ${handler:-0} / n))"
  rm -rf "$dir"
}
cd "$(dirname "$0")/.."
loadgen="${LOADGEN:-$(bazel info -c opt --config=opt bazel-bin 2>/dev/null)/tools/loadgen/gavel_loadgen}"
for round in $(seq 1 "${ROUNDS:-2}"); do
  if ((round % 2)); then
    run "$1" old "${OLD_ARGS:-}"; run "$2" new "${NEW_ARGS:-}"
  else
    run "$2" new "${NEW_ARGS:-}"; run "$1" old "${OLD_ARGS:-}"
  fi
done
