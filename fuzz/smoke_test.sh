#!/usr/bin/env bash
# Runs one fuzzer for a few seconds over a copy of its seed corpus (the fuzzer adds what it finds
# to the corpus directory, and the tree's copy must not change). Fails on any crash, sanitizer
# report, leak or timeout, printing the fuzzer's report.
#   smoke_test.sh FUZZER CORPUS_DIR SECONDS
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$corpus"/* "$work/corpus/"
if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1; then
  cat "$work/log"
  for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [[ -e $f ]] || continue
    echo "input $(basename "$f"):"; od -c "$f" | head -20
    if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then cp "$f" "$TEST_UNDECLARED_OUTPUTS_DIR/"; fi
  done
  exit 1
fi
tail -n 3 "$work/log"
