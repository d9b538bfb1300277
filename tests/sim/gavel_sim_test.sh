#!/usr/bin/env bash
# gavel_sim end to end: a sweep with two seeds gives byte-identical report folders whether the runs
# go one at a time or in parallel; --write_catalog writes JSON; bad flags fail with exit code 2;
# the report's output rules (docs/simulator.md); the direct and learning modes.
set -euo pipefail
sim=$1
scenario=$2
learning=$3
train=$4
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
# --help lists gavel_sim's own flags.
"$sim" --help > "$tmp/help.txt" 2>&1 || true
grep -q -- "--scenario (scenario file" "$tmp/help.txt"
if grep -q "No flags matched" "$tmp/help.txt"; then echo "--help lists no flags"; exit 1; fi

# The summary prints integers and fixed decimals, never exponents (2e+04, 1.311e+04).
if sed '/^wall clock/,$d' "$tmp/a.txt" | grep -E '[0-9]e[+-]?[0-9]'; then
  echo "exponent in the summary"; exit 1
fi
# Charged clicks that are not shopper clicks have their own columns.
head -1 "$tmp/a/advertisers.csv" | grep -q ',acos,bot_charged_clicks,repeat_charged_clicks$'

# One seed: sweep.csv leaves the confidence interval empty. The progress bar redraws by time
# (every 250 ms), not once per 1% of each run.
"$sim" --scenario="$scenario" --plots=false --progress=on --out="$tmp/one" > /dev/null 2> "$tmp/one.err"
grep -qE '^,revenue,1,[0-9.]+,,,0\.000000,,$' "$tmp/one/sweep.csv"
redraws=$(tr -cd '\r' < "$tmp/one.err" | wc -c)
test "$redraws" -ge 1 -a "$redraws" -lt 60 || { echo "$redraws progress redraws"; exit 1; }

# --out: a previous report folder is emptied first; any other non-empty folder is refused.
touch "$tmp/one/stale.csv"
"$sim" --scenario="$scenario" --plots=false --progress=off --out="$tmp/one" > /dev/null
test ! -e "$tmp/one/stale.csv" || { echo "stale file kept"; exit 1; }
test -s "$tmp/one/runs.csv"
mkdir -p "$tmp/mine"
echo keep > "$tmp/mine/notes.txt"
set +e
"$sim" --scenario="$scenario" --plots=false --progress=off --out="$tmp/mine" > /dev/null 2> "$tmp/err.txt"
code=$?
set -e
test "$code" -eq 2 || { echo "expected exit 2 for a foreign --out, got $code"; exit 1; }
grep -q "is not empty and holds no gavel_sim report" "$tmp/err.txt"
test -s "$tmp/mine/notes.txt"

# Direct mode from gavel_sim, with a fixed number of bidders: two bidders with U[0, 1) values
# bidding truthfully for one slot, second price: revenue 1/3, welfare 2/3 (units, per auction).
cat > "$tmp/direct.textproto" <<EOF
direct { bidders: 2 auctions: 20000 }
bidding { value_per_click_micros { kind: UNIFORM min: 0 max: 1000000 } }
auction { mechanism: MECHANISM_GSP price_increment_micros: 0 min_cpc_micros: 1 }
slots: 1
EOF
"$sim" --scenario="$tmp/direct.textproto" --seeds=3 --out="$tmp/direct" > "$tmp/direct.txt"
grep -q "2 bidders per auction" "$tmp/direct.txt"
awk -F, '$2 == "revenue" { s += $4; n++ } END { m = s / n; exit !(n == 3 && m > 325000 && m < 342000) }' \
  "$tmp/direct/direct.csv" || { cat "$tmp/direct/direct.csv"; exit 1; }
awk -F, '$2 == "welfare" { s += $4; n++ } END { m = s / n; exit !(n == 3 && m > 658000 && m < 675000) }' \
  "$tmp/direct/direct.csv" || { cat "$tmp/direct/direct.csv"; exit 1; }

# The learning scenario, short: two seeds, serially and in parallel, give the same bytes (training
# logs, models, learning.csv); two seeds give confidence intervals.
"$sim" --scenario="$learning" --seeds=2 --threads=1 --progress=off --out="$tmp/la" > "$tmp/la.txt"
"$sim" --scenario="$learning" --seeds=2 --threads=2 --progress=off --out="$tmp/lb" > "$tmp/lb.txt"
diff -r "$tmp/la" "$tmp/lb"
diff "$tmp/la.txt" <(sed "s|$tmp/lb|$tmp/la|" "$tmp/lb.txt")
for f in learning.csv learning_summary.csv seed-5/learned_model.txt seed-5/truth_model.txt \
         seed-6/day1/training-20260105T000000-0.log seed-6/day2/training-20260106T000000-0.log; do
  test -s "$tmp/la/$f" || { echo "missing $f"; exit 1; }
done
grep -qE '^ne_learned,2,0\.[0-9]+,0\.[0-9]+,[0-9.]+,' "$tmp/la/learning_summary.csv"
grep -q "learned NE within 3% of truth NE" "$tmp/la.txt"
if ls -d "$tmp"/la/seed-5/ledger-* 2>/dev/null; then echo "ledger left behind"; exit 1; fi
# The ground truth is in process only.
echo 'truth {}' > "$tmp/truth.textproto"
set +e
"$sim" --scenario="$tmp/truth.textproto" --target=127.0.0.1:1 --out="$tmp/t" > /dev/null 2> "$tmp/err.txt"
code=$?
set -e
test "$code" -eq 2 || { echo "expected exit 2 for truth with --target, got $code"; exit 1; }
grep -q "truth works in process only" "$tmp/err.txt"

# The learned model is what gavel_train writes from the same log with the same options.
"$train" --log="$tmp/la/seed-5/day1" --out="$tmp/gavel_train_model.txt" --hash_bits=14 --epochs=3 \
  > /dev/null
cmp "$tmp/gavel_train_model.txt" "$tmp/la/seed-5/learned_model.txt"
echo PASS
