// SafetyRules: every condition, both sides, and the persist/re-send contract.
#include "consensus/safety_rules.h"

#include <gtest/gtest.h>

#include "tests/consensus/fixtures.h"

namespace hotbft {
namespace {

using testing::Fixture;
using testing::kChainId;

class SafetyRulesTest : public ::testing::Test {
 protected:
  SafetyRulesTest() : fx_(4) {}

  std::unique_ptr<SafetyRules> MakeRules(uint32_t self, std::optional<SafetyData> stored) {
    return std::make_unique<SafetyRules>(fx_.MakeValidatorSigner(self, 99), self, kChainId,
                                         std::move(stored));
  }
  std::unique_ptr<SafetyRules> FreshRules(uint32_t self = 0) {
    auto rules = MakeRules(self, std::nullopt);
    rules->InitializeFresh(0);
    return rules;
  }

  Fixture fx_;
};

TEST_F(SafetyRulesTest, RefusesToSignWithoutSafetyData) {
  auto rules = MakeRules(0, std::nullopt);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto vote = rules->SignVote(*b1);
  ASSERT_FALSE(vote.ok());
  EXPECT_EQ(vote.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(vote.status().message().find("no safety data"), std::string::npos);
  EXPECT_FALSE(rules->SignTimeout(1, fx_.genesis_qc(), fx_.genesis_qc()).ok());
  auto own = fx_.MakeBlock(fx_.genesis_qc(), 1, 0);
  EXPECT_FALSE(rules->SignProposal(own, std::nullopt).ok());
}

TEST_F(SafetyRulesTest, VoteIsValidSignatureOverVoteData) {
  auto rules = FreshRules(2);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto vote = rules->SignVote(*b1);
  ASSERT_TRUE(vote.ok()) << vote.status().ToString();
  EXPECT_TRUE(vote->fresh);
  EXPECT_EQ(vote->message.voter, 2u);
  EXPECT_EQ(vote->message.data, Fixture::VoteDataFor(*b1));
  EXPECT_TRUE(fx_.verifier().Verify(fx_.validators().key(2),
                                    vote->message.data.SigningDigest(kChainId),
                                    vote->message.signature));
  EXPECT_EQ(rules->data().last_voted_round, 1u);
  ASSERT_TRUE(rules->data().last_vote.has_value());
  EXPECT_EQ(*rules->data().last_vote, vote->message);
}

TEST_F(SafetyRulesTest, VoteRequiresRoundAboveLastVoted) {
  auto rules = FreshRules();
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 2, 1);
  ASSERT_TRUE(rules->SignVote(*b1).ok());
  // Another block of the same round: the classic double vote.
  auto b1_conflict = fx_.MakeBlock(fx_.genesis_qc(), 2, 1, {{1, 2, 3}});
  auto dup = rules->SignVote(*b1_conflict);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("round 2 is not above last voted round 2"),
            std::string::npos)
      << dup.status().ToString();
  // A lower round.
  auto low = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  EXPECT_FALSE(rules->SignVote(*low).ok());
  // A higher round is fine.
  auto b3 = fx_.MakeBlock(fx_.MakeQC(*b1), 3, 2);
  EXPECT_TRUE(rules->SignVote(*b3).ok());
}

TEST_F(SafetyRulesTest, RepeatedVoteForSameBlockReturnsStoredVote) {
  auto rules = FreshRules();
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto first = rules->SignVote(*b1);
  ASSERT_TRUE(first.ok());
  auto again = rules->SignVote(*b1);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->fresh);
  // Same bytes, not a new signature (BIP-340 aux_rand would make a new one differ).
  EXPECT_EQ(again->message, first->message);
}

TEST_F(SafetyRulesTest, VoteRequiresQcRoundAtLeastPreferredRound) {
  auto rules = FreshRules();
  // Chain g <- b1(r1) <- b2(r2) <- b3(r3): voting b3 (whose QC certifies b2, whose parent
  // b1 has round 1) sets preferred_round to 1.
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto qc1 = fx_.MakeQC(*b1);
  auto b2 = fx_.MakeBlock(qc1, 2, 2);
  auto qc2 = fx_.MakeQC(*b2);
  auto b3 = fx_.MakeBlock(qc2, 3, 3);
  ASSERT_TRUE(rules->SignVote(*b3).ok());
  EXPECT_EQ(rules->data().preferred_round, 1u);
  // A fork at round 4 built on the genesis QC (round 0 < preferred 1): refused.
  auto fork = fx_.MakeBlock(fx_.genesis_qc(), 4, 0);
  auto r = rules->SignVote(*fork);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("QC round 0 is below preferred round 1"), std::string::npos)
      << r.status().ToString();
  // A fork built on qc1 (round 1 == preferred): allowed, the other side of the condition.
  auto fork_ok = fx_.MakeBlock(qc1, 5, 1);
  EXPECT_TRUE(rules->SignVote(*fork_ok).ok());
}

