// The RocksDB store on a real directory: reopening, identity checks, a database from
// before a column family was added, and atomicity under a torn write-ahead-log write.
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include "storage/rocks_layout.h"
#include "tests/storage/store_test_util.h"

namespace hotbft::storage::testing {
namespace {

namespace layout = rocks_layout;

// Once armed, every append to a write-ahead log fails, the first after writing half its
// bytes: the torn record a crash in the middle of a write leaves behind.
class TornWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TornWalFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>& armed)
      : FSWritableFileOwnerWrapper(std::move(file)), armed_(armed) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (!armed_.load()) return target()->Append(data, options, dbg);
    return Tear(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (!armed_.load()) return target()->Append(data, options, info, dbg);
    return Tear(data, options, dbg);
  }

 private:
  rocksdb::IOStatus Tear(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* dbg) {
    if (!torn_) {
      torn_ = true;
      (void)target()->Append(rocksdb::Slice(data.data(), data.size() / 2), options, dbg);
      (void)target()->Flush(options, dbg);
    }
    return rocksdb::IOStatus::IOError("injected torn write");
  }

  const std::atomic<bool>& armed_;
  bool torn_ = false;
};

// Hands every write-ahead log the database opens (NNNNNN.log; RocksDB's info log is LOG) to
// Wrap, for a test to intercept what is written to it.
class WalWrappingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  WalWrappingFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, file, dbg);
    const bool wal = name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
    if (s.ok() && wal) *file = Wrap(std::move(*file));
    return s;
  }

 protected:
  virtual std::unique_ptr<rocksdb::FSWritableFile> Wrap(
      std::unique_ptr<rocksdb::FSWritableFile> file) = 0;
};

class TornWalFileSystem : public WalWrappingFileSystem {
 public:
  const char* Name() const override { return "TornWalFileSystem"; }
  void Arm() { armed_.store(true); }

 protected:
  std::unique_ptr<rocksdb::FSWritableFile> Wrap(
      std::unique_ptr<rocksdb::FSWritableFile> file) override {
    return std::make_unique<TornWalFile>(std::move(file), armed_);
  }

 private:
  std::atomic<bool> armed_{false};
};

// Counts the syncs of write-ahead logs.
class SyncCountingFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  SyncCountingFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::atomic<int>& syncs)
      : FSWritableFileOwnerWrapper(std::move(file)), syncs_(syncs) {}
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    ++syncs_;
    return target()->Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    ++syncs_;
    return target()->Fsync(options, dbg);
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    ++syncs_;
    return target()->RangeSync(offset, nbytes, options, dbg);
  }

 private:
  std::atomic<int>& syncs_;
};

class SyncCountingFileSystem : public WalWrappingFileSystem {
 public:
  const char* Name() const override { return "SyncCountingFileSystem"; }
  int syncs() const { return syncs_.load(); }

 protected:
  std::unique_ptr<rocksdb::FSWritableFile> Wrap(
      std::unique_ptr<rocksdb::FSWritableFile> file) override {
    return std::make_unique<SyncCountingFile>(std::move(file), syncs_);
  }

 private:
  std::atomic<int> syncs_{0};
};

class RocksStoreTest : public ::testing::Test {
 protected:
  RocksStoreTest() : fx_(kValidators), chain_(MakeChain(fx_, 6)) {}

  Result<std::unique_ptr<Store>> Open(const std::string& chain_id = kChainId,
                                      std::shared_ptr<const Block> genesis = nullptr,
                                      RocksStoreOptions options = {}) {
    if (genesis == nullptr) genesis = fx_.genesis();
    QC genesis_qc = MakeGenesisQC(*genesis);
    return OpenRocksStore(dir_.Sub("db"), chain_id, std::move(genesis), std::move(genesis_qc),
                          options);
  }

