// Evidence of equivocation: verification, the detector's window and bounds, and the core
// recording evidence from the messages it receives (stale ones and votes inside timeouts
// too), never from forged ones.
#include "consensus/evidence.h"

#include <gtest/gtest.h>

#include "tests/consensus/core_harness.h"

namespace hotbft {
namespace {

using testing::Collect;
using testing::CoreTestBase;
using testing::kChainId;

class EvidenceTest : public CoreTestBase {
 protected:
  // Two blocks of round `round` by `proposer` extending genesis, with different payloads.
  std::pair<std::shared_ptr<const Block>, std::shared_ptr<const Block>> Conflicting(
      Round round, uint32_t proposer) {
    return {fx_.MakeBlock(fx_.genesis_qc(), round, proposer, {{1}}),
            fx_.MakeBlock(fx_.genesis_qc(), round, proposer, {{2}})};
  }
  Vote VoteFor(const Block& b, uint32_t voter) { return fx_.MakeVote(b, voter); }
  DoubleProposal ProposalPair(Round round, uint32_t proposer) {
    auto [a, b] = Conflicting(round, proposer);
    return DoubleProposal{a->header, Propose(a).signature, b->header, Propose(b).signature};
  }
  Status Verify(const Evidence& e) {
    return VerifyEvidence(e, kChainId, fx_.validators(), fx_.verifier());
  }
};

TEST_F(EvidenceTest, DoubleVoteVerifiesOnlyWhenItProvesEquivocation) {
  auto [a, b] = Conflicting(1, 1);
  const Vote va = VoteFor(*a, 2);
  const Vote vb = VoteFor(*b, 2);
  EXPECT_TRUE(Verify(DoubleVote{va, vb}).ok());
  EXPECT_EQ(KeyOf(DoubleVote{va, vb}), (EvidenceKey{EvidenceKind::kDoubleVote, 2, 0, 1}));

  // The same vote signed twice is no offence, although the signature bytes may differ.
  Vote va_again = va;
  va_again.signature = fx_.signer(2).Sign(va.data.SigningDigest(kChainId));
  EXPECT_FALSE(Verify(DoubleVote{va, va_again}).ok());
  // Two voters, or two rounds, are not one equivocation.
  EXPECT_FALSE(Verify(DoubleVote{va, VoteFor(*b, 3)}).ok());
  auto c = fx_.MakeBlock(fx_.genesis_qc(), 2, 2, {{3}});
  EXPECT_FALSE(Verify(DoubleVote{va, VoteFor(*c, 2)}).ok());
  // A forged signature proves nothing.
  Vote forged = vb;
  forged.signature = fx_.signer(3).Sign(vb.data.SigningDigest(kChainId));
  EXPECT_FALSE(Verify(DoubleVote{va, forged}).ok());
}

TEST_F(EvidenceTest, DoubleProposalVerifiesOnlyWhenItProvesEquivocation) {
  DoubleProposal p = ProposalPair(1, 1);
  EXPECT_TRUE(Verify(p).ok());
  EXPECT_EQ(KeyOf(p), (EvidenceKey{EvidenceKind::kDoubleProposal, 1, 0, 1}));
  DoubleProposal same = p;
  same.second = same.first;
  EXPECT_FALSE(Verify(same).ok());
  DoubleProposal forged = p;
  forged.second_signature = forged.first_signature;
  EXPECT_FALSE(Verify(forged).ok());
  DoubleProposal other_round = p;
  other_round.second.round = 2;
  EXPECT_FALSE(Verify(other_round).ok());
}

TEST_F(EvidenceTest, DetectorRecordsOncePerKeyAndForgetsBelowItsFloor) {
  EquivocationDetector d(kChainId, 10);
  auto [a, b] = Conflicting(5, 1);
  const Vote va = VoteFor(*a, 2);
  const Vote vb = VoteFor(*b, 2);
  using Seen = EquivocationDetector::Seen;
  ASSERT_EQ(d.Classify(va), Seen::kNew);
  EXPECT_FALSE(d.Record(va));
  EXPECT_EQ(d.Classify(va), Seen::kKnown);  // a repeat costs no verification
  ASSERT_EQ(d.Classify(vb), Seen::kNew);
  auto e = d.Record(vb);
  ASSERT_TRUE(e);
  EXPECT_TRUE(Verify(*e).ok());
  // Evidence exists: further conflicting votes of that round are known.
  auto c = fx_.MakeBlock(fx_.genesis_qc(), 5, 1, {{9}});
  EXPECT_EQ(d.Classify(VoteFor(*c, 2)), Seen::kKnown);
  EXPECT_EQ(d.size(), 1u);

  // The window: [floor, floor + 10].
  auto far = fx_.MakeBlock(fx_.genesis_qc(), 11, 3);
  EXPECT_EQ(d.Classify(VoteFor(*far, 2)), Seen::kOutsideWindow);
  d.SetFloor(6);
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.Classify(va), Seen::kOutsideWindow);
  EXPECT_EQ(d.Classify(VoteFor(*far, 2)), Seen::kNew);
}

TEST_F(EvidenceTest, CoreRecordsConflictingVotesOnceAndEmitsThem) {
  auto core = Make(2);  // leads round 2: votes of round 1 come to it
  core->Start(0);
  auto [a, b] = Conflicting(1, 1);
  EXPECT_TRUE(Collect<EvidenceAction>(core->OnMessage(3, VoteFor(*a, 3), 10)).empty());
  auto out = core->OnMessage(3, VoteFor(*b, 3), 11);
  auto evidence = Collect<EvidenceAction>(out);
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_TRUE(Verify(evidence[0].evidence).ok());
  EXPECT_EQ(KeyOf(evidence[0].evidence), (EvidenceKey{EvidenceKind::kDoubleVote, 3, 0, 1}));
  EXPECT_EQ(core->evidence().size(), 1u);
  EXPECT_EQ(core->counters().evidence_recorded, 1u);
  // A third conflicting vote adds nothing.
  auto c = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {{7}});
  EXPECT_TRUE(Collect<EvidenceAction>(core->OnMessage(3, VoteFor(*c, 3), 12)).empty());
  EXPECT_EQ(core->evidence().size(), 1u);
}

