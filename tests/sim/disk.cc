#include "tests/sim/disk.h"

#include <algorithm>
#include <utility>

namespace hotbft::sim {

SimDisk::SimDisk(std::shared_ptr<const Block> genesis, QC genesis_qc)
    : store_(std::make_unique<storage::MemStore>(std::move(genesis), std::move(genesis_qc))) {}

uint64_t SimDisk::Write(PersistAction persist, uint64_t now_ms, uint64_t delay_ms) {
  HOTBFT_ASSERT(delay_ms > 0);
  HOTBFT_ASSERT(queued_.size() < storage::kUnsyncedBatchesMax);
  queued_.push_back(Synced{persist.token, persist.safety});
  store_->WriteUnsynced(storage::BatchFromPersist(std::move(persist)));
  last_sync_ms_ = std::max(last_sync_ms_, now_ms) + delay_ms;
  return last_sync_ms_;
}

Result<SimDisk::Synced> SimDisk::Sync() {
  HOTBFT_ASSERT(!queued_.empty());
  const size_t unsynced = store_->unsynced();
  HOTBFT_ASSERT(unsynced <= queued_.size());
  // Store writes sync everything queued before them: the oldest queued write is still
  // unsynced iff all of them are.
  if (unsynced == queued_.size()) {
    const Status status = store_->SyncOldest();
    if (!status.ok()) {
      queued_.pop_front();  // the store dropped the batch
      return status;
    }
  }
  HOTBFT_ASSERT(store_->unsynced() < queued_.size());
  Synced synced = std::move(queued_.front());
  queued_.pop_front();
  return synced;
}

std::vector<SafetyData> SimDisk::Crash() {
  const size_t unsynced = store_->unsynced();
  HOTBFT_ASSERT(unsynced <= queued_.size());
  std::vector<SafetyData> durable;
  for (size_t k = 0; k + unsynced < queued_.size(); ++k) {
    if (queued_[k].safety) durable.push_back(std::move(*queued_[k].safety));
  }
  queued_.clear();
  store_->Crash();
  // The disk is idle after a crash: the next write syncs after a fresh delay.
  last_sync_ms_ = 0;
  return durable;
}

}  // namespace hotbft::sim