TEST_F(SafetyRulesTest, VoteRefusesBlockThatDoesNotExtendItsQc) {
  auto rules = FreshRules();
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto bad = std::make_shared<Block>(*b1);
  bad->header.height = 5;  // not parent height + 1
  bad->id = bad->header.Id(kChainId);
  EXPECT_EQ(rules->SignVote(*bad).status().code(), Status::Code::kInvalidArgument);
  auto stale = fx_.MakeBlock(fx_.MakeQC(*b1), 1, 1);  // round not above its QC's round
  EXPECT_EQ(rules->SignVote(*stale).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(SafetyRulesTest, VoteRefusesOtherEpoch) {
  auto rules = MakeRules(0, std::nullopt);
  rules->InitializeFresh(7);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);  // epoch 0
  auto r = rules->SignVote(*b1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("epoch 0"), std::string::npos);
}

TEST_F(SafetyRulesTest, NoVoteAfterTimeoutOfSameRound) {
  auto rules = FreshRules();
  auto t = rules->SignTimeout(1, fx_.genesis_qc(), fx_.genesis_qc());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(rules->data().last_voted_round, 1u);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  EXPECT_FALSE(rules->SignVote(*b1).ok());
  // The next round is open again.
  auto b2 = fx_.MakeBlock(fx_.genesis_qc(), 2, 2);
  EXPECT_TRUE(rules->SignVote(*b2).ok());
}

TEST_F(SafetyRulesTest, TimeoutAfterVoteInSameRoundCarriesTheVote) {
  auto rules = FreshRules();
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto vote = rules->SignVote(*b1);
  ASSERT_TRUE(vote.ok());
  auto t = rules->SignTimeout(1, fx_.genesis_qc(), fx_.genesis_qc());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->message.vote.has_value());
  EXPECT_EQ(*t->message.vote, vote->message);
  EXPECT_EQ(t->message.data, (TimeoutData{0, 1, 0}));
  EXPECT_TRUE(fx_.verifier().Verify(fx_.validators().key(0),
                                    t->message.data.SigningDigest(kChainId), t->message.signature));
}

TEST_F(SafetyRulesTest, TimeoutRequiresRoundAtLeastLastVoted) {
  auto rules = FreshRules();
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 3, 1);
  ASSERT_TRUE(rules->SignVote(*b1).ok());
  auto low = rules->SignTimeout(2, fx_.genesis_qc(), fx_.genesis_qc());
  ASSERT_FALSE(low.ok());
  EXPECT_NE(low.status().message().find("round 2 is below last voted round 3"), std::string::npos);
  EXPECT_TRUE(rules->SignTimeout(3, fx_.genesis_qc(), fx_.genesis_qc()).ok());
}

TEST_F(SafetyRulesTest, TimeoutRequiresHighQcBelowRound) {
  auto rules = FreshRules();
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto qc1 = fx_.MakeQC(*b1);
  EXPECT_FALSE(rules->SignTimeout(1, qc1, qc1).ok());
  EXPECT_TRUE(rules->SignTimeout(2, qc1, qc1).ok());
}

TEST_F(SafetyRulesTest, RepeatedTimeoutReturnsStoredTimeout) {
  auto rules = FreshRules();
  auto first = rules->SignTimeout(4, fx_.genesis_qc(), fx_.genesis_qc());
  ASSERT_TRUE(first.ok());
  auto again = rules->SignTimeout(4, fx_.genesis_qc(), fx_.genesis_qc());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->fresh);
  EXPECT_EQ(again->message.signature, first->message.signature);
}

TEST_F(SafetyRulesTest, ProposeRequiresRoundAboveLastProposedAndOwnBlock) {
  auto rules = FreshRules(1);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto p = rules->SignProposal(b1, std::nullopt);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(fx_.verifier().Verify(fx_.validators().key(1), ProposalDigest(kChainId, b1->id),
                                    p->message.signature));
  // Same block again: the stored proposal. Another block of round 1: refused.
  auto again = rules->SignProposal(b1, std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->fresh);
  EXPECT_EQ(again->message.signature, p->message.signature);
  auto other = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {{9}});
  EXPECT_FALSE(rules->SignProposal(other, std::nullopt).ok());
  // Someone else's block: refused.
  auto foreign = fx_.MakeBlock(fx_.genesis_qc(), 2, 3);
  EXPECT_FALSE(rules->SignProposal(foreign, std::nullopt).ok());
  // The leader still votes for its own block (a separate counter).
  EXPECT_TRUE(rules->SignVote(*b1).ok());
}

TEST_F(SafetyRulesTest, RestartFromStoredDataKeepsTheRules) {
  std::optional<SafetyData> stored;
  Vote first_vote;
  {
    auto rules = FreshRules();
    auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
    auto v = rules->SignVote(*b1);
    ASSERT_TRUE(v.ok());
    first_vote = v->message;
    stored = rules->data();
  }
  auto restarted = MakeRules(0, stored);
  auto b1_conflict = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {{4}});
  EXPECT_FALSE(restarted->SignVote(*b1_conflict).ok());
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto resent = restarted->SignVote(*b1);
  ASSERT_TRUE(resent.ok());
  EXPECT_FALSE(resent->fresh);
  EXPECT_EQ(resent->message, first_vote);
}

TEST_F(SafetyRulesTest, ObserveCertificates) {
  auto rules = FreshRules();
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1);
  auto qc1 = fx_.MakeQC(*b1);
  EXPECT_TRUE(rules->ObserveQC(qc1));
  EXPECT_FALSE(rules->ObserveQC(qc1));
  EXPECT_EQ(rules->data().highest_qc_round, 1u);
  EXPECT_TRUE(rules->ObserveTC(fx_.MakeTC(3, 1)));
  EXPECT_FALSE(rules->ObserveTC(fx_.MakeTC(2, 1)));
  EXPECT_EQ(rules->data().highest_tc->round, 3u);
}

}  // namespace
}  // namespace hotbft
