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

# A first look: wait for the RPC, commit a few transactions through different validators
# and read them back from others (kvstore: "key=value" sets, a query by key reads).
echo "testnet: waiting for the validators' RPC"
for i in $(seq 0 $((VALIDATORS - 1))); do
  for _ in $(seq 1 100); do
    "$BIN" status --home "$(node_home "$i")" >/dev/null 2>&1 && break
    node_running "$i" || { echo "testnet: node$i exited; see $(node_home "$i")/node.log" >&2; exit 1; }
    sleep 0.2
  done
done
run="$(date +%s)"
for k in 1 2 3; do
  via=$((k % VALIDATORS))
  echo "testnet: committing demo-$run-$k=value-$k through node$via"
  "$BIN" tx --home "$(node_home "$via")" "demo-$run-$k=value-$k" | sed 's/^/    /'
done
for k in 1 2 3; do
  from=$(((k + 1) % VALIDATORS))
  # Another validator applies the block once it sees the commit: a round trip later.
  for attempt in $(seq 1 50); do
    if value="$("$BIN" query --home "$(node_home "$from")" "demo-$run-$k" 2>/dev/null)"; then
      echo "testnet: node$from reads demo-$run-$k = $value"
      break
    fi
    [ "$attempt" -lt 50 ] || { echo "testnet: node$from does not have demo-$run-$k after 10 s; see its log" >&2; exit 1; }
    sleep 0.2
  done
done
"$BIN" status --home "$(node_home 0)" | sed 's/^/    /'
echo
echo "testnet: running. Send more: $BIN tx --home $(node_home 0) KEY=VALUE"
echo "         read one:  $BIN query --home $(node_home 1) KEY"
echo "         load it:   $BIN bench --testnet $DATA --duration 10"
echo "         watch:     tail -f $DATA/node*/node.log    or  $BIN status --home $(node_home 0)"
echo "         stop:      testnet/stop.sh    kill/restart one: testnet/kill.sh N, testnet/restart.sh N"
echo "         wipe:      testnet/wipe.sh"
