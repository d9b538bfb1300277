#!/usr/bin/env bash
# Runs every test: unit, property, integration (real server on a real port) and the benchmark smoke
# runs. Extra arguments go to `bazel test` (e.g. ./test.sh --config=asan).
set -uo pipefail
cd "$(dirname "$0")"
log=$(mktemp)
bazel test //... "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE)' "$log")
rm -f "$log"
echo
echo "bazel test: ${passed} passed, ${failed} failed"
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
  echo "bazel test exited $rc without a failing test: a build error (see above)"
fi
exit $rc
