// RocksStore: writes and pruning. Each public call is one rocksdb::WriteBatch written with
// one sync; RocksDB applies a batch atomically (one WAL record), so a crash keeps all of
// it or none.
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "storage/encoding.h"
#include "storage/rocks_store_impl.h"

namespace hotbft::storage {
namespace {

namespace layout = rocks_layout;

rocksdb::Slice ToSlice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

std::string_view AsText(ByteView bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

void RocksStore::Put(PendingWrite& w, ColumnFamily cf, std::string_view key,
                     std::string_view value) const {
  if (!w.status.ok()) return;
  const rocksdb::Status s = w.batch.Put(Handle(cf), ToSlice(key), ToSlice(value));
  if (!s.ok()) {
    w.status = Error(s, "adding a put for", cf);
    return;
  }
  ++w.ops;
}

void RocksStore::Delete(PendingWrite& w, ColumnFamily cf, std::string_view key) const {
  if (!w.status.ok()) return;
  const rocksdb::Status s = w.batch.Delete(Handle(cf), ToSlice(key));
  if (!s.ok()) {
    w.status = Error(s, "adding a delete for", cf);
    return;
  }
  ++w.ops;
}

Status RocksStore::Commit(PendingWrite& w, std::string_view what) {
  if (!w.status.ok()) return w.status;
  HOTBFT_ASSERT(w.ops > 0);
  HOTBFT_ASSERT(static_cast<size_t>(w.batch.Count()) == w.ops);
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync && w.sync;
  const rocksdb::Status s = db_->Write(write_options, &w.batch);
  if (!s.ok()) return Error(s, what);
  return Status::Ok();
}

namespace {

// A record's transactions in key order. With the insert hint of the transaction index
// (rocks_store.cc, FamilyOptions), the memtable's skip list starts each insert from where
// the previous one ended when keys ascend, so a block's random hashes cost a walk over the
// gap between two of them instead of a search from the top (a profile of a loaded
// validator put most of its write time in those searches).
std::vector<const std::pair<Hash32, TxRecord>*> InKeyOrder(
    const std::vector<std::pair<Hash32, TxRecord>>& txs) {
  std::vector<const std::pair<Hash32, TxRecord>*> out;
  out.reserve(txs.size());
  for (const auto& entry : txs) out.push_back(&entry);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return std::memcmp(a->first.bytes.data(), b->first.bytes.data(), a->first.bytes.size()) < 0;
  });
  return out;
}

}  // namespace

// What the batch carries as it is: replaced values and execution records.
void RocksStore::AddCarried(const WriteBatch& batch, PendingWrite& w) const {
  if (batch.safety) Put(w, layout::kSafetyCf, layout::kSafetyKey, EncodeSafetyData(*batch.safety));
  if (batch.high_qc) Put(w, layout::kMetaCf, layout::kMetaHighQc, EncodeQC(*batch.high_qc));
  if (batch.high_tc) Put(w, layout::kMetaCf, layout::kMetaHighTc, EncodeTC(*batch.high_tc));
  if (batch.root_qc) Put(w, layout::kMetaCf, layout::kMetaRootQc, EncodeQC(*batch.root_qc));
  for (const ExecutionRecord& record : batch.executed) {
    Put(w, layout::kResultsCf, HeightKey(record.height),
        std::string(record.app_hash.begin(), record.app_hash.end()));
    for (const auto* entry : InKeyOrder(record.txs)) {
      Put(w, layout::kTxsCf, IdKey(entry->first), EncodeTxRecord(entry->second));
    }
  }
  if (batch.finalized) {
    HOTBFT_ASSERT(batch.finalized->app_hash.empty());
    for (const auto* entry : InKeyOrder(batch.finalized->txs)) {
      Put(w, layout::kTxsCf, IdKey(entry->first), EncodeTxRecord(entry->second));
    }
  }
}

// What the plan derived: blocks, indexes and counters.
void RocksStore::AddPlan(const WritePlan& plan, PendingWrite& w) const {
  for (const auto& block : plan.put_blocks) {
    Put(w, layout::kBlocksCf, IdKey(block->id), EncodeBlock(*block));
  }
  for (const Hash32& id : plan.erase_blocks) Delete(w, layout::kBlocksCf, IdKey(id));
  for (const HeightId& entry : plan.put_uncommitted) {
    Put(w, layout::kUncommittedCf, HeightIdKey(entry), "");
  }
  for (const HeightId& entry : plan.erase_uncommitted) {
    Delete(w, layout::kUncommittedCf, HeightIdKey(entry));
  }
  for (const HeightId& entry : plan.put_committed) {
    Put(w, layout::kHeightsCf, HeightKey(entry.height), IdKey(entry.id));
  }
  for (const auto& [id, qc] : plan.put_qcs) Put(w, layout::kQcsCf, IdKey(id), EncodeQC(qc));
  for (const BlockResultPut& put : plan.put_block_results) {
    HOTBFT_ASSERT(!put.bytes.empty());
    Put(w, layout::kBlockResultsCf, HeightKey(put.height), AsText(put.bytes));
  }
  for (const Height height : plan.erase_block_results) {
    Delete(w, layout::kBlockResultsCf, HeightKey(height));
  }
  for (const StoredEvidence& e : plan.put_evidence) {
    Put(w, layout::kEvidenceCf, EvidenceKeyBytes(e.key), EncodeEvidenceRecord(e));
  }
  if (plan.tip.committed_height != tip_.committed_height) {
    Put(w, layout::kMetaCf, layout::kMetaCommittedHeight, EncodeU64(plan.tip.committed_height));
  }
  if (plan.tip.executed_height != tip_.executed_height) {
    Put(w, layout::kMetaCf, layout::kMetaExecutedHeight, EncodeU64(plan.tip.executed_height));
  }
}

Status RocksStore::Write(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(write_mutex_);
  auto plan = PlanWrite(batch, tip_, *this);
  if (!plan.ok()) return plan.status();
  PendingWrite w;
  w.sync = batch.sync;
  AddCarried(batch, w);
  AddPlan(*plan, w);
  if (!w.status.ok()) return w.status;
  // Possible for a batch of nothing but blocks the plan does not keep.
  if (w.ops == 0) return Status::Ok();
  HOTBFT_RETURN_IF_ERROR(Commit(w, "writing a batch"));
  // Published only once durable: a failed write leaves the counters as they were.
  tip_ = plan->tip;
  committed_height_.store(tip_.committed_height);
  executed_height_.store(tip_.executed_height);
  return Status::Ok();
}

Status RocksStore::Prune(Height retain_height) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  // Never the committed tip: Recover starts from it.
  const Height limit = std::min(retain_height, tip_.committed_height);
  while (retain_height_ < limit) {
    const Height step = std::min(limit - retain_height_, kPruneHeightsPerBatchMax);
    HOTBFT_RETURN_IF_ERROR(PruneRange(retain_height_, retain_height_ + step));
    retain_height_ += step;
  }
  HOTBFT_ASSERT(retain_height_ <= tip_.committed_height);
  return Status::Ok();
}

