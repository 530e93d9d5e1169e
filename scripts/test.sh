#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, configures and builds the
# chosen preset (release by default), then runs every test through CTest.
#
#   scripts/test.sh                 release build, all tests
#   HOTBFT_PRESET=asan scripts/test.sh   the same under ASan+UBSan
#   scripts/test.sh -R crypto       extra arguments go to ctest
#
# Under CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --deps-only

preset="${HOTBFT_PRESET:-release}"
if [ "${CI:-}" = "true" ]; then export HOTBFT_WERROR=ON; fi
echo "test: configuring preset '$preset' (warnings as errors: ${HOTBFT_WERROR:-OFF})"
cmake --preset "$preset" -DHOTBFT_WERROR="${HOTBFT_WERROR:-OFF}" >/dev/null
echo "test: building"
cmake --build --preset "$preset"
echo "test: running ctest"
ctest --preset "$preset" "$@"

# ---- Fuzzing (tests/fuzz, docs/network.md) ----
# Builds the libFuzzer targets with clang (ASan+UBSan) in build-fuzz/ and runs each for
# HOTBFT_FUZZ_SECONDS (default 10; 0 skips this step) from its committed seed corpus, two
# at a time. A crash, a leak, a timeout or a violated property fails the run; the input
# that did it is saved as build-fuzz/artifacts/<target>-*.
fuzz_seconds="${HOTBFT_FUZZ_SECONDS:-10}"
if [ "$fuzz_seconds" -gt 0 ]; then
  fuzz_targets=(frame handshake peer_message proposal vote timeout sync_request sync_response
                tx_gossip)
  echo "fuzz: configuring build-fuzz/ (clang, libFuzzer, ASan+UBSan)"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DHOTBFT_FUZZ=ON -DHOTBFT_BUILD_BENCH=OFF >/dev/null
  echo "fuzz: building ${#fuzz_targets[@]} fuzz targets"
  cmake --build build-fuzz --target hotbft_fuzzers
  mkdir -p build-fuzz/logs build-fuzz/artifacts
  fuzz_run() {  # <target>: runs it, prints one line, fails if libFuzzer found something
    local t=$1 log=build-fuzz/logs/$1.log
    mkdir -p "build-fuzz/corpus/$t"
    if "build-fuzz/bin/fuzz_$t" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" \
        "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
      echo "fuzz: $t ok: $(grep -o 'number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')" \
        "runs, $(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1)"
    else
      echo "fuzz: $t FAILED (log: $log)"
      tail -n 40 "$log"
      return 1
    fi
  }
  fuzz_failed=0
  for ((i = 0; i < ${#fuzz_targets[@]}; i += 2)); do
    echo "fuzz: running ${fuzz_targets[*]:i:2} for ${fuzz_seconds}s"
    pids=()
    for t in "${fuzz_targets[@]:i:2}"; do
      fuzz_run "$t" &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || fuzz_failed=1; done
  done
  if [ "$fuzz_failed" -ne 0 ]; then
    echo "fuzz: a fuzz target failed; see above" >&2
    exit 1
  fi
  echo "fuzz: ${#fuzz_targets[@]} passed, 0 failed"
fi
