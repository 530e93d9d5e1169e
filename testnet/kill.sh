#!/usr/bin/env bash
# Kills validator N of the local testnet with SIGKILL, as a crash: testnet/kill.sh N.
set -euo pipefail
source "$(dirname "$0")/common.sh"
check_index "${1:-}"
stop_node "$1" KILL