// Deletes the committed blocks of heights [from, to), their QCs and index entries.
Status RocksStore::PruneRange(Height from, Height to) {
  HOTBFT_ASSERT(from < to);
  HOTBFT_ASSERT(to <= tip_.committed_height);
  const std::string upper = HeightKey(to);
  const rocksdb::Slice upper_slice = ToSlice(upper);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, Handle(layout::kHeightsCf)));
  PendingWrite w;
  Height heights = 0;
  for (it->Seek(ToSlice(HeightKey(from))); it->Valid(); it->Next()) {
    const std::string_view value(it->value().data(), it->value().size());
    auto id = DecodeId(value, "committed height index in " + dir_);
    if (!id.ok()) return id.status();
    Delete(w, layout::kHeightsCf, std::string_view(it->key().data(), it->key().size()));
    Delete(w, layout::kBlocksCf, IdKey(*id));
    Delete(w, layout::kQcsCf, IdKey(*id));
    ++heights;
  }
  if (!it->status().ok()) return Error(it->status(), "scanning", layout::kHeightsCf);
  HOTBFT_ASSERT(heights <= to - from);
  Put(w, layout::kMetaCf, layout::kMetaRetainHeight, EncodeU64(to));
  return Commit(w, "pruning heights " + std::to_string(from) + " to " + std::to_string(to - 1));
}

}  // namespace hotbft::storage
