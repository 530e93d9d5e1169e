// Sweep: many seeds of one SimConfig, with a summary. Used by hotbft-sim and the tests.
//
// Seeds are independent: with jobs > 1 they run on several threads; the summary and the
// failures (in seed order) are identical to jobs == 1, only verbose and progress lines
// come in completion order.
#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "tests/sim/simulation.h"

namespace hotbft::sim {

// Threads a sweep may use, at most.
inline constexpr uint32_t kSweepJobsMax = 64;

struct SweepOptions {
  SimConfig config;
  uint64_t first_seed = 1;
  uint64_t seeds = 1;
  uint32_t jobs = 1;                 // REQUIRES: 1 <= jobs <= kSweepJobsMax
  uint64_t progress_every = 100;     // seeds between progress lines (0: none)
  std::ostream* progress = nullptr;  // progress lines, if set (e.g. std::cerr)
  std::ostream* verbose = nullptr;   // one line per seed, if set
};

struct SweepSummary {
  uint64_t seeds = 0;
  uint64_t violations = 0;
  uint64_t real_crypto_seeds = 0;
  // Over the seeds whose liveness is checked (elsewhere nothing need commit): the lowest
  // committed height among a seed's honest validators, at least and in the median.
  Height committed_min = 0;
  Height committed_median = 0;
  uint64_t rounds = 0;  // summed over seeds (highest round of each)
  uint64_t timeouts_sent = 0;
  uint64_t tcs_formed = 0;
  uint64_t crashes = 0;
  uint64_t virtual_ms = 0;
  uint64_t events = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> dropped{};  // honest validators
  uint64_t evidence_recorded = 0;
  uint64_t evidence_required = 0;
  uint64_t evidence_committed = 0;
  uint64_t txs_admitted = 0;
  uint64_t txs_took_effect = 0;
  uint64_t txs_duplicates = 0;
  uint64_t liveness_checked_seeds = 0;
  uint64_t byzantine_seeds = 0;  // seeds with at least one Byzantine validator
  double wall_s = 0;
  std::vector<SeedResult> failures;  // seed order
};

SweepSummary RunSweep(const SweepOptions& options);

// One line: seeds, violations, committed blocks (min/median), timeouts, TCs, invalid
// messages dropped by reason, evidence, virtual and wall time, speed.
std::string FormatSummary(const SweepSummary& summary);

// A failed seed: the seed, the checker, its message, how to replay it and (if
// `with_trace`) the trace of the last events.
std::string FormatFailure(const SeedResult& result, const SimConfig& config, bool with_trace);

// One line about a seed (for --verbose).
std::string FormatSeedLine(const SeedResult& result);

}  // namespace hotbft::sim
