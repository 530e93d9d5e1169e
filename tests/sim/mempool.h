// SimMempool: one validator's stub mempool. Clients submit transactions (unique byte
// strings); a leader's payload takes the oldest pending ones that are neither committed
// in this validator's view nor contained in the uncommitted blocks the new block extends.
//
// Pending transactions live in memory and are lost on a crash; the set of committed
// transactions is the application's state, durable with the commits (a CommitAction only
// arrives after the commit is durable), and survives.
//
// Not thread-safe; owned by one Simulation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "consensus/block_tree.h"

namespace hotbft::sim {

// Transactions per payload, at most (also bounded by the core's request).
inline constexpr uint32_t kPayloadTxsMax = 64;
// Pending transactions held, at most; later submissions are refused.
inline constexpr size_t kPendingTxsMax = 100'000;

class SimMempool {
 public:
  // Adds `tx` unless it is pending, committed or the pool is full. Returns true if the
  // pool went from empty to non-empty (the core then hears OnTxsAvailable).
  bool Submit(const std::string& tx);

  // A payload for a block extending `tree`'s high QC block: up to min(txs_max,
  // kPayloadTxsMax) pending transactions, oldest first, within `bytes_max`, leaving out
  // those in the blocks from the high QC block down to `committed_height` (the height of
  // this validator's last CommitAction).
  std::shared_ptr<const Payload> BuildPayload(const BlockTree& tree, Height committed_height,
                                              uint32_t txs_max, uint64_t bytes_max) const;

  // `block` was committed: its transactions leave the pool for good.
  void OnCommit(const Block& block);

  // Loses the pending transactions; the committed ones stay.
  void Crash();

  size_t pending() const { return pending_.size(); }

 private:
  uint64_t next_seq_ = 0;
  std::map<uint64_t, std::string> pending_;  // by arrival
  std::unordered_map<std::string, uint64_t> pending_seq_;
  std::unordered_set<std::string> committed_;
};

}  // namespace hotbft::sim
