// Twins (Bano et al., "Twins: BFT Systems Made Robust", OPODIS 2021): a Byzantine
// validator is modelled as two honest instances that share one key. Each instance follows
// the protocol, so together they equivocate the way a real attacker would: two proposals,
// two votes, two timeouts for one round, each consistent with one instance's view.
//
// A twins schedule fixes, for the first kTwinsRounds rounds, the leader of each round and a
// partition of the instances in two groups: a message sent by an instance in round r (its
// current round when it sends) reaches only instances of its own group in round r's
// partition. Like the Twins paper's generator for DiemBFT, the scenarios are drawn per
// seed (leaders and partitions uniformly at random), and every scenario runs through the
// same checkers as any other seed. From GST on the partitions no longer apply, so the
// liveness checker holds twins runs to the same bound as every run.
#pragma once

#include <cstdint>
#include <vector>

#include "consensus/leader_election.h"
#include "tests/sim/sim_random.h"

namespace hotbft::sim {

// Rounds whose leader and partition a schedule fixes.
inline constexpr Round kTwinsRounds = 12;
// Chance that a round of a schedule is not partitioned at all.
inline constexpr double kTwinsUnpartitionedProbability = 0.2;

struct TwinsSchedule {
  std::vector<uint32_t> leaders;  // leaders[r - 1]: leader of round r, for r <= kTwinsRounds
  std::vector<uint64_t> groups;   // groups[r - 1]: instances in one group (the rest: other)
};

// Draws a schedule for `validators` validators run as `instances` instances, where
// instance validators + k is the twin of validator twinned[k]. A partitioned round always
// puts the two instances of a twin on opposite sides (the case that makes twins
// equivocate); the other instances fall on either side at random.
// REQUIRES: 1 <= validators <= instances <= 64, instances == validators + twinned.size().
TwinsSchedule DrawTwinsSchedule(uint32_t validators, uint32_t instances,
                                const std::vector<uint32_t>& twinned, SimRandom& rng);

// True if a message that instance `from` sends in round `round` must not reach instance
// `to` under `schedule` (rounds beyond the schedule are never cut).
bool TwinsCut(const TwinsSchedule& schedule, uint32_t from, uint32_t to, Round round);

// The schedule's leaders for its rounds, round robin after them.
class ScheduledElection final : public LeaderElection {
 public:
  ScheduledElection(uint32_t validators, std::vector<uint32_t> leaders);
  uint32_t Leader(Round round) const override;

 private:
  const uint32_t validators_;
  const std::vector<uint32_t> leaders_;
};

}  // namespace hotbft::sim
