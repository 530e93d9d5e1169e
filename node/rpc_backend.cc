#include "node/rpc_backend.h"

#include <utility>

#include "crypto/assert.h"

namespace hotbft::node {

Status RpcBackend::Health() {
  const NodeSnapshot s = GetStatus();
  if (!s.halted.ok()) return s.halted.With("the node halted");
  if (!s.execution.ok()) {
    return s.execution.With("execution stopped at height " + std::to_string(s.executed_height + 1));
  }
  return Status::Ok();
}

Result<network::FaultConfig> RpcBackend::Faults(const std::optional<network::FaultConfig>& change) {
  (void)change;
  return Status::FailedPrecondition("this node has no fault injection");
}

Result<EvidenceReport> RpcBackend::ListEvidence(Round round_min, size_t committed_max) {
  (void)round_min;
  (void)committed_max;
  return Status::FailedPrecondition("this node keeps no evidence");
}

CommitWaiters::CommitWaiters(size_t watches_max) : watches_max_(watches_max) {
  HOTBFT_ASSERT(watches_max > 0);
}

uint64_t CommitWaiters::Watch(const Hash32& hash, CommitCallback on_commit) {
  HOTBFT_ASSERT(on_commit != nullptr);
  std::lock_guard lock(mutex_);
  if (by_id_.size() >= watches_max_) return 0;
  const uint64_t id = next_id_++;
  by_id_.emplace(id, Waiter{hash, std::move(on_commit)});
  by_hash_.emplace(hash, id);
  return id;
}

void CommitWaiters::Unwatch(uint64_t watch_id) {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(watch_id);
  if (it == by_id_.end()) return;
  auto [first, last] = by_hash_.equal_range(it->second.hash);
  for (auto h = first; h != last; ++h) {
    if (h->second == watch_id) {
      by_hash_.erase(h);
      break;
    }
  }
  by_id_.erase(it);
}

void CommitWaiters::OnExecuted(const ExecutedBlock& block) {
  HOTBFT_ASSERT(block.tx_hashes.size() == block.tx_results.size());
  std::vector<std::pair<CommitCallback, TxCommit>> fired;
  {
    std::lock_guard lock(mutex_);
    if (by_hash_.empty()) return;
    for (size_t i = 0; i < block.tx_hashes.size(); ++i) {
      if (block.tx_results[i].code == app::kCodeDuplicate) continue;
      auto [first, last] = by_hash_.equal_range(block.tx_hashes[i]);
      if (first == last) continue;
      const TxCommit commit{block.tx_hashes[i], block.height, static_cast<uint32_t>(i),
                            block.tx_results[i]};
      for (auto h = first; h != last; ++h) {
        auto waiter = by_id_.find(h->second);
        HOTBFT_ASSERT(waiter != by_id_.end());
        fired.emplace_back(std::move(waiter->second.callback), commit);
        by_id_.erase(waiter);
      }
      by_hash_.erase(first, last);
    }
  }
  for (auto& [callback, commit] : fired) callback(commit);
}

size_t CommitWaiters::size() const {
  std::lock_guard lock(mutex_);
  return by_id_.size();
}

}  // namespace hotbft::node
