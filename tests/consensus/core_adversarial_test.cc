// Core under hostile or unlucky input: each case is a way a Byzantine peer (or a crash)
// could once break safety, stall rounds or grow state, and must no longer.
#include <gtest/gtest.h>

#include "tests/consensus/core_harness.h"

namespace hotbft {
namespace {

using testing::Collect;
using testing::CoreTestBase;
using testing::Dropped;
using testing::Fixture;
using testing::kChainId;

class CoreAdversarial : public CoreTestBase {};

TEST_F(CoreAdversarial, ProposalNamingAParentOtherThanItsQcBlockIsNotFetched) {
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 10);
  auto qc1 = fx_.MakeQC(*b1);
  RecoveryState rec;
  rec.blocks = {b1};
  rec.high_qc = qc1;
  auto core = Make(2, std::move(rec));
  core->Start(100);
  auto p = std::make_shared<Block>(*fx_.MakeBlock(qc1, 2, 2, {}, 20));
  p->header.parent_id = Hash32::FromBytes(Bytes(32, 0xab)).value();
  auto out = core->OnMessage(2, Propose(Rehash(p)), 110);
  EXPECT_TRUE(Collect<SendAction>(out).empty()) << "fetched a block named by the proposer alone";
  EXPECT_EQ(Dropped(*core, DropReason::kMalformed), 1u);
}

TEST_F(CoreAdversarial, ForgedQcInsideAFetchedBlockIsRejected) {
  auto core = Make(3);
  core->Start(0);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 5);
  auto qc1 = fx_.MakeQC(*b1);
  // A real QC names b2, which this validator lacks; the block served for it carries a
  // justify QC with no signers (its header hash still matches, since b2 was built so).
  QC forged;
  forged.vote_data = Fixture::VoteDataFor(*b1);
  forged.signers = SignerBitmap(4);
  auto b2 = fx_.MakeBlock(forged, 2, 2, {}, 6);
  auto qc2 = fx_.MakeQC(*b2);
  core->OnMessage(0, MakeTimeout(0, 3, qc2, qc2), 10);
  core->OnMessage(2, BlockResponse{{b2, b1}}, 11);
  EXPECT_FALSE(core->tree().Contains(b2->id));
  EXPECT_EQ(core->tree().high_qc().vote_data.round, 0u);
  EXPECT_GE(Dropped(*core, DropReason::kInvalidQC), 1u);
}

TEST_F(CoreAdversarial, WrongEpochVoteInsideATimeoutIsDroppedNotFatal) {
  auto core = Make(2);
  core->Start(0);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 10);
  core->OnMessage(1, fx_.MakeVote(*b1, 1), 10);
  Timeout t = MakeTimeout(0, 1, fx_.genesis_qc(), fx_.genesis_qc());
  Vote v;
  v.data = Fixture::VoteDataFor(*b1);
  v.data.epoch = 99;
  v.voter = 0;
  v.signature = fx_.signer(0).Sign(v.data.SigningDigest(kChainId));
  t.vote = v;
  core->OnMessage(0, t, 20);
  EXPECT_EQ(Dropped(*core, DropReason::kMalformed), 1u);
}

TEST_F(CoreAdversarial, DuplicateProposalDoesNotReleaseTheVoteBeforePersist) {
  auto core = Make(3);
  core->Start(0);
  auto p = Propose(fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 5));
  auto first = core->OnMessage(1, p, 10);
  ASSERT_TRUE(Collect<SendAction>(first).empty());
  auto again = core->OnMessage(0, p, 11);
  EXPECT_TRUE(Collect<SendAction>(again).empty()) << "vote left before its safety data was durable";
  // Once everything is durable, the vote goes out (once per release).
  auto tokens = Collect<PersistAction>(first);
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(Collect<SendAction>(core->OnPersisted(tokens[0].token, 12)).size(), 1u);
}

TEST_F(CoreAdversarial, EquivocatingLeaderCannotFillTheTree) {
  auto core = Make(3);
  core->Start(0);
  for (uint8_t i = 0; i < 50; ++i) {
    core->OnMessage(1, Propose(fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {{i}}, 5)), 10);
  }
  EXPECT_EQ(core->tree().size(), 1u);
  EXPECT_EQ(core->counters().equivocations_seen, 49u);
  EXPECT_EQ(core->counters().votes_sent, 1u);
}

