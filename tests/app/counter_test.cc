// The counter sample app (app/counter.h).
#include "app/counter.h"

#include <gtest/gtest.h>

#include <fstream>

#include "app/big_endian.h"
#include "tests/app/app_test_util.h"

namespace hotbft::app {
namespace {

using testing::Block;
using testing::BlockId;
using testing::NonceTx;
using testing::RunBlock;
using testing::TempDir;
using testing::Tx;

std::unique_ptr<Counter> OpenCounter(const std::string& dir) {
  auto counter = Counter::Open(dir);
  EXPECT_TRUE(counter.ok()) << counter.status().ToString();
  return counter.ok() ? std::move(counter).value() : nullptr;
}

Bytes CountHash(uint64_t count) {
  const std::string be = U64Be(count);
  return Bytes(be.begin(), be.end());
}

class CounterTest : public ::testing::Test {
 protected:
  // The code CheckTx gives `nonce`.
  uint32_t Check(uint64_t nonce, CheckTxKind kind = CheckTxKind::kNew) {
    auto result = counter_->CheckTx(NonceTx(nonce), kind);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? result->code : ~0u;
  }

  TempDir dir_;
  std::unique_ptr<Counter> counter_ = OpenCounter(dir_.Sub("counter"));
};

TEST_F(CounterTest, CheckTxAcceptsOnlyTheNextNonceCountingCheckedOnes) {
  EXPECT_EQ(Check(1), Counter::kCodeBadNonce);
  EXPECT_EQ(Check(0), kCodeOk);
  EXPECT_EQ(Check(1), kCodeOk);  // counts the checked 0, not only the committed state
  EXPECT_EQ(Check(1), Counter::kCodeBadNonce);
  EXPECT_EQ(Check(3), Counter::kCodeBadNonce);
  EXPECT_EQ(Check(2), kCodeOk);

  auto result = counter_->CheckTx(NonceTx(9), CheckTxKind::kNew);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->log, "nonce 9, expected 3");
}

TEST_F(CounterTest, CheckTxRefusesAnythingButEightBytes) {
  auto result = counter_->CheckTx(Tx("1234567"), CheckTxKind::kNew);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->code, Counter::kCodeBadEncoding);
  EXPECT_EQ(result->log, "a nonce is 8 bytes big-endian; got 7 bytes");
}

TEST_F(CounterTest, CommitResetsTheMempoolViewAndRecheckReadmitsInOrder) {
  EXPECT_EQ(Check(0), kCodeOk);
  EXPECT_EQ(Check(1), kCodeOk);
  EXPECT_EQ(Check(2), kCodeOk);
  RunBlock(*counter_, 1, {NonceTx(0), NonceTx(1)});  // the count is now 2
  // The mempool drops 0 and 1 (committed) and rechecks 2, then new 3 follows.
  EXPECT_EQ(Check(1, CheckTxKind::kRecheck), Counter::kCodeBadNonce);
  EXPECT_EQ(Check(2, CheckTxKind::kRecheck), kCodeOk);
  EXPECT_EQ(Check(3), kCodeOk);
}

TEST_F(CounterTest, ALostTransactionIsAcceptedAgain) {
  EXPECT_EQ(Check(0), kCodeOk);
  EXPECT_EQ(Check(1), kCodeOk);
  RunBlock(*counter_, 1, {NonceTx(0)});
  // The mempool lost nonce 1: no recheck re-admits it, and the client sends it again.
  EXPECT_EQ(Check(1), kCodeOk);
}

TEST_F(CounterTest, FinalizeBlockExecutesOnlyInOrder) {
  auto finalized = counter_->FinalizeBlock(
      Block(1, {NonceTx(0), NonceTx(2), NonceTx(1), NonceTx(1), Tx("short")}));
  ASSERT_TRUE(finalized.ok()) << finalized.status().ToString();
  std::vector<uint32_t> codes;
  for (const TxResult& r : finalized->tx_results) codes.push_back(r.code);
  EXPECT_EQ(codes, (std::vector<uint32_t>{kCodeOk, Counter::kCodeBadNonce, kCodeOk,
                                          Counter::kCodeBadNonce, Counter::kCodeBadEncoding}));
  EXPECT_EQ(finalized->tx_results[1].log, "nonce 2, expected 1");
  auto committed = counter_->Commit();
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(committed->app_hash, CountHash(2));
  // The next block continues from the count.
  EXPECT_EQ(RunBlock(*counter_, 2, {NonceTx(2)}).app_hash, CountHash(3));
}

TEST_F(CounterTest, RestartKeepsHeightAndCount) {
  RunBlock(*counter_, 1, {NonceTx(0), NonceTx(1)});
  ASSERT_TRUE(counter_->FinalizeBlock(Block(2, {NonceTx(2)})).ok());  // never committed
  counter_.reset();

  counter_ = OpenCounter(dir_.Sub("counter"));
  auto info = counter_->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->app_name, "counter");
  EXPECT_FALSE(info->check_tx_stateless);  // CheckTx compares the nonce with the count
  EXPECT_EQ(info->last_height, 1u);
  EXPECT_EQ(info->last_app_hash, CountHash(2));
  EXPECT_EQ(Check(2), kCodeOk);
  EXPECT_EQ(RunBlock(*counter_, 2, {NonceTx(2)}).app_hash, CountHash(3));
}

TEST_F(CounterTest, DamagedStateFileIsRefused) {
  RunBlock(*counter_, 1, {NonceTx(0)});
  counter_.reset();
  const std::string path = dir_.Sub("counter") + "/counter.state";
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(12);
  file.put('\x7F');
  file.close();
  auto reopened = Counter::Open(dir_.Sub("counter"));
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), Status::Code::kCorruption);
  EXPECT_NE(reopened.status().message().find("is not a counter state"), std::string::npos)
      << reopened.status().message();
}

TEST_F(CounterTest, QueryAnswersTheLastHeightOnly) {
  RunBlock(*counter_, 1, {NonceTx(0)});
  auto latest = counter_->Query(QueryRequest{"/count", {}, 0});
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->code, kCodeOk);
  EXPECT_EQ(latest->value, CountHash(1));
  EXPECT_EQ(latest->height, 1u);
  auto old = counter_->Query(QueryRequest{"", {}, 7});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->code, Counter::kCodeHeightUnavailable);
  auto path = counter_->Query(QueryRequest{"/other", {}, 0});
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->code, Counter::kCodeUnknownPath);
}

TEST_F(CounterTest, ProposalsKeepEightByteTransactions) {
  auto prepared = counter_->PrepareProposal(1, {NonceTx(0), Tx("x"), NonceTx(1), NonceTx(2)}, 16);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(*prepared, (std::vector<Bytes>{NonceTx(0), NonceTx(1)}));
  EXPECT_FALSE(*counter_->ProcessProposal(1, BlockId(1), {NonceTx(0), Tx("x")}));
  EXPECT_TRUE(*counter_->ProcessProposal(1, BlockId(1), {NonceTx(5), NonceTx(0)}));
}

TEST_F(CounterTest, HeightsMustFollowInOrder) {
  ASSERT_TRUE(counter_->InitChain(InitChainRequest{"c", {}, {}, 3}).ok());
  auto wrong = counter_->FinalizeBlock(Block(1, {}));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "counter: FinalizeBlock at height 1, expected height 3");
  EXPECT_EQ(RunBlock(*counter_, 3, {}).app_hash, CountHash(0));
  auto commit = counter_->Commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.status().message(), "counter: Commit without a FinalizeBlock");
}

}  // namespace
}  // namespace hotbft::app
