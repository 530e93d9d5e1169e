#include "storage/mem_store.h"

#include <algorithm>
#include <utility>

namespace hotbft::storage {

// The plan's view of the synced state.
class MemStore::Reader final : public PlanReader {
 public:
  explicit Reader(const Durable& durable) : durable_(durable) {}

  Result<std::shared_ptr<const Block>> ReadBlock(const Hash32& id) const override {
    auto it = durable_.blocks.find(id);
    if (it == durable_.blocks.end()) return std::shared_ptr<const Block>();
    return it->second;
  }

  Result<std::vector<HeightId>> ReadUncommittedUpTo(Height height) const override {
    std::vector<HeightId> entries;
    for (const HeightId& entry : durable_.uncommitted) {
      if (entry.height > height) break;
      entries.push_back(entry);
    }
    return entries;
  }

  Result<bool> HasBlockResult(Height height) const override {
    return durable_.block_results.contains(height);
  }

 private:
  const Durable& durable_;
};

MemStore::MemStore(std::shared_ptr<const Block> genesis, QC genesis_qc) {
  HOTBFT_ASSERT(genesis != nullptr);
  HOTBFT_ASSERT(genesis->header.height == 0);
  HOTBFT_ASSERT(genesis_qc.vote_data.block_id == genesis->id);
  // The state RocksStore creates a new database with.
  const Hash32 id = genesis->id;
  durable_.blocks.emplace(id, std::move(genesis));
  durable_.heights.emplace(0, id);
  durable_.qcs.emplace(id, genesis_qc);
  durable_.root_qc = std::move(genesis_qc);
  durable_.tip = StoredTip{id, 0, 0};
}

Status MemStore::Write(const WriteBatch& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!batch.empty()) {
    HOTBFT_ASSERT(unsynced_.size() < kUnsyncedBatchesMax);
    unsynced_.push_back(batch);
  }
  while (!unsynced_.empty()) HOTBFT_RETURN_IF_ERROR(SyncOldestLocked());
  return Status::Ok();
}

void MemStore::WriteUnsynced(WriteBatch batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  HOTBFT_ASSERT(unsynced_.size() < kUnsyncedBatchesMax);
  unsynced_.push_back(std::move(batch));
}

Status MemStore::SyncOldest() {
  std::lock_guard<std::mutex> lock(mutex_);
  return SyncOldestLocked();
}

Status MemStore::SyncOldestLocked() {
  HOTBFT_ASSERT(!unsynced_.empty());
  WriteBatch batch = std::move(unsynced_.front());
  unsynced_.pop_front();
  return ApplyLocked(batch);
}

size_t MemStore::unsynced() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unsynced_.size();
}

void MemStore::Crash() {
  std::lock_guard<std::mutex> lock(mutex_);
  unsynced_.clear();
}

Status MemStore::ApplyLocked(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  const Reader reader(durable_);
  auto plan = PlanWrite(batch, durable_.tip, reader);
  if (!plan.ok()) return plan.status();
  ApplyCarriedLocked(batch);
  ApplyPlanLocked(*plan);
  return Status::Ok();
}

void MemStore::ApplyCarriedLocked(const WriteBatch& batch) {
  if (batch.safety) durable_.safety = batch.safety;
  if (batch.high_qc) durable_.high_qc = batch.high_qc;
  if (batch.high_tc) durable_.high_tc = batch.high_tc;
  if (batch.root_qc) durable_.root_qc = *batch.root_qc;
  for (const ExecutionRecord& record : batch.executed) {
    durable_.results[record.height] = record.app_hash;
    for (const auto& [hash, tx] : record.txs) durable_.txs[hash] = tx;
  }
  if (batch.finalized) {
    HOTBFT_ASSERT(batch.finalized->app_hash.empty());
    for (const auto& [hash, tx] : batch.finalized->txs) durable_.txs[hash] = tx;
  }
}

void MemStore::ApplyPlanLocked(const WritePlan& plan) {
  for (const auto& block : plan.put_blocks) durable_.blocks[block->id] = block;
  for (const Hash32& id : plan.erase_blocks) durable_.blocks.erase(id);
  for (const HeightId& entry : plan.put_uncommitted) durable_.uncommitted.insert(entry);
  for (const HeightId& entry : plan.erase_uncommitted) durable_.uncommitted.erase(entry);
  for (const HeightId& entry : plan.put_committed) durable_.heights[entry.height] = entry.id;
  for (const auto& [id, qc] : plan.put_qcs) durable_.qcs[id] = qc;
  for (const BlockResultPut& put : plan.put_block_results) {
    HOTBFT_ASSERT(!put.bytes.empty());
    durable_.block_results[put.height] = Bytes(put.bytes.begin(), put.bytes.end());
  }
  for (const Height height : plan.erase_block_results) durable_.block_results.erase(height);
  for (const StoredEvidence& e : plan.put_evidence) {
    durable_.evidence[{e.key.epoch, e.key.round, e.key.validator, e.key.kind}] = e;
  }
  durable_.tip = plan.tip;
  HOTBFT_ASSERT(durable_.root_qc.vote_data.block_id == durable_.tip.root_id);
  HOTBFT_ASSERT(durable_.blocks.contains(durable_.tip.root_id));
}

