// Executor::Execute when the app or the store fails without a crash: the height is not
// executed, and executing the same block again completes it, with each height applied
// once in the app.
#include <gtest/gtest.h>

#include "node/executor.h"
#include "tests/node/executor_test_util.h"

namespace hotbft::node::testing {
namespace {

// A node that executed height 1 of the standard chain and has all of it committed, with
// an app and a store that fail on demand.
class ExecutorFailureTest : public ::testing::Test {
 protected:
  ExecutorFailureTest()
      : chain_(StandardChain()),
        clean_(RunClean(chain_)),
        kv_(OpenKv(dir_.Sub("kv"))),
        app_(kv_.get()),
        mem_(chain_.NewMemStore()),
        store_(mem_.get()),
        executor_(store_, app_, Config()) {}

  void SetUp() override {
    chain_.Commit(store_, 1);
    auto recovered = executor_.Recover();
    ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
    chain_.Commit(store_, chain_.height());
  }

  Status ExecuteError(Height height) {
    if (executor_.executed_height() + 1 != height) return Status::Internal("not the next height");
    auto executed = executor_.Execute(chain_.block(height));
    EXPECT_FALSE(executed.ok());
    return executed.status();
  }

  void ExpectExecutes(Height height) {
    ASSERT_EQ(executor_.executed_height() + 1, height) << "an earlier step went wrong";
    auto executed = executor_.Execute(chain_.block(height));
    ASSERT_TRUE(executed.ok()) << executed.status().ToString();
    EXPECT_EQ(executed->app_hash, clean_.app_hashes[height]);
    EXPECT_EQ(executed->tx_results.size(), chain_.block(height).payload->txs.size());
  }

  // Height 2 is not executed, whatever the attempt left behind.
  void ExpectHeightTwoNotExecuted() {
    EXPECT_EQ(executor_.executed_height(), 1u);
    EXPECT_EQ(store_.ExecutedHeight(), 1u);
    EXPECT_FALSE(store_.AppHashAt(2).has_value());
  }

  // The rest of the chain executes, and everything is as in a clean run.
  void ExpectRestLikeCleanRun() {
    for (Height h = executor_.executed_height() + 1; h <= chain_.height(); ++h) {
      ASSERT_NO_FATAL_FAILURE(ExpectExecutes(h));
    }
    ExpectLikeCleanRun(store_, clean_, chain_.height());
    EXPECT_EQ(app_.FinalizedHeights(), (std::vector<Height>{1, 2, 3, 4, 5}));
    EXPECT_EQ(app_.commits, 5u);
    EXPECT_EQ(ValueOf(app_, "c"), "3");
  }

