// Network: the simulated links between validators. It decides, for each message sent,
// whether it is lost and when each copy arrives; the simulation schedules the arrivals.
//
// Before GST: latency kLatencyMsMin..kLatencyMsMax with an occasional long delay (which
// reorders messages across rounds), loss with the configured probability, duplication,
// and partitions that cut every link between two groups of validators. From GST on:
// every message arrives within kLatencyMsMax, none is lost, partitions are ignored
// (unless the test-only never-healing partition is on). Duplication goes on (harmless).
//
// Not thread-safe; owned by one Simulation.
#pragma once

#include <array>
#include <cstdint>

#include "tests/sim/sim_random.h"

namespace hotbft::sim {

inline constexpr uint64_t kLatencyMsMin = 1;
inline constexpr uint64_t kLatencyMsMax = 50;
inline constexpr double kLongDelayProbability = 0.01;  // before GST
inline constexpr uint64_t kLongDelayMsMax = 1'500;
inline constexpr double kDuplicateProbability = 0.02;
static_assert(kLatencyMsMin >= 1, "a message never arrives in the instant it is sent");
static_assert(kLatencyMsMax < kLongDelayMsMax);

enum class LinkFate : uint8_t {
  kDelivered,
  kLost,         // the link dropped it (before GST)
  kPartitioned,  // sender and receiver are on two sides of a partition
};

// What became of one message: when its copies arrive (`copies` of `arrival_ms`).
struct LinkOutcome {
  LinkFate fate = LinkFate::kDelivered;
  uint32_t copies = 0;
  std::array<uint64_t, 2> arrival_ms{};
};

class Network {
 public:
  // `rng` must outlive the network. REQUIRES: 0 <= drop_probability <= 1.
  Network(uint64_t gst_ms, double drop_probability, SimRandom& rng);

  // A message from `from` to `to` sent at `now_ms`.
  LinkOutcome Send(uint32_t from, uint32_t to, uint64_t now_ms);

  // Cuts every link between the validators in `group_mask` and the rest. `forever` keeps
  // the cut after GST too (test-only). Replaces any current partition.
  void Partition(uint64_t group_mask, bool forever);
  void Heal();
  bool Partitioned(uint32_t a, uint32_t b, uint64_t now_ms) const;

 private:
  uint64_t Latency(uint64_t now_ms);

  const uint64_t gst_ms_;
  const double drop_probability_;
  SimRandom& rng_;
  bool partitioned_ = false;
  bool partition_forever_ = false;
  uint64_t group_mask_ = 0;
};

}  // namespace hotbft::sim
