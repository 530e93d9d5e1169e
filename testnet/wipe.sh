#!/usr/bin/env bash
# Stops the local testnet and deletes it: keys, genesis, configs, stores and logs.
set -euo pipefail
source "$(dirname "$0")/common.sh"
for i in $(seq 0 $((VALIDATORS - 1))); do
  [ -d "$(node_home "$i")" ] && stop_node "$i" TERM
done
rm -rf "$DATA"
echo "testnet: wiped $DATA"
