#include "tests/sim/store.h"

#include <algorithm>

namespace hotbft::sim {

SimStore::SimStore(std::shared_ptr<const Block> genesis, QC genesis_qc)
    : genesis_(std::move(genesis)), genesis_qc_(std::move(genesis_qc)) {
  HOTBFT_ASSERT(genesis_ != nullptr);
  HOTBFT_ASSERT(genesis_qc_.vote_data.block_id == genesis_->id);
}

uint64_t SimStore::Write(PersistAction write, uint64_t now_ms, uint64_t delay_ms) {
  HOTBFT_ASSERT(delay_ms >= kSyncDelayMsMin);
  HOTBFT_ASSERT(pending_.size() < kPendingWritesMax);
  pending_.push_back(std::move(write));
  last_sync_ms_ = std::max(last_sync_ms_, now_ms) + delay_ms;
  return last_sync_ms_;
}

uint64_t SimStore::SyncOldest() {
  HOTBFT_ASSERT(!pending_.empty());
  PersistAction write = std::move(pending_.front());
  pending_.pop_front();
  Apply(write);
  return write.token;
}

void SimStore::Apply(PersistAction& write) {
  if (write.safety) safety_ = std::move(write.safety);
  for (auto& block : write.blocks) {
    HOTBFT_ASSERT(block != nullptr);
    blocks_.emplace(block->id, std::move(block));
  }
  if (write.high_qc) high_qc_ = std::move(write.high_qc);
  if (write.high_tc) high_tc_ = std::move(write.high_tc);
  if (write.root_qc) {
    // The root block was persisted earlier or in this very write (messages.h).
    HOTBFT_ASSERT(blocks_.count(write.root_qc->vote_data.block_id) == 1);
    root_qc_ = std::move(write.root_qc);
  }
}

void SimStore::Crash() {
  pending_.clear();
  // The disk is idle after a crash: the next write syncs after a fresh delay.
  last_sync_ms_ = 0;
}

RecoveryState SimStore::Recover() const {
  RecoveryState r;
  r.safety = safety_;
  if (root_qc_) {
    auto it = blocks_.find(root_qc_->vote_data.block_id);
    HOTBFT_ASSERT(it != blocks_.end());
    r.root = it->second;
    r.root_qc = *root_qc_;
  } else {
    r.root = genesis_;
    r.root_qc = genesis_qc_;
  }
  const Height root_height = r.root->header.height;
  for (const auto& [id, block] : blocks_) {
    if (block->header.height > root_height) r.blocks.push_back(block);
  }
  r.high_qc = high_qc_;
  r.high_tc = high_tc_;
  return r;
}

}  // namespace hotbft::sim
