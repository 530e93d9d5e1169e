#include "tests/sim/twins.h"

namespace hotbft::sim {

TwinsSchedule DrawTwinsSchedule(uint32_t validators, uint32_t instances,
                                const std::vector<uint32_t>& twinned, SimRandom& rng) {
  HOTBFT_ASSERT(validators >= 1);
  HOTBFT_ASSERT(validators <= instances);
  HOTBFT_ASSERT(instances <= 64);
  HOTBFT_ASSERT(instances == validators + twinned.size());
  const uint64_t full = instances == 64 ? ~uint64_t{0} : (uint64_t{1} << instances) - 1;
  TwinsSchedule s;
  for (Round r = 1; r <= kTwinsRounds; ++r) {
    s.leaders.push_back(static_cast<uint32_t>(rng.Uniform(0, validators - 1)));
    if (rng.Chance(kTwinsUnpartitionedProbability)) {
      s.groups.push_back(full);
      continue;
    }
    uint64_t group = rng.Next() & full;
    for (size_t k = 0; k < twinned.size(); ++k) {
      HOTBFT_ASSERT(twinned[k] < validators);
      const uint64_t twin_bit = uint64_t{1} << (validators + k);
      const bool original_in = ((group >> twinned[k]) & 1) != 0;
      group = original_in ? group & ~twin_bit : group | twin_bit;
    }
    s.groups.push_back(group);
  }
  HOTBFT_ASSERT(s.leaders.size() == kTwinsRounds);
  HOTBFT_ASSERT(s.groups.size() == kTwinsRounds);
  return s;
}

bool TwinsCut(const TwinsSchedule& schedule, uint32_t from, uint32_t to, Round round) {
  HOTBFT_ASSERT(from < 64 && to < 64);
  if (round == 0 || round > schedule.groups.size()) return false;
  const uint64_t group = schedule.groups[round - 1];
  return ((group >> from) & 1) != ((group >> to) & 1);
}

ScheduledElection::ScheduledElection(uint32_t validators, std::vector<uint32_t> leaders)
    : validators_(validators), leaders_(std::move(leaders)) {
  HOTBFT_ASSERT(validators_ > 0);
  for (uint32_t leader : leaders_) HOTBFT_ASSERT(leader < validators_);
}

uint32_t ScheduledElection::Leader(Round round) const {
  if (round >= 1 && round <= leaders_.size()) return leaders_[round - 1];
  return static_cast<uint32_t>(round % validators_);
}

}  // namespace hotbft::sim
