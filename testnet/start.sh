#!/usr/bin/env bash
# Generates (once) and starts a local testnet of $HOTBFT_VALIDATORS (default 4) validators
# running the kvstore app, each a `hotbft start` process on 127.0.0.1. Stop it with
# testnet/stop.sh, wipe it with testnet/wipe.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ -x "$BIN" ] || { echo "testnet: $BIN not built; run scripts/setup.sh first" >&2; exit 1; }
if [ ! -d "$DATA/node0" ]; then
  echo "testnet: generating $VALIDATORS validators in $DATA (ports from $BASE_PORT)"
  "$BIN" testnet --validators "$VALIDATORS" --output "$DATA" --base-port "$BASE_PORT"
fi
for i in $(seq 0 $((VALIDATORS - 1))); do start_node "$i"; done
echo "testnet: running. Watch:  tail -f $DATA/node*/node.log"
echo "         stop:   testnet/stop.sh    kill/restart one: testnet/kill.sh N, testnet/restart.sh N"
echo "         wipe:   testnet/wipe.sh"
