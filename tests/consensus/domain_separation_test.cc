// Domain separation as the consensus types use it: a vote signature is never a timeout's.
//
// Linked into its own binary with hotbft_consensus, so crypto_test itself stays free of
// the layer above crypto.
#include <gtest/gtest.h>

#include "consensus/types.h"
#include "tests/crypto/test_util.h"

namespace hotbft {
namespace {

constexpr uint64_t kSeed = 0xd05e;
constexpr char kChain[] = "hotbft-test";

class VoteTimeoutSeparationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SeededRandom key_rng(kSeed);
    signer_ = testing_util::MakeSeededSigner(SignatureScheme::kSchnorrBip340, key_rng, kSeed);
    ASSERT_NE(signer_, nullptr);
    vote_.epoch = 1;
    vote_.block_id = HashOf("block");
    vote_.height = 5;
    vote_.round = 9;
    vote_.parent_id = HashOf("parent");
    vote_.parent_round = 8;
  }
  static Hash32 HashOf(std::string_view s) {
    return DomainDigest(Domain::kPayload, kChain, AsBytes(s));
  }
  bool Verifies(const Hash32& digest, const Signature& sig) const {
    return VerifierFor(SignatureScheme::kSchnorrBip340).Verify(signer_->public_key(), digest, sig);
  }
  static Bytes Body(const VoteData& v) {
    CanonicalWriter w;
    v.Encode(w);
    return w.Take();
  }
  static Bytes Body(const TimeoutData& t) {
    CanonicalWriter w;
    t.Encode(w);
    return w.Take();
  }

  std::unique_ptr<Signer> signer_;
  VoteData vote_;
};

// The typed digests are DomainDigest over the canonical body in their own domain, so the
// byte-identical-body checks below are about the real signing paths.
TEST_F(VoteTimeoutSeparationTest, TypedDigestsAreDomainDigestsOfTheCanonicalBody) {
  const TimeoutData timeout{1, 9, 7};
  EXPECT_EQ(vote_.SigningDigest(kChain), DomainDigest(Domain::kVote, kChain, Body(vote_)));
  EXPECT_EQ(timeout.SigningDigest(kChain), DomainDigest(Domain::kTimeout, kChain, Body(timeout)));
}

// A VoteData body (96 bytes) can never equal a TimeoutData body (24 bytes), so the
// strongest case is the same bytes hashed under both tags.
TEST_F(VoteTimeoutSeparationTest, VoteSignatureIsNotATimeoutSignatureOverTheSameBytes) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const Bytes vote_body = Body(vote_);
  const Signature vote_sig = signer_->Sign(vote_.SigningDigest(kChain));
  ASSERT_TRUE(Verifies(vote_.SigningDigest(kChain), vote_sig));
  EXPECT_FALSE(Verifies(DomainDigest(Domain::kTimeout, kChain, vote_body), vote_sig));

  // And the other way round, with a timeout body signed as a timeout.
  const TimeoutData timeout{vote_.epoch, vote_.round, vote_.parent_round};
  const Bytes timeout_body = Body(timeout);
  const Signature timeout_sig = signer_->Sign(timeout.SigningDigest(kChain));
  ASSERT_TRUE(Verifies(timeout.SigningDigest(kChain), timeout_sig));
  EXPECT_FALSE(Verifies(DomainDigest(Domain::kVote, kChain, timeout_body), timeout_sig));
}

// The same (epoch, round) in both types: neither signature stands in for the other.
TEST_F(VoteTimeoutSeparationTest, VoteAndTimeoutForTheSameRoundAreDistinct) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const TimeoutData timeout{vote_.epoch, vote_.round, vote_.parent_round};
  const Signature vote_sig = signer_->Sign(vote_.SigningDigest(kChain));
  const Signature timeout_sig = signer_->Sign(timeout.SigningDigest(kChain));
  EXPECT_NE(vote_.SigningDigest(kChain), timeout.SigningDigest(kChain));
  EXPECT_FALSE(Verifies(timeout.SigningDigest(kChain), vote_sig));
  EXPECT_FALSE(Verifies(vote_.SigningDigest(kChain), timeout_sig));
}

TEST_F(VoteTimeoutSeparationTest, VoteOnOneChainIsVoidOnAnother) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const Signature sig = signer_->Sign(vote_.SigningDigest("a"));
  EXPECT_TRUE(Verifies(vote_.SigningDigest("a"), sig));
  EXPECT_FALSE(Verifies(vote_.SigningDigest("b"), sig));
}

TEST_F(VoteTimeoutSeparationTest, EveryVoteFieldIsCovered) {
  const Hash32 base = vote_.SigningDigest(kChain);
  auto changed = [&](auto mutate) {
    VoteData v = vote_;
    mutate(v);
    return v.SigningDigest(kChain) != base;
  };
  EXPECT_TRUE(changed([](VoteData& v) { ++v.epoch; }));
  EXPECT_TRUE(changed([](VoteData& v) { v.block_id.bytes[0] ^= 1; }));
  EXPECT_TRUE(changed([](VoteData& v) { ++v.height; }));
  EXPECT_TRUE(changed([](VoteData& v) { ++v.round; }));
  EXPECT_TRUE(changed([](VoteData& v) { v.parent_id.bytes[31] ^= 1; }));
  EXPECT_TRUE(changed([](VoteData& v) { ++v.parent_round; }));
}

}  // namespace
}  // namespace hotbft
