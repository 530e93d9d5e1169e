// BlockTree: insertion rules, the 3-chain commit rule, pruning, the committed cache.
#include "consensus/block_tree.h"

#include <gtest/gtest.h>

#include <functional>

#include "tests/consensus/fixtures.h"

namespace hotbft {
namespace {

using testing::Fixture;
using testing::kChainId;
using BlockPtr = std::shared_ptr<const Block>;

std::vector<Hash32> Ids(const std::vector<BlockPtr>& blocks) {
  std::vector<Hash32> ids;
  for (const BlockPtr& b : blocks) ids.push_back(b->id);
  return ids;
}

std::string ShortId(const BlockPtr& b) {
  return b->id.hex().substr(0, 8);
}

// A copy of `block` changed by `change`, with its id recomputed.
BlockPtr Mutated(const BlockPtr& block, const std::function<void(BlockHeader&)>& change) {
  auto copy = std::make_shared<Block>(*block);
  change(copy->header);
  copy->id = copy->header.Id(kChainId);
  return copy;
}

// A QC without signatures: the tree does not verify them, and bulk tests stay fast.
QC UnsignedQC(const Block& b) {
  QC qc;
  qc.vote_data = Fixture::VoteDataFor(b);
  return qc;
}

class BlockTreeTest : public ::testing::Test {
 protected:
  BlockTreeTest() : fx_(4), tree_(fx_.genesis(), fx_.genesis_qc()) {}

  QC JustifyFor(const BlockPtr& parent) {
    return parent == fx_.genesis() ? fx_.genesis_qc() : fx_.MakeQC(*parent);
  }
  // A child of `parent` in `round`, not inserted.
  BlockPtr Child(const BlockPtr& parent, Round round, std::vector<Bytes> txs = {}) {
    return fx_.MakeBlock(JustifyFor(parent), round, static_cast<uint32_t>(round % 4),
                         std::move(txs));
  }
  // A child of `parent` in `round`, inserted.
  BlockPtr Add(const BlockPtr& parent, Round round, std::vector<Bytes> txs = {}) {
    BlockPtr b = Child(parent, round, std::move(txs));
    Status s = tree_.Insert(b);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return b;
  }
  // Inserts a QC for `b`; returns the blocks it commits.
  std::vector<Hash32> Certify(const BlockPtr& b) {
    auto committed = tree_.InsertQC(fx_.MakeQC(*b));
    EXPECT_TRUE(committed.ok()) << committed.status().ToString();
    return committed.ok() ? Ids(*committed) : std::vector<Hash32>{};
  }

