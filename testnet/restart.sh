#!/usr/bin/env bash
# Restarts validator N of the local testnet (stopping it first if it runs):
# testnet/restart.sh N.
set -euo pipefail
source "$(dirname "$0")/common.sh"
check_index "${1:-}"
stop_node "$1" TERM
start_node "$1"