TEST_F(CoreAdversarial, LeaderProposesOnceItsHighQcBlockArrives) {
  auto core = Make(2);  // leader of round 2
  core->Start(0);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 5);
  for (uint32_t v : {0u, 1u, 3u}) core->OnMessage(v, fx_.MakeVote(*b1, v), 10);
  ASSERT_EQ(core->current_round(), 2u);
  auto payload = std::make_shared<Payload>(Payload{{{'t'}}, {}});
  core->OnPayloadReady(2, payload, 20);  // b1 still missing: cannot propose yet
  EXPECT_EQ(core->counters().proposals_sent, 0u);
  auto out = core->OnMessage(1, BlockResponse{{b1}}, 30);
  ASSERT_EQ(Collect<RequestPayloadAction>(out).size(), 1u) << "payload never re-requested";
  core->OnPayloadReady(2, payload, 40);
  EXPECT_EQ(core->counters().proposals_sent, 1u);
}

TEST_F(CoreAdversarial, PoisonedTcIsReplacedByAnHonestOne) {
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 10);
  auto qc1 = fx_.MakeQC(*b1);
  RecoveryState rec;
  rec.blocks = {b1};
  rec.high_qc = qc1;
  auto core = Make(0, std::move(rec));  // leader of round 4
  core->Start(100);
  // TC(3) where Byzantine 3 claims a round-2 QC that does not exist.
  TC poisoned;
  poisoned.round = 3;
  poisoned.signers = SignerBitmap(4);
  for (uint32_t i : {1u, 2u, 3u}) {
    const Round claimed = i == 3 ? 2 : 1;
    poisoned.signers.Set(i);
    poisoned.high_qc_rounds.push_back(claimed);
    poisoned.signatures.push_back(
        fx_.signer(i).Sign(TimeoutData{0, 3, claimed}.SigningDigest(kChainId)));
  }
  core->OnMessage(3, MakeTimeout(3, 4, qc1, poisoned), 110);
  ASSERT_EQ(core->current_round(), 4u);
  core->OnMessage(1, MakeTimeout(1, 4, qc1, fx_.MakeTC(3, 1)), 115);
  core->OnPayloadReady(4, std::make_shared<Payload>(Payload{{{'a'}}, {}}), 120);
  EXPECT_EQ(core->counters().proposals_sent, 1u);
}

TEST_F(CoreAdversarial, MissingBlocksAreGivenUpAfterBoundedAttempts) {
  auto core = Make(3);
  core->Start(0);
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 5);
  auto qc1 = fx_.MakeQC(*b1);
  core->OnMessage(0, MakeTimeout(0, 2, qc1, qc1), 10);  // names b1; nobody serves it
  uint64_t now = 10;
  for (int i = 0; i < 40; ++i) core->OnTick(now += 1000);
  const uint64_t requests = core->counters().block_requests_sent;
  EXPECT_LE(requests, 8u);
  for (int i = 0; i < 10; ++i) core->OnTick(now += 1000);
  EXPECT_EQ(core->counters().block_requests_sent, requests);
}

TEST_F(CoreAdversarial, RestartAfterTimeoutResumesTheRoundAndResendsTheStoredTimeout) {
  std::optional<SafetyData> stored;
  Signature signed_before;
  auto b1 = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {}, 5);
  auto qc1 = fx_.MakeQC(*b1);
  {
    auto core = Make(3);
    core->Start(0);
    core->OnMessage(0, MakeTimeout(0, 2, qc1, qc1), 10);  // round 2; b1 unknown
    auto out = core->OnTick(5000);
    auto persists = Collect<PersistAction>(out);
    ASSERT_FALSE(persists.empty());
    stored = persists.back().safety;
    ASSERT_TRUE(stored->last_timeout.has_value());
    signed_before = stored->last_timeout->signature;
  }
  auto core = Make(3, {}, stored);
  auto out = core->Start(6000);
  EXPECT_EQ(core->current_round(), 2u);
  auto persists = Collect<PersistAction>(out);
  ASSERT_EQ(persists.size(), 1u);
  auto sent = Collect<BroadcastAction>(core->OnPersisted(persists[0].token, 6001));
  ASSERT_EQ(sent.size(), 1u);
  const auto* t = std::get_if<Timeout>(&sent[0].message);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->signature, signed_before) << "the stored timeout must be re-sent, not re-signed";
}

}  // namespace
}  // namespace hotbft