  Fixture fx_;
  BlockTree tree_;
};

TEST_F(BlockTreeTest, StartsAtRootWithItsQC) {
  EXPECT_EQ(tree_.root(), fx_.genesis());
  EXPECT_EQ(tree_.root_qc(), fx_.genesis_qc());
  EXPECT_EQ(tree_.high_qc(), fx_.genesis_qc());
  EXPECT_EQ(tree_.size(), 0u);
  EXPECT_EQ(tree_.Get(fx_.genesis()->id), fx_.genesis());
  ASSERT_NE(tree_.QCFor(fx_.genesis()->id), nullptr);
  EXPECT_EQ(*tree_.QCFor(fx_.genesis()->id), fx_.genesis_qc());
}

TEST_F(BlockTreeTest, RootQCMustCertifyRoot) {
  auto b1 = Child(fx_.genesis(), 1);
  EXPECT_DEATH(BlockTree(fx_.genesis(), fx_.MakeQC(*b1)), "root_qc_.vote_data.block_id");
}

TEST_F(BlockTreeTest, StraightChainCommitsGrandparentOfCertifiedBlock) {
  auto b1 = Add(fx_.genesis(), 1);
  auto b2 = Add(b1, 2);
  auto b3 = Add(b2, 3);
  EXPECT_EQ(tree_.size(), 3u);
  EXPECT_TRUE(Certify(b1).empty());  // B1 would be the root
  EXPECT_TRUE(Certify(b2).empty());  // B0 would be the root
  EXPECT_EQ(tree_.root(), fx_.genesis());

  EXPECT_EQ(Certify(b3), std::vector<Hash32>{b1->id});
  EXPECT_EQ(tree_.root(), b1);
  EXPECT_EQ(tree_.root_qc(), b2->header.justify);
  EXPECT_EQ(tree_.root_qc().vote_data.block_id, b1->id);
  EXPECT_EQ(tree_.size(), 2u);
  EXPECT_EQ(tree_.high_qc().vote_data.block_id, b3->id);
  EXPECT_EQ(tree_.Get(fx_.genesis()->id), fx_.genesis());  // committed cache

  auto b4 = Add(b3, 4);
  EXPECT_EQ(Certify(b4), std::vector<Hash32>{b2->id});
  EXPECT_EQ(tree_.root(), b2);
  EXPECT_EQ(tree_.size(), 2u);
  EXPECT_EQ(tree_.Get(b1->id), b1);
  EXPECT_EQ(tree_.QCFor(b1->id), nullptr);  // left the tree
  ASSERT_NE(tree_.QCFor(b2->id), nullptr);
  EXPECT_EQ(tree_.QCFor(b2->id)->vote_data.block_id, b2->id);
}

TEST_F(BlockTreeTest, RoundGapDefersCommitThenCommitsAncestorsOldestFirst) {
  auto b1 = Add(fx_.genesis(), 1);
  auto b2 = Add(b1, 2);
  auto b3 = Add(b2, 4);  // round 3 timed out
  auto b4 = Add(b3, 5);
  auto b5 = Add(b4, 6);
  EXPECT_TRUE(Certify(b1).empty());
  EXPECT_TRUE(Certify(b2).empty());
  EXPECT_TRUE(Certify(b3).empty());  // rounds 1, 2, 4
  EXPECT_TRUE(Certify(b4).empty());  // rounds 2, 4, 5
  EXPECT_EQ(tree_.root(), fx_.genesis());
  EXPECT_EQ(tree_.size(), 5u);

  EXPECT_EQ(Certify(b5), (std::vector<Hash32>{b1->id, b2->id, b3->id}));  // rounds 4, 5, 6
  EXPECT_EQ(tree_.root(), b3);
  EXPECT_EQ(tree_.root_qc().vote_data.block_id, b3->id);
  EXPECT_EQ(tree_.size(), 2u);
}

TEST_F(BlockTreeTest, CommitPrunesForksThatDoNotDescendFromNewRoot) {
  auto b1 = Add(fx_.genesis(), 1);
  auto a2 = Add(b1, 2);
  auto c2 = Add(b1, 3);  // fork: a sibling of a2
  auto c3 = Add(c2, 4);
  auto a3 = Add(a2, 5);
  auto a4 = Add(a3, 6);
  auto a5 = Add(a4, 7);
  EXPECT_TRUE(Certify(c2).empty());
  EXPECT_TRUE(Certify(c3).empty());  // rounds 1, 3, 4: not consecutive
  EXPECT_TRUE(Certify(a4).empty());  // rounds 2, 5, 6
  EXPECT_EQ(tree_.size(), 7u);
  EXPECT_EQ(tree_.high_qc().vote_data.block_id, a4->id);

  EXPECT_EQ(Certify(a5), (std::vector<Hash32>{b1->id, a2->id, a3->id}));
  EXPECT_EQ(tree_.root(), a3);
  EXPECT_EQ(tree_.size(), 2u);  // a4, a5
  EXPECT_EQ(tree_.Get(c2->id), nullptr);
  EXPECT_EQ(tree_.Get(c3->id), nullptr);
  EXPECT_EQ(tree_.QCFor(c2->id), nullptr);
  EXPECT_EQ(tree_.Get(a2->id), a2);  // committed, not pruned
  EXPECT_EQ(tree_.Get(b1->id), b1);

  // The pruned fork cannot come back, nor grow.
  Status again = tree_.Insert(c2);
  EXPECT_EQ(again.code(), Status::Code::kFailedPrecondition) << again.ToString();
  EXPECT_NE(again.message().find(ShortId(c2)), std::string::npos) << again.message();
  Status grow = tree_.Insert(Child(c3, 8));
  EXPECT_EQ(grow.code(), Status::Code::kNotFound) << grow.ToString();
  EXPECT_EQ(tree_.size(), 2u);
}

TEST_F(BlockTreeTest, CommitKeepsForksAboveTheNewRoot) {
  auto b1 = Add(fx_.genesis(), 1);
  auto b2 = Add(b1, 2);
  auto b3 = Add(b2, 3);
  auto fork = Add(b1, 4);  // descends from b1, which becomes the root
  EXPECT_EQ(Certify(b3), std::vector<Hash32>{b1->id});
  EXPECT_EQ(tree_.Get(fork->id), fork);
  EXPECT_EQ(tree_.size(), 3u);
}

// Only possible with more than f faulty validators (or the test-only unsafe rules): a
// certified block on one branch, then a 3-chain on another. The tree refuses the commit
// and says why, instead of pruning the certified fork away.
TEST_F(BlockTreeTest, CommitConflictingWithTheHighQCIsASafetyViolation) {
  auto other = Add(fx_.genesis(), 4);
  EXPECT_TRUE(Certify(other).empty());
  auto b1 = Add(fx_.genesis(), 1);
  auto b2 = Add(b1, 2);
  auto b3 = Add(b2, 3);
  EXPECT_TRUE(Certify(b1).empty());
  EXPECT_TRUE(Certify(b2).empty());
  auto refused = tree_.InsertQC(fx_.MakeQC(*b3));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kSafetyViolation) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find(ShortId(other)), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(tree_.root(), fx_.genesis());  // nothing committed
  EXPECT_EQ(tree_.Get(other->id), other);  // nothing pruned
  EXPECT_EQ(tree_.high_qc().vote_data.block_id, other->id);
  EXPECT_EQ(tree_.QCFor(b3->id), nullptr);  // nothing recorded
}

TEST_F(BlockTreeTest, InsertIsIdempotent) {
  auto b1 = Add(fx_.genesis(), 1);
  EXPECT_TRUE(tree_.Insert(b1).ok());
  EXPECT_TRUE(tree_.Insert(fx_.genesis()).ok());  // the root
  EXPECT_EQ(tree_.size(), 1u);
  auto b2 = Add(b1, 2);
  auto b3 = Add(b2, 3);
  ASSERT_EQ(Certify(b3).size(), 1u);
  EXPECT_TRUE(tree_.Insert(fx_.genesis()).ok());  // committed, in the cache
  EXPECT_TRUE(tree_.Insert(b1).ok());             // now the root
  EXPECT_EQ(tree_.size(), 2u);
}

TEST_F(BlockTreeTest, InsertRejectsUnknownParent) {
  auto b1 = Child(fx_.genesis(), 1);  // not inserted
  auto b2 = Child(b1, 2);
  Status s = tree_.Insert(b2);
  EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("unknown parent " + ShortId(b1)), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(ShortId(b2)), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("height 2"), std::string::npos) << s.message();
  EXPECT_EQ(tree_.size(), 0u);
  EXPECT_EQ(tree_.Get(b2->id), nullptr);
}

