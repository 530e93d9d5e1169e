// Scenario: the faults of one run, drawn from the run's SimRandom before it starts: the
// signature scheme, crash and restart times, partitions. Every fault ends by GST except
// one validator that may stay crashed for the whole run.
//
// Fault budget: at most f = (n - 1) / 3 distinct honest validators ever crash (the one
// that stays down counts). Byzantine validators never crash. With Byzantine validators too,
// more than f may be faulty before GST: safety must hold regardless, liveness is only
// checked where at most f are faulty from GST on (Scenario::liveness_checked).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "crypto/signer.h"
#include "tests/sim/sim_config.h"
#include "tests/sim/sim_random.h"
#include "tests/sim/twins.h"

namespace hotbft::sim {

// Chance that a seed with --crashes keeps one validator down for the whole run.
inline constexpr double kPermanentCrashProbability = 0.3;
// Chance that the permanently crashed validator never starts (else it crashes before GST).
inline constexpr double kCrashedFromStartProbability = 0.5;
// Crash/restart cycles per crashing validator, and how long it stays up and down.
inline constexpr uint32_t kCrashCyclesMax = 3;
inline constexpr uint64_t kUpMsMax = 6'000;
inline constexpr uint64_t kDownMsMin = 100;
inline constexpr uint64_t kDownMsMax = 5'000;
// Partitions before GST, and how long each lasts.
inline constexpr uint32_t kPartitionsMax = 3;
inline constexpr uint64_t kPartitionMsMin = 200;
inline constexpr uint64_t kPartitionMsMax = 6'000;

enum class FaultKind : uint8_t { kCrash, kRestart, kPartition, kHeal };

struct Fault {
  uint64_t at_ms = 0;
  FaultKind kind = FaultKind::kCrash;
  uint32_t node = 0;        // kCrash, kRestart
  uint64_t group_mask = 0;  // kPartition: one side of the cut
  bool forever = false;     // kPartition: test-only, survives GST
};

struct Scenario {
  SignatureScheme scheme = SignatureScheme::kTestOnlyKeyedHash;
  uint64_t gst_ms = 0;
  std::optional<uint32_t> down_for_good;  // crashed for the whole run, if any
  std::vector<Fault> faults;              // ascending at_ms
  std::vector<uint32_t> byzantine;        // Byzantine validators, ascending
  // strategies[k]: the strategy of byzantine[k] (empty with twins).
  std::vector<byzantine::StrategyKind> strategies;
  std::optional<TwinsSchedule> twins;
  bool liveness_checked = true;

  bool IsByzantine(uint32_t validator) const;
};

// Draws the scenario of one run from `rng`. Deterministic in (config, rng state).
Scenario DrawScenario(const SimConfig& config, SimRandom& rng);

}  // namespace hotbft::sim
