// VoteCollector and TimeoutCollector: quorum thresholds, certificate contents, duplicates,
// equivocation and pruning, for n = 4 (f = 1) and n = 7 (f = 2).
#include "consensus/collectors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "tests/consensus/fixtures.h"

namespace hotbft {
namespace {

using testing::Fixture;
using testing::kChainId;

class CollectorsTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  CollectorsTest() : fx_(GetParam()), quorum_(fx_.validators().quorum()) {}

  void SetUp() override {
    // The thresholds the tests assume: 2f + 1 with n = 3f + 1.
    ASSERT_EQ(fx_.validators().size(), 3 * fx_.validators().f() + 1);
    ASSERT_EQ(quorum_, 2 * fx_.validators().f() + 1);
  }

  uint32_t n() const { return fx_.validators().size(); }

  VoteCollector MakeVoteCollector() const {
    return VoteCollector(fx_.validators(), fx_.verifier(), kChainId);
  }

  // A block of `round` extending genesis; different proposers give different blocks.
  std::shared_ptr<const Block> BlockAt(Round round, uint32_t proposer = 0) const {
    return fx_.MakeBlock(fx_.genesis_qc(), round, proposer % n());
  }

  Timeout MakeTimeout(Round round, Round high_qc_round, uint32_t sender, Epoch epoch = 0) {
    Timeout t;
    t.data = TimeoutData{epoch, round, high_qc_round};
    t.sender = sender;
    t.signature = fx_.signer(sender).Sign(t.data.SigningDigest(kChainId));
    return t;
  }

  // Adds votes for `block` by `voters`, expecting no QC from any of them.
  void AddWithoutQC(VoteCollector& votes, const Block& block, std::vector<uint32_t> voters) {
    for (uint32_t voter : voters) {
      std::optional<Vote> conflicting;
      EXPECT_FALSE(votes.Add(fx_.MakeVote(block, voter), &conflicting).has_value())
          << "voter " << voter;
      EXPECT_FALSE(conflicting.has_value()) << "voter " << voter;
    }
  }

  static std::vector<uint32_t> Range(uint32_t first, uint32_t count) {
    std::vector<uint32_t> out(count);
    std::iota(out.begin(), out.end(), first);
    return out;
  }

