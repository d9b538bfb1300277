#!/usr/bin/env bash
# Installs everything Gavel needs to build, test and run, from Debian 12's packages. Idempotent:
# packages already present are skipped, so a second run is quick and changes nothing.
#
#   ./setup.sh            install the packages
#   ./setup.sh --check    only report what is missing (exit 1 if anything is)
set -euo pipefail

PACKAGES=(
  bazel-bootstrap            # Bazel 4.2.3, the build
  clang libclang-rt-14-dev   # the compiler (thread-safety analysis), its sanitizer and libFuzzer runtimes
  pkg-config
  libabsl-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  libssl-dev                 # HMAC-SHA256 for click tokens
  zlib1g-dev                 # CRC-32 of ledger records
  libxxhash-dev              # XXH3-128 keys of the compact dedupe state
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libpq-dev                  # PostgreSQL's C client (pg/), for the shared store of several replicas
  postgresql-15              # initdb and postgres: throwaway test servers (tests/pg, tools/pg_local.sh)
  libicu-dev                 # Unicode case folding, normalisation, transforms and word breaking (targeting/normalize)
  libstemmer-dev             # Snowball stemmers: broad-match stems (targeting/variants)
  gnuplot-nox                # simulator plots
  python3                    # test helpers and the benchmark report
  libcpp-httplib-dev         # the --metrics_listen HTTP port (server/http_endpoint)
  prometheus                 # promtool and a real Prometheus server for the metrics tests
  chromium                   # headless Chromium loads the ad-operations page in a test
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ "${1:-}" == "--check" ]]; then
  if ((${#missing[@]})); then echo "missing: ${missing[*]}"; exit 1; fi
  echo "all packages present"; exit 0
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
