// Shared by the fuzz targets: the validator set and wire context every target decodes
// against, and the round-trip check of a decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "network/codec.h"
#include "tests/consensus/fixtures.h"

namespace hotbft::fuzz {

// The seed corpus (tests/fuzz/make_corpus.cc) is generated with the same fixture, so its
// signatures and payload hashes are valid here.
inline constexpr uint32_t kValidators = 4;
inline constexpr uint64_t kFixtureSeed = 1;

inline const WireContext& Context() {
  static const WireContext ctx{hotbft::testing::kChainId, kValidators};
  return ctx;
}

// Aborts (a finding) with `what`: a property that must hold for every input did not.
[[noreturn]] inline void Violation(const char* what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

// Parses `data` as a `Proto`, decodes it with `decode`, and when that succeeds checks that
// encoding the decoded value with `encode` and decoding again gives the same bytes.
template <typename Proto, typename Decode, typename Encode>
void CheckDecoder(const uint8_t* data, size_t size, Decode decode, Encode encode) {
  Proto in;
  if (!in.ParseFromArray(data, static_cast<int>(size))) return;
  auto decoded = decode(in);
  if (!decoded.ok()) {
    if (decoded.status().message().empty()) Violation("a rejection without a reason");
    return;
  }
  Proto once;
  encode(*decoded, &once);
  auto again = decode(once);
  if (!again.ok()) Violation("a decoded message does not decode after re-encoding");
  Proto twice;
  encode(*again, &twice);
  if (once.SerializeAsString() != twice.SerializeAsString()) {
    Violation("re-encoding is not stable");
  }
}

}  // namespace hotbft::fuzz