TEST_F(BlockTreeTest, InsertRejectsWrongHeight) {
  auto b1 = Add(fx_.genesis(), 1);
  for (Height height : {Height{1}, Height{3}}) {
    auto bad = Mutated(Child(b1, 2), [height](BlockHeader& h) { h.height = height; });
    Status s = tree_.Insert(bad);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("height " + std::to_string(height)), std::string::npos)
        << s.message();
  }
  EXPECT_EQ(tree_.size(), 1u);
}

TEST_F(BlockTreeTest, InsertRejectsRoundNotAboveParent) {
  auto b1 = Add(fx_.genesis(), 1);
  auto b2 = Add(b1, 5);
  for (Round round : {Round{5}, Round{4}}) {
    Status s = tree_.Insert(Child(b2, round));
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("round " + std::to_string(round)), std::string::npos) << s.message();
  }
  EXPECT_EQ(tree_.size(), 2u);
  EXPECT_TRUE(tree_.Insert(Child(b2, 6)).ok());
}

TEST_F(BlockTreeTest, InsertRejectsParentOtherThanJustifiedBlock) {
  auto b1 = Add(fx_.genesis(), 1);
  auto c1 = Add(fx_.genesis(), 2);
  // Justified by QC(b1), but naming c1 (same height, lower round) as parent.
  auto bad = Mutated(Child(b1, 3), [&c1](BlockHeader& h) { h.parent_id = c1->id; });
  Status s = tree_.Insert(bad);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("certifies " + ShortId(b1)), std::string::npos) << s.message();
  EXPECT_EQ(tree_.size(), 2u);
}

