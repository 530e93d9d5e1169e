#include "tests/byzantine/misbehaviour.h"

#include <algorithm>

namespace hotbft::byzantine {

std::string MisbehaviourNames() {
  std::string out;
  for (StrategyKind kind : AllStrategies()) {
    out += StrategyName(kind);
    out += ", ";
  }
  out += kFloodName;
  return out;
}

Result<Misbehaviour> ParseMisbehaviour(std::string_view list) {
  Misbehaviour out;
  size_t start = 0;
  for (;;) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view name = list.substr(start, comma - start);
    const std::string valid = " (valid: " + MisbehaviourNames() + ")";
    if (name.empty()) {
      return Status::InvalidArgument("--misbehave: empty name in '" + std::string(list) + "'" +
                                     valid);
    }
    bool repeated = false;
    if (name == kFloodName) {
      repeated = out.flood;
      out.flood = true;
    } else if (auto kind = ParseStrategy(name)) {
      repeated =
          std::find(out.strategies.begin(), out.strategies.end(), *kind) != out.strategies.end();
      out.strategies.push_back(*kind);
    } else {
      return Status::InvalidArgument("--misbehave: unknown strategy '" + std::string(name) + "'" +
                                     valid);
    }
    if (repeated) {
      return Status::InvalidArgument("--misbehave: '" + std::string(name) + "' given twice");
    }
    if (comma == list.size()) break;
    start = comma + 1;
  }
  HOTBFT_ASSERT(out.flood || !out.strategies.empty());
  return out;
}

std::string Describe(const Misbehaviour& misbehaviour) {
  std::string out;
  for (StrategyKind kind : misbehaviour.strategies) {
    if (!out.empty()) out += ", ";
    out += StrategyName(kind);
  }
  if (misbehaviour.flood) {
    if (!out.empty()) out += ", ";
    out += std::string(kFloodName) + " (" + std::to_string(misbehaviour.flood_txs_per_s) +
           " invalid transactions/s per peer)";
  }
  return out + ", from height " + std::to_string(misbehaviour.from_height);
}

}  // namespace hotbft::byzantine
