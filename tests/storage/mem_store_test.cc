// The in-memory store's model of a disk: queued batches are invisible until synced, sync
// in order, and a crash loses exactly the batches not yet synced.
#include "tests/storage/store_test_util.h"

namespace hotbft::storage::testing {
namespace {

class MemStoreTest : public ::testing::Test {
 protected:
  MemStoreTest()
      : fx_(kValidators), chain_(MakeChain(fx_, 4)), store_(fx_.genesis(), fx_.genesis_qc()) {}

  WriteBatch StoreBlock(Height h) {
    WriteBatch batch;
    batch.blocks.push_back(chain_.blocks[h]);
    batch.high_qc = chain_.qcs[h - 1];
    return batch;
  }

  Fixture fx_;
  Chain chain_;
  MemStore store_;
};

TEST_F(MemStoreTest, CrashLosesExactlyTheUnsyncedBatches) {
  store_.WriteUnsynced(StoreBlock(1));
  store_.WriteUnsynced(StoreBlock(2));
  store_.WriteUnsynced(CommitBatch(chain_, 0, 1));
  EXPECT_EQ(store_.unsynced(), 3u);
  ASSERT_TRUE(store_.SyncOldest().ok());
  ASSERT_TRUE(store_.SyncOldest().ok());
  EXPECT_EQ(store_.unsynced(), 1u);

  store_.Crash();
  EXPECT_EQ(store_.unsynced(), 0u);
  auto state = store_.Recover();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->root->id, fx_.genesis()->id);  // the commit was never synced
  EXPECT_EQ(Ids(state->blocks), IdsOf(chain_, 1, 2));
  EXPECT_EQ(state->high_qc, chain_.qcs[1]);
  EXPECT_EQ(store_.CommittedHeight(), 0u);
}

TEST_F(MemStoreTest, GettersSeeOnlySyncedBatches) {
  store_.WriteUnsynced(StoreBlock(1));
  EXPECT_EQ(store_.GetBlock(chain_.blocks[1]->id), nullptr);
  EXPECT_TRUE(store_.Recover()->blocks.empty());
  ASSERT_TRUE(store_.SyncOldest().ok());
  EXPECT_NE(store_.GetBlock(chain_.blocks[1]->id), nullptr);
}

TEST_F(MemStoreTest, WriteSyncsEverythingQueuedBeforeIt) {
  store_.WriteUnsynced(StoreBlock(1));
  store_.WriteUnsynced(StoreBlock(2));
  ASSERT_TRUE(store_.Write(CommitBatch(chain_, 0, 2)).ok());
  EXPECT_EQ(store_.unsynced(), 0u);
  EXPECT_EQ(store_.CommittedHeight(), 2u);
  store_.Crash();
  EXPECT_EQ(store_.CommittedHeight(), 2u);  // durable: a crash keeps it
}

TEST_F(MemStoreTest, ARejectedBatchIsDroppedWhenSynced) {
  store_.WriteUnsynced(CommitBatch(chain_, 0, 1));  // block 1 is not stored
  store_.WriteUnsynced(StoreBlock(1));
  const Status rejected = store_.SyncOldest();
  EXPECT_EQ(rejected.code(), Status::Code::kFailedPrecondition) << rejected.ToString();
  ASSERT_TRUE(store_.SyncOldest().ok());
  EXPECT_EQ(store_.CommittedHeight(), 0u);
  EXPECT_NE(store_.GetBlock(chain_.blocks[1]->id), nullptr);
}

}  // namespace
}  // namespace hotbft::storage::testing