TEST_F(BlockTreeTest, InsertRejectsJustifyThatMisdescribesParent) {
  auto b1 = Add(fx_.genesis(), 3);
  auto bad = Mutated(Child(b1, 4), [](BlockHeader& h) { h.justify.vote_data.round = 2; });
  Status s = tree_.Insert(bad);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(tree_.size(), 1u);
}

TEST_F(BlockTreeTest, InsertRejectsWhenFull) {
  for (Round r = 1; r <= BlockTree::kBlocksMax; ++r) {
    Status s = tree_.Insert(Child(fx_.genesis(), r));
    ASSERT_TRUE(s.ok()) << "round " << r << ": " << s.ToString();
  }
  EXPECT_EQ(tree_.size(), BlockTree::kBlocksMax);
  auto extra = Child(fx_.genesis(), BlockTree::kBlocksMax + 1);
  Status s = tree_.Insert(extra);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find(std::to_string(BlockTree::kBlocksMax)), std::string::npos);
  EXPECT_EQ(tree_.Get(extra->id), nullptr);
  EXPECT_TRUE(tree_.Insert(Child(fx_.genesis(), 7)).ok());  // already present
  EXPECT_EQ(tree_.size(), BlockTree::kBlocksMax);
}

TEST_F(BlockTreeTest, InsertQCForUnknownBlockIsNotFound) {
  auto b1 = Child(fx_.genesis(), 1);
  auto r = tree_.InsertQC(fx_.MakeQC(*b1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find(ShortId(b1)), std::string::npos) << r.status().message();
  EXPECT_EQ(tree_.high_qc(), fx_.genesis_qc());
  EXPECT_EQ(tree_.QCFor(b1->id), nullptr);
}

TEST_F(BlockTreeTest, InsertQCRejectsVoteDataThatMisdescribesBlock) {
  auto b1 = Add(fx_.genesis(), 1);
  QC qc = fx_.MakeQC(*b1);
  qc.vote_data.round = 9;
  auto r = tree_.InsertQC(qc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(tree_.high_qc(), fx_.genesis_qc());
}

TEST_F(BlockTreeTest, StaleQCIsIgnored) {
  auto r = tree_.InsertQC(fx_.genesis_qc());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());

  auto b1 = Add(fx_.genesis(), 1);
  auto b2 = Add(b1, 2);
  auto b3 = Add(b2, 3);
  ASSERT_EQ(Certify(b3).size(), 1u);
  const QC high = tree_.high_qc();
  // QC(b1) certifies the root now; QC of the genesis block is below it.
  for (const QC& stale : {fx_.MakeQC(*b1), fx_.genesis_qc()}) {
    auto again = tree_.InsertQC(stale);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(again->empty());
  }
  EXPECT_EQ(tree_.high_qc(), high);
  EXPECT_EQ(tree_.root(), b1);
}

TEST_F(BlockTreeTest, HighQCTracksHighestRound) {
  auto b1 = Add(fx_.genesis(), 1);
  auto b2 = Add(b1, 5);
  auto c2 = Add(b1, 3);
  EXPECT_TRUE(Certify(b1).empty());
  EXPECT_EQ(tree_.high_qc().vote_data.block_id, b1->id);
  EXPECT_TRUE(Certify(b2).empty());
  EXPECT_EQ(tree_.high_qc().vote_data.block_id, b2->id);
  EXPECT_TRUE(Certify(c2).empty());  // lower round: recorded, not the high QC
  EXPECT_EQ(tree_.high_qc().vote_data.block_id, b2->id);
  EXPECT_EQ(tree_.high_qc().vote_data.round, 5u);
  ASSERT_NE(tree_.QCFor(c2->id), nullptr);
  EXPECT_EQ(tree_.QCFor(c2->id)->vote_data.block_id, c2->id);
}

TEST_F(BlockTreeTest, WithAncestorsCrossesTheCommitBoundary) {
  std::vector<BlockPtr> chain{fx_.genesis()};
  for (Round r = 1; r <= 5; ++r) chain.push_back(Add(chain.back(), r));
  EXPECT_EQ(Certify(chain[5]), (std::vector<Hash32>{chain[1]->id, chain[2]->id, chain[3]->id}));
  EXPECT_EQ(tree_.root(), chain[3]);

  // chain[5], chain[4] in the tree; chain[3] the root; chain[2..0] in the committed cache.
  EXPECT_EQ(Ids(tree_.WithAncestors(chain[5]->id, 100)),
            (std::vector<Hash32>{chain[5]->id, chain[4]->id, chain[3]->id, chain[2]->id,
                                 chain[1]->id, chain[0]->id}));
  EXPECT_EQ(Ids(tree_.WithAncestors(chain[5]->id, 3)),
            (std::vector<Hash32>{chain[5]->id, chain[4]->id, chain[3]->id, chain[2]->id}));
  EXPECT_EQ(Ids(tree_.WithAncestors(chain[2]->id, 1)),
            (std::vector<Hash32>{chain[2]->id, chain[1]->id}));
  EXPECT_EQ(Ids(tree_.WithAncestors(chain[4]->id, 0)), std::vector<Hash32>{chain[4]->id});
  EXPECT_TRUE(tree_.WithAncestors(Child(chain[5], 6)->id, 5).empty());
}

TEST_F(BlockTreeTest, CommittedCacheEvictsOldestFirst) {
  // Certifying b_k commits b_(k-2); the cache then holds genesis and b_1..b_(k-3).
  constexpr size_t kEvicted = 10;
  constexpr Round kChainLength = BlockTree::kCommittedCacheMax + kEvicted + 2;
  std::vector<BlockPtr> chain{fx_.genesis()};
  QC justify = fx_.genesis_qc();
  for (Round r = 1; r <= kChainLength; ++r) {
    chain.push_back(fx_.MakeBlock(justify, r, 0));
    ASSERT_TRUE(tree_.Insert(chain.back()).ok());
    justify = UnsignedQC(*chain.back());
    auto committed = tree_.InsertQC(justify);
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    ASSERT_EQ(committed->size(), r >= 3 ? 1u : 0u) << "round " << r;
  }
  EXPECT_EQ(tree_.root(), chain[kChainLength - 2]);
  EXPECT_EQ(tree_.size(), 2u);
  for (size_t i = 0; i < kEvicted; ++i) {
    EXPECT_EQ(tree_.Get(chain[i]->id), nullptr) << "block at height " << i;
  }
  EXPECT_EQ(tree_.Get(chain[kEvicted]->id), chain[kEvicted]);
  EXPECT_EQ(tree_.Get(chain[kChainLength - 3]->id), chain[kChainLength - 3]);
  // Ancestry ends where the cache does.
  auto all = tree_.WithAncestors(chain[kChainLength]->id, UINT32_MAX);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.size(), kChainLength + 1 - kEvicted);
  EXPECT_EQ(all.back(), chain[kEvicted]);
}

