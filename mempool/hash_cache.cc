#include "mempool/hash_cache.h"

#include <cstring>
#include <random>

#include "crypto/assert.h"

namespace hotbft::mempool {

HashCache::HashCache(size_t max, uint64_t key) : max_(max) {
  if (max_ == 0) return;
  HOTBFT_ASSERT(max_ < (size_t{1} << 31));
  ring_.resize(max_);
  size_t slots = 2;
  shift_ = 63;
  while (slots < 2 * max_) {
    slots *= 2;
    --shift_;
  }
  slots_.assign(slots, 0);
  mask_ = slots - 1;
  if (key == 0) {
    std::random_device random;
    key = static_cast<uint64_t>(random()) << 32 | random();
  }
  key_ = key | 1;
}

size_t HashCache::Home(const Hash32& h) const {
  uint64_t v = 0;
  std::memcpy(&v, h.bytes.data(), sizeof v);
  return static_cast<size_t>((v * key_) >> shift_);
}

size_t HashCache::Find(const Hash32& h) const {
  if (max_ == 0) return kNone;
  for (size_t i = Home(h);; i = (i + 1) & mask_) {
    const uint32_t s = slots_[i];
    if (s == 0) return kNone;
    if (ring_[s - 1] == h) return i;
  }
}

// Linear probing's deletion: the entries after the hole that would no longer be found
// move back into it (Knuth 6.4, algorithm R).
void HashCache::EraseSlot(size_t slot) {
  size_t hole = slot;
  slots_[hole] = 0;
  for (size_t i = (hole + 1) & mask_; slots_[i] != 0; i = (i + 1) & mask_) {
    const size_t home = Home(ring_[slots_[i] - 1]);
    // Stays if its home lies cyclically in (hole, i].
    const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (stays) continue;
    slots_[hole] = slots_[i];
    slots_[i] = 0;
    hole = i;
  }
}

void HashCache::Insert(const Hash32& h) {
  if (max_ == 0 || Contains(h)) return;
  if (size_ == max_) {
    const size_t oldest = Find(ring_[head_]);
    HOTBFT_ASSERT(oldest != kNone);
    EraseSlot(oldest);
    head_ = head_ + 1 == max_ ? 0 : head_ + 1;
    --size_;
  }
  size_t position = head_ + size_;
  if (position >= max_) position -= max_;
  ring_[position] = h;
  ++size_;
  size_t i = Home(h);
  while (slots_[i] != 0) i = (i + 1) & mask_;
  slots_[i] = static_cast<uint32_t>(position + 1);
}

}  // namespace hotbft::mempool