  TestChain chain_;
  CleanRun clean_;
  TempDir dir_;
  std::unique_ptr<app::KvStore> kv_;
  TestApp app_;
  std::unique_ptr<storage::MemStore> mem_;
  TestStore store_;
  Executor executor_;
};

TEST_F(ExecutorFailureTest, FinalizeBlockErrorWritesNothing) {
  const size_t writes = store_.writes;
  app_.fail_finalize = 1;
  const Status status = ExecuteError(2);
  EXPECT_EQ(status.code(), Status::Code::kIoError);
  EXPECT_NE(status.message().find("FinalizeBlock at height 2"), std::string::npos)
      << status.ToString();
  EXPECT_NE(status.message().find("app unreachable"), std::string::npos) << status.ToString();
  ExpectHeightTwoNotExecuted();
  EXPECT_EQ(store_.writes, writes);
  EXPECT_FALSE(store_.GetTx(Sha256(Tx("c=3"))).has_value());

  ASSERT_NO_FATAL_FAILURE(ExpectExecutes(2));
  ExpectRestLikeCleanRun();
}

// The app holds the finalized block (the kvstore refuses a second FinalizeBlock while one
// awaits Commit): the retry commits that one, with the results of the first answer.
TEST_F(ExecutorFailureTest, CommitErrorThenRetryCommitsTheBlockFinalizedBefore) {
  app_.fail_commit = 1;
  const Status status = ExecuteError(2);
  EXPECT_EQ(status.code(), Status::Code::kIoError);
  EXPECT_NE(status.message().find("Commit at height 2"), std::string::npos) << status.ToString();
  ExpectHeightTwoNotExecuted();
  // Written ahead, and no more: a result above the executed height is not final.
  EXPECT_EQ(store_.GetTx(Sha256(Tx("c=3")))->height, 2u);

  ASSERT_NO_FATAL_FAILURE(ExpectExecutes(2));
  ExpectRestLikeCleanRun();
}

// The app came back without the finalized block (a restarted app process): the retry
// finalizes it again.
TEST_F(ExecutorFailureTest, CommitErrorThenAppRestartExecutesTheBlockAgain) {
  app_.fail_commit = 1;
  (void)ExecuteError(2);
  kv_.reset();
  kv_ = OpenKv(dir_.Sub("kv"));
  app_.set_inner(kv_.get());

  ExpectExecutes(2);
  EXPECT_EQ(app_.FinalizedHeights(), (std::vector<Height>{1, 2, 2}));
  EXPECT_EQ(app_.commits, 2u);
  ExpectLikeCleanRun(store_, clean_, 2);
}

// Commit took effect, its answer did not arrive: the retry asks Info and takes its hash.
TEST_F(ExecutorFailureTest, LostCommitAnswerIsCompletedFromInfo) {
  app_.lose_commit_answer = 1;
  (void)ExecuteError(2);
  ExpectHeightTwoNotExecuted();
  EXPECT_EQ(kv_->Info()->last_height, 2u);

  ASSERT_NO_FATAL_FAILURE(ExpectExecutes(2));
  ExpectRestLikeCleanRun();
}

TEST_F(ExecutorFailureTest, FailedResultsWriteIsRetriedBeforeTheAppCommits) {
  store_.fail_results_writes = 1;
  const Status status = ExecuteError(2);
  EXPECT_NE(status.message().find("writing the results of height 2"), std::string::npos)
      << status.ToString();
  ExpectHeightTwoNotExecuted();
  EXPECT_EQ(app_.commits, 1u);

  ASSERT_NO_FATAL_FAILURE(ExpectExecutes(2));
  ExpectRestLikeCleanRun();
}

TEST_F(ExecutorFailureTest, FailedAppHashWriteIsRetriedWithoutTheApp) {
  store_.fail_app_hash_writes = 1;
  const Status status = ExecuteError(2);
  EXPECT_NE(status.message().find("writing the app hash of height 2"), std::string::npos)
      << status.ToString();
  ExpectHeightTwoNotExecuted();

  ASSERT_NO_FATAL_FAILURE(ExpectExecutes(2));
  ExpectRestLikeCleanRun();
}

TEST_F(ExecutorFailureTest, RetriesSurviveFailuresOfTheirOwn) {
  app_.fail_commit = 1;
  (void)ExecuteError(2);
  app_.fail_info = 1;
  const Status info_error = ExecuteError(2);
  EXPECT_NE(info_error.message().find("Info, retrying at height 2"), std::string::npos)
      << info_error.ToString();
  app_.fail_commit = 1;
  (void)ExecuteError(2);
  ExpectHeightTwoNotExecuted();

  ASSERT_NO_FATAL_FAILURE(ExpectExecutes(2));
  ExpectRestLikeCleanRun();
}

TEST_F(ExecutorFailureTest, RecoverAfterAFailureResumesTheAttempt) {
  app_.fail_commit = 1;
  (void)ExecuteError(2);
  auto recovered = executor_.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(*recovered, chain_.height());
  ExpectLikeCleanRun(store_, clean_, chain_.height());
  EXPECT_EQ(app_.FinalizedHeights(), (std::vector<Height>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(app_.init_chains.size() == 1u);
}

// An answer that breaks the contract (a reserved code) is an error, and nothing is
// written. The kvstore then holds a block the node has no results for, and refuses to
// finalize it again: the retry keeps failing, writing nothing, until the app restarts.
TEST_F(ExecutorFailureTest, ContractBreakingAnswerIsAnErrorAndWritesNothing) {
  const size_t writes = store_.writes;
  app_.reserved_code = 1;
  const Status status = ExecuteError(2);
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(status.message().find("reserved"), std::string::npos) << status.ToString();
  const Status again = ExecuteError(2);
  EXPECT_NE(again.message().find("awaits Commit"), std::string::npos) << again.ToString();
  ExpectHeightTwoNotExecuted();
  EXPECT_EQ(store_.writes, writes);
  EXPECT_FALSE(store_.GetTx(Sha256(Tx("c=3"))).has_value());

  kv_.reset();
  kv_ = OpenKv(dir_.Sub("kv"));
  app_.set_inner(kv_.get());
  ExpectExecutes(2);
}

}  // namespace
}  // namespace hotbft::node::testing
