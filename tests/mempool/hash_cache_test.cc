// HashCache: against a model (a deque in insertion order and a set) on random streams of
// new and repeated hashes, at sizes from 1 up, with keys that spread the probes and with
// hashes that all start at the same slot (one long cluster, so every deletion moves entries
// back). Each case prints its seed when it fails; HOTBFT_HASH_CACHE_SEED replays one.
#include "mempool/hash_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <random>
#include <set>
#include <string>

namespace hotbft::mempool {
namespace {

// The hash numbered `n`; with `same_start` the first 8 bytes are equal for all of them.
Hash32 HashOf(uint64_t n, bool same_start) {
  Hash32 h;
  uint64_t x = n;
  for (size_t i = 0; i < h.bytes.size(); i += 8) {
    // splitmix64
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (size_t j = 0; j < 8; ++j) h.bytes[i + j] = static_cast<uint8_t>(z >> (8 * j));
  }
  if (same_start) {
    for (size_t i = 0; i < 8; ++i) h.bytes[i] = 0xab;
  }
  return h;
}

void RunAgainstModel(uint64_t seed, size_t max, bool same_start) {
  SCOPED_TRACE("seed " + std::to_string(seed) + ", max " + std::to_string(max) +
               (same_start ? ", one cluster" : ""));
  std::mt19937_64 rng(seed);
  HashCache cache(max, rng());
  std::deque<uint64_t> order;  // the model: what is held, oldest first
  std::set<uint64_t> held;
  uint64_t next = 0;
  for (int step = 0; step < 20'000; ++step) {
    // Mostly new hashes; sometimes one held now or forgotten lately (kept in its place, or
    // let in again as the newest).
    uint64_t n = next;
    const uint64_t pick = rng() % 10;
    if (pick == 0 && next > 0) {
      n = next - 1 - rng() % std::min<uint64_t>(next, 3 * max + 1);
    } else {
      ++next;
    }
    cache.Insert(HashOf(n, same_start));
    if (!held.count(n)) {
      order.push_back(n);
      held.insert(n);
      if (order.size() > max) {
        held.erase(order.front());
        order.pop_front();
      }
    }
    ASSERT_EQ(cache.size(), held.size()) << "at step " << step;
    // Everything held is found; the recently forgotten and the never seen are not.
    if (step % 97 == 0 || max <= 8) {
      for (uint64_t h : order) ASSERT_TRUE(cache.Contains(HashOf(h, same_start))) << step;
      const uint64_t lo = next > 4 * max ? next - 4 * max : 0;
      for (uint64_t h = lo; h < next; ++h) {
        ASSERT_EQ(cache.Contains(HashOf(h, same_start)), held.count(h) != 0)
            << "hash " << h << " at step " << step;
      }
      ASSERT_FALSE(cache.Contains(HashOf(next + 1'000'000, same_start)));
    }
  }
}

uint64_t BaseSeed() {
  if (const char* s = std::getenv("HOTBFT_HASH_CACHE_SEED")) return std::strtoull(s, nullptr, 10);
  return 20261207;
}

TEST(HashCacheTest, HoldsTheNewestAndForgetsTheOldestLikeTheModel) {
  const uint64_t base = BaseSeed();
  for (size_t max : {1u, 2u, 3u, 7u, 64u, 1'000u}) {
    for (uint64_t s = 0; s < 3; ++s) RunAgainstModel(base + s, max, false);
  }
}

TEST(HashCacheTest, OneLongClusterStaysFindableThroughDeletions) {
  const uint64_t base = BaseSeed();
  for (size_t max : {1u, 2u, 5u, 33u, 300u}) RunAgainstModel(base, max, true);
}

TEST(HashCacheTest, SizeZeroHoldsNothing) {
  HashCache cache(0, 1);
  cache.Insert(HashOf(1, false));
  EXPECT_FALSE(cache.Contains(HashOf(1, false)));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(HashCacheTest, AHashInsertedAgainKeepsItsPlace) {
  HashCache cache(2, 7);
  cache.Insert(HashOf(1, false));
  cache.Insert(HashOf(2, false));
  cache.Insert(HashOf(1, false));  // held: not moved to the newest
  cache.Insert(HashOf(3, false));  // forgets 1, the oldest
  EXPECT_FALSE(cache.Contains(HashOf(1, false)));
  EXPECT_TRUE(cache.Contains(HashOf(2, false)));
  EXPECT_TRUE(cache.Contains(HashOf(3, false)));
}

}  // namespace
}  // namespace hotbft::mempool