TEST_F(EvidenceTest, CoreRecordsAVoteInATimeoutThatConflictsWithAStaleVote) {
  auto core = Make(0);
  core->Start(0);
  auto [a, b] = Conflicting(1, 1);
  core->OnMessage(3, VoteFor(*a, 3), 10);
  // Certificates move the core to round 4: round 1 is stale for vote counting now.
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto b2 = fx_.MakeBlock(fx_.MakeQC(*b1), 2, 2);
  auto b3 = fx_.MakeBlock(fx_.MakeQC(*b2), 3, 3);
  core->OnMessage(1, Propose(b1), 20);
  core->OnMessage(2, Propose(b2), 21);
  core->OnMessage(3, Propose(b3), 22);
  ASSERT_GE(core->current_round(), 3u);
  // The conflicting vote arrives inside a malformed timeout (its entry certificate is of
  // the wrong round): the vote is signed on its own, so it is still evidence.
  Timeout t = MakeTimeout(3, 1, fx_.genesis_qc(), fx_.genesis_qc());
  t.vote = VoteFor(*b, 3);
  t.entry = fx_.MakeQC(*b2);
  auto evidence = Collect<EvidenceAction>(core->OnMessage(3, t, 30));
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_EQ(KeyOf(evidence[0].evidence), (EvidenceKey{EvidenceKind::kDoubleVote, 3, 0, 1}));
}

TEST_F(EvidenceTest, CoreRecordsTwoProposalsOfOneRound) {
  auto core = Make(3);
  core->Start(0);
  auto [a, b] = Conflicting(1, 1);
  core->OnMessage(1, Propose(a), 10);
  auto evidence = Collect<EvidenceAction>(core->OnMessage(1, Propose(b), 11));
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_TRUE(Verify(evidence[0].evidence).ok());
  EXPECT_EQ(KeyOf(evidence[0].evidence), (EvidenceKey{EvidenceKind::kDoubleProposal, 1, 0, 1}));
}

TEST_F(EvidenceTest, ForgedSignaturesNeverBecomeEvidence) {
  auto core = Make(2);
  core->Start(0);
  auto [a, b] = Conflicting(1, 1);
  core->OnMessage(3, VoteFor(*a, 3), 10);
  Vote forged = VoteFor(*b, 3);
  forged.signature = fx_.signer(0).Sign(forged.data.SigningDigest(kChainId));
  core->OnMessage(3, forged, 11);
  Proposal pa = Propose(a);
  Proposal pb = Propose(b);
  pb.signature = pa.signature;  // a signature, but not over this block
  core->OnMessage(1, pa, 12);
  core->OnMessage(1, pb, 13);
  EXPECT_TRUE(core->evidence().empty());
  EXPECT_EQ(testing::Dropped(*core, DropReason::kBadSignature), 2u);
}

TEST_F(EvidenceTest, CoreKeepsAtMostEvidenceMaxPieces) {
  CoreConfig config = testing::TestConfig();
  config.evidence_max = 3;
  auto core = MakeWith(config, 0);
  core->Start(0);
  for (Round r = 1; r <= 6; ++r) {
    auto a = fx_.MakeBlock(fx_.genesis_qc(), r, 1, {{1}});
    auto b = fx_.MakeBlock(fx_.genesis_qc(), r, 1, {{2}});
    core->OnMessage(2, VoteFor(*a, 2), 10);
    core->OnMessage(2, VoteFor(*b, 2), 10);
  }
  EXPECT_EQ(core->counters().evidence_recorded, 6u);
  ASSERT_EQ(core->evidence().size(), 3u);
  for (const auto& [key, evidence] : core->evidence()) EXPECT_GE(key.round, 4u);  // the newest
}

}  // namespace
}  // namespace hotbft
