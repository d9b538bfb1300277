#!/bin/bash
# The sample Prometheus configuration in the tree (README, "Metrics") is one Prometheus accepts,
# and it scrapes the port ./run.sh gives gavel_server.
set -euo pipefail
config=$1
promtool check config "$config"
grep -q "targets: \['127.0.0.1:9464'\]" "$config"
grep -q -- "--metrics_listen=127.0.0.1:9464" "$2"
