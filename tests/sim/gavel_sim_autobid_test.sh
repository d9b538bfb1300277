#!/usr/bin/env bash
# gavel_sim on sim/scenarios/autobidding.textproto, shortened to 2 days of 2,000 searches: the
# sales and autobidder files are written, two seeds give byte-identical folders one at a time or in
# parallel, and autobidders with --target fail with exit code 2.
set -euo pipefail
sim=$1
scenario=$2
tmp=${TEST_TMPDIR:-$(mktemp -d)}

sed -e 's/^days: 7$/days: 2/' -e 's/queries_per_day: 25000/queries_per_day: 2000/' "$scenario" \
  > "$tmp/short.textproto"
grep -q '^days: 2$' "$tmp/short.textproto"
grep -q 'queries_per_day: 2000 ' "$tmp/short.textproto"

args=(--scenario="$tmp/short.textproto" --seeds=2 --plots=false --progress=off)
"$sim" "${args[@]}" --out="$tmp/a" --threads=1 > "$tmp/a.txt"
"$sim" "${args[@]}" --out="$tmp/b" --threads=2 > "$tmp/b.txt"
diff -r "$tmp/a" "$tmp/b"
for f in sales.csv agents.csv agents_hourly.csv sales_sweep.csv; do
  test -s "$tmp/a/$f" || { echo "missing $f"; exit 1; }
done
# 2 seeds x 4 agents, and 47 hourly steps per agent and seed.
test "$(tail -n +2 "$tmp/a/agents.csv" | wc -l)" -eq 8
test "$(tail -n +2 "$tmp/a/agents_hourly.csv" | wc -l)" -eq $((2 * 4 * 47))
grep -q "^,501,adv-0,target_roas,0.250000,8000.000000,2," "$tmp/a/agents.csv"
grep -q 'agent_adv-0_last3_acos_of_target' "$tmp/a.txt"
grep -q 'acos_gap' "$tmp/a.txt"
diff <(sed '/^wall clock/,$d' "$tmp/a.txt") <(sed '/^wall clock/,$d' "$tmp/b.txt")

set +e
"$sim" --scenario="$tmp/short.textproto" --target=127.0.0.1:1 --out="$tmp/c" > /dev/null \
  2> "$tmp/err.txt"
code=$?
set -e
test "$code" -eq 2 || { echo "expected exit 2, got $code"; exit 1; }
grep -q 'autobidders run in process only' "$tmp/err.txt"
echo PASS