  std::unique_ptr<Store> MustOpen() {
    auto store = Open();
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Blocks 1..4, block 1 and 2 committed and executed, safety data and both certificates.
  WriteBatch FullBatch() {
    WriteBatch batch = CommitBatch(chain_, 0, 2);
    for (Height h = 1; h <= 4; ++h) batch.blocks.push_back(chain_.blocks[h]);
    batch.safety = FullSafetyData(fx_, chain_, /*extend=*/3);  // above the committed height
    batch.blocks.push_back(batch.safety->last_proposal->block);
    batch.high_qc = chain_.qcs[3];
    batch.high_tc = fx_.MakeTC(4, 3);
    batch.executed = {Execution(chain_, 1), Execution(chain_, 2)};
    return batch;
  }

  void ExpectHoldsFullBatch(const Store& store, const WriteBatch& batch) {
    auto state = store.Recover();
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    ExpectSameSafety(state->safety, *batch.safety);
    ExpectSameBlock(state->root, chain_.blocks[2]);
    EXPECT_EQ(state->root_qc, chain_.qcs[2]);
    EXPECT_EQ(Ids(state->blocks),
              With(IdsOf(chain_, 3, 4), batch.safety->last_proposal->block->id));
    EXPECT_EQ(state->high_qc, batch.high_qc);
    EXPECT_EQ(state->high_tc, batch.high_tc);
    EXPECT_EQ(store.CommittedHeight(), 2u);
    EXPECT_EQ(store.CommittedAt(1), chain_.blocks[1]->id);
    EXPECT_EQ(store.ExecutedHeight(), 2u);
    EXPECT_EQ(store.AppHashAt(2), AppHash(2));
    EXPECT_EQ(store.GetTx(batch.executed[1].txs[1].first), batch.executed[1].txs[1].second);
    const Bytes& block_result = batch.executed[1].block_result;
    EXPECT_EQ(store.BlockResultAt(2),
              block_result.empty() ? std::nullopt : std::optional<Bytes>(block_result));
  }

  // Opens the database behind the store's back with every column family, hands the raw
  // database and the handles (default family first) to `change`, and closes it.
  template <typename Change>
  void ChangeRaw(Change change) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()}};
    for (std::string_view name : layout::kColumnFamilyNames) {
      families.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), dir_.Sub("db"), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    change(*db, handles);
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    ASSERT_TRUE(db->Close().ok());
  }

  Fixture fx_;
  Chain chain_;
  TempDir dir_;
};

// GetTx takes a damaged record for an unknown transaction; GetTxs, which the executor's
// duplicate check uses, says the store is corrupt instead, so no duplicate slips through.
TEST_F(RocksStoreTest, GetTxsFailsOnARecordThatDoesNotDecode) {
  const WriteBatch batch = FullBatch();
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Write(batch).ok());
  }
  const Hash32 damaged = batch.executed[1].txs[1].first;
  ChangeRaw([&](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    ASSERT_TRUE(
        db.Put(rocksdb::WriteOptions(), handles[1 + layout::kTxsCf], IdKey(damaged), "x").ok());
  });
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(store->GetTx(damaged).has_value());
  auto records = store->GetTxs({batch.executed[1].txs[0].first, damaged});
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().code(), Status::Code::kCorruption);
}

// A leader that crashed after its proposal became durable: reopened, the store gives back
// the proposal whole (its block found by id), and the safety rules built from it re-send it
// as signed instead of signing again.
TEST_F(RocksStoreTest, AReopenedLeaderReSendsItsStoredProposalWithItsPayload) {
  SafetyRules rules(fx_.MakeValidatorSigner(0, 7), 0, kChainId, std::nullopt);
  rules.InitializeFresh(0);
  std::vector<Bytes> txs;
  for (int i = 0; i < 200; ++i) {
    const std::string tx = "key" + std::to_string(i) + "=value";
    txs.emplace_back(tx.begin(), tx.end());
  }
  auto own = fx_.MakeBlock(chain_.qcs[4], 8, 0, txs);
  auto signed_proposal = rules.SignProposal(own, std::nullopt);
  ASSERT_TRUE(signed_proposal.ok());
  ASSERT_TRUE(signed_proposal->fresh);
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    for (Height h = 1; h <= 4; ++h) batch.blocks.push_back(chain_.blocks[h]);
    batch.blocks.push_back(own);
    batch.safety = rules.data();
    ASSERT_TRUE(store->Write(batch).ok());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_TRUE(state->safety.has_value());
  ASSERT_TRUE(state->safety->last_proposal.has_value());
  ExpectSameBlock(state->safety->last_proposal->block, own);
  SafetyRules restarted(fx_.MakeValidatorSigner(0, 8), 0, kChainId, state->safety);
  auto again = restarted.SignProposal(state->safety->last_proposal->block, std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->fresh) << "a re-send, not a new signature";
  EXPECT_EQ(again->message.signature, signed_proposal->message.signature);
  EXPECT_EQ(again->message.block->payload->txs.size(), 200u);
}

TEST_F(RocksStoreTest, ReopenKeepsEverything) {
  const WriteBatch batch = FullBatch();
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Write(batch).ok());
    ASSERT_TRUE(store->Prune(1).ok());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  ExpectHoldsFullBatch(*store, batch);
  EXPECT_FALSE(store->CommittedAt(0).has_value());  // pruned before the restart
  // The reopened store continues where it stopped.
  ASSERT_TRUE(store->Write(CommitBatch(chain_, 2, 3)).ok());
  EXPECT_EQ(store->CommittedHeight(), 3u);
}

