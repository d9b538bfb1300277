#!/usr/bin/env bash
# The sales benchmarks with PostgreSQL (a throwaway cluster from tools/pg_local.sh on this
# machine) for BM_PostgresPurchaseIngest and BM_PostgresSalesReport30Days, in one run with the
# embedded store's cases so the ratios hold. docs/performance.md, "Sales: purchases and the sales
# report".
#
#   bench/run_sales_bench.sh [benchmark flags]     e.g. --benchmark_min_time=1
BENCH=sales_bench exec "$(dirname "$0")/run_store_bench.sh" "$@"
