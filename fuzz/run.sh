#!/usr/bin/env bash
# Runs each fuzz target for a set time, one after the other, and reports per target the
# executions, the rate, the corpus it grew to and whether it found anything. Findings (crash-*,
# leak-*, timeout-*, oom-* inputs) and each target's log are kept under the output directory;
# reproduce one with `bazel-bin/fuzz/<target> <input>`.
#
#   fuzz/run.sh                        # every target, 600 s each (10 CPU-minutes: one process)
#   fuzz/run.sh --seconds=60 token_fuzzer ledger_fuzzer
#   fuzz/run.sh --out=/tmp/fuzz        # where corpora and findings go (default: a new temp dir)
#
# Each target starts from its seed corpus in fuzz/corpus/<target>/ (copied, never modified). New
# inputs worth keeping as seeds are in <out>/<target>/corpus; copy a few by hand if they matter.
# Exit status: 0 if no target found anything, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=600
out=""
targets=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#*=} ;;
    --out=*) out=${arg#*=} ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "unknown flag $arg" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
if ((${#targets[@]} == 0)); then
  targets=(token_fuzzer events_request_fuzzer auction_request_fuzzer catalog_fuzzer ledger_fuzzer
           scenario_fuzzer clients_fuzzer)
fi
[[ -n $out ]] || out=$(mktemp -d /tmp/gavel-fuzz.XXXXXX)
mkdir -p "$out"

bazel build $(printf '//fuzz:%s ' "${targets[@]}") || exit 2

found=0
printf '%-24s %8s %12s %10s %8s %s\n' target seconds executions exec/s corpus findings
for t in "${targets[@]}"; do
  dir="$out/$t"
  rm -rf "$dir" && mkdir -p "$dir/corpus"
  cp fuzz/corpus/"$t"/* "$dir/corpus/"
  start=$(date +%s)
  # -print_final_stats: the executions count; -close_fd_mask=3: the libraries' own output would
  # drown the fuzzer's; leaks count as findings (libFuzzer's default).
  (cd "$dir" && TMPDIR="$dir" "$OLDPWD/bazel-bin/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=1 -artifact_prefix="$dir/" \
    "$dir/corpus" >"$dir/log" 2>&1)
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  if [[ -z $execs ]]; then  # a crash ends the run before the final stats: take the last status line
    execs=$(grep -oE '^#[0-9]+' "$dir/log" | tail -1 | tr -d '#')
    rate=$(grep -oE 'exec/s: [0-9]+' "$dir/log" | tail -1 | grep -oE '[0-9]+')
  fi
  findings=$(cd "$dir" && ls crash-* leak-* timeout-* oom-* 2>/dev/null | tr '\n' ' ')
  if [[ $rc -ne 0 || -n $findings ]]; then
    found=1
    [[ -n $findings ]] || findings="exit $rc, see $dir/log"
  fi
  printf '%-24s %8s %12s %10s %8s %s\n' "$t" "$elapsed" "${execs:-?}" "${rate:-?}" \
    "$(ls "$dir/corpus" | wc -l)" "${findings:-none}"
done
echo "logs, corpora and findings: $out"
exit $found
