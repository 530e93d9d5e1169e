#include "storage/rocks_store.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>

#include <limits>
#include <utility>

#include "storage/encoding.h"
#include "storage/rocks_store_impl.h"

namespace hotbft::storage {
namespace {

namespace layout = rocks_layout;

rocksdb::Slice ToSlice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

std::string_view ToView(const rocksdb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

std::string Quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

}  // namespace

RocksStore::RocksStore(std::string dir, WireContext ctx, std::shared_ptr<const Block> genesis,
                       QC genesis_qc, RocksStoreOptions options)
    : dir_(std::move(dir)),
      ctx_(std::move(ctx)),
      genesis_(std::move(genesis)),
      genesis_qc_(std::move(genesis_qc)),
      options_(options) {
  HOTBFT_ASSERT(genesis_ != nullptr);
  HOTBFT_ASSERT(genesis_->header.height == 0);
  HOTBFT_ASSERT(genesis_qc_.vote_data.block_id == genesis_->id);
  HOTBFT_ASSERT(ctx_.validators > 0);
}

RocksStore::~RocksStore() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    const rocksdb::Status s = db_->DestroyColumnFamilyHandle(handle);
    HOTBFT_ASSERT(s.ok());  // fails only for the handle of DefaultColumnFamily(), not ours
  }
  // With sync on, every write was durable before it returned, so a failing close loses
  // nothing; and a destructor has no one to tell.
  (void)db_->Close();
}

rocksdb::ColumnFamilyHandle* RocksStore::Handle(ColumnFamily cf) const {
  HOTBFT_ASSERT(cf < layout::kColumnFamilyCount);
  HOTBFT_ASSERT(handles_.size() == layout::kColumnFamilyCount + 1);
  return handles_[cf + 1];
}

Status RocksStore::Error(const rocksdb::Status& status, std::string_view op,
                         ColumnFamily cf) const {
  return Error(status,
               std::string(op) + " column family " + std::string(layout::kColumnFamilyNames[cf]));
}

Status RocksStore::Error(const rocksdb::Status& status, std::string_view op) const {
  HOTBFT_ASSERT(!status.ok());
  std::string message =
      "RocksDB failed " + std::string(op) + " (database " + dir_ + "): " + status.ToString();
  if (status.IsCorruption()) return Status::Corruption(std::move(message));
  return Status::IoError(std::move(message));
}

// ---- Opening ----

Status RocksStore::Open() {
  HOTBFT_ASSERT(db_ == nullptr);
  HOTBFT_RETURN_IF_ERROR(OpenDatabase());
  auto version = Get(layout::kMetaCf, layout::kMetaSchemaVersion);
  if (!version.ok()) return version.status();
  if (version->has_value()) {
    HOTBFT_RETURN_IF_ERROR(CheckIdentity(**version));
  } else {
    HOTBFT_RETURN_IF_ERROR(Create());
  }
  return LoadTip();
}

namespace {

// Point lookups by random 32-byte keys (is this transaction committed? is this block
// stored?) mostly miss: every admission asks about a new transaction. Bloom filters, in
// the memtable and in the tables, answer most misses without searching, which a profile
// of a loaded validator put at a third of its CPU without them.
rocksdb::ColumnFamilyOptions FamilyOptions(std::string_view name) {
  rocksdb::ColumnFamilyOptions options;
  if (name == layout::kTxs || name == layout::kBlocks || name == layout::kResults) {
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = true;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    options.memtable_whole_key_filtering = true;
    options.memtable_prefix_bloom_size_ratio = 0.05;
  }
  if (name == layout::kTxs) {
    // One small entry per transaction at random keys: a smaller memtable keeps the skip
    // list shallow and in cache, which the executor's writes feel (a profile put half of
    // a loaded validator's write time in skip list inserts with the default 64 MiB).
    options.write_buffer_size = 16 << 20;
    // A block's hashes are inserted in key order (rocks_write.cc), and a hint lets each
    // insert start from where the previous one ended instead of searching from the top: an
    // empty prefix puts every key under one hint. storage_bench BM_ExecutedHeight: 750 to
    // 900 us of CPU a height of 256 transactions without it, 560 to 720 us with it.
    options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  }
  return options;
}

}  // namespace

