// Leader election: which validator proposes in a round. Deterministic: every honest
// validator computes the same leader from the same inputs.
#pragma once

#include "consensus/types.h"

namespace hotbft {

class LeaderElection {
 public:
  virtual ~LeaderElection() = default;
  virtual uint32_t Leader(Round round) const = 0;
};

// Round robin over the validator set: round r is led by validator r mod n.
class RoundRobinElection final : public LeaderElection {
 public:
  explicit RoundRobinElection(uint32_t validators) : validators_(validators) {
    HOTBFT_ASSERT(validators_ > 0);
  }
  uint32_t Leader(Round round) const override { return static_cast<uint32_t>(round % validators_); }

 private:
  uint32_t validators_;
};

}  // namespace hotbft
