#!/bin/bash
# gavel_train on a small log: it trains, prints the metrics and writes a model file; a truncated
# log and a log of an unknown version are refused naming the file and line, and nothing is written.
set -u
train="$1"
dir="${TEST_TMPDIR}/train"
mkdir -p "$dir/logs"
fail() { echo "FAIL: $*"; exit 1; }

# 2,000 impressions: exact matches at slot 1 are clicked every 4th time, broad ones every 40th.
{
  echo "gavel-training-log v1"
  for i in $(seq 1 2000); do
    if (( i % 2 )); then m=exact; else m=broad; fi
    printf 'I\t%d\ta%d\t1\tv\t0000000000000001\tplacement top_of_search\tmatch %s\n' "$i" "$i" "$m"
    if [[ $m == exact && $((i % 8)) == 1 ]] || [[ $m == broad && $((i % 80)) == 0 ]]; then
      printf 'C\t%d\ta%d\t1\n' "$((i + 1))" "$i"
    fi
  done
} > "$dir/logs/training-20261202T000000-0.log"

out=$("$train" --log="$dir/logs" --out="$dir/model.txt" 2>&1) || fail "train failed: $out"
echo "$out"
grep -q "^read 1 files: 2000 impressions, 275 clicks (0 without an impression)" <<<"$out" \
  || fail "read line"
grep -q "^trained on 1600, held out 400" <<<"$out" || fail "split line"
grep -q "^held out, learned model:" <<<"$out" || fail "holdout metrics"
grep -q "^gavel-ctr-model v1$" "$dir/model.txt" || fail "model header"
exact=$(awk '$1 == "match" && $2 == "exact" {print $3}' "$dir/model.txt")
broad=$(awk '$1 == "match" && $2 == "broad" {print $3}' "$dir/model.txt")
awk -v e="$exact" -v b="$broad" 'BEGIN { exit !(e > b + 1) }' \
  || fail "exact ($exact) should beat broad ($broad) by more than 1 in logit"

# A truncated last record.
head -c -3 "$dir/logs/training-20261202T000000-0.log" > "$dir/truncated.log"
lines=$(wc -l < "$dir/truncated.log")
rm -f "$dir/model2.txt"
if err=$("$train" --log="$dir/truncated.log" --out="$dir/model2.txt" 2>&1); then
  fail "a truncated log was accepted"
fi
[[ "$err" == "gavel_train: $dir/truncated.log line $((lines + 1)): truncated record (no newline at the end of the file)" ]] \
  || fail "truncated: $err"
[[ ! -e "$dir/model2.txt" ]] || fail "a model was written from a bad log"

# An unknown version.
printf 'gavel-training-log v9\n' > "$dir/v9.log"
if err=$("$train" --log="$dir/v9.log" --out="$dir/model2.txt" 2>&1); then fail "v9 accepted"; fi
[[ "$err" == "gavel_train: $dir/v9.log line 1: unknown training log version \"gavel-training-log v9\", this trainer reads v1" ]] \
  || fail "version: $err"

# A bad option.
if err=$("$train" --log="$dir/logs" --out="$dir/model2.txt" --alpha=nan 2>&1); then
  fail "alpha=nan accepted"
fi
[[ "$err" == "gavel_train: --alpha must be a finite number > 0, got nan" ]] || fail "alpha: $err"
echo PASS