Status RocksStore::OpenDatabase() {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.keep_log_file_num = kInfoLogFilesMax;
  if (options_.env != nullptr) db_options.env = options_.env;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (std::string_view name : layout::kColumnFamilyNames) {
    families.emplace_back(std::string(name), FamilyOptions(name));
  }
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  const rocksdb::Status s = rocksdb::DB::Open(db_options, dir_, families, &handles, &db);
  if (!s.ok()) return Error(s, "opening");
  db_.reset(db);
  handles_ = std::move(handles);
  HOTBFT_ASSERT(handles_.size() == families.size());
  return Status::Ok();
}

// A database without a schema version is new only if it holds nothing at all: creation
// writes the version with everything else in one batch.
Status RocksStore::CheckEmpty() const {
  for (size_t cf = 0; cf < layout::kColumnFamilyCount; ++cf) {
    const auto family = static_cast<ColumnFamily>(cf);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(family)));
    it->SeekToFirst();
    if (!it->status().ok()) return Error(it->status(), "scanning", family);
    if (it->Valid()) {
      return Status::Corruption("database at " + dir_ + " holds data in column family " +
                                std::string(layout::kColumnFamilyNames[cf]) +
                                " but no schema version: it was not written by hotbft");
    }
  }
  return Status::Ok();
}

Status RocksStore::Create() {
  HOTBFT_RETURN_IF_ERROR(CheckEmpty());
  PendingWrite w;
  const std::string genesis_id = IdKey(genesis_->id);
  const std::string genesis_height = HeightKey(genesis_->header.height);
  Put(w, layout::kMetaCf, layout::kMetaSchemaVersion, EncodeU32(kSchemaVersion));
  Put(w, layout::kMetaCf, layout::kMetaChainId, ctx_.chain_id);
  Put(w, layout::kMetaCf, layout::kMetaGenesisId, genesis_id);
  Put(w, layout::kMetaCf, layout::kMetaRootQc, EncodeQC(genesis_qc_));
  Put(w, layout::kMetaCf, layout::kMetaCommittedHeight, EncodeU64(genesis_->header.height));
  Put(w, layout::kMetaCf, layout::kMetaExecutedHeight, EncodeU64(genesis_->header.height));
  Put(w, layout::kMetaCf, layout::kMetaRetainHeight, EncodeU64(genesis_->header.height));
  Put(w, layout::kBlocksCf, genesis_id, EncodeBlock(*genesis_));
  Put(w, layout::kHeightsCf, genesis_height, genesis_id);
  Put(w, layout::kQcsCf, genesis_id, EncodeQC(genesis_qc_));
  return Commit(w, "creating");
}

Status RocksStore::CheckIdentity(std::string_view stored_version) const {
  auto version = DecodeU32(stored_version, "meta schema_version");
  if (!version.ok()) return version.status();
  if (*version != kSchemaVersion) {
    return Status::FailedPrecondition(
        "database at " + dir_ + " has schema version " + std::to_string(*version) +
        ", but this build reads schema version " + std::to_string(kSchemaVersion) +
        " only; open it with a build of its version or migrate it (removing it loses this "
        "validator's safety data)");
  }
  auto chain_id = Get(layout::kMetaCf, layout::kMetaChainId);
  if (!chain_id.ok()) return chain_id.status();
  if (!chain_id->has_value()) {
    return Status::Corruption("database at " + dir_ + " records no chain id");
  }
  if (**chain_id != ctx_.chain_id) {
    return Status::FailedPrecondition("database at " + dir_ + " belongs to chain " +
                                      Quoted(**chain_id) + ", not " + Quoted(ctx_.chain_id) +
                                      "; use another data directory or remove " + dir_);
  }
  auto genesis = Get(layout::kMetaCf, layout::kMetaGenesisId);
  if (!genesis.ok()) return genesis.status();
  if (!genesis->has_value()) {
    return Status::Corruption("database at " + dir_ + " records no genesis block id");
  }
  auto genesis_id = DecodeId(**genesis, "meta genesis_id");
  if (!genesis_id.ok()) return genesis_id.status();
  if (*genesis_id != genesis_->id) {
    return Status::FailedPrecondition(
        "database at " + dir_ + " was created from genesis block " + genesis_id->hex() + ", not " +
        genesis_->id.hex() + " of chain " + Quoted(ctx_.chain_id) +
        "; the genesis changed: use another data directory or remove " + dir_);
  }
  return Status::Ok();
}

