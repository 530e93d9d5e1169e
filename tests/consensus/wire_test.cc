// Protobuf conversion: every type round-trips, and each structural check rejects.
#include "consensus/wire.h"

#include <gtest/gtest.h>

#include "tests/consensus/fixtures.h"

namespace hotbft {
namespace {

using testing::Fixture;
using testing::kChainId;

class WireTest : public ::testing::Test {
 protected:
  WireTest() : fx_(4), ctx_{kChainId, 4} {
    b1_ = fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {{1, 2}, {3}});
    qc1_ = fx_.MakeQC(*b1_);
  }
  Fixture fx_;
  WireContext ctx_;
  std::shared_ptr<const Block> b1_;
  QC qc1_;
};

TEST_F(WireTest, QcRoundTrip) {
  wire::QuorumCert pb;
  ToProto(qc1_, &pb);
  auto back = FromProto(pb, ctx_);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, qc1_);
}

TEST_F(WireTest, QcRejections) {
  wire::QuorumCert pb;
  ToProto(qc1_, &pb);
  {
    auto bad = pb;
    bad.mutable_vote_data()->set_block_id("short");
    EXPECT_NE(FromProto(bad, ctx_).status().message().find("block_id"), std::string::npos);
  }
  {
    auto bad = pb;
    bad.add_signatures(std::string(64, 'x'));  // more signatures than signers
    EXPECT_NE(FromProto(bad, ctx_).status().message().find("3 signers but carries 4"),
              std::string::npos)
        << FromProto(bad, ctx_).status().ToString();
  }
  {
    auto bad = pb;
    bad.set_signers(std::string("\xff", 1));  // bits beyond n = 4
    EXPECT_FALSE(FromProto(bad, ctx_).ok());
  }
  {
    auto bad = pb;
    bad.set_signatures(0, std::string(63, 'x'));
    EXPECT_FALSE(FromProto(bad, ctx_).ok());
  }
  {
    auto bad = pb;
    bad.clear_vote_data();
    EXPECT_FALSE(FromProto(bad, ctx_).ok());
  }
}

TEST_F(WireTest, BlockRoundTripKeepsIdAndChecksPayloadHash) {
  wire::Block pb;
  ToProto(*b1_, &pb);
  auto back = FromProto(pb, ctx_);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->id, b1_->id);
  EXPECT_EQ((*back)->header, b1_->header);
  EXPECT_EQ(*(*back)->payload, *b1_->payload);

  auto tampered = pb;
  tampered.mutable_payload()->add_txs("smuggled");
  auto r = FromProto(tampered, ctx_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not match its payload"), std::string::npos);

  auto foreign_chain = FromProto(pb, WireContext{"other-chain", 4});
  EXPECT_FALSE(foreign_chain.ok());  // the payload hash is chain-tagged

  auto bad_proposer = pb;
  bad_proposer.mutable_header()->set_proposer(4);
  EXPECT_NE(FromProto(bad_proposer, ctx_).status().message().find("proposer 4"), std::string::npos);

  auto with_evidence = pb;
  with_evidence.mutable_payload()->add_evidence();
  EXPECT_FALSE(FromProto(with_evidence, ctx_).ok());

  auto big_app_hash = pb;
  big_app_hash.mutable_header()->set_app_hash(std::string(kAppHashBytesMax + 1, 'a'));
  EXPECT_FALSE(FromProto(big_app_hash, ctx_).ok());
}

TEST_F(WireTest, BlockEvidenceTravelsAsItsCanonicalBytes) {
  auto a = fx_.MakeBlock(fx_.genesis_qc(), 2, 2, {{1}});
  auto b = fx_.MakeBlock(fx_.genesis_qc(), 2, 2, {{2}});
  const Bytes piece = EncodeEvidence(DoubleVote{fx_.MakeVote(*a, 3), fx_.MakeVote(*b, 3)});
  auto block = std::make_shared<Block>(*fx_.MakeBlock(fx_.genesis_qc(), 1, 1, {{5}}));
  auto payload = std::make_shared<Payload>(*block->payload);
  payload->evidence = {piece};
  block->header.payload_hash = PayloadHash(kChainId, payload->txs, payload->evidence);
  block->payload = payload;
  block->id = block->header.Id(kChainId);

  wire::Block pb;
  ToProto(*block, &pb);
  ASSERT_EQ(pb.payload().evidence_size(), 1);
  auto back = FromProto(pb, ctx_);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*(*back)->payload, *payload);
  EXPECT_EQ((*back)->id, block->id);

  auto garbled = pb;
  garbled.mutable_payload()->set_evidence(0, "\x01garbage");
  EXPECT_NE(FromProto(garbled, ctx_).status().message().find("block evidence 0"),
            std::string::npos);
  auto too_big = pb;
  too_big.mutable_payload()->set_evidence(0, std::string(kEvidenceBytesMax + 1, '\x01'));
  EXPECT_NE(FromProto(too_big, ctx_).status().message().find("exceeds"), std::string::npos);
  auto too_many = pb;
  for (size_t i = 0; i < kBlockEvidenceMax; ++i) {
    too_many.mutable_payload()->add_evidence(std::string(piece.begin(), piece.end()));
  }
  EXPECT_NE(FromProto(too_many, ctx_).status().message().find("pieces of evidence"),
            std::string::npos);
}