TEST_F(BlockTreeTest, HasPendingPayloadLooksAboveTheRootOnly) {
  auto b1 = Add(fx_.genesis(), 1, {Bytes{1, 2, 3}});
  auto b2 = Add(b1, 2);
  auto b3 = Add(b2, 3);
  auto fork = Add(fx_.genesis(), 4);
  EXPECT_TRUE(tree_.HasPendingPayload(b1->id));
  EXPECT_TRUE(tree_.HasPendingPayload(b3->id));
  EXPECT_FALSE(tree_.HasPendingPayload(fork->id));
  EXPECT_FALSE(tree_.HasPendingPayload(fx_.genesis()->id));
  EXPECT_FALSE(tree_.HasPendingPayload(Child(b3, 5)->id));  // unknown

  ASSERT_EQ(Certify(b3), std::vector<Hash32>{b1->id});  // b1 is the root now
  EXPECT_FALSE(tree_.HasPendingPayload(b3->id));
  EXPECT_FALSE(tree_.HasPendingPayload(b1->id));
  auto b4 = Add(b3, 4, {Bytes{4}});
  auto b5 = Add(b4, 5);
  EXPECT_TRUE(tree_.HasPendingPayload(b5->id));
  EXPECT_FALSE(tree_.HasPendingPayload(b3->id));
}

}  // namespace
}  // namespace hotbft