Status RocksStore::LoadTip() {
  auto root_qc = ReadMetaQC(layout::kMetaRootQc, nullptr);
  if (!root_qc.ok()) return root_qc.status();
  if (!root_qc->has_value()) {
    return Status::Corruption("database at " + dir_ + " records no root QC");
  }
  auto committed = ReadMetaU64(layout::kMetaCommittedHeight);
  if (!committed.ok()) return committed.status();
  auto executed = ReadMetaU64(layout::kMetaExecutedHeight);
  if (!executed.ok()) return executed.status();
  auto retain = ReadMetaU64(layout::kMetaRetainHeight);
  if (!retain.ok()) return retain.status();
  const VoteData& root = (*root_qc)->vote_data;
  if (root.height != *committed || *executed > *committed || *retain > *committed) {
    return Status::Corruption(
        "database at " + dir_ + " has inconsistent metadata: root QC height " +
        std::to_string(root.height) + ", committed height " + std::to_string(*committed) +
        ", executed height " + std::to_string(*executed) + ", retain height " +
        std::to_string(*retain));
  }
  std::lock_guard<std::mutex> lock(write_mutex_);
  tip_ = StoredTip{root.block_id, *committed, *executed};
  retain_height_ = *retain;
  committed_height_.store(*committed);
  executed_height_.store(*executed);
  return Status::Ok();
}

// ---- Reading ----

Result<std::optional<std::string>> RocksStore::Get(ColumnFamily cf, std::string_view key,
                                                   const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  std::string value;
  const rocksdb::Status s = db_->Get(read, Handle(cf), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Error(s, "reading", cf);
  return std::optional<std::string>(std::move(value));
}

Result<std::shared_ptr<const Block>> RocksStore::ReadBlockAt(
    const Hash32& id, const rocksdb::Snapshot* snapshot) const {
  auto bytes = Get(layout::kBlocksCf, IdKey(id), snapshot);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::shared_ptr<const Block>();
  const std::string what = "stored block " + id.hex() + " in " + dir_;
  auto block = DecodeBlock(**bytes, ctx_, what);
  if (!block.ok()) return block.status();
  // The id is recomputed from the decoded header: a flipped bit cannot pass as the block.
  if ((*block)->id != id) {
    return Status::Corruption(what + " decodes to a block with id " + (*block)->id.hex());
  }
  return block;
}

Result<std::shared_ptr<const Block>> RocksStore::ReadBlock(const Hash32& id) const {
  return ReadBlockAt(id, nullptr);
}

Result<std::vector<HeightId>> RocksStore::ReadUncommitted(std::optional<Height> up_to,
                                                          const rocksdb::Snapshot* snapshot,
                                                          Height from) const {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  const std::string lower = HeightKey(from);
  const rocksdb::Slice lower_slice = ToSlice(lower);
  read.iterate_lower_bound = &lower_slice;
  // Keys are height then id, so every key of a height <= up_to sorts below HeightKey(up_to + 1).
  std::string bound;
  rocksdb::Slice bound_slice;
  if (up_to && *up_to < std::numeric_limits<Height>::max()) {
    bound = HeightKey(*up_to + 1);
    bound_slice = ToSlice(bound);
    read.iterate_upper_bound = &bound_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, Handle(layout::kUncommittedCf)));
  std::vector<HeightId> entries;
  for (it->Seek(lower_slice); it->Valid(); it->Next()) {
    auto entry = DecodeHeightIdKey(ToView(it->key()), "uncommitted index key");
    if (!entry.ok()) return entry.status();
    HOTBFT_ASSERT(!up_to || entry->height <= *up_to);
    entries.push_back(*entry);
  }
  if (!it->status().ok()) return Error(it->status(), "scanning", layout::kUncommittedCf);
  return entries;
}

Result<std::vector<HeightId>> RocksStore::ReadUncommittedUpTo(Height height) const {
  // Called while planning a write (write_mutex_ held), so tip_ is the committed height the
  // store holds: every entry at or below it left the index when that height committed (and
  // none is added there since), so the scan starts above it. From the first key instead, it
  // would step over every deletion still in the memtable, one more per committed height.
  return ReadUncommitted(height, nullptr, tip_.committed_height + 1);
}

Result<bool> RocksStore::HasBlockResult(Height height) const {
  auto bytes = Get(layout::kBlockResultsCf, HeightKey(height));
  if (!bytes.ok()) return bytes.status();
  return bytes->has_value();
}

