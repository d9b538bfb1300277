#!/usr/bin/env bash
# gavel_sim end to end: a sweep with two seeds gives byte-identical report folders whether the runs
# go one at a time or in parallel; --write_catalog writes JSON; bad flags fail with exit code 2.
set -euo pipefail
sim=$1
scenario=$2
tmp=${TEST_TMPDIR:-$(mktemp -d)}

args=(--scenario="$scenario" --sweep=reserve_micros=0,100000 --seeds=2 --plots=false --progress=off)
"$sim" "${args[@]}" --out="$tmp/a" --threads=1 > "$tmp/a.txt"
"$sim" "${args[@]}" --out="$tmp/b" --threads=2 > "$tmp/b.txt"
diff -r "$tmp/a" "$tmp/b"
for f in runs.csv sweep.csv ctr_by_slot.csv advertisers.csv pacing.csv roas_histogram.csv \
         metrics/revenue.csv metrics/rpm.csv plots/revenue.gp plots/pacing.gp; do
  test -s "$tmp/a/$f" || { echo "missing $f"; exit 1; }
done
grep -q "reserve_micros" "$tmp/a.txt"
grep -q "+-" "$tmp/a.txt"   # confidence intervals with two seeds
# The summary table (everything before the wall-clock lines) is deterministic too.
diff <(sed '/^wall clock/,$d' "$tmp/a.txt") <(sed '/^wall clock/,$d' "$tmp/b.txt")
# No ledger directories left behind.
if ls -d "$tmp"/a/ledger-* 2>/dev/null; then echo "ledger left behind"; exit 1; fi

"$sim" --scenario="$scenario" --write_catalog="$tmp/catalog.json" > /dev/null
grep -q '"auctionRules"' "$tmp/catalog.json"

set +e
"$sim" --scenario="$scenario" --sweep=colour=red --out="$tmp/c" > /dev/null 2> "$tmp/err.txt"
code=$?
set -e
test "$code" -eq 2 || { echo "expected exit 2, got $code"; exit 1; }
grep -q 'unknown parameter "colour"' "$tmp/err.txt"
echo PASS
