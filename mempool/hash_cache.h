// HashCache: a bounded set of hashes, the oldest forgotten first (the mempool's caches of
// recently committed and recently refused transactions).
//
// A ring of the hashes in insertion order and an open-addressing index into it (linear
// probing, at most half full, deletion by moving entries back: no tombstones). Its memory
// is allocated once, for `max` hashes. A node-based set cost an allocation, a free and two
// more cache misses per insertion; at the committed cache's size (200,000) a profile of a
// loaded validator put them at about a twentieth of its CPU. The probe starts at a keyed
// multiplicative mix of the hash, so that transactions ground to share a start do not line
// up without the key.
//
// Not thread-safe: the mempool calls it under its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crypto/bytes.h"

namespace hotbft::mempool {

class HashCache {
 public:
  // `key`: the probe key; 0 draws one at random. REQUIRES: max < 2^31.
  HashCache(size_t max, uint64_t key);

  bool Contains(const Hash32& h) const { return Find(h) != kNone; }
  // Adds `h`, forgetting the oldest hash when full. A hash already held keeps its place.
  void Insert(const Hash32& h);
  size_t size() const { return size_; }

 private:
  static constexpr size_t kNone = ~size_t{0};
  size_t Home(const Hash32& h) const;
  size_t Find(const Hash32& h) const;  // the slot that holds h, or kNone
  void EraseSlot(size_t slot);

  size_t max_;
  std::vector<Hash32> ring_;  // max_ hashes; the oldest at head_
  size_t head_ = 0;
  size_t size_ = 0;
  std::vector<uint32_t> slots_;  // 0: empty; else a ring position + 1
  size_t mask_ = 0;
  int shift_ = 64;
  uint64_t key_ = 1;  // odd
};

}  // namespace hotbft::mempool
