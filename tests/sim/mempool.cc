#include "tests/sim/mempool.h"

#include <algorithm>

namespace hotbft::sim {
namespace {

std::string TxString(const Bytes& tx) {
  return std::string(tx.begin(), tx.end());
}

}  // namespace

bool SimMempool::Submit(const std::string& tx) {
  if (pending_.size() >= kPendingTxsMax) return false;
  if (committed_.count(tx) || pending_seq_.count(tx)) return false;
  const bool was_empty = pending_.empty();
  pending_.emplace(next_seq_, tx);
  pending_seq_.emplace(tx, next_seq_);
  ++next_seq_;
  HOTBFT_ASSERT(pending_.size() == pending_seq_.size());
  return was_empty;
}

std::shared_ptr<const Payload> SimMempool::BuildPayload(const BlockTree& tree,
                                                        Height committed_height, uint32_t txs_max,
                                                        uint64_t bytes_max) const {
  // Transactions already on the path being extended (uncommitted, or committed but not
  // yet handed to this validator's application).
  std::unordered_set<std::string> on_path;
  std::shared_ptr<const Block> block = tree.Get(tree.high_qc().vote_data.block_id);
  while (block != nullptr && block->header.height > committed_height) {
    for (const Bytes& tx : block->payload->txs) on_path.insert(TxString(tx));
    block = tree.Get(block->header.parent_id);
  }
  auto payload = std::make_shared<Payload>();
  const uint32_t limit = std::min(txs_max, kPayloadTxsMax);
  uint64_t bytes = 0;
  for (const auto& [seq, tx] : pending_) {
    if (payload->txs.size() >= limit) break;
    if (bytes + tx.size() > bytes_max) break;
    if (on_path.count(tx)) continue;
    payload->txs.emplace_back(tx.begin(), tx.end());
    bytes += tx.size();
  }
  return payload;
}

void SimMempool::OnCommit(const Block& block) {
  for (const Bytes& tx : block.payload->txs) {
    std::string s = TxString(tx);
    auto it = pending_seq_.find(s);
    if (it != pending_seq_.end()) {
      pending_.erase(it->second);
      pending_seq_.erase(it);
    }
    committed_.insert(std::move(s));
  }
  HOTBFT_ASSERT(pending_.size() == pending_seq_.size());
}

void SimMempool::Crash() {
  pending_.clear();
  pending_seq_.clear();
}

}  // namespace hotbft::sim
