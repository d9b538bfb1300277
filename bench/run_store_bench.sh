#!/usr/bin/env bash
# Durable charged clicks/s through the event stores, in one run so the ratios hold: the embedded
# ledger, and PostgreSQL (a throwaway cluster from tools/pg_local.sh on this machine) shared by 1
# and 3 replicas. docs/performance.md, "PostgreSQL store".
#
#   bench/run_store_bench.sh [benchmark flags]     e.g. --benchmark_min_time=1
set -euo pipefail
# BENCH: the benchmark binary to run against the throwaway cluster (run_sales_bench.sh sets it).
bench=${BENCH:-store_bench}
cd "$(dirname "$0")/.."
bazel build -c opt --config=opt "//bench:$bench" >/dev/null
dir=$(mktemp -d "/tmp/gavel-$bench.XXXXXX")
chmod 755 "$dir"
trap 'tools/pg_local.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
conninfo=$(tools/pg_local.sh start "$dir" | tail -1)
echo "PostgreSQL: $conninfo"
GAVEL_BENCH_PG="$conninfo" "bazel-bin/bench/$bench" "$@"
