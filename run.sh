#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running Gavel server on the demo catalog:
# installs the packages (./setup.sh), builds optimized, creates local secrets under var/ on first
# run, and starts gavel_server on 127.0.0.1:50051. Extra arguments go to gavel_server
# (e.g. ./run.sh --listen=127.0.0.1:6000). Stop it with Ctrl-C; the ledger in var/ledger survives.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
bazel build -c opt --config=opt //server:gavel_server //tools/cli:gavel_cli
mkdir -p var/bin var/ledger
# Copies, so later builds in other modes (./test.sh) do not swap the binaries under a running server.
install -m 755 bazel-bin/server/gavel_server bazel-bin/tools/cli/gavel_cli var/bin/
if [[ ! -s var/admin_api_key ]]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' > var/admin_api_key)
fi
if [[ ! -s var/token_keys ]]; then
  (umask 077 && printf 'k1 %s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > var/token_keys)
fi
cat <<MSG
Gavel: starting on 127.0.0.1:50051 with data/demo_catalog.json
  try:  var/bin/gavel_cli auction "wireless headphones" --slots=3 --explain
  admin: export GAVEL_API_KEY=\$(cat var/admin_api_key); var/bin/gavel_cli campaigns
  ad operations: http://127.0.0.1:9464/   metrics: http://127.0.0.1:9464/metrics
MSG
# A demo on 127.0.0.1 only: callers need no client key (--insecure_no_client_auth, announced at
# start). Serving anything reachable from elsewhere needs --clients_file instead (README.md,
# "Client keys").
exec var/bin/gavel_server \
  --listen=127.0.0.1:50051 \
  --insecure_no_client_auth \
  --catalog=data/demo_catalog.json \
  --catalog_state=var/catalog.json \
  --model=data/default_model.txt \
  --admin_api_key_file=var/admin_api_key \
  --token_key_file=var/token_keys \
  --ledger_dir=var/ledger \
  --metrics_listen=127.0.0.1:9464 \
  "$@"
