#include "tests/sim/scenario.h"

#include <algorithm>
#include <numeric>

namespace hotbft::sim {
namespace {

// A random proper, non-empty subset of the n validators.
uint64_t DrawGroup(uint32_t n, SimRandom& rng) {
  HOTBFT_ASSERT(n >= 2);
  const uint64_t full = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  while (true) {
    const uint64_t mask = rng.Next() & full;
    if (mask != 0 && mask != full) return mask;
  }
}

void DrawCrashCycles(uint32_t node, uint64_t gst_ms, SimRandom& rng, std::vector<Fault>& out) {
  const uint32_t cycles = static_cast<uint32_t>(rng.Uniform(1, kCrashCyclesMax));
  uint64_t t = 0;
  for (uint32_t c = 0; c < cycles; ++c) {
    const uint64_t crash_ms = t + rng.Uniform(0, kUpMsMax);
    if (crash_ms + kDownMsMin >= gst_ms) break;
    const uint64_t restart_ms = std::min(crash_ms + rng.Uniform(kDownMsMin, kDownMsMax), gst_ms);
    out.push_back(Fault{crash_ms, FaultKind::kCrash, node, 0, false});
    out.push_back(Fault{restart_ms, FaultKind::kRestart, node, 0, false});
    t = restart_ms;
  }
}

// 0..n-1 in random order.
std::vector<uint32_t> Shuffled(uint32_t n, SimRandom& rng) {
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (uint32_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.Uniform(0, i)]);
  return order;
}

void DrawByzantine(const SimConfig& config, Scenario& s, SimRandom& rng) {
  HOTBFT_ASSERT(config.byzantine <= config.validators);
  if (config.byzantine == 0) return;
  std::vector<uint32_t> order = Shuffled(config.validators, rng);
  s.byzantine.assign(order.begin(), order.begin() + config.byzantine);
  std::sort(s.byzantine.begin(), s.byzantine.end());
  if (config.twins) {
    s.twins = DrawTwinsSchedule(config.validators, config.instances(), s.byzantine, rng);
    return;
  }
  const std::vector<byzantine::StrategyKind> pool =
      config.strategies.empty() ? byzantine::AllStrategies() : config.strategies;
  for (size_t k = 0; k < s.byzantine.size(); ++k) {
    s.strategies.push_back(pool[rng.Uniform(0, pool.size() - 1)]);
  }
}

void DrawCrashes(const SimConfig& config, Scenario& s, SimRandom& rng) {
  const uint32_t n = config.validators;
  uint32_t budget = (n - 1) / 3;
  if (budget == 0) return;
  std::vector<uint32_t> order;
  for (uint32_t v : Shuffled(n, rng)) {
    if (!s.IsByzantine(v)) order.push_back(v);
  }
  budget = std::min<uint32_t>(budget, static_cast<uint32_t>(order.size()));
  if (budget == 0) return;
  size_t next = 0;
  if (rng.Chance(kPermanentCrashProbability)) {
    const uint32_t node = order[next++];
    s.down_for_good = node;
    const uint64_t at_ms =
        rng.Chance(kCrashedFromStartProbability) ? 0 : rng.Uniform(0, s.gst_ms - 1);
    s.faults.push_back(Fault{at_ms, FaultKind::kCrash, node, 0, false});
    --budget;
  }
  if (budget == 0) return;
  const uint32_t crashing = static_cast<uint32_t>(rng.Uniform(1, budget));
  for (uint32_t k = 0; k < crashing; ++k) DrawCrashCycles(order[next++], s.gst_ms, rng, s.faults);
}

void DrawPartitions(const SimConfig& config, Scenario& s, SimRandom& rng) {
  const uint32_t count = static_cast<uint32_t>(rng.Uniform(1, kPartitionsMax));
  uint64_t t = 0;
  for (uint32_t k = 0; k < count; ++k) {
    const uint64_t start_ms = t + rng.Uniform(0, s.gst_ms / kPartitionsMax);
    if (start_ms + kPartitionMsMin >= s.gst_ms) break;
    const uint64_t heal_ms =
        std::min(start_ms + rng.Uniform(kPartitionMsMin, kPartitionMsMax), s.gst_ms);
    const uint64_t mask = DrawGroup(config.validators, rng);
    s.faults.push_back(Fault{start_ms, FaultKind::kPartition, 0, mask, false});
    s.faults.push_back(Fault{heal_ms, FaultKind::kHeal, 0, 0, false});
    t = heal_ms;
  }
}

}  // namespace

bool Scenario::IsByzantine(uint32_t validator) const {
  return std::binary_search(byzantine.begin(), byzantine.end(), validator);
}

Scenario DrawScenario(const SimConfig& config, SimRandom& rng) {
  HOTBFT_ASSERT(config.validators >= 1);
  HOTBFT_ASSERT(config.validators <= kSimValidatorsMax);
  Scenario s;
  s.gst_ms = config.gst_ms();
  HOTBFT_ASSERT(s.gst_ms > 0);
  s.scheme = rng.Chance(config.real_crypto_share) ? SignatureScheme::kSchnorrBip340
                                                  : SignatureScheme::kTestOnlyKeyedHash;
  DrawByzantine(config, s, rng);
  if (config.crashes) DrawCrashes(config, s, rng);
  const uint32_t f = (config.validators - 1) / 3;
  s.liveness_checked = s.byzantine.size() + (s.down_for_good ? 1 : 0) <= f;
  if (config.test_partition_never_heals) {
    HOTBFT_ASSERT(config.validators >= 2);
    const uint32_t half = config.validators / 2;
    s.faults.push_back(Fault{0, FaultKind::kPartition, 0, (uint64_t{1} << half) - 1, true});
  } else if (config.partitions && config.validators >= 2 && !config.twins) {
    DrawPartitions(config, s, rng);
  }
  // Stable: faults drawn for one time keep the order they were drawn in.
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at_ms < b.at_ms; });
  return s;
}

}  // namespace hotbft::sim
