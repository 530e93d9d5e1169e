// The evidence pool: verified pieces in, at most pieces_max kept (oldest rounds leave
// first), reaped oldest first within count and bytes and without what the chain being
// extended carries, pruned once committed or too old; pieces that cannot travel refused.
#include "node/evidence_pool.h"

#include <gtest/gtest.h>

#include "tests/consensus/core_harness.h"

namespace hotbft::node {
namespace {

using hotbft::testing::kChainId;

// CoreTestBase's cores, votes and blocks (MakeDoubleVote, WithEvidence).
class EvidencePoolTest : public hotbft::testing::CoreTestBase {};

TEST_F(EvidencePoolTest, KeepsEachPieceOnceAndAtMostPiecesMax) {
  auto core = Make(0);
  core->Start(0);
  EvidencePool pool(2, 4);
  EXPECT_EQ(pool.Add(MakeDoubleVote(3, 1), *core), EvidencePool::Added::kAdded);
  EXPECT_EQ(pool.Add(MakeDoubleVote(3, 1), *core), EvidencePool::Added::kKnown);
  EXPECT_EQ(pool.Add(MakeDoubleVote(1, 2), *core), EvidencePool::Added::kAdded);
  EXPECT_EQ(pool.Add(MakeDoubleVote(2, 3), *core), EvidencePool::Added::kAdded);
  ASSERT_EQ(pool.size(), 2u);
  const auto pending = pool.Pending();
  EXPECT_EQ(pending[0].key.round, 2u) << "the oldest round left first";
  EXPECT_EQ(pending[1].key.round, 3u);
  EXPECT_EQ(pending[1].canonical, EncodeEvidence(MakeDoubleVote(3, 1)));
}

TEST_F(EvidencePoolTest, RefusesAPieceThatCannotTravelInABlock) {
  auto core = Make(0);
  core->Start(0);
  EvidencePool pool(8, 4);
  // A proposal whose justify QC has a bitmap for another set size: it never crossed the
  // wire (which sizes bitmaps for this set), and its encoding does not decode for 4.
  auto a = std::make_shared<Block>(*fx_.MakeBlock(fx_.genesis_qc(), 5, 1, {{1}}));
  a->header.justify.signers = SignerBitmap(12);
  auto b = fx_.MakeBlock(fx_.genesis_qc(), 5, 1, {{2}});
  const DoubleProposal odd{a->header,
                           fx_.signer(1).Sign(ProposalDigest(kChainId, a->header.Id(kChainId))),
                           b->header, Propose(b).signature};
  EXPECT_EQ(pool.Add(odd, *core), EvidencePool::Added::kNotCarried);
  EXPECT_EQ(pool.size(), 0u);
}

TEST_F(EvidencePoolTest, ReapsOldestFirstWithinBoundsAndSkipsThePath) {
  auto core = Make(0);
  core->Start(0);
  EvidencePool pool(8, 4);
  const DoubleVote on_path = MakeDoubleVote(1, 3);
  for (const DoubleVote& dv : {on_path, MakeDoubleVote(2, 2), MakeDoubleVote(3, 1)}) {
    ASSERT_EQ(pool.Add(dv, *core), EvidencePool::Added::kAdded);
  }
  // b1 carries the first piece; b2 certifies b1, so b1 is on the path a leader extends.
  auto b1 = WithEvidence(fx_.MakeBlock(fx_.genesis_qc(), 1, 1), {EncodeEvidence(on_path)});
  core->OnMessage(1, Propose(b1), 1000);
  core->OnMessage(2, Propose(fx_.MakeBlock(fx_.MakeQC(*b1), 2, 2)), 2000);
  ASSERT_EQ(core->tree().high_qc().vote_data.block_id, b1->id);

  const Bytes second = EncodeEvidence(MakeDoubleVote(2, 2));
  const Bytes third = EncodeEvidence(MakeDoubleVote(3, 1));
  EXPECT_EQ(pool.Reap(*core, 8, 1 << 20), (std::vector<Bytes>{second, third}));
  EXPECT_EQ(pool.Reap(*core, 1, 1 << 20), (std::vector<Bytes>{second}));
  EXPECT_EQ(pool.Reap(*core, 8, second.size()), (std::vector<Bytes>{second}));
  EXPECT_TRUE(pool.Reap(*core, 8, second.size() - 1).empty());
  EXPECT_EQ(pool.size(), 3u) << "reaping does not remove";
}

TEST_F(EvidencePoolTest, CommittedAndTooOldPiecesLeave) {
  CoreConfig config = hotbft::testing::TestConfig();
  config.evidence_age_rounds_max = 5;
  RecoveryState rec;
  rec.committed_evidence = {{KeyOf(MakeDoubleVote(4, 1)), 1}};
  auto core = MakeWith(config, 0, std::move(rec));
  core->Start(0);
  EvidencePool pool(8, 4);
  EXPECT_EQ(pool.Add(MakeDoubleVote(4, 1), *core), EvidencePool::Added::kKnown) << "committed";
  ASSERT_EQ(pool.Add(MakeDoubleVote(1, 2), *core), EvidencePool::Added::kAdded);
  ASSERT_EQ(pool.Add(MakeDoubleVote(6, 3), *core), EvidencePool::Added::kAdded);
  pool.Prune(*core);
  EXPECT_EQ(pool.size(), 2u);
  // Round 7: round 1 is more than 5 rounds back.
  core->OnMessage(3, Propose(fx_.MakeBlock(fx_.genesis_qc(), 7, 3), fx_.MakeTC(6, 0)), 7000);
  ASSERT_EQ(core->current_round(), 7u);
  pool.Prune(*core);
  ASSERT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.Pending()[0].key.round, 6u);
}

}  // namespace
}  // namespace hotbft::node