  Fixture fx_;
  uint32_t quorum_;
};

INSTANTIATE_TEST_SUITE_P(N, CollectorsTest, ::testing::Values(4u, 7u),
                         [](const auto& info) { return "n" + std::to_string(info.param); });

// ---- VoteCollector ----

TEST_P(CollectorsTest, QcFormsAtExactlyQuorumNotBefore) {
  VoteCollector votes = MakeVoteCollector();
  auto block = BlockAt(1);
  // Voters from the top down, so the bitmap is not just a prefix.
  for (uint32_t k = 0; k + 1 < quorum_; ++k) {
    EXPECT_FALSE(votes.Add(fx_.MakeVote(*block, n() - 1 - k)).has_value())
        << (k + 1) << " of " << quorum_ << " votes formed a QC";
  }
  const uint32_t last = n() - quorum_;
  std::optional<QC> qc = votes.Add(fx_.MakeVote(*block, last));
  ASSERT_TRUE(qc.has_value()) << quorum_ << " matching votes formed no QC";
  EXPECT_EQ(qc->vote_data, Fixture::VoteDataFor(*block));
  EXPECT_EQ(qc->signers.n(), n());
  EXPECT_EQ(qc->signers.Indexes(), Range(last, quorum_));
  EXPECT_EQ(qc->signatures.size(), quorum_);
}

TEST_P(CollectorsTest, QcVerifiesAsQuorumCert) {
  VoteCollector votes = MakeVoteCollector();
  auto block = BlockAt(3, 1);
  std::optional<QC> qc;
  for (uint32_t voter : {2u, 0u, 1u, 3u, 4u, 5u, 6u}) {
    if (voter >= n()) continue;
    std::optional<QC> formed = votes.Add(fx_.MakeVote(*block, voter));
    if (formed) qc = formed;
  }
  ASSERT_TRUE(qc.has_value());
  const Hash32 digest = qc->vote_data.SigningDigest(kChainId);
  const QuorumCert cert{digest, qc->signers, qc->signatures};
  Status status = VerifyQuorumCert(fx_.validators(), fx_.verifier(), digest, cert);
  EXPECT_TRUE(status.ok()) << status.ToString();

  // The check has teeth: the same signatures in another order do not verify.
  QuorumCert shuffled = cert;
  std::swap(shuffled.signatures.front(), shuffled.signatures.back());
  EXPECT_FALSE(VerifyQuorumCert(fx_.validators(), fx_.verifier(), digest, shuffled).ok());
}

TEST_P(CollectorsTest, TwoBlocksInOneRoundEachNeedTheirOwnQuorum) {
  VoteCollector votes = MakeVoteCollector();
  auto a = BlockAt(1, 1);
  auto b = BlockAt(1, 2);
  ASSERT_NE(a->id, b->id);
  // Everyone outside the first quorum - 1 voters votes for b: more than quorum votes in
  // the round in total, but neither block has a quorum of its own.
  AddWithoutQC(votes, *b, Range(quorum_ - 1, n() - quorum_ + 1));
  AddWithoutQC(votes, *a, Range(0, quorum_ - 1));
  ASSERT_GE((quorum_ - 1) + (n() - quorum_ + 1), quorum_);

  // A fresh collector: a's QC forms at exactly quorum votes for a, whatever b has.
  VoteCollector fresh = MakeVoteCollector();
  AddWithoutQC(fresh, *b, Range(quorum_, n() - quorum_));
  AddWithoutQC(fresh, *a, Range(0, quorum_ - 1));
  std::optional<QC> qc = fresh.Add(fx_.MakeVote(*a, quorum_ - 1));
  ASSERT_TRUE(qc.has_value());
  EXPECT_EQ(qc->vote_data.block_id, a->id);
  EXPECT_EQ(qc->signers.Indexes(), Range(0, quorum_));
}

TEST_P(CollectorsTest, VotesInDifferentRoundsDoNotMix) {
  VoteCollector votes = MakeVoteCollector();
  auto r1 = BlockAt(1);
  auto r2 = BlockAt(2);
  AddWithoutQC(votes, *r1, Range(0, quorum_ - 1));
  AddWithoutQC(votes, *r2, Range(0, quorum_ - 1));
  std::optional<QC> qc = votes.Add(fx_.MakeVote(*r2, quorum_ - 1));
  ASSERT_TRUE(qc.has_value());
  EXPECT_EQ(qc->vote_data.round, 2u);
}

TEST_P(CollectorsTest, RepeatedVoteDoesNotCountTwice) {
  VoteCollector votes = MakeVoteCollector();
  auto block = BlockAt(1);
  AddWithoutQC(votes, *block, Range(0, quorum_ - 1));
  const Vote first = fx_.MakeVote(*block, 0);
  // The same vote again, and the same vote data signed again (fresh signature bytes): a
  // repeat either way, neither counted nor reported as equivocation.
  Vote resigned = first;
  resigned.signature = fx_.MakeValidatorSigner(0, 12345)->Sign(first.data.SigningDigest(kChainId));
  for (const Vote& repeat : {first, resigned}) {
    std::optional<Vote> conflicting;
    EXPECT_FALSE(votes.Add(repeat, &conflicting).has_value());
    EXPECT_FALSE(conflicting.has_value());
  }
  std::optional<QC> qc = votes.Add(fx_.MakeVote(*block, quorum_ - 1));
  ASSERT_TRUE(qc.has_value());
  EXPECT_EQ(qc->signers.Count(), quorum_);
}

TEST_P(CollectorsTest, ConflictingVoteIsReportedAndNotCounted) {
  VoteCollector votes = MakeVoteCollector();
  auto a = BlockAt(1, 1);
  auto b = BlockAt(1, 2);
  const Vote for_a = fx_.MakeVote(*a, 0);
  EXPECT_FALSE(votes.Add(for_a).has_value());

  std::optional<Vote> conflicting;
  EXPECT_FALSE(votes.Add(fx_.MakeVote(*b, 0), &conflicting).has_value());
  ASSERT_TRUE(conflicting.has_value());
  EXPECT_EQ(*conflicting, for_a);
  // Without an out-parameter the conflicting vote is still ignored.
  EXPECT_FALSE(votes.Add(fx_.MakeVote(*b, 0)).has_value());

  // Voter 0's vote for b does not count: b needs quorum other voters.
  AddWithoutQC(votes, *b, Range(1, quorum_ - 1));
  std::optional<QC> qc = votes.Add(fx_.MakeVote(*b, quorum_), &conflicting);
  EXPECT_FALSE(conflicting.has_value()) << "a stale conflicting vote was left in place";
  ASSERT_TRUE(qc.has_value());
  EXPECT_EQ(qc->vote_data.block_id, b->id);
  EXPECT_FALSE(qc->signers.Test(0));
  EXPECT_EQ(qc->signers.Indexes(), Range(1, quorum_));
}

TEST_P(CollectorsTest, QcIsReturnedOnlyOnce) {
  VoteCollector votes = MakeVoteCollector();
  auto block = BlockAt(1);
  int formed = 0;
  for (uint32_t voter = 0; voter < n(); ++voter) {
    if (votes.Add(fx_.MakeVote(*block, voter))) ++formed;
  }
  // Repeats after the QC formed, too.
  for (uint32_t voter = 0; voter < n(); ++voter) {
    if (votes.Add(fx_.MakeVote(*block, voter))) ++formed;
  }
  EXPECT_EQ(formed, 1);
}

TEST_P(CollectorsTest, VotePruneBelowForgetsLowerRoundsOnly) {
  VoteCollector votes = MakeVoteCollector();
  auto r1 = BlockAt(1);
  auto r2 = BlockAt(2);
  auto r3 = BlockAt(3);
  AddWithoutQC(votes, *r1, Range(0, quorum_ - 1));
  AddWithoutQC(votes, *r2, Range(0, quorum_ - 1));
  AddWithoutQC(votes, *r3, Range(0, quorum_ - 1));
  votes.PruneBelow(2);

  // Round 1 is forgotten: one more vote is one of one, and voter 0's vote for another
  // block of round 1 is no longer a conflict.
  AddWithoutQC(votes, *r1, {quorum_ - 1});
  AddWithoutQC(votes, *BlockAt(1, 3), {0});
  // Rounds 2 and 3 (the bound itself and above) are kept.
  EXPECT_TRUE(votes.Add(fx_.MakeVote(*r2, quorum_ - 1)).has_value());
  EXPECT_TRUE(votes.Add(fx_.MakeVote(*r3, quorum_ - 1)).has_value());
}

TEST_P(CollectorsTest, VoterOutsideTheSetIsAProgrammingError) {
  VoteCollector votes = MakeVoteCollector();
  Vote vote = fx_.MakeVote(*BlockAt(1), 0);
  vote.voter = n();
  EXPECT_DEATH(votes.Add(vote), "voter");
}

// ---- TimeoutCollector ----

TEST_P(CollectorsTest, TcFormsAtExactlyQuorumNotBefore) {
  TimeoutCollector timeouts(fx_.validators());
  for (uint32_t sender = 0; sender + 1 < quorum_; ++sender) {
    EXPECT_FALSE(timeouts.Add(MakeTimeout(5, 2, sender, 3)).has_value())
        << (sender + 1) << " of " << quorum_ << " timeouts formed a TC";
  }
  std::optional<TC> tc = timeouts.Add(MakeTimeout(5, 2, quorum_ - 1, 3));
  ASSERT_TRUE(tc.has_value()) << quorum_ << " timeouts formed no TC";
  EXPECT_EQ(tc->epoch, 3u);
  EXPECT_EQ(tc->round, 5u);
  EXPECT_EQ(tc->signers.n(), n());
  EXPECT_EQ(tc->signers.Indexes(), Range(0, quorum_));
  EXPECT_EQ(tc->high_qc_rounds, std::vector<Round>(quorum_, 2));
  EXPECT_EQ(tc->signatures.size(), quorum_);
}

TEST_P(CollectorsTest, TcSignaturesVerifyInAscendingSignerOrder) {
  TimeoutCollector timeouts(fx_.validators());
  const Epoch epoch = 2;
  const Round round = 9;
  // Each sender reports its own high QC round; arrival order is neither ascending nor
  // descending, and skips sender 1.
  auto high_qc_round = [](uint32_t sender) { return Round{3 + (sender * 5) % 6}; };
  std::vector<uint32_t> arrival = {3, 0, 2, 6, 4, 5};
  arrival.resize(quorum_);
  std::optional<TC> tc;
  for (uint32_t sender : arrival) {
    ASSERT_FALSE(tc.has_value());
    tc = timeouts.Add(MakeTimeout(round, high_qc_round(sender), sender, epoch));
  }
  ASSERT_TRUE(tc.has_value());

  std::vector<uint32_t> ascending = arrival;
  std::sort(ascending.begin(), ascending.end());
  ASSERT_EQ(tc->signers.Indexes(), ascending);
  ASSERT_EQ(tc->high_qc_rounds.size(), ascending.size());
  ASSERT_EQ(tc->signatures.size(), ascending.size());
  std::vector<Hash32> digests;
  for (size_t k = 0; k < ascending.size(); ++k) {
    const uint32_t signer = ascending[k];
    EXPECT_EQ(tc->high_qc_rounds[k], high_qc_round(signer)) << "position " << k;
    const Hash32 digest = TimeoutData{epoch, round, high_qc_round(signer)}.SigningDigest(kChainId);
    EXPECT_TRUE(fx_.verifier().Verify(fx_.validators().key(signer), digest, tc->signatures[k]))
        << "signer " << signer;
    digests.push_back(digest);
  }
  Status status =
      VerifySigners(fx_.validators(), fx_.verifier(), tc->signers, digests, tc->signatures);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(tc->MaxHighQcRound(),
            *std::max_element(tc->high_qc_rounds.begin(), tc->high_qc_rounds.end()));
}

TEST_P(CollectorsTest, TimeoutCountIsDistinctSendersPerRound) {
  TimeoutCollector timeouts(fx_.validators());
  EXPECT_EQ(timeouts.Count(4), 0u);
  (void)timeouts.Add(MakeTimeout(4, 1, 2));
  EXPECT_EQ(timeouts.Count(4), 1u);
  (void)timeouts.Add(MakeTimeout(4, 1, 2));
  (void)timeouts.Add(MakeTimeout(4, 3, 2));  // a different timeout by the same sender
  EXPECT_EQ(timeouts.Count(4), 1u);
  (void)timeouts.Add(MakeTimeout(4, 1, 0));
  EXPECT_EQ(timeouts.Count(4), 2u);
  (void)timeouts.Add(MakeTimeout(5, 1, 1));
  EXPECT_EQ(timeouts.Count(4), 2u);
  EXPECT_EQ(timeouts.Count(5), 1u);
  EXPECT_EQ(timeouts.Count(3), 0u);
  // Counting goes on past the quorum.
  for (uint32_t sender = 0; sender < n(); ++sender) (void)timeouts.Add(MakeTimeout(4, 1, sender));
  EXPECT_EQ(timeouts.Count(4), n());
}

TEST_P(CollectorsTest, DuplicateTimeoutsAreIgnored) {
  TimeoutCollector timeouts(fx_.validators());
  for (uint32_t sender = 0; sender + 1 < quorum_; ++sender) {
    EXPECT_FALSE(timeouts.Add(MakeTimeout(6, 2, sender)).has_value());
  }
  // Sender 0 again: the same timeout, then one reporting another high QC round.
  EXPECT_FALSE(timeouts.Add(MakeTimeout(6, 2, 0)).has_value());
  EXPECT_FALSE(timeouts.Add(MakeTimeout(6, 4, 0)).has_value());
  std::optional<TC> tc = timeouts.Add(MakeTimeout(6, 2, quorum_ - 1));
  ASSERT_TRUE(tc.has_value());
  EXPECT_EQ(tc->signers.Count(), quorum_);
  // The first timeout of sender 0 is the one in the TC.
  EXPECT_EQ(tc->high_qc_rounds, std::vector<Round>(quorum_, 2));
}

TEST_P(CollectorsTest, TcIsReturnedOnlyOnce) {
  TimeoutCollector timeouts(fx_.validators());
  int formed = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t sender = 0; sender < n(); ++sender) {
      if (timeouts.Add(MakeTimeout(7, 1, sender))) ++formed;
    }
  }
  EXPECT_EQ(formed, 1);
}

