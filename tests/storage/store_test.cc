// The behavioural suite every Store implementation passes: the same batches, the same
// answers, on the RocksDB store and on the in-memory one.
#include <atomic>
#include <thread>

#include "tests/storage/store_test_util.h"

namespace hotbft::storage::testing {
namespace {

template <typename Factory>
class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : fx_(kValidators), chain_(MakeChain(fx_, 8)) {}

  void SetUp() override {
    store_ = factory_.Open(fx_);
    ASSERT_NE(store_, nullptr);
  }

  // Stores blocks 1..n of the chain, uncommitted.
  void StoreBlocks(Height n) {
    WriteBatch batch;
    for (Height h = 1; h <= n; ++h) batch.blocks.push_back(chain_.blocks[h]);
    ASSERT_TRUE(store_->Write(batch).ok());
  }

  // Stores blocks 1..n and commits 1..committed, in one batch.
  void StoreAndCommit(Height n, Height committed) {
    WriteBatch batch = CommitBatch(chain_, 0, committed);
    for (Height h = 1; h <= n; ++h) batch.blocks.push_back(chain_.blocks[h]);
    const Status status = store_->Write(batch);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  RecoveryState MustRecover() {
    auto state = store_->Recover();
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return state.ok() ? std::move(state).value() : RecoveryState{};
  }

  Fixture fx_;
  Chain chain_;
  Factory factory_;
  std::unique_ptr<Store> store_;
};

using Implementations = ::testing::Types<MemStoreFactory, RocksStoreFactory>;
TYPED_TEST_SUITE(StoreTest, Implementations);

TYPED_TEST(StoreTest, FreshStoreRecoversGenesisAndNoSafetyData) {
  RecoveryState state = this->MustRecover();
  EXPECT_FALSE(state.safety.has_value());
  ExpectSameBlock(state.root, this->fx_.genesis());
  EXPECT_EQ(state.root_qc, this->fx_.genesis_qc());
  EXPECT_TRUE(state.blocks.empty());
  EXPECT_FALSE(state.high_qc.has_value());
  EXPECT_FALSE(state.high_tc.has_value());
  EXPECT_EQ(this->store_->CommittedHeight(), 0u);
  EXPECT_EQ(this->store_->ExecutedHeight(), 0u);
  EXPECT_EQ(this->store_->CommittedAt(0), this->fx_.genesis()->id);
  EXPECT_FALSE(this->store_->CommittedAt(1).has_value());
  ExpectSameBlock(this->store_->GetBlock(this->fx_.genesis()->id), this->fx_.genesis());
  EXPECT_EQ(this->store_->GetQC(this->fx_.genesis()->id), this->fx_.genesis_qc());
  EXPECT_FALSE(this->store_->AppHashAt(0).has_value());
}

TYPED_TEST(StoreTest, RecoverReturnsEveryFieldWritten) {
  WriteBatch batch;
  const SafetyData safety = FullSafetyData(this->fx_, this->chain_);
  batch.safety = safety;
  for (Height h = 1; h <= 3; ++h) batch.blocks.push_back(this->chain_.blocks[h]);
  batch.blocks.push_back(safety.last_proposal->block);  // with its safety data, as the core does
  batch.high_qc = this->chain_.qcs[2];
  batch.high_tc = this->fx_.MakeTC(3, 2);
  ASSERT_TRUE(this->store_->Write(batch).ok());

  RecoveryState state = this->MustRecover();
  ExpectSameSafety(state.safety, safety);
  ExpectSameBlock(state.root, this->fx_.genesis());
  EXPECT_EQ(state.root_qc, this->fx_.genesis_qc());
  EXPECT_EQ(Ids(state.blocks), With(IdsOf(this->chain_, 1, 3), safety.last_proposal->block->id));
  for (const auto& block : state.blocks) {
    if (block->id == safety.last_proposal->block->id) continue;  // compared with the safety data
    ExpectSameBlock(block, this->chain_.blocks[block->header.height]);
  }
  EXPECT_EQ(state.high_qc, this->chain_.qcs[2]);
  EXPECT_EQ(state.high_tc, *batch.high_tc);
  ExpectSameBlock(this->store_->GetBlock(this->chain_.blocks[2]->id), this->chain_.blocks[2]);
}

TYPED_TEST(StoreTest, LaterWritesReplaceSafetyDataAndCertificates) {
  WriteBatch first;
  first.safety = SafetyData{};
  first.high_qc = this->chain_.qcs[1];
  first.high_tc = this->fx_.MakeTC(2, 1);
  ASSERT_TRUE(this->store_->Write(first).ok());
  WriteBatch second;
  second.safety = FullSafetyData(this->fx_, this->chain_);
  second.blocks.push_back(second.safety->last_proposal->block);
  second.high_qc = this->chain_.qcs[3];
  ASSERT_TRUE(this->store_->Write(second).ok());

  RecoveryState state = this->MustRecover();
  ExpectSameSafety(state.safety, *second.safety);
  EXPECT_EQ(state.high_qc, this->chain_.qcs[3]);
  EXPECT_EQ(state.high_tc, *first.high_tc);  // not in the second batch: unchanged
}

// The last proposal is kept by its block: once the block is gone (here: never written),
// the recovered safety data leaves the proposal out and keeps everything else, its round
// among them, so the validator can never propose in that round again.
TYPED_TEST(StoreTest, SafetyDataLeavesOutAProposalWhoseBlockIsGone) {
  WriteBatch batch;
  batch.safety = FullSafetyData(this->fx_, this->chain_);
  ASSERT_TRUE(this->store_->Write(batch).ok());

  RecoveryState state = this->MustRecover();
  ASSERT_TRUE(state.safety.has_value());
  EXPECT_FALSE(state.safety->last_proposal.has_value());
  SafetyData want = *batch.safety;
  want.last_proposal.reset();
  EXPECT_EQ(EncodeSafetyData(*state.safety), EncodeSafetyData(want));
  EXPECT_EQ(state.safety->last_proposed_round, batch.safety->last_proposed_round);
  EXPECT_EQ(state.safety->last_proposed_round, 3u);
}

// Its stored form holds the proposal's block id, not the block: a leader writes its safety
// data with every vote and timeout, and the payload is in the blocks written with it.
TEST(SafetyDataEncoding, HoldsTheProposalsBlockIdNotItsPayload) {
  Fixture fx(kValidators);
  Chain chain = MakeChain(fx, 3);
  SafetyRules rules(fx.MakeValidatorSigner(0, 7), 0, kChainId, std::nullopt);
  rules.InitializeFresh(0);
  std::vector<Bytes> txs(1'000, Bytes(256, 0x5a));
  for (size_t i = 0; i < txs.size(); ++i) {
    txs[i][0] = static_cast<uint8_t>(i);
    txs[i][1] = static_cast<uint8_t>(i >> 8);
  }
  auto own = fx.MakeBlock(chain.qcs[1], 2, 0, txs);
  ASSERT_TRUE(rules.SignProposal(own, std::nullopt).ok());
  const std::string stored = EncodeSafetyData(rules.data());
  EXPECT_LT(stored.size(), 2'000u);  // the payload alone is 256,000 bytes
  EXPECT_NE(stored.find(std::string(own->id.bytes.begin(), own->id.bytes.end())),
            std::string::npos);
}

TYPED_TEST(StoreTest, CommitIndexesHeightsAndMovesTheRoot) {
  this->StoreBlocks(5);
  ASSERT_TRUE(this->store_->Write(CommitBatch(this->chain_, 0, 3)).ok());

  EXPECT_EQ(this->store_->CommittedHeight(), 3u);
  for (Height h = 0; h <= 3; ++h)
    EXPECT_EQ(this->store_->CommittedAt(h), this->chain_.blocks[h]->id);
  EXPECT_FALSE(this->store_->CommittedAt(4).has_value());
  // Each committed block with the QC certifying it: the next block's justify, or the root QC.
  for (Height h = 0; h <= 3; ++h) {
    EXPECT_EQ(this->store_->GetQC(this->chain_.blocks[h]->id), this->chain_.qcs[h]) << h;
  }
  EXPECT_FALSE(this->store_->GetQC(this->chain_.blocks[4]->id).has_value());
  RecoveryState state = this->MustRecover();
  ExpectSameBlock(state.root, this->chain_.blocks[3]);
  EXPECT_EQ(state.root_qc, this->chain_.qcs[3]);
  EXPECT_EQ(Ids(state.blocks), IdsOf(this->chain_, 4, 5));
  // Committed blocks stay readable until pruned.
  ExpectSameBlock(this->store_->GetBlock(this->chain_.blocks[1]->id), this->chain_.blocks[1]);
}

TYPED_TEST(StoreTest, BlocksCanBeCommittedInTheBatchThatCarriesThem) {
  this->StoreAndCommit(4, 2);
  EXPECT_EQ(this->store_->CommittedHeight(), 2u);
  EXPECT_EQ(this->store_->CommittedAt(2), this->chain_.blocks[2]->id);
  EXPECT_EQ(Ids(this->MustRecover().blocks), IdsOf(this->chain_, 3, 4));
}

// Append folds consecutive writes into one (group commit) with the effect of writing them
// in order: blocks and commits add up, the later safety data and certificates win.
TYPED_TEST(StoreTest, AppendedBatchesHaveTheEffectOfTheirSequence) {
  WriteBatch first;
  first.safety = SafetyData{};
  first.safety->last_voted_round = 3;
  first.blocks = {this->chain_.blocks[1], this->chain_.blocks[2], this->chain_.blocks[3]};
  first.high_qc = this->chain_.qcs[2];
  WriteBatch second = CommitBatch(this->chain_, 0, 1);
  second.safety = SafetyData{};
  second.safety->last_voted_round = 4;
  second.blocks = {this->chain_.blocks[4]};
  second.high_qc = this->chain_.qcs[3];
  WriteBatch third = CommitBatch(this->chain_, 1, 2);
  third.blocks = {this->chain_.blocks[5]};

  WriteBatch grouped = first;
  Append(grouped, second);
  Append(grouped, third);
  ASSERT_TRUE(this->store_->Write(grouped).ok());
  EXPECT_EQ(this->store_->CommittedHeight(), 2u);
  EXPECT_EQ(this->store_->CommittedAt(1), this->chain_.blocks[1]->id);
  EXPECT_EQ(this->store_->CommittedAt(2), this->chain_.blocks[2]->id);
  RecoveryState state = this->MustRecover();
  ASSERT_TRUE(state.safety.has_value());
  EXPECT_EQ(state.safety->last_voted_round, 4u);
  EXPECT_EQ(state.high_qc, this->chain_.qcs[3]);
  EXPECT_EQ(state.root_qc, this->chain_.qcs[2]);
  EXPECT_EQ(Ids(state.blocks), IdsOf(this->chain_, 3, 5));
}

TYPED_TEST(StoreTest, CommitDropsBlocksThatLostToTheCommittedBranch) {
  this->StoreBlocks(3);
  // A fork at height 2 (round 5, extending block 1), stored before the commit.
  auto fork = this->fx_.MakeBlock(this->chain_.qcs[1], 5, 1, {{9, 9}});
  WriteBatch store_fork;
  store_fork.blocks.push_back(fork);
  ASSERT_TRUE(this->store_->Write(store_fork).ok());
  EXPECT_NE(this->store_->GetBlock(fork->id), nullptr);

  ASSERT_TRUE(this->store_->Write(CommitBatch(this->chain_, 0, 2)).ok());
  EXPECT_EQ(this->store_->GetBlock(fork->id), nullptr);
  EXPECT_EQ(Ids(this->MustRecover().blocks), IdsOf(this->chain_, 3, 3));

  // A block at or below the tip that the batch does not commit is not kept either.
  auto late = this->fx_.MakeBlock(this->chain_.qcs[1], 6, 2);
  WriteBatch late_batch;
  late_batch.blocks.push_back(late);
  ASSERT_TRUE(this->store_->Write(late_batch).ok());
  EXPECT_EQ(this->store_->GetBlock(late->id), nullptr);
  EXPECT_EQ(Ids(this->MustRecover().blocks), IdsOf(this->chain_, 3, 3));
}

TYPED_TEST(StoreTest, ExecutionRecordsIndexTransactionsAndAppHashes) {
  this->StoreAndCommit(3, 3);
  WriteBatch batch;
  batch.executed = {Execution(this->chain_, 1), Execution(this->chain_, 2)};
  ASSERT_TRUE(this->store_->Write(batch).ok());

  EXPECT_EQ(this->store_->ExecutedHeight(), 2u);
  EXPECT_EQ(this->store_->AppHashAt(1), AppHash(1));
  EXPECT_EQ(this->store_->AppHashAt(2), AppHash(2));
  EXPECT_FALSE(this->store_->AppHashAt(3).has_value());
  for (const auto& [hash, record] : batch.executed[1].txs) {
    EXPECT_EQ(this->store_->GetTx(hash), record);
  }
  EXPECT_FALSE(this->store_->GetTx(Sha256(TxBytes(3, 0))).has_value());
  // All at once, in the order asked, the unknown ones empty.
  std::vector<Hash32> asked{Sha256(TxBytes(3, 0)), batch.executed[1].txs[1].first,
                            batch.executed[0].txs[0].first, Sha256(TxBytes(3, 1))};
  auto records = this->store_->GetTxs(asked);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 4u);
  EXPECT_FALSE((*records)[0].has_value());
  EXPECT_EQ((*records)[1], batch.executed[1].txs[1].second);
  EXPECT_EQ((*records)[2], batch.executed[0].txs[0].second);
  EXPECT_FALSE((*records)[3].has_value());
  EXPECT_TRUE(this->store_->GetTxs({})->empty());
}

// Results written before the app commits their height: indexed at once, executed only
// once a record with the app hash completes the height.
TYPED_TEST(StoreTest, ResultsWrittenAheadWaitForTheAppHash) {
  this->StoreAndCommit(4, 3);
  WriteBatch first;
  first.executed = {Execution(this->chain_, 1)};
  ExecutionRecord ahead = Execution(this->chain_, 2);
  ahead.app_hash.clear();
  first.finalized = ahead;
  ASSERT_TRUE(this->store_->Write(first).ok());
  EXPECT_EQ(this->store_->ExecutedHeight(), 1u);
  EXPECT_FALSE(this->store_->AppHashAt(2).has_value());
  EXPECT_EQ(this->store_->GetTx(ahead.txs[1].first), ahead.txs[1].second);

  // Written again for the same height (the app executed it again after a crash): replaced.
  ahead.txs[1].second.result = {0x0b};
  WriteBatch again;
  again.finalized = ahead;
  ASSERT_TRUE(this->store_->Write(again).ok());
  EXPECT_EQ(this->store_->GetTx(ahead.txs[1].first), ahead.txs[1].second);

  // Completed by the app hash alone; the next height's results may share the batch.
  WriteBatch complete;
  complete.executed = {Completion(2)};
  ExecutionRecord next = Execution(this->chain_, 3);
  next.app_hash.clear();
  complete.finalized = next;
  ASSERT_TRUE(this->store_->Write(complete).ok());
  EXPECT_EQ(this->store_->ExecutedHeight(), 2u);
  EXPECT_EQ(this->store_->AppHashAt(2), AppHash(2));
  EXPECT_EQ(this->store_->GetTx(ahead.txs[1].first), ahead.txs[1].second);
  EXPECT_EQ(this->store_->GetTx(next.txs[0].first), next.txs[0].second);
  EXPECT_FALSE(this->store_->AppHashAt(3).has_value());
}

TYPED_TEST(StoreTest, ResultsWrittenAheadOnlyForTheNextHeightWithoutAnAppHash) {
  this->StoreAndCommit(4, 2);
  WriteBatch executed;
  executed.executed = {Execution(this->chain_, 1), Execution(this->chain_, 2)};
  ASSERT_TRUE(this->store_->Write(executed).ok());

  auto ahead_of = [this](Height h) {
    ExecutionRecord record = Execution(this->chain_, h);
    record.app_hash.clear();
    WriteBatch batch;
    batch.finalized = record;
    batch.safety = SafetyData{};  // must not land without the rest
    return batch;
  };
  WriteBatch behind = ahead_of(2);
  WriteBatch gap = ahead_of(4);
  WriteBatch with_hash = ahead_of(3);
  with_hash.finalized->app_hash = AppHash(3);
  WriteBatch uncommitted = ahead_of(3);  // height 3 is not committed yet
  const std::vector<std::pair<const char*, WriteBatch*>> cases = {
      {"height 2 do not follow executed height 2", &behind},
      {"height 4 do not follow executed height 2", &gap},
      {"carry an app hash", &with_hash},
      {"height 3 are above the committed height 2", &uncommitted}};
  for (const auto& [expected, batch] : cases) {
    const Status status = this->store_->Write(*batch);
    EXPECT_FALSE(status.ok()) << expected;
    EXPECT_NE(status.message().find(expected), std::string::npos) << status.ToString();
  }
  EXPECT_FALSE(this->MustRecover().safety.has_value());
  EXPECT_FALSE(this->store_->GetTx(Sha256(TxBytes(3, 0))).has_value());
  EXPECT_FALSE(this->store_->GetTx(Sha256(TxBytes(4, 0))).has_value());
  EXPECT_FALSE(this->store_->BlockResultAt(3).has_value());
  EXPECT_FALSE(this->store_->BlockResultAt(4).has_value());
  EXPECT_EQ(this->store_->BlockResultAt(2), BlockResult(2));
  EXPECT_EQ(this->store_->ExecutedHeight(), 2u);
}

// A block result lands with its execution record, in the same write, or not at all.
TYPED_TEST(StoreTest, BlockResultsAreStoredWithTheirExecutionRecords) {
  this->StoreAndCommit(4, 3);
  WriteBatch batch;
  ExecutionRecord without = Execution(this->chain_, 2);
  without.block_result.clear();
  batch.executed = {Execution(this->chain_, 1), without};
  ASSERT_TRUE(this->store_->Write(batch).ok());
  EXPECT_EQ(this->store_->BlockResultAt(1), BlockResult(1));
  EXPECT_FALSE(this->store_->BlockResultAt(2).has_value());  // empty: nothing recorded
  EXPECT_FALSE(this->store_->BlockResultAt(3).has_value());
  EXPECT_FALSE(this->store_->BlockResultAt(0).has_value());

  // Refused for its block result: nothing of the record lands.
  WriteBatch oversized;
  oversized.executed = {Execution(this->chain_, 3)};
  oversized.executed[0].block_result.assign(kBlockResultBytesMax + 1, 0x01);
  // Refused for its record: nothing of the block result lands.
  WriteBatch misplaced;
  misplaced.executed = {Execution(this->chain_, 3)};
  misplaced.executed[0].txs[0].second.height = 2;
  const std::vector<std::pair<const char*, WriteBatch*>> cases = {
      {"block result of height 3 has", &oversized}, {"is recorded at height 2", &misplaced}};
  for (const auto& [expected, refused] : cases) {
    const Status status = this->store_->Write(*refused);
    EXPECT_FALSE(status.ok()) << expected;
    EXPECT_NE(status.message().find(expected), std::string::npos) << status.ToString();
  }
  EXPECT_EQ(this->store_->ExecutedHeight(), 2u);
  EXPECT_FALSE(this->store_->AppHashAt(3).has_value());
  EXPECT_FALSE(this->store_->GetTx(Sha256(TxBytes(3, 0))).has_value());
  EXPECT_FALSE(this->store_->BlockResultAt(3).has_value());
}

// The block result written ahead of the app's Commit: replaced when written again, kept
// when the height is completed by its app hash alone.
TYPED_TEST(StoreTest, BlockResultWrittenAheadOutlivesTheCompletingRecord) {
  this->StoreAndCommit(4, 3);
  WriteBatch first;
  first.executed = {Execution(this->chain_, 1)};
  first.finalized = Ahead(this->chain_, 2);
  ASSERT_TRUE(this->store_->Write(first).ok());
  EXPECT_EQ(this->store_->ExecutedHeight(), 1u);
  EXPECT_EQ(this->store_->BlockResultAt(2), BlockResult(2));

  // Written again (the height executed again after a crash): replaced, and erased when the
  // new execution returned none.
  WriteBatch again;
  again.finalized = Ahead(this->chain_, 2);
  again.finalized->block_result = {0x0b};
  ASSERT_TRUE(this->store_->Write(again).ok());
  EXPECT_EQ(this->store_->BlockResultAt(2), (Bytes{0x0b}));
  again.finalized->block_result.clear();
  ASSERT_TRUE(this->store_->Write(again).ok());
  EXPECT_FALSE(this->store_->BlockResultAt(2).has_value());
  again.finalized->block_result = BlockResult(2);
  ASSERT_TRUE(this->store_->Write(again).ok());

  WriteBatch complete;
  complete.executed = {Completion(2)};
  ASSERT_TRUE(this->store_->Write(complete).ok());
  EXPECT_EQ(this->store_->ExecutedHeight(), 2u);
  EXPECT_EQ(this->store_->AppHashAt(2), AppHash(2));
  EXPECT_EQ(this->store_->BlockResultAt(2), BlockResult(2));

  // A completing record that carries a block result replaces the one written ahead.
  WriteBatch ahead_three;
  ahead_three.finalized = Ahead(this->chain_, 3);
  ASSERT_TRUE(this->store_->Write(ahead_three).ok());
  WriteBatch complete_three;
  complete_three.executed = {Completion(3)};
  complete_three.executed[0].block_result = {0x0c};
  ASSERT_TRUE(this->store_->Write(complete_three).ok());
  EXPECT_EQ(this->store_->BlockResultAt(3), (Bytes{0x0c}));
  EXPECT_EQ(this->store_->BlockResultAt(2), BlockResult(2));
}

TYPED_TEST(StoreTest, CommitAndExecutionMayShareABatch) {
  WriteBatch batch = CommitBatch(this->chain_, 0, 2);
  for (Height h = 1; h <= 3; ++h) batch.blocks.push_back(this->chain_.blocks[h]);
  batch.executed = {Execution(this->chain_, 1), Execution(this->chain_, 2)};
  ASSERT_TRUE(this->store_->Write(batch).ok());
  EXPECT_EQ(this->store_->CommittedHeight(), 2u);
  EXPECT_EQ(this->store_->ExecutedHeight(), 2u);
}

TYPED_TEST(StoreTest, PruneKeepsTheTipAndTheTransactionIndex) {
  this->StoreAndCommit(6, 5);
  WriteBatch executed;
  for (Height h = 1; h <= 5; ++h) executed.executed.push_back(Execution(this->chain_, h));
  ASSERT_TRUE(this->store_->Write(executed).ok());

  ASSERT_TRUE(this->store_->Prune(4).ok());
  for (Height h = 0; h < 4; ++h) {
    EXPECT_FALSE(this->store_->CommittedAt(h).has_value()) << "height " << h;
    EXPECT_EQ(this->store_->GetBlock(this->chain_.blocks[h]->id), nullptr) << "height " << h;
    EXPECT_FALSE(this->store_->GetQC(this->chain_.blocks[h]->id).has_value()) << "height " << h;
  }
  EXPECT_EQ(this->store_->GetQC(this->chain_.blocks[4]->id), this->chain_.qcs[4]);
  EXPECT_EQ(this->store_->CommittedAt(4), this->chain_.blocks[4]->id);
  EXPECT_EQ(this->store_->CommittedAt(5), this->chain_.blocks[5]->id);
  // The transaction index, app hashes and block results outlive their blocks.
  EXPECT_EQ(this->store_->GetTx(Sha256(TxBytes(1, 0))), (TxRecord{1, 0, {0x0a, 0}}));
  EXPECT_EQ(this->store_->AppHashAt(1), AppHash(1));
  EXPECT_EQ(this->store_->BlockResultAt(1), BlockResult(1));

  // A retain height beyond the tip keeps the tip; pruning again changes nothing.
  ASSERT_TRUE(this->store_->Prune(100).ok());
  ASSERT_TRUE(this->store_->Prune(2).ok());
  EXPECT_FALSE(this->store_->CommittedAt(4).has_value());
  EXPECT_EQ(this->store_->CommittedAt(5), this->chain_.blocks[5]->id);
  RecoveryState state = this->MustRecover();
  ExpectSameBlock(state.root, this->chain_.blocks[5]);
  EXPECT_EQ(Ids(state.blocks), IdsOf(this->chain_, 6, 6));
  for (Height h = 1; h <= 5; ++h) EXPECT_EQ(this->store_->BlockResultAt(h), BlockResult(h)) << h;

  // Commits continue after pruning.
  ASSERT_TRUE(this->store_->Write(CommitBatch(this->chain_, 5, 6)).ok());
  EXPECT_EQ(this->store_->CommittedHeight(), 6u);
}

// Only app hashes may go unsynced (WriteBatch::sync): anything else so marked is refused
// whole, and an accepted one is seen at once.
TYPED_TEST(StoreTest, UnsyncedBatchesCarryAppHashesOnly) {
  this->StoreAndCommit(4, 3);
  WriteBatch ahead;
  ahead.finalized = Execution(this->chain_, 1);
  ahead.finalized->app_hash.clear();
  WriteBatch unsynced_results = ahead;
  unsynced_results.sync = false;
  WriteBatch unsynced_safety;
  unsynced_safety.safety = SafetyData{};
  unsynced_safety.sync = false;
  WriteBatch unsynced_record;  // an executed record with transactions
  unsynced_record.executed = {Execution(this->chain_, 1)};
  unsynced_record.sync = false;
  WriteBatch unsynced_block;
  unsynced_block.blocks.push_back(this->chain_.blocks[5]);
  unsynced_block.sync = false;
  for (const WriteBatch* refused :
       {&unsynced_results, &unsynced_safety, &unsynced_record, &unsynced_block}) {
    const Status status = this->store_->Write(*refused);
    EXPECT_EQ(status.code(), Status::Code::kInvalidArgument) << status.ToString();
    EXPECT_NE(status.message().find("unsynced batch"), std::string::npos) << status.ToString();
  }
  EXPECT_EQ(this->store_->GetBlock(this->chain_.blocks[5]->id), nullptr);
  EXPECT_FALSE(this->MustRecover().safety.has_value());
  EXPECT_FALSE(this->store_->GetTx(ahead.finalized->txs[0].first).has_value());

  ASSERT_TRUE(this->store_->Write(ahead).ok());
  WriteBatch complete;
  complete.executed = {Completion(1)};
  complete.sync = false;
  ASSERT_TRUE(this->store_->Write(complete).ok());
  EXPECT_EQ(this->store_->ExecutedHeight(), 1u);
  EXPECT_EQ(this->store_->AppHashAt(1), AppHash(1));
}

TYPED_TEST(StoreTest, RejectsInconsistentBatchesAndWritesNothing) {
  this->StoreBlocks(4);
  WriteBatch skips = CommitBatch(this->chain_, 1, 2);  // height 1 was never committed
  WriteBatch no_root;
  no_root.committed.push_back(this->chain_.blocks[1]->id);
  WriteBatch wrong_root = CommitBatch(this->chain_, 0, 2);
  wrong_root.root_qc = this->chain_.qcs[1];
  WriteBatch moves_root_alone;
  moves_root_alone.root_qc = this->chain_.qcs[1];
  WriteBatch unknown = CommitBatch(this->chain_, 0, 1);
  unknown.committed[0] = Sha256(AsBytes("unknown"));
  unknown.root_qc->vote_data.block_id = unknown.committed[0];
  WriteBatch early_execution;
  early_execution.executed.push_back(Execution(this->chain_, 1));  // height 1 not committed
  WriteBatch with_evidence;
  auto block = std::make_shared<Block>(*this->chain_.blocks[5]);
  block->payload =
      std::make_shared<Payload>(Payload{{}, {Bytes(kEvidenceBytesMax + 1, 1)}});  // too big
  with_evidence.blocks.push_back(block);
  with_evidence.safety = SafetyData{};  // must not land without the rest

  const std::vector<std::pair<const char*, WriteBatch*>> cases = {
      {"expected height 1", &skips},
      {"no root QC", &no_root},
      {"root QC", &wrong_root},
      {"no blocks", &moves_root_alone},
      {"neither in the batch nor stored", &unknown},
      {"above the committed height", &early_execution},
      {"evidence", &with_evidence}};
  for (const auto& [expected, batch] : cases) {
    const Status status = this->store_->Write(*batch);
    EXPECT_FALSE(status.ok()) << expected;
    EXPECT_NE(status.message().find(expected), std::string::npos) << status.ToString();
  }
  EXPECT_EQ(this->store_->CommittedHeight(), 0u);
  EXPECT_EQ(this->store_->ExecutedHeight(), 0u);
  RecoveryState state = this->MustRecover();
  EXPECT_FALSE(state.safety.has_value());
  EXPECT_EQ(Ids(state.blocks), IdsOf(this->chain_, 1, 4));
}

// A chain whose blocks carry evidence: heights 1 and 3 do.
struct EvidenceChain {
  Chain chain;
  std::vector<Bytes> pieces;  // in block order
};

Bytes DoubleVoteBytes(Fixture& fx, Round round, uint32_t voter) {
  auto a = fx.MakeBlock(fx.genesis_qc(), round, 0, {{1}});
  auto b = fx.MakeBlock(fx.genesis_qc(), round, 0, {{2}});
  return EncodeEvidence(DoubleVote{fx.MakeVote(*a, voter), fx.MakeVote(*b, voter)});
}

EvidenceChain MakeEvidenceChain(Fixture& fx) {
  EvidenceChain out;
  out.chain.blocks.push_back(fx.genesis());
  out.chain.qcs.push_back(fx.genesis_qc());
  const std::vector<std::vector<Bytes>> evidence = {
      {DoubleVoteBytes(fx, 1, 3), DoubleVoteBytes(fx, 1, 2)}, {}, {DoubleVoteBytes(fx, 2, 1)}};
  for (Height h = 1; h <= evidence.size(); ++h) {
    auto block =
        std::make_shared<Block>(*fx.MakeBlock(out.chain.qcs.back(), h, 1, {TxBytes(h, 0)}));
    auto payload = std::make_shared<Payload>(*block->payload);
    payload->evidence = evidence[h - 1];
    block->header.payload_hash = PayloadHash(kChainId, payload->txs, payload->evidence);
    block->payload = std::move(payload);
    block->id = block->header.Id(kChainId);
    for (const Bytes& piece : evidence[h - 1]) out.pieces.push_back(piece);
    out.chain.qcs.push_back(fx.MakeQC(*block));
    out.chain.blocks.push_back(std::move(block));
  }
  return out;
}

TYPED_TEST(StoreTest, BlocksKeepTheirEvidenceAndCommitsIndexIt) {
  const EvidenceChain ev = MakeEvidenceChain(this->fx_);
  WriteBatch store;
  for (Height h = 1; h <= 3; ++h) store.blocks.push_back(ev.chain.blocks[h]);
  ASSERT_TRUE(this->store_->Write(store).ok());
  ExpectSameBlock(this->store_->GetBlock(ev.chain.blocks[1]->id), ev.chain.blocks[1]);
  EXPECT_EQ(*this->store_->GetBlock(ev.chain.blocks[1]->id)->payload, *ev.chain.blocks[1]->payload);
  auto none = this->store_->ListEvidence(0, 0, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty()) << "uncommitted evidence is not indexed";

  WriteBatch commit = CommitBatch(ev.chain, 0, 3);
  ASSERT_TRUE(this->store_->Write(commit).ok());
  auto all = this->store_->ListEvidence(0, 0, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  // Ordered by round, then validator.
  EXPECT_EQ((*all)[0].key, (EvidenceKey{EvidenceKind::kDoubleVote, 2, 0, 1}));
  EXPECT_EQ((*all)[0].height, 1u);
  EXPECT_EQ((*all)[0].evidence, ev.pieces[1]);
  EXPECT_EQ((*all)[1].key, (EvidenceKey{EvidenceKind::kDoubleVote, 3, 0, 1}));
  EXPECT_EQ((*all)[1].evidence, ev.pieces[0]);
  EXPECT_EQ((*all)[2].key, (EvidenceKey{EvidenceKind::kDoubleVote, 1, 0, 2}));
  EXPECT_EQ((*all)[2].height, 3u);
  EXPECT_EQ(this->store_->GetEvidence((*all)[2].key), (*all)[2]);
  EXPECT_FALSE(this->store_->GetEvidence(EvidenceKey{EvidenceKind::kDoubleProposal, 2, 0, 1}));

  EXPECT_EQ(this->store_->ListEvidence(0, 2, 100)->size(), 1u);
  EXPECT_EQ(this->store_->ListEvidence(0, 0, 2)->size(), 2u);
  EXPECT_TRUE(this->store_->ListEvidence(1, 0, 100)->empty());

  // What the core recovers: the window below the root's round (3).
  CoreConfig config;
  config.evidence_age_rounds_max = 10;
  auto state = RecoverForCore(*this->store_, config);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->committed_evidence.size(), 3u);
  config.evidence_age_rounds_max = 1;
  state = RecoverForCore(*this->store_, config);
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->committed_evidence.size(), 1u);
  EXPECT_EQ(state->committed_evidence[0].second, 3u);
}

TYPED_TEST(StoreTest, ExecutionMustFollowTheExecutedHeight) {
  this->StoreAndCommit(3, 3);
  WriteBatch gap;
  gap.executed.push_back(Execution(this->chain_, 2));
  const Status status = this->store_->Write(gap);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("height 2 does not follow executed height 0"), std::string::npos)
      << status.ToString();
}

TYPED_TEST(StoreTest, EmptyBatchAndRestatedRootAreAccepted) {
  EXPECT_TRUE(this->store_->Write(WriteBatch{}).ok());
  this->StoreAndCommit(2, 1);
  WriteBatch restated;
  restated.root_qc = this->chain_.qcs[1];
  EXPECT_TRUE(this->store_->Write(restated).ok());
  EXPECT_EQ(this->store_->CommittedHeight(), 1u);
}

// Getters run on other threads while the writer commits: whatever height a reader sees
// committed is already in the height index.
TYPED_TEST(StoreTest, GettersAreSafeAlongsideWrites) {
  this->StoreBlocks(8);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    Height last = 0;
    while (!done.load()) {
      const Height committed = this->store_->CommittedHeight();
      EXPECT_GE(committed, last);
      EXPECT_EQ(this->store_->CommittedAt(committed), this->chain_.blocks[committed]->id);
      EXPECT_NE(this->store_->GetBlock(this->chain_.blocks[committed]->id), nullptr);
      last = committed;
      reads.fetch_add(1);
    }
  });
  while (reads.load() == 0) std::this_thread::yield();
  for (Height h = 1; h <= 8; ++h) {
    EXPECT_TRUE(this->store_->Write(CommitBatch(this->chain_, h - 1, h)).ok());
  }
  done.store(true);
  reader.join();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(this->store_->CommittedHeight(), 8u);
}

}  // namespace
}  // namespace hotbft::storage::testing