Result<std::optional<QC>> RocksStore::ReadMetaQC(std::string_view key,
                                                 const rocksdb::Snapshot* snapshot) const {
  auto bytes = Get(layout::kMetaCf, key, snapshot);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<QC>();
  auto qc = DecodeQC(**bytes, ctx_, "meta " + std::string(key) + " in " + dir_);
  if (!qc.ok()) return qc.status();
  return std::optional<QC>(std::move(qc).value());
}

Result<uint64_t> RocksStore::ReadMetaU64(std::string_view key) const {
  auto bytes = Get(layout::kMetaCf, key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) {
    return Status::Corruption("database at " + dir_ + " records no " + std::string(key));
  }
  return DecodeU64(**bytes, "meta " + std::string(key) + " in " + dir_);
}

Result<RecoveryState> RocksStore::Recover() const {
  // One snapshot: a consistent state even while a write lands.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  return RecoverAt(snapshot.snapshot());
}

Result<RecoveryState> RocksStore::RecoverAt(const rocksdb::Snapshot* snapshot) const {
  RecoveryState state;
  auto safety = Get(layout::kSafetyCf, layout::kSafetyKey, snapshot);
  if (!safety.ok()) return safety.status();
  if (safety->has_value()) {
    auto data = DecodeSafetyData(
        **safety, ctx_, [&](const Hash32& id) { return ReadBlockAt(id, snapshot); },
        "safety data in " + dir_);
    if (!data.ok()) return data.status();
    state.safety = std::move(data).value();
  }
  auto root_qc = ReadMetaQC(layout::kMetaRootQc, snapshot);
  if (!root_qc.ok()) return root_qc.status();
  if (!root_qc->has_value()) {
    return Status::Corruption("database at " + dir_ + " records no root QC");
  }
  state.root_qc = std::move(**root_qc);
  auto root = ReadBlockAt(state.root_qc.vote_data.block_id, snapshot);
  if (!root.ok()) return root.status();
  if (*root == nullptr) {
    return Status::Corruption("database at " + dir_ + " lacks its root block " +
                              state.root_qc.vote_data.block_id.hex());
  }
  state.root = std::move(root).value();
  HOTBFT_RETURN_IF_ERROR(RecoverBlocks(snapshot, state));
  auto high_qc = ReadMetaQC(layout::kMetaHighQc, snapshot);
  if (!high_qc.ok()) return high_qc.status();
  state.high_qc = std::move(high_qc).value();
  auto high_tc = Get(layout::kMetaCf, layout::kMetaHighTc, snapshot);
  if (!high_tc.ok()) return high_tc.status();
  if (high_tc->has_value()) {
    auto tc = DecodeTC(**high_tc, ctx_, "meta high_tc in " + dir_);
    if (!tc.ok()) return tc.status();
    state.high_tc = std::move(tc).value();
  }
  return state;
}

Status RocksStore::RecoverBlocks(const rocksdb::Snapshot* snapshot, RecoveryState& state) const {
  HOTBFT_ASSERT(state.root != nullptr);
  auto entries = ReadUncommitted(std::nullopt, snapshot);
  if (!entries.ok()) return entries.status();
  for (const HeightId& entry : *entries) {
    auto block = ReadBlockAt(entry.id, snapshot);
    if (!block.ok()) return block.status();
    if (*block == nullptr || (*block)->header.height != entry.height ||
        entry.height <= state.root->header.height) {
      return Status::Corruption("database at " + dir_ + " lists uncommitted block " +
                                entry.id.hex() + " at height " + std::to_string(entry.height) +
                                " (committed height " + std::to_string(state.root->header.height) +
                                "), which is missing or stored at another height");
    }
    state.blocks.push_back(std::move(block).value());
  }
  return Status::Ok();
}

std::shared_ptr<const Block> RocksStore::GetBlock(const Hash32& id) const {
  auto block = ReadBlockAt(id, nullptr);
  return block.ok() ? std::move(block).value() : nullptr;
}

std::optional<QC> RocksStore::GetQC(const Hash32& id) const {
  auto bytes = Get(layout::kQcsCf, IdKey(id));
  if (!bytes.ok() || !bytes->has_value()) return std::nullopt;
  auto qc = DecodeQC(**bytes, ctx_, "stored QC");
  if (!qc.ok()) return std::nullopt;
  return std::move(qc).value();
}