std::shared_ptr<const Block> MemStore::FindStoredLocked(const Hash32& id) const {
  auto it = durable_.blocks.find(id);
  HOTBFT_ASSERT(it != durable_.blocks.end());  // the plan never drops a block still indexed
  return it->second;
}

Result<RecoveryState> MemStore::Recover() const {
  std::lock_guard<std::mutex> lock(mutex_);
  RecoveryState state;
  state.safety = durable_.safety;
  // As RocksStore: the last proposal is kept by its block, and left out once the block is
  // gone (storage/encoding.h, DecodeSafetyData).
  if (state.safety && state.safety->last_proposal &&
      !durable_.blocks.contains(state.safety->last_proposal->block->id)) {
    state.safety->last_proposal.reset();
  }
  state.root_qc = durable_.root_qc;
  state.root = FindStoredLocked(durable_.tip.root_id);
  HOTBFT_ASSERT(state.root_qc.vote_data.block_id == state.root->id);
  for (const HeightId& entry : durable_.uncommitted) {
    HOTBFT_ASSERT(entry.height > durable_.tip.committed_height);
    state.blocks.push_back(FindStoredLocked(entry.id));
    HOTBFT_ASSERT(state.blocks.back()->header.height == entry.height);
  }
  state.high_qc = durable_.high_qc;
  state.high_tc = durable_.high_tc;
  return state;
}

std::shared_ptr<const Block> MemStore::GetBlock(const Hash32& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = durable_.blocks.find(id);
  return it == durable_.blocks.end() ? nullptr : it->second;
}

std::optional<QC> MemStore::GetQC(const Hash32& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = durable_.qcs.find(id);
  if (it == durable_.qcs.end()) return std::nullopt;
  return it->second;
}

std::optional<Hash32> MemStore::CommittedAt(Height height) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = durable_.heights.find(height);
  if (it == durable_.heights.end()) return std::nullopt;
  return it->second;
}

Height MemStore::CommittedHeight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return durable_.tip.committed_height;
}

std::optional<TxRecord> MemStore::GetTx(const Hash32& tx_hash) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = durable_.txs.find(tx_hash);
  if (it == durable_.txs.end()) return std::nullopt;
  return it->second;
}

std::optional<Bytes> MemStore::AppHashAt(Height height) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = durable_.results.find(height);
  if (it == durable_.results.end()) return std::nullopt;
  return it->second;
}

std::optional<StoredEvidence> MemStore::GetEvidence(const EvidenceKey& key) const {
  std::lock_guard lock(mutex_);
  auto it = durable_.evidence.find({key.epoch, key.round, key.validator, key.kind});
  if (it == durable_.evidence.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<StoredEvidence>> MemStore::ListEvidence(Epoch epoch, Round round_min,
                                                           size_t count_max) const {
  std::lock_guard lock(mutex_);
  std::vector<StoredEvidence> out;
  for (auto it = durable_.evidence.lower_bound({epoch, round_min, 0, EvidenceKind::kDoubleVote});
       it != durable_.evidence.end() && std::get<0>(it->first) == epoch && out.size() < count_max;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::optional<Bytes> MemStore::BlockResultAt(Height height) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = durable_.block_results.find(height);
  if (it == durable_.block_results.end()) return std::nullopt;
  return it->second;
}

Height MemStore::ExecutedHeight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return durable_.tip.executed_height;
}

Status MemStore::Prune(Height retain_height) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Never the committed tip: Recover starts from it.
  const Height limit = std::min(retain_height, durable_.tip.committed_height);
  const auto end = durable_.heights.lower_bound(limit);
  for (auto it = durable_.heights.begin(); it != end;) {
    durable_.blocks.erase(it->second);
    durable_.qcs.erase(it->second);
    it = durable_.heights.erase(it);
  }
  durable_.retain_height = std::max(durable_.retain_height, limit);
  HOTBFT_ASSERT(durable_.blocks.contains(durable_.tip.root_id));
  return Status::Ok();
}

}  // namespace hotbft::storage
