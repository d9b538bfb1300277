#!/bin/bash
# A/B of two gavel_server binaries, interleaved: bench/ab_serving.sh OLD_BINARY NEW_BINARY.
# Each serves the 100k catalog; loadgen (2 threads) 64 in flight for 10 s; server CPU per call.
# Needs bench/results/catalog_100000.json (bench/run_serving_bench.sh --quick writes it) and
# bazel build -c opt --config=opt //tools/loadgen:gavel_loadgen. Loopback only; bounded in time.
# CATALOG=bench/results/catalog_1000000.json to use another catalog (QUERIES= its query file,
# LOADGEN= a gavel_loadgen binary); ROUNDS=N (default 2).
# OLD_ARGS / NEW_ARGS: extra server flags per side, e.g. one binary with metrics off and on:
#   NEW_ARGS=--metrics_listen=127.0.0.1:0 bench/ab_serving.sh BIN BIN
# Rounds alternate which side runs first (old-new, new-old, ...), so a drift during the session
# does not favour one side; each round prints the pair's new/old CPU ratio, and the end the
# median and mean of the ratios.
run() {
  local bin=$1 dir=$(mktemp -d) extra=$3
  $bin $extra --listen=127.0.0.1:0 --insecure_no_client_auth --catalog=${CATALOG:-bench/results/catalog_100000.json} --ledger_dir=$dir/ledger > $dir/out 2>&1 &
  local pid=$!
  for i in $(seq 1 300); do grep -q listening $dir/out && break; sleep 1; done
  local addr=$(grep -o 'listening on .*' $dir/out | cut -d' ' -f3)
  local t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  "$loadgen" --target=$addr --queries=${QUERIES:-bench/results/queries.tsv} --threads=2 --concurrency=64 --duration=10s --warmup=1s --json > $dir/r.json 2>/dev/null
  local t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  kill $pid; wait $pid 2>/dev/null
  python3 -c "import json;r=json.load(open('$dir/r.json'));print('$2', 'qps %.0f'%r['qps'], 'p50 %.0f p99 %.0f us'%(r['latency_us']['p50'], r['latency_us']['p99']), 'cpu_us_per_call %.1f'%((($t1-$t0)/100.0)*1e6/r['all_completed']))" | tee -a "$results"
  rm -rf "$dir"
}
cd "$(dirname "$0")/.."
# The optimized build's output, wherever bazel-bin points after other builds.
loadgen="${LOADGEN:-$(bazel info -c opt --config=opt bazel-bin 2>/dev/null)/tools/loadgen/gavel_loadgen}"
results=$(mktemp)
for round in $(seq 1 "${ROUNDS:-2}"); do
  if ((round % 2)); then
    run "$1" old "${OLD_ARGS:-}"; run "$2" new "${NEW_ARGS:-}"
  else
    run "$2" new "${NEW_ARGS:-}"; run "$1" old "${OLD_ARGS:-}"
  fi
  tail -2 "$results" | python3 -c "
import sys
cpu = {l.split()[0]: float(l.split()[-1]) for l in sys.stdin}
print('round $round: new/old CPU per call %.3f' % (cpu['new'] / cpu['old']))" | tee -a "$results.ratios"
done
python3 -c "
import statistics
r = [float(l.split()[-1]) for l in open('$results.ratios')]
print('new/old CPU per call over %d rounds: median %.3f, mean %.3f' % (len(r), statistics.median(r), statistics.mean(r)))"
rm -f "$results" "$results.ratios"

