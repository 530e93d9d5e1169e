#include "tests/sim/network.h"

namespace hotbft::sim {

Network::Network(uint64_t gst_ms, double drop_probability, SimRandom& rng)
    : gst_ms_(gst_ms), drop_probability_(drop_probability), rng_(rng) {
  HOTBFT_ASSERT(drop_probability >= 0.0);
  HOTBFT_ASSERT(drop_probability <= 1.0);
}

uint64_t Network::Latency(uint64_t now_ms) {
  if (now_ms < gst_ms_ && rng_.Chance(kLongDelayProbability)) {
    return rng_.Uniform(kLatencyMsMax + 1, kLongDelayMsMax);
  }
  return rng_.Uniform(kLatencyMsMin, kLatencyMsMax);
}

LinkOutcome Network::Send(uint32_t from, uint32_t to, uint64_t now_ms) {
  HOTBFT_ASSERT(from != to);
  LinkOutcome out;
  if (Partitioned(from, to, now_ms)) {
    out.fate = LinkFate::kPartitioned;
    return out;
  }
  if (now_ms < gst_ms_ && rng_.Chance(drop_probability_)) {
    out.fate = LinkFate::kLost;
    return out;
  }
  out.copies = rng_.Chance(kDuplicateProbability) ? 2 : 1;
  for (uint32_t c = 0; c < out.copies; ++c) out.arrival_ms[c] = now_ms + Latency(now_ms);
  return out;
}

void Network::Partition(uint64_t group_mask, bool forever) {
  HOTBFT_ASSERT(group_mask != 0);
  partitioned_ = true;
  partition_forever_ = forever;
  group_mask_ = group_mask;
}

void Network::Heal() {
  partitioned_ = false;
  partition_forever_ = false;
  group_mask_ = 0;
}

bool Network::Partitioned(uint32_t a, uint32_t b, uint64_t now_ms) const {
  if (!partitioned_) return false;
  if (now_ms >= gst_ms_ && !partition_forever_) return false;
  const bool a_in = (group_mask_ >> a) & 1;
  const bool b_in = (group_mask_ >> b) & 1;
  return a_in != b_in;
}

}  // namespace hotbft::sim
