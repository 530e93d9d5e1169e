// What hotbft-byzantine is told to do: `--misbehave NAME[,NAME...] [--from-height H]`.
// The names are the simulator's strategies (strategy.h) and flood (flood.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/types.h"
#include "crypto/status.h"
#include "tests/byzantine/flood.h"
#include "tests/byzantine/strategy.h"

namespace hotbft::byzantine {

inline constexpr std::string_view kFloodName = "flood";

struct Misbehaviour {
  // In the order given, without repeats. Each message the core sends passes through them
  // in this order (the second alters what the first let out).
  std::vector<StrategyKind> strategies;
  bool flood = false;
  // Honest until the validator's committed height reaches this.
  Height from_height = 0;
  uint32_t flood_txs_per_s = kFloodTxsPerSecondDefault;  // <= kFloodTxsPerSecondMax
};

// Every name --misbehave accepts, comma separated, in strategy order, flood last.
std::string MisbehaviourNames();

// Parses a comma-separated list of names ("equivocate,flood"). Fails, naming the offending
// entry and every valid name, on an unknown or repeated name or an empty list or entry.
Result<Misbehaviour> ParseMisbehaviour(std::string_view list);

// "equivocate, flood (2000 invalid transactions/s per peer), from height 0".
std::string Describe(const Misbehaviour& misbehaviour);

}  // namespace hotbft::byzantine
