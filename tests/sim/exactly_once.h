// Exactly-once delivery of client transactions (issue: the mempool's end-to-end property).
//
//   - At most once: on every honest validator's chain, a transaction takes effect (executes
//     with a code other than app::kCodeDuplicate) at most once, however often it was
//     submitted, gossiped or replayed by a Byzantine leader.
//   - At least once, in time: a transaction submitted to an honest validator that admitted it
//     (the mempool said added, or already pending) takes effect on that validator's chain
//     within `bound_ms` of max(submission, stable_ms), provided that validator stays up
//     from the submission until then (a crash loses its pending transactions, as any
//     in-memory mempool does; the client then hears nothing and resubmits).
//
// Not thread-safe; owned by one Simulation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tests/sim/checkers.h"

namespace hotbft::sim {

class ExactlyOnceChecker {
 public:
  ExactlyOnceChecker(uint32_t validators, uint64_t stable_ms, uint64_t bound_ms);

  // A client handed `tx` to honest `validator`, whose mempool admitted it (or held it).
  void OnAdmitted(uint32_t validator, const Hash32& tx, uint64_t now_ms);
  // Honest `validator` went down: the transactions only it was responsible for are no longer
  // owed by it.
  void OnCrash(uint32_t validator);
  // Honest `validator` executed `tx` at `height` with `code`.
  std::optional<Violation> OnExecuted(uint32_t validator, const Hash32& tx, Height height,
                                      uint32_t code, uint64_t now_ms);
  // Fires on an admitted transaction that is overdue.
  std::optional<Violation> Check(uint64_t now_ms) const;

  uint64_t admitted() const { return admitted_; }
  uint64_t took_effect() const { return took_effect_; }
  uint64_t duplicates() const { return duplicates_; }

 private:
  struct Owed {
    uint64_t since_ms = 0;
  };
  const uint64_t stable_ms_;
  const uint64_t bound_ms_;
  // Per validator: transactions owed (admitted, not yet executed there, validator up since).
  std::vector<std::unordered_map<Hash32, Owed, Hash32Hasher>> owed_;
  // Per validator: where each transaction took effect.
  std::vector<std::unordered_map<Hash32, Height, Hash32Hasher>> effect_;
  uint64_t admitted_ = 0;
  uint64_t took_effect_ = 0;
  uint64_t duplicates_ = 0;
};

}  // namespace hotbft::sim
