// SimStore: one validator's simulated disk. A PersistAction becomes durable only when its
// simulated sync completes, kSyncDelayMsMin..kSyncDelayMsMax after the previous write's
// (writes sync in order, like one write-ahead log); a crash loses every write not yet
// synced and keeps exactly what was synced.
//
// Durable state: the safety data (replaced by each write that carries it), every block
// ever persisted (by id), the high QC, the high TC and the root QC (the committed tip's
// QC; the root block is root_qc.vote_data.block_id).
//
// Not thread-safe; owned by one Simulation.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "consensus/core.h"
#include "consensus/messages.h"

namespace hotbft::sim {

inline constexpr uint64_t kSyncDelayMsMin = 1;
inline constexpr uint64_t kSyncDelayMsMax = 5;
// Writes queued and not yet synced, at most (a bound on the core's persist rate).
inline constexpr size_t kPendingWritesMax = 100'000;

class SimStore {
 public:
  // `genesis` and `genesis_qc` are what a validator recovers when nothing was synced.
  SimStore(std::shared_ptr<const Block> genesis, QC genesis_qc);

  // Queues `write`, issued at `now_ms`, taking `delay_ms` to sync after the previous
  // write. Returns the time its sync completes: the simulation then calls SyncOldest().
  uint64_t Write(PersistAction write, uint64_t now_ms, uint64_t delay_ms);

  // The oldest unsynced write becomes durable. Returns its token. REQUIRES: pending() > 0.
  uint64_t SyncOldest();

  // Loses every unsynced write.
  void Crash();

  // What the validator restarts from: the synced safety data (nullopt if none was ever
  // synced), the root block and its QC (genesis if no commit was synced), the blocks above
  // the root's height, the high QC and the high TC.
  RecoveryState Recover() const;

  size_t pending() const { return pending_.size(); }
  bool has_safety() const { return safety_.has_value(); }
  const std::optional<SafetyData>& safety() const { return safety_; }

 private:
  void Apply(PersistAction& write);

  std::shared_ptr<const Block> genesis_;
  QC genesis_qc_;
  std::deque<PersistAction> pending_;
  uint64_t last_sync_ms_ = 0;

  std::optional<SafetyData> safety_;
  std::map<Hash32, std::shared_ptr<const Block>> blocks_;
  std::optional<QC> high_qc_;
  std::optional<TC> high_tc_;
  std::optional<QC> root_qc_;
};

}  // namespace hotbft::sim
