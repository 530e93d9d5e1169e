#!/usr/bin/env bash
# Stops every validator of the local testnet (SIGTERM: a graceful shutdown), or only
# validator N: testnet/stop.sh [N].
set -euo pipefail
source "$(dirname "$0")/common.sh"
if [ $# -gt 0 ]; then
  check_index "$1"
  stop_node "$1" TERM
else
  for i in $(seq 0 $((VALIDATORS - 1))); do stop_node "$i" TERM; done
fi
