// The RocksDB store's class, shared by its two source files: rocks_store.cc (opening,
// checks, reads) and rocks_write.cc (writes and pruning). Private to storage/.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/rocks_layout.h"
#include "storage/rocks_store.h"
#include "storage/write_plan.h"

namespace hotbft::storage {

// Heights pruned per synced batch: bounds the memory of one Prune step however far the
// retain height jumps.
inline constexpr Height kPruneHeightsPerBatchMax = 10'000;

// RocksDB's own diagnostic logs (LOG, LOG.old.*) kept in the directory.
inline constexpr size_t kInfoLogFilesMax = 8;

class RocksStore final : public Store, private PlanReader {
 public:
  RocksStore(std::string dir, WireContext ctx, std::shared_ptr<const Block> genesis, QC genesis_qc,
             RocksStoreOptions options);
  ~RocksStore() override;
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  // Opens the database and creates or checks its metadata. Called once, before anything
  // else.
  Status Open();

  Status Write(const WriteBatch& batch) override;
  Result<RecoveryState> Recover() const override;
  std::shared_ptr<const Block> GetBlock(const Hash32& id) const override;
  std::optional<QC> GetQC(const Hash32& id) const override;
  std::optional<Hash32> CommittedAt(Height height) const override;
  Height CommittedHeight() const override { return committed_height_.load(); }
  std::optional<TxRecord> GetTx(const Hash32& tx_hash) const override;
  // One RocksDB MultiGet: about half the time of as many Gets for keys it does not hold.
  Result<std::vector<std::optional<TxRecord>>> GetTxs(
      const std::vector<Hash32>& tx_hashes) const override;
  std::optional<Bytes> AppHashAt(Height height) const override;
  std::optional<Bytes> BlockResultAt(Height height) const override;
  Height ExecutedHeight() const override { return executed_height_.load(); }
  std::optional<StoredEvidence> GetEvidence(const EvidenceKey& key) const override;
  Result<std::vector<StoredEvidence>> ListEvidence(Epoch epoch, Round round_min,
                                                   size_t count_max) const override;
  Status Prune(Height retain_height) override;

 private:
  using ColumnFamily = rocks_layout::ColumnFamily;

  // The operations of one write, with the first failure to add one and a count that
  // Commit checks against RocksDB's own (the batch holds exactly what was planned).
  struct PendingWrite {
    rocksdb::WriteBatch batch;
    size_t ops = 0;
    bool sync = true;  // and RocksStoreOptions::sync
    Status status;
  };

  // PlanReader: reads of the latest state (the writer's own view).
  Result<std::shared_ptr<const Block>> ReadBlock(const Hash32& id) const override;
  Result<std::vector<HeightId>> ReadUncommittedUpTo(Height height) const override;
  Result<bool> HasBlockResult(Height height) const override;

  rocksdb::ColumnFamilyHandle* Handle(ColumnFamily cf) const;
  // A RocksDB failure as a Status naming the operation, the family and the directory.
  Status Error(const rocksdb::Status& status, std::string_view op, ColumnFamily cf) const;
  Status Error(const rocksdb::Status& status, std::string_view op) const;

  // Reading (rocks_store.cc); `snapshot` nullptr reads the latest state.
  Result<std::optional<std::string>> Get(ColumnFamily cf, std::string_view key,
                                         const rocksdb::Snapshot* snapshot = nullptr) const;
  Result<std::shared_ptr<const Block>> ReadBlockAt(const Hash32& id,
                                                   const rocksdb::Snapshot* snapshot) const;
  // The uncommitted index's entries of heights from `from` to `up_to` (or the last).
  Result<std::vector<HeightId>> ReadUncommitted(std::optional<Height> up_to,
                                                const rocksdb::Snapshot* snapshot,
                                                Height from = 0) const;
  Result<std::optional<QC>> ReadMetaQC(std::string_view key,
                                       const rocksdb::Snapshot* snapshot) const;
  Result<uint64_t> ReadMetaU64(std::string_view key) const;
  Result<RecoveryState> RecoverAt(const rocksdb::Snapshot* snapshot) const;
  Status RecoverBlocks(const rocksdb::Snapshot* snapshot, RecoveryState& state) const;

  // Opening (rocks_store.cc).
  Status OpenDatabase();
  Status CheckEmpty() const;
  Status Create();
  Status CheckIdentity(std::string_view stored_version) const;
  Status LoadTip();

  // Writing (rocks_write.cc).
  void Put(PendingWrite& w, ColumnFamily cf, std::string_view key, std::string_view value) const;
  void Delete(PendingWrite& w, ColumnFamily cf, std::string_view key) const;
  void AddCarried(const WriteBatch& batch, PendingWrite& w) const;
  void AddPlan(const WritePlan& plan, PendingWrite& w) const;
  // Writes `w` in one rocksdb::WriteBatch, synced as configured.
  Status Commit(PendingWrite& w, std::string_view what);
  Status PruneRange(Height from, Height to);

  const std::string dir_;
  const WireContext ctx_;
  const std::shared_ptr<const Block> genesis_;
  const QC genesis_qc_;
  const RocksStoreOptions options_;

  std::unique_ptr<rocksdb::DB> db_;
  // RocksDB's default family first, then rocks_layout::kColumnFamilyNames in order.
  // Owned: destroyed before db_ closes. Fixed after Open().
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  // Serialises Write and Prune. The getters need no lock: RocksDB reads are thread-safe
  // and the counters they return are atomic.
  std::mutex write_mutex_;
  StoredTip tip_;             // GUARDED_BY(write_mutex_)
  Height retain_height_ = 0;  // GUARDED_BY(write_mutex_)
  std::atomic<Height> committed_height_{0};
  std::atomic<Height> executed_height_{0};
};

}  // namespace hotbft::storage
