// The noop sample app (app/noop.h).
#include "app/noop.h"

#include <gtest/gtest.h>

#include "tests/app/app_test_util.h"

namespace hotbft::app {
namespace {

using testing::Block;
using testing::BlockId;
using testing::RunBlock;
using testing::Tx;

TEST(Noop, AcceptsEverythingWithEmptyResults) {
  Noop noop;
  auto checked = noop.CheckTx(Tx("\xFF anything"), CheckTxKind::kNew);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(*checked, CheckTxResult{});
  EXPECT_TRUE(*noop.ProcessProposal(1, BlockId(1), {Tx(""), Tx("x")}));

  auto outcome = RunBlock(noop, 1, {Tx("a"), Tx(""), Tx("c")});
  EXPECT_EQ(outcome.result.tx_results, std::vector<TxResult>(3));
  EXPECT_EQ(outcome.app_hash, Bytes(32, 0));
}

TEST(Noop, InfoReportsTheLastHeight) {
  Noop noop;
  auto before = noop.Info();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->app_name, "noop");
  EXPECT_EQ(before->last_height, 0u);
  EXPECT_TRUE(before->last_app_hash.empty());
  EXPECT_TRUE(before->check_tx_stateless);  // it accepts every transaction
  RunBlock(noop, 1, {});
  RunBlock(noop, 2, {Tx("x")});
  EXPECT_EQ(noop.Info()->last_height, 2u);
  EXPECT_EQ(noop.Info()->last_app_hash, Bytes(32, 0));
  EXPECT_EQ(noop.Query(QueryRequest{})->height, 2u);
}

TEST(Noop, PrepareProposalKeepsAPrefixWithinBytesMax) {
  Noop noop;
  auto prepared = noop.PrepareProposal(1, {Tx("aa"), Tx("bb"), Tx("c")}, 4);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(*prepared, (std::vector<Bytes>{Tx("aa"), Tx("bb")}));
}

TEST(Noop, HeightsMustFollowInOrder) {
  Noop noop;
  EXPECT_FALSE(noop.FinalizeBlock(Block(2, {})).ok());
  EXPECT_FALSE(noop.Commit().ok());
  ASSERT_TRUE(noop.InitChain(InitChainRequest{"c", {}, {}, 2}).ok());
  EXPECT_TRUE(noop.FinalizeBlock(Block(2, {})).ok());
}

}  // namespace
}  // namespace hotbft::app