TEST_P(CollectorsTest, TimeoutPruneBelowForgetsLowerRoundsOnly) {
  TimeoutCollector timeouts(fx_.validators());
  for (Round round : {1, 2, 3}) {
    for (uint32_t sender = 0; sender + 1 < quorum_; ++sender) {
      EXPECT_FALSE(timeouts.Add(MakeTimeout(round, 0, sender)).has_value());
    }
  }
  timeouts.PruneBelow(2);
  EXPECT_EQ(timeouts.Count(1), 0u);
  EXPECT_EQ(timeouts.Count(2), quorum_ - 1);
  EXPECT_EQ(timeouts.Count(3), quorum_ - 1);
  // Round 1 starts over: one more sender is one of one.
  EXPECT_FALSE(timeouts.Add(MakeTimeout(1, 0, quorum_ - 1)).has_value());
  EXPECT_EQ(timeouts.Count(1), 1u);
  EXPECT_TRUE(timeouts.Add(MakeTimeout(2, 0, quorum_ - 1)).has_value());
  EXPECT_TRUE(timeouts.Add(MakeTimeout(3, 0, quorum_ - 1)).has_value());
}

TEST_P(CollectorsTest, SenderOutsideTheSetIsAProgrammingError) {
  TimeoutCollector timeouts(fx_.validators());
  Timeout t = MakeTimeout(1, 0, 0);
  t.sender = n();
  EXPECT_DEATH((void)timeouts.Add(t), "sender");
}

}  // namespace
}  // namespace hotbft
