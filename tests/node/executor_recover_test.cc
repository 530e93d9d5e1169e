// Executor::Recover: an app in step with the store, one height ahead after a crash, behind
// after losing state, ahead of the chain; and a crash at every point of one height.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "app/noop.h"
#include "node/executor.h"
#include "tests/node/executor_test_util.h"

namespace hotbft::node::testing {
namespace {

Height MustRecover(Executor& executor) {
  auto recovered = executor.Recover();
  EXPECT_TRUE(recovered.ok()) << recovered.status().ToString();
  return recovered.ok() ? *recovered : 0;
}

Status RecoverError(storage::Store& store, app::Application& app) {
  Executor executor(store, app, Config());
  auto recovered = executor.Recover();
  EXPECT_FALSE(recovered.ok());
  return recovered.status();
}

void ExpectMentions(const Status& status, const std::string& text) {
  EXPECT_NE(status.message().find(text), std::string::npos)
      << "no \"" << text << "\" in " << status.ToString();
}

// The chain executed up to `height` into `store` by a kvstore in `kv_dir`.
void ExecuteUpTo(const TestChain& chain, storage::Store& store, const std::string& kv_dir,
                 Height height) {
  auto kv = OpenKv(kv_dir);
  chain.Commit(store, height);
  Executor executor(store, *kv, Config());
  EXPECT_EQ(MustRecover(executor), height);
}

// Case (a): the app is where the store is; only newly committed heights are executed.
TEST(ExecutorRecoverTest, AppInStepExecutesOnlyWhatIsNew) {
  const TestChain chain = StandardChain();
  const CleanRun clean = RunClean(chain);
  TempDir dir;
  auto store = chain.OpenRocksStore(dir.Sub("db"));
  ASSERT_NE(store, nullptr);
  ExecuteUpTo(chain, *store, dir.Sub("kv"), 3);

  auto kv = OpenKv(dir.Sub("kv"));
  TestApp app(kv.get());
  chain.Commit(*store, 5);
  {
    Executor executor(*store, app, Config());
    EXPECT_EQ(MustRecover(executor), 5u);
  }
  EXPECT_EQ(app.FinalizedHeights(), (std::vector<Height>{4, 5}));
  EXPECT_TRUE(app.init_chains.empty());
  ExpectLikeCleanRun(*store, clean, 5);

  Executor again(*store, app, Config());
  EXPECT_EQ(MustRecover(again), 5u);
  EXPECT_EQ(app.FinalizedHeights(), (std::vector<Height>{4, 5}));
  EXPECT_EQ(ValueOf(app, "a"), "4");
  EXPECT_EQ(ValueOf(app, "e"), "6");
}

TEST(ExecutorRecoverTest, NewAppGetsInitChainOnce) {
  const TestChain chain = StandardChain();
  TempDir dir;
  auto kv = OpenKv(dir.Sub("kv"));
  TestApp app(kv.get());
  auto store = chain.NewMemStore();
  chain.Commit(*store, 2);
  {
    Executor executor(*store, app, Config());
    EXPECT_EQ(MustRecover(executor), 2u);
  }
  ASSERT_EQ(app.init_chains.size(), 1u);
  EXPECT_EQ(app.init_chains[0].chain_id, kChainId);
  EXPECT_EQ(app.init_chains[0].initial_height, kInitialHeight);
  Executor executor(*store, app, Config());
  EXPECT_EQ(MustRecover(executor), 2u);
  EXPECT_EQ(app.init_chains.size(), 1u);
}

// A crash inside the execution of height 2, at each point between the app and the store;
// the node restarts (store and app reopened) and recovers.
enum class CrashPoint {
  kBeforeResultsWrite,  // FinalizeBlock answered; the results never reached the store
  kBeforeAppCommit,     // results written ahead; the app never committed
  kBeforeAppHashWrite,  // the app committed; its hash never reached the store
};

class ExecutorCrashTest : public ::testing::TestWithParam<CrashPoint> {};

TEST_P(ExecutorCrashTest, RecoversToTheCleanRunWithoutExecutingAHeightTwice) {
  const TestChain chain = StandardChain();
  const CleanRun clean = RunClean(chain);
  TempDir dir;
  {
    auto rocks = chain.OpenRocksStore(dir.Sub("db"));
    ASSERT_NE(rocks, nullptr);
    TestStore store(rocks.get());
    auto kv = OpenKv(dir.Sub("kv"));
    TestApp app(kv.get());
    app.block_outcome = true;
    chain.Commit(store, 1);
    Executor executor(store, app, Config());
    ASSERT_EQ(MustRecover(executor), 1u);
    chain.Commit(store, chain.height());
    store.fail_results_writes = GetParam() == CrashPoint::kBeforeResultsWrite ? 1 : 0;
    app.fail_commit = GetParam() == CrashPoint::kBeforeAppCommit ? 1 : 0;
    store.fail_app_hash_writes = GetParam() == CrashPoint::kBeforeAppHashWrite ? 1 : 0;
    ASSERT_FALSE(executor.Execute(chain.block(2)).ok());
    EXPECT_EQ(rocks->ExecutedHeight(), 1u);
    const bool results_written = GetParam() != CrashPoint::kBeforeResultsWrite;
    EXPECT_EQ(rocks->GetTx(Sha256(Tx("c=3"))).has_value(), results_written);
    EXPECT_EQ(rocks->BlockResultAt(2).has_value(), results_written);
  }  // the crash: the app forgets what it did not commit

  auto store = chain.OpenRocksStore(dir.Sub("db"));
  ASSERT_NE(store, nullptr);
  auto kv = OpenKv(dir.Sub("kv"));
  TestApp app(kv.get());
  app.block_outcome = true;
  Executor executor(*store, app, Config());
  EXPECT_EQ(MustRecover(executor), chain.height());
  ExpectLikeCleanRun(*store, clean, chain.height());
  // Every height's events and validator updates are recorded, height 2's included: after
  // kBeforeAppHashWrite it is completed from the app without executing it again, from
  // what was written ahead.
  for (Height h = 1; h <= chain.height(); ++h) ExpectBlockOutcomeStored(*store, h);
  const std::vector<Height> executed_again = GetParam() == CrashPoint::kBeforeAppHashWrite
                                                 ? std::vector<Height>{3, 4, 5}
                                                 : std::vector<Height>{2, 3, 4, 5};
  EXPECT_EQ(app.FinalizedHeights(), executed_again);
  EXPECT_EQ(ValueOf(app, "c"), "3");
  EXPECT_EQ(ValueOf(app, "a"), "4");
}

std::string CrashPointName(const ::testing::TestParamInfo<CrashPoint>& info) {
  switch (info.param) {
    case CrashPoint::kBeforeResultsWrite: return "BeforeResultsWrite";
    case CrashPoint::kBeforeAppCommit: return "BeforeAppCommit";
    case CrashPoint::kBeforeAppHashWrite: return "BeforeAppHashWrite";
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(EveryPoint, ExecutorCrashTest,
                         ::testing::Values(CrashPoint::kBeforeResultsWrite,
                                           CrashPoint::kBeforeAppCommit,
                                           CrashPoint::kBeforeAppHashWrite),
                         CrashPointName);

// Case (b) built by hand: the app committed height 2 on another node's store, so this
// store has none of its results. Completing the height would lose them: refused.
TEST(ExecutorRecoverTest, AppOneAheadWithoutStoredResultsIsRefused) {
  const TestChain chain = StandardChain();
  TempDir dir;
  auto elsewhere = chain.NewMemStore();
  ExecuteUpTo(chain, *elsewhere, dir.Sub("kv"), 2);
  auto store = chain.NewMemStore();
  ExecuteUpTo(chain, *store, dir.Sub("other-kv"), 1);
  chain.Commit(*store, 3);

  auto kv = OpenKv(dir.Sub("kv"));
  const Status status = RecoverError(*store, *kv);
  EXPECT_EQ(status.code(), Status::Code::kCorruption);
  ExpectMentions(status, "committed height 2");
  ExpectMentions(status, "no result");
  EXPECT_EQ(store->ExecutedHeight(), 1u);
}

// Case (c): the app lost its last heights (a restored backup); they are executed again
// and checked, and nothing is written.
TEST(ExecutorRecoverTest, AppBehindReplaysAndChecksEachHash) {
  const TestChain chain = StandardChain();
  const CleanRun clean = RunClean(chain);
  TempDir dir;
  auto rocks = chain.OpenRocksStore(dir.Sub("db"));
  ASSERT_NE(rocks, nullptr);
  ExecuteUpTo(chain, *rocks, dir.Sub("kv"), 1);
  std::filesystem::copy(dir.Sub("kv"), dir.Sub("kv-at-1"),
                        std::filesystem::copy_options::recursive);
  ExecuteUpTo(chain, *rocks, dir.Sub("kv"), chain.height());

  auto kv = OpenKv(dir.Sub("kv-at-1"));
  TestApp app(kv.get());
  TestStore store(rocks.get());
  Executor executor(store, app, Config());
  EXPECT_EQ(MustRecover(executor), chain.height());
  EXPECT_EQ(app.FinalizedHeights(), (std::vector<Height>{2, 3, 4, 5}));
  EXPECT_EQ(store.writes, 0u);
  ExpectLikeCleanRun(*rocks, clean, chain.height());
  EXPECT_EQ(kv->Info()->last_app_hash, clean.app_hashes.back());
}

TEST(ExecutorRecoverTest, FreshAppDirectoryReplaysFromScratchToTheSameHashes) {
  const TestChain chain = StandardChain();
  const CleanRun clean = RunClean(chain);
  TempDir dir;
  auto store = chain.NewMemStore();
  ExecuteUpTo(chain, *store, dir.Sub("kv"), chain.height());

  auto kv = OpenKv(dir.Sub("fresh-kv"));
  TestApp app(kv.get());
  Executor executor(*store, app, Config());
  EXPECT_EQ(MustRecover(executor), chain.height());
  EXPECT_EQ(app.init_chains.size(), 1u);
  EXPECT_EQ(app.FinalizedHeights(), (std::vector<Height>{1, 2, 3, 4, 5}));
  const app::InfoResult info = kv->Info().value();
  EXPECT_EQ(info.last_height, chain.height());
  EXPECT_EQ(info.last_app_hash, clean.app_hashes.back());
  EXPECT_EQ(ValueOf(app, "a"), "4");
  EXPECT_EQ(ValueOf(app, "e"), "6");
  ExpectLikeCleanRun(*store, clean, chain.height());
}

TEST(ExecutorRecoverTest, ReplayWithADifferentHashNamesTheHeightAndBothHashes) {
  const TestChain chain = StandardChain();
  const CleanRun clean = RunClean(chain);
  TempDir dir;
  auto store = chain.NewMemStore();
  ExecuteUpTo(chain, *store, dir.Sub("kv"), 3);

  app::Noop noop;  // starts at height 0, and its hash is all zeros
  const Status status = RecoverError(*store, noop);
  EXPECT_EQ(status.code(), Status::Code::kCorruption);
  ExpectMentions(status, "replaying height 1");
  ExpectMentions(status, ToHex(clean.app_hashes[1]));
  ExpectMentions(status, std::string(64, '0'));
}

TEST(ExecutorRecoverTest, AppStateFromAnotherChainIsRefused) {
  const TestChain chain = StandardChain();
  TempDir dir;
  auto store = chain.NewMemStore();
  ExecuteUpTo(chain, *store, dir.Sub("kv"), 3);
  TestChain other;
  other.Append({"x=1"});
  other.Append({"y=2"});
  auto other_store = other.NewMemStore();
  ExecuteUpTo(other, *other_store, dir.Sub("other-kv"), 2);

  auto kv = OpenKv(dir.Sub("other-kv"));
  const Status status = RecoverError(*store, *kv);
  EXPECT_EQ(status.code(), Status::Code::kCorruption);
  ExpectMentions(status, "at height 2");
  ExpectMentions(status, ToHex(store->AppHashAt(2).value()));
}

// Case (d): an app ahead of what this node executed, by more than one height, or ahead of
// what it committed.
TEST(ExecutorRecoverTest, AppAheadOfTheNodeIsRefused) {
  const TestChain chain = StandardChain();
  TempDir dir;
  auto executed = chain.NewMemStore();
  ExecuteUpTo(chain, *executed, dir.Sub("kv"), 5);
  auto kv = OpenKv(dir.Sub("kv"));

  auto behind_in_commits = chain.NewMemStore();
  chain.Commit(*behind_in_commits, 1);
  const Status above_committed = RecoverError(*behind_in_commits, *kv);
  EXPECT_EQ(above_committed.code(), Status::Code::kFailedPrecondition);
  ExpectMentions(above_committed, "app is at height 5");
  ExpectMentions(above_committed, "committed height 1");

  auto behind_in_execution = chain.NewMemStore();
  ExecuteUpTo(chain, *behind_in_execution, dir.Sub("kv-2"), 1);
  chain.Commit(*behind_in_execution, 5);
  const Status two_ahead = RecoverError(*behind_in_execution, *kv);
  EXPECT_EQ(two_ahead.code(), Status::Code::kFailedPrecondition);
  ExpectMentions(two_ahead, "executed height 1");
  EXPECT_EQ(behind_in_execution->ExecutedHeight(), 1u);
  EXPECT_EQ(kv->Info()->last_height, 5u);
}

}  // namespace
}  // namespace hotbft::node::testing
