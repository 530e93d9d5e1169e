#include "crypto/random.h"

#include <openssl/rand.h>

#include <climits>
#include <cstring>

#include "crypto/assert.h"

namespace hotbft {

uint64_t RandomSource::NextU64() {
  uint8_t buf[8];
  Fill(buf);
  uint64_t v = 0;
  for (uint8_t b : buf) v = (v << 8) | b;
  return v;
}

void SystemRandom::Fill(std::span<uint8_t> out) {
  HOTBFT_ASSERT(out.size() <= static_cast<size_t>(INT_MAX));
  HOTBFT_ASSERT_MSG(RAND_bytes(out.data(), static_cast<int>(out.size())) == 1,
                    "OpenSSL RAND_bytes failed: the system has no entropy source");
}

namespace {
uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t Rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

SeededRandom::SeededRandom(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& s : s_) s = SplitMix64(x);
}

SeededRandom SeededRandom::Derive(uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
  return SeededRandom(SplitMix64(x) ^ stream);
}

uint64_t SeededRandom::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

void SeededRandom::Fill(std::span<uint8_t> out) {
  size_t i = 0;
  while (i < out.size()) {
    uint64_t v = Next();
    for (int k = 0; k < 8 && i < out.size(); ++k, ++i) {
      out[i] = static_cast<uint8_t>(v >> (56 - 8 * k));
    }
  }
}

}  // namespace hotbft
