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
