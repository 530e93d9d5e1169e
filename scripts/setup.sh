#!/usr/bin/env bash
# Installs every Debian package hotbft needs to build, test and run a local testnet,
# then configures and builds the release preset. Safe to run again: packages already
# present are skipped and the build is incremental.
#
#   scripts/setup.sh              install + build
#   scripts/setup.sh --deps-only  install only
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev libsecp256k1-dev
  libboost-dev
  libprotobuf-dev protobuf-compiler
  librocksdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  python3 curl procps
  # The node binary's allocator (node/CMakeLists.txt): per-thread caches instead of glibc's
  # arenas, for a validator that allocates and frees each transaction on several threads.
  libjemalloc-dev
  # The protobuf runtime for the Python example app (app/examples/kvstore_app.py) and the
  # tests that run it against the socket transport.
  python3-protobuf
  # clang and its runtime libraries (libFuzzer, the sanitizers) for the fuzz targets in
  # tests/fuzz, which scripts/test.sh builds and runs: libFuzzer exists only for clang, and
  # Debian 12 ships it for clang 14 in libclang-rt-14-dev.
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} packages present"
fi

[ "${1:-}" = "--deps-only" ] && exit 0

cd "$(dirname "$0")/.."
preset="${HOTBFT_PRESET:-release}"
echo "setup: configuring and building preset '$preset' in build/"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
