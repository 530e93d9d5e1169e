# Shared by the testnet scripts: where the testnet lives and how to reach its nodes.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${HOTBFT_TESTNET_DIR:-$ROOT/testnet/data}"
BIN="${HOTBFT_BIN:-$ROOT/build/bin/hotbft}"
VALIDATORS="${HOTBFT_VALIDATORS:-4}"
BASE_PORT="${HOTBFT_BASE_PORT:-26600}"

node_home() { echo "$DATA/node$1"; }
node_pid() { cat "$(node_home "$1")/node.pid" 2>/dev/null || true; }
node_running() {
  local pid
  pid="$(node_pid "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
check_index() {
  if ! [[ "${1:-}" =~ ^[0-9]+$ ]] || [ "$1" -ge "$VALIDATORS" ]; then
    echo "usage: $(basename "$0") N   (N = 0..$((VALIDATORS - 1)))" >&2
    exit 2
  fi
}
start_node() {
  local home
  home="$(node_home "$1")"
  if node_running "$1"; then
    echo "node$1 is already running (pid $(node_pid "$1"))"
    return
  fi
  nohup "$BIN" start --home "$home" >>"$home/node.log" 2>&1 &
  echo $! >"$home/node.pid"
  echo "node$1 started (pid $!, log $home/node.log)"
}
stop_node() {  # $1 = index, $2 = signal
  local pid
  pid="$(node_pid "$1")"
  if ! node_running "$1"; then
    echo "node$1 is not running"
    return
  fi
  kill "-$2" "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$(node_home "$1")/node.pid"
  echo "node$1 stopped ($2)"
}
