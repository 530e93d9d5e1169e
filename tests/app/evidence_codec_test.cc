// Evidence in its protobuf form (app/evidence_codec.h).
#include "app/evidence_codec.h"

#include <gtest/gtest.h>

#include "tests/app/app_test_util.h"

namespace hotbft::app {
namespace {

using testing::MakeDoubleProposal;
using testing::MakeDoubleVote;

// Evidence types have no operator==; their protobuf bytes (no maps, so deterministic) do.
std::string Encoded(const Evidence& evidence) {
  wire::Evidence proto;
  EvidenceToProto(evidence, &proto);
  return proto.SerializeAsString();
}

Result<Evidence> RoundTrip(const Evidence& evidence) {
  wire::Evidence proto;
  EvidenceToProto(evidence, &proto);
  wire::Evidence parsed;
  EXPECT_TRUE(parsed.ParseFromString(proto.SerializeAsString()));
  return EvidenceFromProto(parsed);
}

TEST(EvidenceCodec, DoubleVoteRoundTrips) {
  const Evidence evidence = MakeDoubleVote();
  auto decoded = RoundTrip(evidence);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& vote = std::get<DoubleVote>(*decoded);
  EXPECT_EQ(vote.first, std::get<DoubleVote>(evidence).first);
  EXPECT_EQ(vote.second, std::get<DoubleVote>(evidence).second);
}

TEST(EvidenceCodec, DoubleProposalRoundTripsForWholeByteBitmaps) {
  const Evidence evidence = MakeDoubleProposal(8);
  auto decoded = RoundTrip(evidence);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& in = std::get<DoubleProposal>(evidence);
  const auto& out = std::get<DoubleProposal>(*decoded);
  EXPECT_EQ(out.first, in.first);
  EXPECT_EQ(out.first_signature, in.first_signature);
  EXPECT_EQ(out.second, in.second);
  EXPECT_EQ(out.second_signature, in.second_signature);
}

TEST(EvidenceCodec, BitmapKeepsItsBitsButCoversWholeBytes) {
  auto decoded = RoundTrip(MakeDoubleProposal(4));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const SignerBitmap& signers = std::get<DoubleProposal>(*decoded).first.justify.signers;
  EXPECT_EQ(signers.n(), 8u);  // the wire does not say 4
  EXPECT_EQ(signers.Indexes(), (std::vector<ValidatorIndex>{0, 2}));
  EXPECT_EQ(Encoded(*decoded), Encoded(MakeDoubleProposal(4)));  // same bytes on the wire
}

TEST(EvidenceCodec, RefusesAShortSignature) {
  wire::Evidence proto;
  EvidenceToProto(MakeDoubleVote(), &proto);
  proto.mutable_double_vote()->mutable_second()->set_signature(std::string(63, 'x'));
  auto decoded = EvidenceFromProto(proto);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(),
            "double vote, second: vote signature: expected 64 bytes, got 63");
}

TEST(EvidenceCodec, RefusesAShortBlockId) {
  wire::Evidence proto;
  EvidenceToProto(MakeDoubleVote(), &proto);
  proto.mutable_double_vote()->mutable_first()->mutable_data()->set_block_id("abc");
  auto decoded = EvidenceFromProto(proto);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(),
            "double vote, first: vote data: block_id: expected 32 bytes, got 3");
}

TEST(EvidenceCodec, RefusesSignaturesThatDoNotMatchTheBitmap) {
  wire::Evidence proto;
  EvidenceToProto(MakeDoubleProposal(8), &proto);
  proto.mutable_double_proposal()
      ->mutable_first()
      ->mutable_header()
      ->mutable_justify()
      ->add_signatures(std::string(64, 'x'));
  auto decoded = EvidenceFromProto(proto);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(),
            "double proposal, first: justify QC: signer bitmap names 2 signers but 3 "
            "signatures follow");
}

TEST(EvidenceCodec, RefusesAVoterBeyondTheValidatorBound) {
  wire::Evidence proto;
  EvidenceToProto(MakeDoubleVote(), &proto);
  proto.mutable_double_vote()->mutable_first()->set_voter(5000);
  auto decoded = EvidenceFromProto(proto);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(),
            "double vote, first: voter 5000 is not below the validator bound 1024");
}

TEST(EvidenceCodec, RefusesEmptyAndUnsupportedKinds) {
  auto empty = EvidenceFromProto(wire::Evidence());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "evidence names no kind");

  wire::Evidence timeout;
  timeout.mutable_double_timeout();
  auto decoded = EvidenceFromProto(timeout);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "evidence kind double_timeout is not in the app interface");
}

}  // namespace
}  // namespace hotbft::app
