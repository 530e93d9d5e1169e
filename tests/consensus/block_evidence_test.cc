// Evidence in blocks: the canonical encoding, the rule honest validators apply to a
// proposal's evidence before voting (each reason to refuse, and acceptance), what a leader
// keeps of its candidates, and the core's committed-evidence window.
#include <gtest/gtest.h>

#include "consensus/evidence.h"
#include "tests/consensus/core_harness.h"

namespace hotbft {
namespace {

using testing::Collect;
using testing::CoreTestBase;
using testing::Dropped;
using testing::kChainId;

class BlockEvidenceTest : public CoreTestBase {
 protected:
  DoubleProposal MakeDoubleProposal(Round round, uint32_t proposer) {
    auto a = fx_.MakeBlock(fx_.genesis_qc(), round, proposer, {{1}});
    auto b = fx_.MakeBlock(fx_.genesis_qc(), round, proposer, {{2}});
    return DoubleProposal{a->header, Propose(a).signature, b->header, Propose(b).signature};
  }
  BlockEvidenceRules Rules() {
    BlockEvidenceRules rules;
    rules.chain_id = kChainId;
    rules.epoch = 0;
    rules.validators = &fx_.validators();
    rules.verifier = &fx_.verifier();
    rules.count_max = 4;
    rules.bytes_max = 1 << 20;
    rules.age_rounds_max = 10;
    rules.rounds_ahead_max = 5;
    return rules;
  }
  static std::string Refusal(const Status& st) { return st.ok() ? "OK" : st.message(); }
};

const EvidenceIncluded kNothingIncluded = [](const EvidenceKey&) { return false; };

TEST_F(BlockEvidenceTest, CanonicalEncodingRoundTripsExactly) {
  for (const Evidence& e : {Evidence(MakeDoubleVote(3, 2)), Evidence(MakeDoubleProposal(5, 1))}) {
    const Bytes bytes = EncodeEvidence(e);
    auto back = DecodeEvidence(bytes, 4);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(KeyOf(*back), KeyOf(e));
    EXPECT_EQ(EncodeEvidence(*back), bytes);
    EXPECT_TRUE(VerifyEvidence(*back, kChainId, fx_.validators(), fx_.verifier()).ok());

    Bytes truncated(bytes.begin(), bytes.end() - 1);
    EXPECT_FALSE(DecodeEvidence(truncated, 4).ok());
    Bytes trailing = bytes;
    trailing.push_back(0);
    EXPECT_FALSE(DecodeEvidence(trailing, 4).ok());
    Bytes unknown_kind = bytes;
    unknown_kind[0] = 9;
    EXPECT_NE(Refusal(DecodeEvidence(unknown_kind, 4).status()).find("kind 9"), std::string::npos);
  }
  // Indexes and bitmaps are checked against the set's size.
  const Bytes vote = EncodeEvidence(MakeDoubleVote(3, 3));
  EXPECT_NE(Refusal(DecodeEvidence(vote, 3).status()).find("voter 3"), std::string::npos);
  DoubleProposal p = MakeDoubleProposal(6, 2);
  p.first.justify = fx_.MakeQC(*fx_.MakeBlock(fx_.genesis_qc(), 5, 1));
  EXPECT_TRUE(DecodeEvidence(EncodeEvidence(p), 4).ok());
  EXPECT_FALSE(DecodeEvidence(EncodeEvidence(p), 12).ok());  // bitmap sized for 4
}

TEST_F(BlockEvidenceTest, ValidEvidenceIsAccepted) {
  const std::vector<Bytes> evidence = {EncodeEvidence(MakeDoubleVote(8, 2)),
                                       EncodeEvidence(MakeDoubleProposal(9, 1)),
                                       EncodeEvidence(MakeDoubleVote(8, 3))};
  EXPECT_TRUE(CheckBlockEvidence(evidence, 10, Rules(), kNothingIncluded).ok());
  EXPECT_TRUE(CheckBlockEvidence({}, 10, Rules(), kNothingIncluded).ok());
  // The window's edges: 10 rounds back, 5 ahead.
  EXPECT_TRUE(
      CheckBlockEvidence({EncodeEvidence(MakeDoubleVote(2, 2))}, 12, Rules(), kNothingIncluded)
          .ok());
  EXPECT_TRUE(
      CheckBlockEvidence({EncodeEvidence(MakeDoubleVote(17, 2))}, 12, Rules(), kNothingIncluded)
          .ok());
}

TEST_F(BlockEvidenceTest, EachReasonToRefuse) {
  const Bytes vote = EncodeEvidence(MakeDoubleVote(8, 2));
  auto refusal = [&](const std::vector<Bytes>& evidence, Round round = 10,
                     BlockEvidenceRules rules = {}, EvidenceIncluded included = kNothingIncluded) {
    if (rules.validators == nullptr) rules = Rules();
    return Refusal(CheckBlockEvidence(evidence, round, rules, included));
  };
  auto has = [](const std::string& message, const char* part) {
    return message.find(part) != std::string::npos;
  };
  BlockEvidenceRules one = Rules();
  one.count_max = 1;
  EXPECT_TRUE(has(refusal({vote, EncodeEvidence(MakeDoubleVote(8, 3))}, 10, one), "at most 1"));
  BlockEvidenceRules small = Rules();
  small.bytes_max = vote.size() - 1;
  EXPECT_TRUE(has(refusal({vote}, 10, small), "bytes of evidence"));
  EXPECT_TRUE(has(refusal({Bytes{1, 2, 3}}, 10), "does not decode"));

  DoubleVote other_epoch = MakeDoubleVote(8, 2);
  other_epoch.first.data.epoch = other_epoch.second.data.epoch = 1;
  EXPECT_TRUE(has(refusal({EncodeEvidence(other_epoch)}), "not of epoch 0"));
  EXPECT_TRUE(has(refusal({vote}, 19), "too old"));
  EXPECT_TRUE(has(refusal({vote}, 2), "too far ahead"));
  EXPECT_TRUE(has(refusal({vote, vote}), "twice"));
  // Two signed votes of one round, as two encodings of one key: still twice.
  DoubleVote swapped = MakeDoubleVote(8, 2);
  std::swap(swapped.first, swapped.second);
  EXPECT_TRUE(has(refusal({vote, EncodeEvidence(swapped)}), "twice"));
  const EvidenceKey key = KeyOf(MakeDoubleVote(8, 2));
  EXPECT_TRUE(has(refusal({vote}, 10, Rules(), [&](const EvidenceKey& k) { return k == key; }),
                  "already in the chain"));

  DoubleVote forged = MakeDoubleVote(8, 2);
  forged.second.signature = fx_.signer(1).Sign(forged.second.data.SigningDigest(kChainId));
  EXPECT_TRUE(has(refusal({EncodeEvidence(forged)}), "signature is invalid"));
  DoubleVote same = MakeDoubleVote(8, 2);
  same.second = same.first;
  EXPECT_TRUE(has(refusal({EncodeEvidence(same)}), "the same vote twice"));
  // The error names the piece.
  EXPECT_TRUE(has(refusal({vote, EncodeEvidence(forged)}), "evidence 1"));
}

TEST_F(BlockEvidenceTest, ALeaderKeepsOnlyWhatVotersAccept) {
  DoubleVote forged = MakeDoubleVote(8, 3);
  forged.second.signature = forged.first.signature;
  const Bytes a = EncodeEvidence(MakeDoubleVote(8, 2));
  const Bytes b = EncodeEvidence(MakeDoubleProposal(9, 1));
  const Bytes c = EncodeEvidence(MakeDoubleVote(9, 3));
  const std::vector<Bytes> candidates = {a, EncodeEvidence(forged), a, Bytes{7}, b, c};
  const EvidenceKey taken = KeyOf(MakeDoubleProposal(9, 1));
  BlockEvidenceRules rules = Rules();
  rules.count_max = 2;
  auto selected =
      SelectBlockEvidence(candidates, 10, rules, [&](const EvidenceKey& k) { return k == taken; });
  EXPECT_EQ(selected, (std::vector<Bytes>{a, c}));
  EXPECT_TRUE(CheckBlockEvidence(selected, 10, rules, kNothingIncluded).ok());
}

// ---- In the core ----

TEST_F(BlockEvidenceTest, NoVoteForAProposalWithInvalidEvidence) {
  auto core = Make(0);
  core->Start(0);
  DoubleVote forged = MakeDoubleVote(1, 3);
  forged.second.signature = forged.first.signature;
  // A Byzantine leader of round 1 carries forged evidence against validator 3.
  auto bad = WithEvidence(fx_.MakeBlock(fx_.genesis_qc(), 1, 1), {EncodeEvidence(forged)});
  core->OnMessage(1, Propose(bad), 1000);
  EXPECT_EQ(core->counters().votes_sent, 0u);
  EXPECT_EQ(Dropped(*core, DropReason::kInvalidEvidence), 1u);
  EXPECT_NE(core->last_evidence_refusal().message().find("signature is invalid"),
            std::string::npos);
  EXPECT_TRUE(core->tree().Contains(bad->id)) << "stored: a QC may certify it anyway";
}

TEST_F(BlockEvidenceTest, NoVoteForEvidenceAlreadyInAnAncestor) {
  auto core = Make(0);
  core->Start(0);
  const Bytes e = EncodeEvidence(MakeDoubleVote(1, 3));
  auto b1 = WithEvidence(fx_.MakeBlock(fx_.genesis_qc(), 1, 1), {e});
  core->OnMessage(1, Propose(b1), 1000);
  EXPECT_EQ(core->counters().votes_sent, 1u) << "valid evidence gets a vote";
  EXPECT_EQ(core->EvidenceOnPath(b1->id).size(), 1u);

  // Round 2 carries the same piece again on top of b1 (uncommitted): refused.
  auto b2 = WithEvidence(fx_.MakeBlock(fx_.MakeQC(*b1), 2, 2), {e});
  core->OnMessage(2, Propose(b2), 2000);
  EXPECT_EQ(core->counters().votes_sent, 1u);
  EXPECT_EQ(Dropped(*core, DropReason::kInvalidEvidence), 1u);
  EXPECT_NE(core->last_evidence_refusal().message().find("already in the chain"),
            std::string::npos);
}

TEST_F(BlockEvidenceTest, CommittedEvidenceIsRecordedAndRefusedAgain) {
  auto core = Make(0);
  core->Start(0);
  const Bytes e = EncodeEvidence(MakeDoubleVote(1, 3));
  auto b1 = WithEvidence(fx_.MakeBlock(fx_.genesis_qc(), 1, 1), {e});
  auto b2 = fx_.MakeBlock(fx_.MakeQC(*b1), 2, 2);
  auto b3 = fx_.MakeBlock(fx_.MakeQC(*b2), 3, 3);
  auto b4 = fx_.MakeBlock(fx_.MakeQC(*b3), 4, 0);
  for (const auto& b : {b1, b2, b3}) {
    core->OnMessage(b->header.proposer, Propose(b), b->header.round * 1000);
  }
  core->OnMessage(0, Propose(b4), 4000);  // QC(b3) completes the 3-chain: b1 commits
  ASSERT_EQ(core->committed_height(), 1u);
  ASSERT_EQ(core->committed_evidence().size(), 1u);
  EXPECT_EQ(core->committed_evidence().begin()->first, KeyOf(MakeDoubleVote(1, 3)));
  EXPECT_EQ(core->committed_evidence().begin()->second, 1u);
  EXPECT_EQ(core->counters().evidence_committed, 1u);
  EXPECT_TRUE(core->EvidenceOnPath(b4->id).empty()) << "committed blocks are not on the path";

  auto b5 = WithEvidence(fx_.MakeBlock(fx_.MakeQC(*b4), 5, 1), {e});
  core->OnMessage(1, Propose(b5), 5000);
  EXPECT_EQ(Dropped(*core, DropReason::kInvalidEvidence), 1u);
  EXPECT_NE(core->last_evidence_refusal().message().find("already in the chain"),
            std::string::npos);
}

TEST_F(BlockEvidenceTest, RecoveredCommittedEvidenceIsRefusedAgainAndOldPiecesForgotten) {
  CoreConfig config = testing::TestConfig();
  config.evidence_age_rounds_max = 5;
  RecoveryState rec;
  rec.committed_evidence = {{KeyOf(MakeDoubleVote(1, 3)), 1}};
  auto core = MakeWith(config, 0, std::move(rec));
  core->Start(0);
  ASSERT_EQ(core->committed_evidence().size(), 1u);
  auto b1 =
      WithEvidence(fx_.MakeBlock(fx_.genesis_qc(), 1, 1), {EncodeEvidence(MakeDoubleVote(1, 3))});
  core->OnMessage(1, Propose(b1), 1000);
  EXPECT_EQ(Dropped(*core, DropReason::kInvalidEvidence), 1u);

  // Past round 1 + 5, the piece is out of every proposal's window: forgotten.
  const Round far = 7;
  core->OnMessage(3, Propose(fx_.MakeBlock(fx_.genesis_qc(), far, far % 4), fx_.MakeTC(far - 1, 0)),
                  far * 1000);
  ASSERT_EQ(core->current_round(), far);
  EXPECT_TRUE(core->committed_evidence().empty());
}

TEST_F(BlockEvidenceTest, ALeaderProposesOnlyEvidenceVotersAccept) {
  auto core = Make(1);  // leads round 1
  core->Start(0);
  DoubleVote forged = MakeDoubleVote(1, 3);
  forged.second.signature = forged.first.signature;
  auto payload = std::make_shared<Payload>();
  payload->evidence = {EncodeEvidence(forged), EncodeEvidence(MakeDoubleVote(1, 2))};
  auto out = core->OnPayloadReady(1, payload, 1000);
  std::vector<PersistAction> persists = Collect<PersistAction>(out);
  ASSERT_EQ(persists.size(), 1u);
  ASSERT_EQ(persists[0].blocks.size(), 1u);
  const Block& proposed = *persists[0].blocks[0];
  ASSERT_EQ(proposed.payload->evidence.size(), 1u);
  EXPECT_EQ(proposed.payload->evidence[0], EncodeEvidence(MakeDoubleVote(1, 2)));
  EXPECT_EQ(proposed.header.payload_hash,
            PayloadHash(kChainId, proposed.payload->txs, proposed.payload->evidence));
}

}  // namespace
}  // namespace hotbft