// Each commit erases the uncommitted index's entries at or below the new height. The scan
// that finds them must start above the old committed height: from the first key it would
// step over the deletions of every earlier commit still in the memtable, so each commit
// would cost more than the last.
TEST_F(RocksStoreTest, ACommitDoesNotStepOverEarlierCommitsDeletions) {
  constexpr Height kHeights = 300;
  const Chain chain = MakeChain(fx_, kHeights + 1);
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto commit = [&](Height h) {
    WriteBatch insert;
    insert.blocks = {chain.blocks[h]};
    ASSERT_TRUE(store->Write(insert).ok());
    ASSERT_TRUE(store->Write(CommitBatch(chain, h - 1, h)).ok());
  };
  for (Height h = 1; h <= kHeights; ++h) commit(h);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  commit(kHeights + 1);
  const uint64_t skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  EXPECT_LT(skipped, 8u) << "deletions stepped over by one commit after " << kHeights;
  EXPECT_EQ(store->CommittedHeight(), kHeights + 1);
}

TEST_F(RocksStoreTest, ReopenOfANewDatabaseRecoversGenesis) {
  { ASSERT_NE(MustOpen(), nullptr); }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->safety.has_value());
  EXPECT_EQ(state->root->id, fx_.genesis()->id);
}

TEST_F(RocksStoreTest, WrongChainIdFailsNamingBoth) {
  { ASSERT_NE(MustOpen(), nullptr); }
  auto other = MakeGenesisBlock("other-chain", 0, kValidators);
  auto store = Open("other-chain", other);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kFailedPrecondition);
  const std::string& message = store.status().message();
  EXPECT_NE(message.find("database at " + dir_.Sub("db") +
                         " belongs to chain 'test-chain', not "
                         "'other-chain'; use another data directory or remove " +
                         dir_.Sub("db")),
            std::string::npos)
      << message;
}

TEST_F(RocksStoreTest, WrongGenesisFailsNamingBoth) {
  { ASSERT_NE(MustOpen(), nullptr); }
  auto other = MakeGenesisBlock(kChainId, 1, kValidators);  // another epoch
  auto store = Open(kChainId, other);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(store.status().message().find(fx_.genesis()->id.hex() + ", not " + other->id.hex()),
            std::string::npos)
      << store.status().ToString();
}

TEST_F(RocksStoreTest, WrongSchemaVersionFails) {
  { ASSERT_NE(MustOpen(), nullptr); }
  // Rewrite the version behind the store's back, as a future build would have.
  ChangeRaw([](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    const std::string version = EncodeU32(kSchemaVersion + 1);
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), handles[1 + layout::kMetaCf],
                       std::string(layout::kMetaSchemaVersion), version)
                    .ok());
  });
  auto store = Open();
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(store.status().message().find(
                "has schema version " + std::to_string(kSchemaVersion + 1) +
                ", but this build reads schema version " + std::to_string(kSchemaVersion)),
            std::string::npos)
      << store.status().ToString();
}

// A database written before the block_results column family existed (same schema
// version) opens: the family is created, everything else is there, and block results are
// recorded from then on.
TEST_F(RocksStoreTest, DatabaseWithoutTheBlockResultsFamilyOpens) {
  WriteBatch batch = FullBatch();
  for (ExecutionRecord& record : batch.executed) record.block_result.clear();
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Write(batch).ok());
  }
  ChangeRaw([](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    ASSERT_TRUE(db.DropColumnFamily(handles[1 + layout::kBlockResultsCf]).ok());
  });
  {
    std::vector<std::string> families;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir_.Sub("db"), &families).ok());
    EXPECT_EQ(std::count(families.begin(), families.end(), std::string(layout::kBlockResults)), 0);
  }
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ExpectHoldsFullBatch(*store, batch);
    WriteBatch next = CommitBatch(chain_, 2, 3);
    next.finalized = Ahead(chain_, 3);
    ASSERT_TRUE(store->Write(next).ok());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->CommittedHeight(), 3u);
  EXPECT_EQ(store->ExecutedHeight(), 2u);
  EXPECT_EQ(store->AppHashAt(2), AppHash(2));
  EXPECT_FALSE(store->BlockResultAt(2).has_value());
  EXPECT_EQ(store->BlockResultAt(3), BlockResult(3));
  EXPECT_EQ(store->GetTx(Sha256(TxBytes(3, 1))), (TxRecord{3, 1, {0x0a, 1}}));
}

