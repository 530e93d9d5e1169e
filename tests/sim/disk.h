// SimDisk: one validator's simulated disk, over the real in-memory store
// (storage::MemStore). A PersistAction is queued (MemStore::WriteUnsynced) and syncs a
// given delay after the previous write's sync, or after it was issued if the disk is
// idle: writes sync in order, like one write-ahead log. At its sync time the
// simulation calls Sync(), which makes the oldest write durable and hands back its token
// for Core::OnPersisted: once per token, in order.
//
// Other writers share the log: MemStore::Write (the executor's) syncs every queued write
// before its own, so a PersistAction may be durable before its sync time. Sync() then
// syncs nothing and only reports it. A crash loses exactly the writes not yet durable.
//
// Not thread-safe; owned by one Simulation.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "consensus/core.h"
#include "storage/mem_store.h"

namespace hotbft::sim {

class SimDisk {
 public:
  // A new disk holding a new store of the chain that starts with `genesis`.
  SimDisk(std::shared_ptr<const Block> genesis, QC genesis_qc);

  // Queues `persist`, issued at `now_ms`, taking `delay_ms` to sync after the previous
  // write. Returns the time its sync completes: the simulation then calls Sync().
  // REQUIRES: queued() < storage::kUnsyncedBatchesMax.
  uint64_t Write(PersistAction persist, uint64_t now_ms, uint64_t delay_ms);

  struct Synced {
    uint64_t token = 0;
    std::optional<SafetyData> safety;  // the safety data the write made durable, if any
  };
  // The oldest queued write is durable: synced now, unless a store write synced it
  // already. Fails, naming the store's reason, if the store refuses the batch (a bug in
  // the core or the store). REQUIRES: queued() > 0.
  Result<Synced> Sync();

  // Loses every write not yet durable. Returns the safety data of the writes that were
  // durable but not yet reported by Sync() (synced early by a store write): signatures
  // the disk holds although the core never heard its write was durable.
  std::vector<SafetyData> Crash();

  // Writes not yet reported by Sync(), durable or not.
  size_t queued() const { return queued_.size(); }
  storage::MemStore& store() { return *store_; }
  const storage::MemStore& store() const { return *store_; }

 private:
  const std::unique_ptr<storage::MemStore> store_;
  std::deque<Synced> queued_;  // oldest first; the newest store_->unsynced() are not durable
  uint64_t last_sync_ms_ = 0;
};

}  // namespace hotbft::sim
