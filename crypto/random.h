// Injected randomness. Production draws from OpenSSL; tests and the simulator draw from
// a seeded generator so that a run replays bit for bit from its seed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

namespace hotbft {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. Never fails: a source that cannot deliver aborts.
  virtual void Fill(std::span<uint8_t> out) = 0;
  uint64_t NextU64();
};

// OpenSSL RAND_bytes. Thread-safe.
class SystemRandom final : public RandomSource {
 public:
  void Fill(std::span<uint8_t> out) override;
};

// Deterministic xoshiro256** seeded through splitmix64: the same seed gives the same
// bytes on every platform. Not for keys in production. Not thread-safe.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed);
  void Fill(std::span<uint8_t> out) override;
  uint64_t Next();
  // An independent generator derived from this one's seed and `stream` (for per-node sources).
  static SeededRandom Derive(uint64_t seed, uint64_t stream);

 private:
  uint64_t s_[4];
};

}  // namespace hotbft