TEST_F(RocksStoreTest, SecondOpenOfTheSameDirectoryFails) {
  auto first = MustOpen();
  ASSERT_NE(first, nullptr);
  auto second = Open();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kIoError);
  EXPECT_NE(second.status().message().find(dir_.Sub("db")), std::string::npos);
}

TEST_F(RocksStoreTest, OneBatchAppearsWholeAfterReopen) {
  const WriteBatch batch = FullBatch();
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Write(batch).ok());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  ExpectHoldsFullBatch(*store, batch);
}

// A write torn in the middle of its log record leaves nothing of the batch: after a
// restart the store holds exactly the batches before it.
TEST_F(RocksStoreTest, TornWriteLeavesNothingOfTheBatch) {
  auto fs = std::make_shared<TornWalFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  WriteBatch first;
  first.blocks = {chain_.blocks[1], chain_.blocks[2]};
  first.safety = SafetyData{};
  first.high_qc = chain_.qcs[1];
  {
    RocksStoreOptions options;
    options.env = env.get();
    auto store = Open(kChainId, nullptr, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Write(first).ok());
    fs->Arm();
    const Status torn = (*store)->Write(FullBatch());
    ASSERT_FALSE(torn.ok());
    EXPECT_EQ(torn.code(), Status::Code::kIoError);
    EXPECT_NE(torn.message().find("injected torn write"), std::string::npos) << torn.ToString();
    EXPECT_EQ((*store)->CommittedHeight(), 0u);
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto state = store->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ExpectSameSafety(state->safety, *first.safety);
  EXPECT_EQ(state->root->id, fx_.genesis()->id);
  EXPECT_EQ(Ids(state->blocks), IdsOf(chain_, 1, 2));
  EXPECT_EQ(state->high_qc, chain_.qcs[1]);
  EXPECT_FALSE(state->high_tc.has_value());
  EXPECT_EQ(store->CommittedHeight(), 0u);
  EXPECT_EQ(store->ExecutedHeight(), 0u);
  EXPECT_EQ(store->GetBlock(chain_.blocks[3]->id), nullptr);
  EXPECT_FALSE(store->AppHashAt(1).has_value());
  EXPECT_FALSE(store->BlockResultAt(1).has_value());
}

// An app hash written unsynced does not wait for the disk; the next synced write makes it
// durable with everything before it (one log), and it is there after a reopen.
TEST_F(RocksStoreTest, UnsyncedAppHashSkipsTheSyncAndSurvivesTheNextSyncedWrite) {
  auto fs = std::make_shared<SyncCountingFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  {
    RocksStoreOptions options;
    options.env = env.get();
    auto store = Open(kChainId, nullptr, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    WriteBatch commit = CommitBatch(chain_, 0, 3);
    for (Height h = 1; h <= 3; ++h) commit.blocks.push_back(chain_.blocks[h]);
    commit.finalized = Ahead(chain_, 1);
    int syncs = fs->syncs();
    ASSERT_TRUE((*store)->Write(commit).ok());
    EXPECT_GT(fs->syncs(), syncs);

    WriteBatch complete;
    complete.executed = {Completion(1)};
    complete.sync = false;
    syncs = fs->syncs();
    ASSERT_TRUE((*store)->Write(complete).ok());
    EXPECT_EQ(fs->syncs(), syncs);
    EXPECT_EQ((*store)->ExecutedHeight(), 1u);
    EXPECT_EQ((*store)->AppHashAt(1), AppHash(1));

    WriteBatch next;
    next.finalized = Ahead(chain_, 2);
    ASSERT_TRUE((*store)->Write(next).ok());
    EXPECT_GT(fs->syncs(), syncs);
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ExecutedHeight(), 1u);
  EXPECT_EQ(store->AppHashAt(1), AppHash(1));
  EXPECT_EQ(store->GetTx(Sha256(TxBytes(2, 0))), (TxRecord{2, 0, {0x0a, 0}}));
}

TEST_F(RocksStoreTest, UnsyncedOptionStillWrites) {
  RocksStoreOptions options;
  options.sync = false;
  auto store = Open(kChainId, nullptr, options);
  ASSERT_TRUE(store.ok());
  const WriteBatch batch = FullBatch();
  ASSERT_TRUE((*store)->Write(batch).ok());
  ExpectHoldsFullBatch(**store, batch);
}

}  // namespace
}  // namespace hotbft::storage::testing
