// MemStore: the Store in memory, with a disk's durability modelled for the simulator and
// tests. A batch is first written (queued, not yet durable), then synced, oldest first,
// like one write-ahead log. Only synced batches are visible to the getters and to
// Recover, and Crash() loses exactly the batches not yet synced.
//
// Write() is the real store's contract: queue, then sync everything queued; a batch marked
// unsynced (WriteBatch::sync false) is synced all the same, which the contract allows. The
// simulator drives the steps itself with WriteUnsynced(), SyncOldest() and Crash().
//
// Thread-safe: every call takes one mutex.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>

#include "storage/store.h"
#include "storage/write_plan.h"

namespace hotbft::storage {

// Batches written and not yet synced, at most (a bound on the writer's rate ahead of the
// simulated disk).
inline constexpr size_t kUnsyncedBatchesMax = 100'000;

class MemStore final : public Store {
 public:
  // A new, empty store of the chain whose genesis block and QC are these.
  // REQUIRES: genesis_qc certifies genesis.
  MemStore(std::shared_ptr<const Block> genesis, QC genesis_qc);

  Status Write(const WriteBatch& batch) override;
  Result<RecoveryState> Recover() const override;
  std::shared_ptr<const Block> GetBlock(const Hash32& id) const override;
  std::optional<QC> GetQC(const Hash32& id) const override;
  std::optional<Hash32> CommittedAt(Height height) const override;
  Height CommittedHeight() const override;
  std::optional<TxRecord> GetTx(const Hash32& tx_hash) const override;
  std::optional<Bytes> AppHashAt(Height height) const override;
  std::optional<Bytes> BlockResultAt(Height height) const override;
  Height ExecutedHeight() const override;
  std::optional<StoredEvidence> GetEvidence(const EvidenceKey& key) const override;
  Result<std::vector<StoredEvidence>> ListEvidence(Epoch epoch, Round round_min,
                                                   size_t count_max) const override;
  // Acts on synced state, and is synced itself when it returns.
  Status Prune(Height retain_height) override;

  // Queues `batch`; it is not durable until synced. REQUIRES: unsynced() <
  // kUnsyncedBatchesMax.
  void WriteUnsynced(WriteBatch batch);
  // Makes the oldest queued batch durable and returns what Write would have for it: a
  // batch that contradicts the synced state is dropped and nothing of it applies.
  // REQUIRES: unsynced() > 0.
  Status SyncOldest();
  size_t unsynced() const;
  // Drops every unsynced batch; what was synced stays.
  void Crash();

 private:
  // The synced state (names as in write_plan.h).
  struct Durable {
    std::optional<SafetyData> safety;
    std::map<Hash32, std::shared_ptr<const Block>> blocks;
    std::set<HeightId> uncommitted;
    std::map<Height, Hash32> heights;
    std::map<Hash32, QC> qcs;
    std::map<Hash32, TxRecord> txs;
    std::map<Height, Bytes> results;
    std::map<Height, Bytes> block_results;  // non-empty ones only
    // Ordered as the RocksDB keys are: epoch, round, validator, kind.
    std::map<std::tuple<Epoch, Round, uint32_t, EvidenceKind>, StoredEvidence> evidence;
    std::optional<QC> high_qc;
    std::optional<TC> high_tc;
    QC root_qc;
    StoredTip tip;
    Height retain_height = 0;  // the lowest height still in `heights`
  };
  class Reader;

  // Each REQUIRES: mutex_ held.
  Status SyncOldestLocked();
  Status ApplyLocked(const WriteBatch& batch);
  void ApplyCarriedLocked(const WriteBatch& batch);
  void ApplyPlanLocked(const WritePlan& plan);
  // A block the indexes name; it must be stored.
  std::shared_ptr<const Block> FindStoredLocked(const Hash32& id) const;

  mutable std::mutex mutex_;
  std::deque<WriteBatch> unsynced_;  // GUARDED_BY(mutex_)
  Durable durable_;                  // GUARDED_BY(mutex_)
};

}  // namespace hotbft::storage