std::optional<Hash32> RocksStore::CommittedAt(Height height) const {
  auto bytes = Get(layout::kHeightsCf, HeightKey(height));
  if (!bytes.ok() || !bytes->has_value()) return std::nullopt;
  auto id = DecodeId(**bytes, "committed height index");
  if (!id.ok()) return std::nullopt;
  return *id;
}

std::optional<TxRecord> RocksStore::GetTx(const Hash32& tx_hash) const {
  auto bytes = Get(layout::kTxsCf, IdKey(tx_hash));
  if (!bytes.ok() || !bytes->has_value()) return std::nullopt;
  auto record = DecodeTxRecord(**bytes, "transaction record");
  if (!record.ok()) return std::nullopt;
  return std::move(record).value();
}

Result<std::vector<std::optional<TxRecord>>> RocksStore::GetTxs(
    const std::vector<Hash32>& tx_hashes) const {
  std::vector<std::string> keys;
  keys.reserve(tx_hashes.size());
  for (const Hash32& hash : tx_hashes) keys.push_back(IdKey(hash));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), Handle(layout::kTxsCf), keys.size(), slices.data(),
                values.data(), statuses.data());
  std::vector<std::optional<TxRecord>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return Error(statuses[i], "reading", layout::kTxsCf);
    auto record = DecodeTxRecord(ToView(values[i]), "transaction record in " + dir_);
    if (!record.ok()) return record.status();
    out[i] = std::move(record).value();
  }
  return out;
}

std::optional<Bytes> RocksStore::AppHashAt(Height height) const {
  auto bytes = Get(layout::kResultsCf, HeightKey(height));
  if (!bytes.ok() || !bytes->has_value()) return std::nullopt;
  return Bytes((*bytes)->begin(), (*bytes)->end());
}

std::optional<Bytes> RocksStore::BlockResultAt(Height height) const {
  auto bytes = Get(layout::kBlockResultsCf, HeightKey(height));
  if (!bytes.ok() || !bytes->has_value() || (*bytes)->empty()) return std::nullopt;
  return Bytes((*bytes)->begin(), (*bytes)->end());
}

std::optional<StoredEvidence> RocksStore::GetEvidence(const EvidenceKey& key) const {
  auto bytes = Get(layout::kEvidenceCf, EvidenceKeyBytes(key));
  if (!bytes.ok() || !bytes->has_value()) return std::nullopt;
  auto record = DecodeEvidenceRecord(**bytes, key, "evidence record");
  if (!record.ok()) return std::nullopt;
  return std::move(record).value();
}

Result<std::vector<StoredEvidence>> RocksStore::ListEvidence(Epoch epoch, Round round_min,
                                                             size_t count_max) const {
  rocksdb::ReadOptions read;
  const std::string lower =
      EvidenceKeyBytes(EvidenceKey{EvidenceKind::kDoubleVote, 0, epoch, round_min});
  const rocksdb::Slice lower_slice = ToSlice(lower);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, Handle(layout::kEvidenceCf)));
  std::vector<StoredEvidence> out;
  for (it->Seek(lower_slice); it->Valid() && out.size() < count_max; it->Next()) {
    auto key = DecodeEvidenceKey(ToView(it->key()), "evidence key");
    if (!key.ok()) return key.status();
    if (key->epoch != epoch) break;
    auto record = DecodeEvidenceRecord(ToView(it->value()), *key, "evidence record");
    if (!record.ok()) return record.status();
    out.push_back(std::move(record).value());
  }
  if (!it->status().ok()) return Error(it->status(), "scanning", layout::kEvidenceCf);
  return out;
}

Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir, const std::string& chain_id,
                                              std::shared_ptr<const Block> genesis, QC genesis_qc,
                                              const RocksStoreOptions& options) {
  HOTBFT_ASSERT(genesis != nullptr);
  if (dir.empty()) return Status::InvalidArgument("database directory is empty");
  if (chain_id.empty()) return Status::InvalidArgument("chain id is empty");
  WireContext ctx{chain_id, genesis->header.justify.signers.n()};
  auto store = std::make_unique<RocksStore>(dir, std::move(ctx), std::move(genesis),
                                            std::move(genesis_qc), options);
  HOTBFT_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace hotbft::storage