TEST_F(WireTest, VoteProposalTimeoutRoundTrip) {
  Vote v = fx_.MakeVote(*b1_, 2);
  wire::Vote vpb;
  ToProto(v, &vpb);
  auto vback = FromProto(vpb, ctx_);
  ASSERT_TRUE(vback.ok());
  EXPECT_EQ(*vback, v);
  vpb.set_voter(9);
  EXPECT_FALSE(FromProto(vpb, ctx_).ok());

  Proposal p;
  p.block = fx_.MakeBlock(qc1_, 3, 3);
  p.tc = fx_.MakeTC(2, 1);
  p.signature = fx_.signer(3).Sign(ProposalDigest(kChainId, p.block->id));
  wire::Proposal ppb;
  ToProto(p, &ppb);
  auto pback = FromProto(ppb, ctx_);
  ASSERT_TRUE(pback.ok()) << pback.status().ToString();
  EXPECT_EQ(pback->block->id, p.block->id);
  ASSERT_TRUE(pback->tc.has_value());
  EXPECT_EQ(*pback->tc, *p.tc);
  EXPECT_EQ(pback->signature, p.signature);
  ppb.mutable_tc()->add_high_qc_rounds(5);  // rounds no longer match signers
  EXPECT_FALSE(FromProto(ppb, ctx_).ok());

  Timeout t;
  t.data = TimeoutData{0, 2, 1};
  t.sender = 1;
  t.signature = fx_.signer(1).Sign(t.data.SigningDigest(kChainId));
  t.high_qc = qc1_;
  t.vote = fx_.MakeVote(*b1_, 1);
  t.entry = fx_.MakeTC(1, 0);
  wire::Timeout tpb;
  ToProto(t, &tpb);
  auto tback = FromProto(tpb, ctx_);
  ASSERT_TRUE(tback.ok()) << tback.status().ToString();
  EXPECT_EQ(tback->data, t.data);
  EXPECT_EQ(tback->high_qc, t.high_qc);
  EXPECT_EQ(tback->vote, t.vote);
  EXPECT_EQ(std::get<TC>(tback->entry), std::get<TC>(t.entry));
  tpb.clear_entry_tc();
  EXPECT_NE(FromProto(tpb, ctx_).status().message().find("certificate that entered"),
            std::string::npos);
}

TEST_F(WireTest, SafetyDataRoundTrip) {
  SafetyData d;
  d.epoch = 0;
  d.last_voted_round = 7;
  d.last_proposed_round = 5;
  d.preferred_round = 3;
  d.highest_qc_round = 6;
  d.last_vote = fx_.MakeVote(*b1_, 0);
  d.highest_tc = fx_.MakeTC(4, 2);
  wire::SafetyData pb;
  ToProto(d, &pb);
  std::string bytes;
  ASSERT_TRUE(pb.SerializeToString(&bytes));
  wire::SafetyData parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  auto back = FromProto(parsed, ctx_);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->last_voted_round, 7u);
  EXPECT_EQ(back->last_proposed_round, 5u);
  EXPECT_EQ(back->preferred_round, 3u);
  EXPECT_EQ(back->highest_qc_round, 6u);
  EXPECT_EQ(back->last_vote, d.last_vote);
  EXPECT_EQ(back->highest_tc, d.highest_tc);
  EXPECT_FALSE(back->last_timeout.has_value());
}

TEST(Genesis, QcCertifiesGenesisBlock) {
  auto g = MakeGenesisBlock(kChainId, 0, 4);
  QC qc = MakeGenesisQC(*g);
  EXPECT_EQ(qc.vote_data.block_id, g->id);
  EXPECT_EQ(qc.vote_data.round, 0u);
  EXPECT_EQ(qc.signers.Count(), 0u);
  // Deterministic, and distinct per chain.
  EXPECT_EQ(MakeGenesisBlock(kChainId, 0, 4)->id, g->id);
  EXPECT_NE(MakeGenesisBlock("other", 0, 4)->id, g->id);
}

}  // namespace
}  // namespace hotbft
