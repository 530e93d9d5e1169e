#!/usr/bin/env bash
# Fails if a source under the given folder includes something the pure consensus core
# must never touch (DESIGN.md: no I/O, no clocks, no threads, no randomness inside).
set -u
dir="$1"
pattern='#include[[:space:]]*[<"](boost/|rocksdb/|asio|thread>|chrono>|random>|fstream>|filesystem>|mutex>|future>|spdlog/|sys/|unistd\.h|fcntl\.h)'
hits=$(grep -rnE "$pattern" "$dir" --include='*.h' --include='*.cc' || true)
if [ -n "$hits" ]; then
  echo "forbidden includes in the consensus core:"
  echo "$hits"
  exit 1
fi
echo "consensus includes are clean ($(find "$dir" -name '*.h' -o -name '*.cc' | wc -l) files checked)"
