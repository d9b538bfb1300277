#!/bin/bash
# A/B of two gavel_server binaries, interleaved: bench/ab_serving.sh OLD_BINARY NEW_BINARY.
# Each serves the 100k catalog; loadgen 64 in flight for 10 s; server CPU per call.
# Needs bench/results/catalog_100000.json (bench/run_serving_bench.sh --quick writes it) and
# bazel build -c opt --config=opt //tools/loadgen:gavel_loadgen. Loopback only; bounded in time.
run() {
  local bin=$1 dir=$(mktemp -d)
  $bin --listen=127.0.0.1:0 --catalog=bench/results/catalog_100000.json --ledger_dir=$dir/ledger > $dir/out 2>&1 &
  local pid=$!
  for i in $(seq 1 90); do grep -q listening $dir/out && break; sleep 1; done
  local addr=$(grep -o 'listening on .*' $dir/out | cut -d' ' -f3)
  local t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  bazel-bin/tools/loadgen/gavel_loadgen --target=$addr --queries=bench/results/queries.tsv --concurrency=64 --duration=10s --warmup=1s --json > $dir/r.json 2>/dev/null
  local t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  kill $pid; wait $pid 2>/dev/null
  python3 -c "import json;r=json.load(open('$dir/r.json'));print('$2', 'qps %.0f'%r['qps'], 'cpu_us_per_call %.1f'%((($t1-$t0)/100.0)*1e6/r['all_completed']))"
}
cd "$(dirname "$0")/.."
for round in 1 2; do run "$1" old; run "$2" new; done
