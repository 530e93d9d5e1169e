#!/usr/bin/env bash
# One load-generator run against a fresh local testnet, from nothing to a report:
# generates N validator homes in a temporary directory, starts them, runs `hotbft bench`
# with the arguments given, prints the CPU time each validator and the load generator used,
# then stops the validators and removes the directory. First it prints how long one Schnorr
# verification takes here (build/bin/crypto_bench), to compare runs on a shared machine.
#
#   bench/testnet_bench.sh [--validators N] [--app noop|kvstore] [--keep] [-- BENCH ARGS...]
#
#   bench/testnet_bench.sh --app noop -- --duration 20 --warmup 5 --inflight 20000
#   bench/testnet_bench.sh --app noop -- --duration 20 --warmup 5 --rate 15000
#
# The app is passed to both the testnet and the load generator (`--app`); everything after
# `--` goes to `hotbft bench` as it is (its `--testnet` is set here). HOTBFT_BIN picks the
# binary (default build/bin/hotbft), HOTBFT_BENCH_PORT the base port (default 38000).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${HOTBFT_BIN:-$ROOT/build/bin/hotbft}"
PORT="${HOTBFT_BENCH_PORT:-38000}"
VALIDATORS=4
APP=noop
KEEP=0
while (($#)); do
  case "$1" in
    --validators) VALIDATORS="$2"; shift 2 ;;
    --app) APP="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "testnet_bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || { echo "testnet_bench: $BIN not found; build first (scripts/setup.sh)" >&2; exit 1; }

# How fast this machine is right now (a shared VM's speed moves between runs): one Schnorr
# verification, which the node does for every vote and proposal.
GAUGE="$(dirname "$BIN")/crypto_bench"
if [ -x "$GAUGE" ]; then
  "$GAUGE" --benchmark_filter='BM_Verify/schnorr' --benchmark_min_time=0.2 2>/dev/null |
    awk '/^BM_Verify/ { printf "machine: one Schnorr verification takes %.1f us\n", $2 / 1000 }' >&2
fi

DIR="$(mktemp -d /tmp/hotbft-bench.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((KEEP)); then echo "testnet_bench: homes and logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

# utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat).
cpu_s() {
  local tick
  tick="$(getconf CLK_TCK)"
  awk -v t="$tick" '{ sub(/^[^)]*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"
}

"$BIN" testnet --validators "$VALIDATORS" --output "$DIR" --base-port "$PORT" --app "$APP" >/dev/null
for ((i = 0; i < VALIDATORS; i++)); do
  "$BIN" start --home "$DIR/node$i" >"$DIR/node$i/node.log" 2>&1 &
  PIDS+=("$!")
done
# Every validator's client port answers before the load starts.
for _ in $(seq 1 100); do
  if "$BIN" status --home "$DIR/node$((VALIDATORS - 1))" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
sleep 1

declare -a before
for i in "${!PIDS[@]}"; do before[i]="$(cpu_s "${PIDS[i]}")"; done
start="$(date +%s.%N)"
TIMEFORMAT='load generator: %U s user, %S s system'
time "$BIN" bench --testnet "$DIR" --app "$APP" "$@"
end="$(date +%s.%N)"
total=0
for i in "${!PIDS[@]}"; do
  used="$(awk -v a="${before[i]}" -v b="$(cpu_s "${PIDS[i]}")" 'BEGIN { printf "%.2f", b - a }')"
  total="$(awk -v a="$total" -v b="$used" 'BEGIN { printf "%.2f", a + b }')"
  echo "node$i: $used s of CPU" >&2
done
awk -v t="$total" -v s="$start" -v e="$end" \
  'BEGIN { printf "validators: %.2f s of CPU in %.1f s (%.2f cores)\n", t, e - s, t / (e - s) }' >&2
