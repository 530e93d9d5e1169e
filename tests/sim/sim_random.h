// SimRandom: the simulator's single source of randomness, a thin layer over SeededRandom
// with the draws the simulator needs. Every fault, delay and client action of a run comes
// from one SimRandom seeded with the run's seed, so a seed replays bit for bit.
//
// Not thread-safe: one per simulation.
#pragma once

#include <cstdint>

#include "crypto/assert.h"
#include "crypto/random.h"

namespace hotbft::sim {

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : rng_(seed) {}

  uint64_t Next() { return rng_.Next(); }

  // Uniform in [lo, hi], both inclusive. REQUIRES: lo <= hi. (Modulo bias is irrelevant
  // for the small ranges the simulator draws from.)
  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    HOTBFT_ASSERT(lo <= hi);
    const uint64_t span = hi - lo + 1;
    if (span == 0) return Next();  // the full 64-bit range
    return lo + Next() % span;
  }

  // Uniform in [0, 1).
  double UnitDouble() {
    constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;
    return static_cast<double>(Next() >> 11) * kTwoToMinus53;
  }

  // True with probability `p` (p <= 0: never, p >= 1: always).
  bool Chance(double p) { return UnitDouble() < p; }

 private:
  SeededRandom rng_;
};

}  // namespace hotbft::sim
