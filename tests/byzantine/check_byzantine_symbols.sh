#!/bin/sh
# check_byzantine_symbols.sh BINARY absent|present
# Fails unless BINARY's symbols (nm -C) name hotbft::byzantine as expected: the production
# hotbft must hold none of the byzantine code, hotbft-byzantine must (which shows that the
# check can fail).
set -eu
binary=$1
expect=$2
count=$(nm -C "$binary" | grep -c 'hotbft::byzantine::' || true)
echo "$binary: $count symbols of hotbft::byzantine"
case "$expect" in
  absent) [ "$count" -eq 0 ] ;;
  present) [ "$count" -gt 0 ] ;;
  *) echo "usage: $0 BINARY absent|present" >&2; exit 2 ;;
esac
