#!/usr/bin/env bash
# The soak script's smoke run (bench/soak.sh --smoke: 10k ads, ~20 s, two reloads) with the binaries
# bazel built, then a check of the report's structure: both reloads completed, a row per segment,
# the RSS summary and both verdict lines. Nothing about performance is asserted: CI machines are
# loaded, and the verdicts of a 20-second run mean nothing.
set -euo pipefail
soak=$1
server=$2
loadgen=$3
catalog_gen=$4
# Under --config=tsan: gRPC comes from Debian, uninstrumented; see the suppressions file.
export TSAN_OPTIONS="${TSAN_OPTIONS:-}:suppressions=$PWD/$5"

"$soak" --smoke --server="$server" --loadgen="$loadgen" --catalog_gen="$catalog_gen"
report=$TEST_TMPDIR/soak/soak_report.txt

fail() { echo "FAIL: $*" >&2; exit 1; }
grep -qE '^reloads: 2 sent, 2 completed, 0 failed' "$report" || fail "the two reloads did not complete"
(($(grep -cE '^ +[0-3] +[0-9]+ +(yes|no) ' "$report") == 4)) || fail "not one row per segment (4)"
grep -qE '^after warm-up \(t >= [0-9]+ s' "$report" || fail "no RSS summary after warm-up"
grep -qE '^RSS flat: (yes|no|unknown) \(slope ([-+][0-9.]+|n/a) MB/min after warm-up' "$report" ||
  fail "no 'RSS flat' verdict"
grep -qE '^p99 unchanged by reloads: (yes|no|unknown) \(ratio ([0-9.]+|inf|n/a)' "$report" ||
  fail "no 'p99 unchanged by reloads' verdict"
echo PASS
