// Domain separation (crypto/signing.h): tags, chain ids and the digest layout.
#include "crypto/signing.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "crypto/canonical.h"
#include "crypto/sha256.h"
#include "tests/crypto/test_util.h"

namespace hotbft {
namespace {

constexpr Domain kAllDomains[] = {Domain::kVote,      Domain::kTimeout,     Domain::kProposal,
                                  Domain::kHandshake, Domain::kBlockHeader, Domain::kPayload};

TEST(DomainTag, EveryDomainHasADistinctVersionedTag) {
  std::set<std::string_view> tags;
  for (Domain d : kAllDomains) {
    const std::string_view tag = DomainTag(d);
    EXPECT_EQ(tag.rfind("hotbft/", 0), 0u) << tag;
    EXPECT_TRUE(tag.ends_with("/v1")) << tag;
    tags.insert(tag);
  }
  EXPECT_EQ(tags.size(), std::size(kAllDomains));
  EXPECT_EQ(DomainTag(Domain::kVote), "hotbft/vote/v1");
  EXPECT_EQ(DomainTag(Domain::kTimeout), "hotbft/timeout/v1");
}

// The layout in signing.h, rebuilt by hand: SHA-256(tag_hash || tag_hash || var(chain) || body).
TEST(DomainDigest, MatchesTheSpecifiedLayout) {
  const Bytes body = {0x00, 0x01, 0x02, 0xff};
  const std::string chain = "hotbft-testnet";
  const Hash32 tag_hash = Sha256(AsBytes("hotbft/vote/v1"));
  Bytes preimage(tag_hash.bytes.begin(), tag_hash.bytes.end());
  preimage.insert(preimage.end(), tag_hash.bytes.begin(), tag_hash.bytes.end());
  preimage.insert(preimage.end(), {0x00, 0x00, 0x00, static_cast<uint8_t>(chain.size())});
  preimage.insert(preimage.end(), chain.begin(), chain.end());
  preimage.insert(preimage.end(), body.begin(), body.end());
  EXPECT_EQ(DomainDigest(Domain::kVote, chain, body), Sha256(preimage));
}

TEST(DomainDigest, DomainsNeverCollideOnTheSameBody) {
  const Bytes body(96, 0x42);
  std::set<Hash32> digests;
  for (Domain d : kAllDomains) digests.insert(DomainDigest(d, "chain", body));
  EXPECT_EQ(digests.size(), std::size(kAllDomains));
}

TEST(DomainDigest, ChainIdIsLengthPrefixed) {
  // Without the length prefix both would hash "abcdef".
  EXPECT_NE(DomainDigest(Domain::kVote, "ab", AsBytes("cdef")),
            DomainDigest(Domain::kVote, "a", AsBytes("bcdef")));
  EXPECT_NE(DomainDigest(Domain::kVote, "abc", AsBytes("")),
            DomainDigest(Domain::kVote, "ab", AsBytes("c")));
  // Deterministic for equal input.
  EXPECT_EQ(DomainDigest(Domain::kVote, "ab", AsBytes("cdef")),
            DomainDigest(Domain::kVote, "ab", AsBytes("cdef")));
}

TEST(DomainDigest, ChainIdAndBodyBothMatter) {
  const Bytes body = {1, 2, 3};
  EXPECT_NE(DomainDigest(Domain::kVote, "a", body), DomainDigest(Domain::kVote, "b", body));
  EXPECT_NE(DomainDigest(Domain::kVote, "a", body),
            DomainDigest(Domain::kVote, "a", Bytes{1, 2, 4}));
}

class DomainSignatureTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kSeed = 0xd0a1;
  void SetUp() override {
    SeededRandom key_rng(kSeed);
    signer_ = testing_util::MakeSeededSigner(SignatureScheme::kSchnorrBip340, key_rng, kSeed);
    ASSERT_NE(signer_, nullptr);
  }
  bool Verifies(const Hash32& digest, const Signature& sig) const {
    return VerifierFor(SignatureScheme::kSchnorrBip340).Verify(signer_->public_key(), digest, sig);
  }
  std::unique_ptr<Signer> signer_;
};

TEST_F(DomainSignatureTest, SignatureInOneDomainFailsInEveryOther) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const Bytes body(24, 0x07);
  for (Domain signed_in : kAllDomains) {
    const Signature sig = signer_->Sign(DomainDigest(signed_in, "chain", body));
    for (Domain checked_in : kAllDomains) {
      EXPECT_EQ(Verifies(DomainDigest(checked_in, "chain", body), sig), signed_in == checked_in)
          << "signed in " << DomainTag(signed_in) << ", checked in " << DomainTag(checked_in);
    }
  }
}

TEST_F(DomainSignatureTest, SignatureOnOneChainFailsOnAnother) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const Bytes body(24, 0x07);
  const Signature sig = signer_->Sign(DomainDigest(Domain::kVote, "a", body));
  EXPECT_TRUE(Verifies(DomainDigest(Domain::kVote, "a", body), sig));
  EXPECT_FALSE(Verifies(DomainDigest(Domain::kVote, "b", body), sig));
  EXPECT_FALSE(Verifies(DomainDigest(Domain::kVote, std::string("a\0", 2), body), sig));
  EXPECT_FALSE(Verifies(DomainDigest(Domain::kVote, "aa", body), sig));
}

}  // namespace
}  // namespace hotbft
