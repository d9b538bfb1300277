#!/usr/bin/env bash
# The sales benchmarks with PostgreSQL (a throwaway cluster from tools/pg_local.sh on this
# machine) for BM_PostgresSalesReport30Days, in one run with the embedded store's cases so the
# ratios hold. docs/performance.md, "Sales: purchases and the sales report".
#
#   bench/run_sales_bench.sh [benchmark flags]     e.g. --benchmark_min_time=1
set -euo pipefail
cd "$(dirname "$0")/.."
bazel build -c opt --config=opt //bench:sales_bench >/dev/null
dir=$(mktemp -d /tmp/gavel-sales-bench.XXXXXX)
chmod 755 "$dir"
trap 'tools/pg_local.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
conninfo=$(tools/pg_local.sh start "$dir" | tail -1)
echo "PostgreSQL: $conninfo"
GAVEL_BENCH_PG="$conninfo" bazel-bin/bench/sales_bench "$@"
