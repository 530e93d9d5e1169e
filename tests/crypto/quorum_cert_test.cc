// Quorum certificates, signer bitmaps and validator sets (crypto/quorum_cert.h,
// crypto/validator_set.h), over real BIP-340 keys for n = 4, 7 and 10.
#include "crypto/quorum_cert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "crypto/batch_verifier.h"
#include "crypto/signing.h"
#include "tests/crypto/test_util.h"

namespace hotbft {
namespace {

using ::testing::HasSubstr;
using testing_util::FlipByte;
using testing_util::KeysOf;
using testing_util::MakeSchnorrSigners;

constexpr SignatureScheme kSchnorr = SignatureScheme::kSchnorrBip340;

struct QcCase {
  uint32_t n;
  uint32_t quorum;  // 2f + 1
  uint32_t f;
};

class QuorumCertTest : public ::testing::TestWithParam<QcCase> {
 protected:
  void SetUp() override {
    n_ = GetParam().n;
    seed_ = 0x9c0000 + n_;
    signers_ = MakeSchnorrSigners(n_ + 1, seed_);
    ASSERT_EQ(signers_.size(), n_ + 1);
    outsider_ = std::move(signers_.back());
    signers_.pop_back();
    Result<ValidatorSet> set = ValidatorSet::Create(KeysOf(signers_));
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    set_.emplace(std::move(set).value());
    digest_ = DomainDigest(Domain::kVote, "qc-test", AsBytes("vote data for round 3"));
    other_digest_ = DomainDigest(Domain::kVote, "qc-test", AsBytes("vote data for round 4"));
    for (const auto& s : signers_) sigs_.push_back(s->Sign(digest_));
    batch1_.emplace(verifier(), 1);
    batch2_.emplace(verifier(), 2);
  }

  const Verifier& verifier() const { return VerifierFor(kSchnorr); }
  uint32_t quorum() const { return GetParam().quorum; }
  std::string Trace() const {
    return "n " + std::to_string(n_) + ", seed " + std::to_string(seed_);
  }
  // The three ways to verify: this thread, a 1-thread batch, a 2-thread pool.
  std::vector<const BatchVerifier*> Batches() const { return {nullptr, &*batch1_, &*batch2_}; }
  static std::string BatchName(const BatchVerifier* b) {
    return b == nullptr ? "no batch" : std::to_string(b->threads()) + "-thread batch";
  }

  // A certificate over digest_ from `indexes` (ascending), assembled by hand so that the
  // verifier, not the builder, is what gets tested.
  QuorumCert HandCert(const std::vector<ValidatorIndex>& indexes) const {
    QuorumCert cert{digest_, SignerBitmap(n_), {}};
    for (ValidatorIndex i : indexes) {
      cert.signers.Set(i);
      cert.signatures.push_back(sigs_[i]);
    }
    return cert;
  }
  static std::vector<ValidatorIndex> Range(uint32_t begin, uint32_t end) {
    std::vector<ValidatorIndex> out;
    for (uint32_t i = begin; i < end; ++i) out.push_back(i);
    return out;
  }
  Status Verify(const QuorumCert& cert, const BatchVerifier* batch) const {
    return VerifyQuorumCert(*set_, verifier(), digest_, cert, batch);
  }

  uint32_t n_ = 0;
  uint64_t seed_ = 0;
  std::vector<std::unique_ptr<Signer>> signers_;
  std::unique_ptr<Signer> outsider_;
  std::optional<ValidatorSet> set_;
  Hash32 digest_;
  Hash32 other_digest_;
  std::vector<Signature> sigs_;  // sigs_[i]: validator i over digest_
  std::optional<BatchVerifier> batch1_;
  std::optional<BatchVerifier> batch2_;
};

TEST_P(QuorumCertTest, ValidatorSetQuorumAndF) {
  EXPECT_EQ(set_->size(), n_);
  EXPECT_EQ(set_->quorum(), GetParam().quorum);
  EXPECT_EQ(set_->f(), GetParam().f);
  EXPECT_EQ(set_->quorum(), 2 * set_->f() + 1);
  for (ValidatorIndex i = 0; i < n_; ++i) {
    EXPECT_EQ(set_->key(i), signers_[i]->public_key());
    EXPECT_EQ(set_->IndexOf(signers_[i]->public_key()), i);
  }
  EXPECT_EQ(set_->IndexOf(outsider_->public_key()), std::nullopt);
}

TEST_P(QuorumCertTest, BuilderRejectsDuplicateSigner) {
  SCOPED_TRACE(Trace());
  QuorumCertBuilder builder(*set_, verifier(), digest_);
  ASSERT_TRUE(builder.Add(signers_[1]->public_key(), sigs_[1]).ok());
  // A second, different but valid signature from the same validator is still a duplicate.
  const Signature again = signers_[1]->Sign(digest_);
  ASSERT_NE(again, sigs_[1]);
  for (const Signature& sig : {sigs_[1], again}) {
    Status st = builder.Add(signers_[1]->public_key(), sig);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(st.message(), HasSubstr("duplicate signer: validator 1"));
  }
  EXPECT_EQ(builder.count(), 1u);
}

TEST_P(QuorumCertTest, BuilderRejectsNonValidator) {
  SCOPED_TRACE(Trace());
  QuorumCertBuilder builder(*set_, verifier(), digest_);
  const Signature sig = outsider_->Sign(digest_);
  ASSERT_TRUE(verifier().Verify(outsider_->public_key(), digest_, sig));
  Status st = builder.Add(outsider_->public_key(), sig);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("not a validator"));
  EXPECT_THAT(st.message(), HasSubstr(outsider_->public_key().hex()));
  EXPECT_EQ(builder.count(), 0u);
}

TEST_P(QuorumCertTest, BuilderRejectsBadSignatures) {
  SCOPED_TRACE(Trace());
  QuorumCertBuilder builder(*set_, verifier(), digest_);
  const PublicKey& key0 = signers_[0]->public_key();
  // Corrupted bytes, a signature over another message, another validator's signature.
  for (const Signature& bad :
       {FlipByte(sigs_[0], 5), signers_[0]->Sign(other_digest_), sigs_[1], Signature{}}) {
    Status st = builder.Add(key0, bad);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(st.message(), HasSubstr("bad signature from validator 0"));
  }
  EXPECT_EQ(builder.count(), 0u);
  // A rejected attempt does not burn the slot: the real signature is still accepted.
  EXPECT_TRUE(builder.Add(key0, sigs_[0]).ok());
  EXPECT_EQ(builder.count(), 1u);
}

TEST_P(QuorumCertTest, BuildNeedsExactlyTwoFPlusOne) {
  SCOPED_TRACE(Trace());
  QuorumCertBuilder builder(*set_, verifier(), digest_);
  for (ValidatorIndex i = 0; i + 1 < quorum(); ++i) {
    ASSERT_TRUE(builder.Add(signers_[i]->public_key(), sigs_[i]).ok()) << "validator " << i;
  }
  EXPECT_EQ(builder.count(), 2 * GetParam().f);
  EXPECT_FALSE(builder.HasQuorum());
  Result<QuorumCert> too_few = builder.Build();
  ASSERT_FALSE(too_few.ok());
  EXPECT_EQ(too_few.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(too_few.status().message(), HasSubstr("needs " + std::to_string(quorum())));

  const ValidatorIndex last = quorum() - 1;
  ASSERT_TRUE(builder.Add(signers_[last]->public_key(), sigs_[last]).ok());
  EXPECT_TRUE(builder.HasQuorum());
  Result<QuorumCert> cert = builder.Build();
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_EQ(cert->digest, digest_);
  EXPECT_EQ(cert->signers.Count(), quorum());
  EXPECT_EQ(cert->signatures.size(), quorum());
  EXPECT_EQ(*cert, HandCert(Range(0, quorum())));
  for (const BatchVerifier* batch : Batches()) {
    EXPECT_TRUE(Verify(*cert, batch).ok()) << BatchName(batch);
  }
}

TEST_P(QuorumCertTest, BuilderOrdersSignaturesBySignerIndex) {
  SCOPED_TRACE(Trace());
  QuorumCertBuilder builder(*set_, verifier(), digest_);
  for (ValidatorIndex i = n_; i-- > n_ - quorum();) {
    ASSERT_TRUE(builder.Add(signers_[i]->public_key(), sigs_[i]).ok());
  }
  Result<QuorumCert> cert = builder.Build();
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_EQ(cert->signers.Indexes(), Range(n_ - quorum(), n_));
  EXPECT_EQ(*cert, HandCert(Range(n_ - quorum(), n_)));
  EXPECT_TRUE(Verify(*cert, nullptr).ok());
}

TEST_P(QuorumCertTest, VerifyAcceptsQuorumAndAllSigners) {
  SCOPED_TRACE(Trace());
  for (const BatchVerifier* batch : Batches()) {
    SCOPED_TRACE(BatchName(batch));
    Status exact = Verify(HandCert(Range(0, quorum())), batch);
    EXPECT_TRUE(exact.ok()) << exact.ToString();
    Status all = Verify(HandCert(Range(0, n_)), batch);
    EXPECT_TRUE(all.ok()) << all.ToString();
  }
}

TEST_P(QuorumCertTest, VerifyRejectsTwoFSigners) {
  SCOPED_TRACE(Trace());
  for (const BatchVerifier* batch : Batches()) {
    SCOPED_TRACE(BatchName(batch));
    Status st = Verify(HandCert(Range(0, quorum() - 1)), batch);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(st.message(), HasSubstr("needs " + std::to_string(quorum())));
  }
}

TEST_P(QuorumCertTest, VerifyRejectsWrongExpectedDigest) {
  SCOPED_TRACE(Trace());
  const QuorumCert cert = HandCert(Range(0, quorum()));
  for (const BatchVerifier* batch : Batches()) {
    Status st = VerifyQuorumCert(*set_, verifier(), other_digest_, cert, batch);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << BatchName(batch);
    EXPECT_THAT(st.message(), HasSubstr(other_digest_.hex()));
  }
  // A certificate that claims the other digest but carries signatures over digest_.
  QuorumCert relabelled = cert;
  relabelled.digest = other_digest_;
  EXPECT_FALSE(VerifyQuorumCert(*set_, verifier(), other_digest_, relabelled).ok());
}

TEST_P(QuorumCertTest, VerifyRejectsCorruptedSignatureAndNamesTheValidator) {
  SCOPED_TRACE(Trace());
  // Signers are the top `quorum` validators, so a signature's position in the list and
  // its validator index differ: the message must name the validator.
  const std::vector<ValidatorIndex> indexes = Range(n_ - quorum(), n_);
  for (size_t position = 0; position < indexes.size(); ++position) {
    QuorumCert cert = HandCert(indexes);
    cert.signatures[position] = FlipByte(cert.signatures[position], 40);
    for (const BatchVerifier* batch : Batches()) {
      SCOPED_TRACE(BatchName(batch) + ", position " + std::to_string(position));
      Status st = Verify(cert, batch);
      EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
      EXPECT_THAT(st.message(), HasSubstr("validator " + std::to_string(indexes[position]) + " "));
    }
  }
}

TEST_P(QuorumCertTest, VerifyRejectsMisplacedSignatures) {
  SCOPED_TRACE(Trace());
  const std::vector<ValidatorIndex> indexes = Range(0, quorum());
  QuorumCert swapped = HandCert(indexes);
  std::swap(swapped.signatures[0], swapped.signatures[1]);
  // A valid signature, but by a validator outside the bitmap.
  QuorumCert foreign = HandCert(indexes);
  foreign.signatures[0] = sigs_[n_ - 1];
  for (const BatchVerifier* batch : Batches()) {
    SCOPED_TRACE(BatchName(batch));
    EXPECT_FALSE(Verify(swapped, batch).ok());
    EXPECT_FALSE(Verify(foreign, batch).ok());
  }
}

TEST_P(QuorumCertTest, VerifyRejectsBitmapForTheWrongSetSize) {
  SCOPED_TRACE(Trace());
  const std::vector<ValidatorIndex> indexes = Range(0, quorum());
  for (uint32_t wrong_n : {n_ - 1, n_ + 1, n_ + 8}) {
    QuorumCert cert = HandCert(indexes);
    cert.signers = SignerBitmap(wrong_n);
    for (ValidatorIndex i : indexes) cert.signers.Set(i);
    for (const BatchVerifier* batch : Batches()) {
      Status st = Verify(cert, batch);
      EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << "n " << wrong_n;
      EXPECT_THAT(st.message(), HasSubstr("for " + std::to_string(wrong_n) + " validators"));
    }
  }
}

TEST_P(QuorumCertTest, VerifyRejectsSignatureCountOtherThanBitmapCount) {
  SCOPED_TRACE(Trace());
  QuorumCert missing = HandCert(Range(0, quorum()));
  missing.signatures.pop_back();
  QuorumCert extra = HandCert(Range(0, quorum()));
  extra.signatures.push_back(sigs_[quorum()]);
  QuorumCert none = HandCert(Range(0, quorum()));
  none.signatures.clear();
  for (const BatchVerifier* batch : Batches()) {
    SCOPED_TRACE(BatchName(batch));
    for (const QuorumCert* cert : {&missing, &extra, &none}) {
      Status st = Verify(*cert, batch);
      EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
      EXPECT_THAT(st.message(), HasSubstr(std::to_string(quorum()) + " signers but " +
                                          std::to_string(cert->signatures.size()) + " signatures"));
    }
  }
}

// VerifySigners: each signer over its own digest (the timeout-certificate case).
TEST_P(QuorumCertTest, VerifySignersChecksPerSignerDigests) {
  SCOPED_TRACE(Trace());
  SignerBitmap bitmap(n_);
  std::vector<Hash32> digests;
  std::vector<Signature> sigs;
  for (ValidatorIndex i = 0; i < quorum(); ++i) {
    bitmap.Set(i);
    digests.push_back(DomainDigest(Domain::kTimeout, "qc-test", AsBytes(std::to_string(i))));
    sigs.push_back(signers_[i]->Sign(digests.back()));
  }
  std::vector<Hash32> swapped = digests;
  std::swap(swapped[0], swapped[1]);
  std::vector<Hash32> short_digests(digests.begin(), digests.end() - 1);
  for (const BatchVerifier* batch : Batches()) {
    SCOPED_TRACE(BatchName(batch));
    EXPECT_TRUE(VerifySigners(*set_, verifier(), bitmap, digests, sigs, batch).ok());
    Status st = VerifySigners(*set_, verifier(), bitmap, swapped, sigs, batch);
    EXPECT_FALSE(st.ok());
    EXPECT_THAT(st.message(), HasSubstr("validator 0 "));
    EXPECT_FALSE(VerifySigners(*set_, verifier(), bitmap, short_digests, sigs, batch).ok());
  }
}

// Called directly, VerifySigners gets digests and signatures separately: either list
// disagreeing with the bitmap is rejected before any signature is read.
TEST_P(QuorumCertTest, VerifySignersRejectsListsOtherThanBitmapCount) {
  SCOPED_TRACE(Trace());
  SignerBitmap bitmap(n_);
  for (ValidatorIndex i = 0; i < quorum(); ++i) bitmap.Set(i);
  const std::vector<Hash32> digests(quorum(), digest_);
  const std::vector<Signature> sigs(sigs_.begin(), sigs_.begin() + quorum());
  ASSERT_TRUE(VerifySigners(*set_, verifier(), bitmap, digests, sigs).ok());
  const std::vector<Signature> short_sigs(sigs.begin(), sigs.end() - 1);
  const std::vector<Hash32> long_digests(quorum() + 1, digest_);
  for (const BatchVerifier* batch : Batches()) {
    SCOPED_TRACE(BatchName(batch));
    Status st = VerifySigners(*set_, verifier(), bitmap, digests, short_sigs, batch);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(st.message(), HasSubstr(std::to_string(quorum() - 1) + " signatures"));
    EXPECT_FALSE(VerifySigners(*set_, verifier(), bitmap, long_digests, sigs, batch).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, QuorumCertTest,
                         ::testing::Values(QcCase{4, 3, 1}, QcCase{7, 5, 2}, QcCase{10, 7, 3}),
                         [](const auto& info) { return "n" + std::to_string(info.param.n); });

// ---- SignerBitmap ----

TEST(SignerBitmap, BitLayoutIsLittleEndianWithinBytes) {
  SignerBitmap bitmap(10);
  EXPECT_EQ(bitmap.bytes(), (Bytes{0x00, 0x00}));
  bitmap.Set(0);
  bitmap.Set(3);
  bitmap.Set(9);
  EXPECT_EQ(bitmap.bytes(), (Bytes{0x09, 0x02}));
  EXPECT_TRUE(bitmap.Test(0));
  EXPECT_FALSE(bitmap.Test(1));
  EXPECT_TRUE(bitmap.Test(9));
  EXPECT_EQ(bitmap.Count(), 3u);
  EXPECT_EQ(bitmap.Indexes(), (std::vector<ValidatorIndex>{0, 3, 9}));
  bitmap.Set(3);  // idempotent
  EXPECT_EQ(bitmap.Count(), 3u);
}

TEST(SignerBitmap, FromBytesRoundTrips) {
  SignerBitmap bitmap(10);
  bitmap.Set(2);
  bitmap.Set(8);
  Result<SignerBitmap> parsed = SignerBitmap::FromBytes(bitmap.bytes(), 10);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, bitmap);
  EXPECT_EQ(parsed->n(), 10u);
}

TEST(SignerBitmap, FromBytesRejectsWrongLength) {
  for (const Bytes& bytes : {Bytes{}, Bytes{0x01}, Bytes{0x01, 0x00, 0x00}}) {
    Result<SignerBitmap> parsed = SignerBitmap::FromBytes(bytes, 10);
    ASSERT_FALSE(parsed.ok()) << bytes.size() << " bytes accepted";
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr("2 expected for 10 validators"));
  }
  EXPECT_FALSE(SignerBitmap::FromBytes(Bytes{0x01, 0x00}, 8).ok());
}

TEST(SignerBitmap, FromBytesRejectsBitsBeyondN) {
  // n = 10: bits 10..15 of the second byte are unused.
  EXPECT_TRUE(SignerBitmap::FromBytes(Bytes{0xff, 0x03}, 10).ok());
  for (uint8_t high : {0x04, 0x08, 0x80, 0xfc}) {
    Result<SignerBitmap> parsed = SignerBitmap::FromBytes(Bytes{0x00, high}, 10);
    ASSERT_FALSE(parsed.ok()) << "second byte " << int{high};
    EXPECT_THAT(parsed.status().message(), HasSubstr("beyond validator count 10"));
  }
  // n = 4: only the low nibble is usable.
  EXPECT_TRUE(SignerBitmap::FromBytes(Bytes{0x0f}, 4).ok());
  EXPECT_FALSE(SignerBitmap::FromBytes(Bytes{0x10}, 4).ok());
  // n = 8 fills the byte: every bit is valid.
  EXPECT_TRUE(SignerBitmap::FromBytes(Bytes{0xff}, 8).ok());
  // n = 0: the only valid encoding is empty.
  EXPECT_TRUE(SignerBitmap::FromBytes(Bytes{}, 0).ok());
}

// ---- ValidatorSet ----

PublicKey KeyNumber(uint32_t i) {
  PublicKey key;
  for (int b = 0; b < 4; ++b) key.bytes[b] = static_cast<uint8_t>(i >> (24 - 8 * b));
  key.bytes[31] = 1;
  return key;
}

std::vector<PublicKey> Keys(uint32_t n) {
  std::vector<PublicKey> keys;
  for (uint32_t i = 0; i < n; ++i) keys.push_back(KeyNumber(i));
  return keys;
}

TEST(ValidatorSet, CreateRejectsEmpty) {
  Result<ValidatorSet> set = ValidatorSet::Create({});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(set.status().message(), HasSubstr("empty"));
}

TEST(ValidatorSet, CreateRejectsDuplicateKeys) {
  std::vector<PublicKey> keys = Keys(4);
  keys[3] = keys[1];
  Result<ValidatorSet> set = ValidatorSet::Create(keys);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(set.status().message(), HasSubstr(keys[1].hex()));
  EXPECT_THAT(set.status().message(), HasSubstr("at 1 and 3"));
}

TEST(ValidatorSet, SizeIsBounded) {
  EXPECT_TRUE(ValidatorSet::Create(Keys(ValidatorSet::kValidatorsMax)).ok());
  Result<ValidatorSet> too_big = ValidatorSet::Create(Keys(ValidatorSet::kValidatorsMax + 1));
  ASSERT_FALSE(too_big.ok());
  EXPECT_THAT(too_big.status().message(), HasSubstr("1025"));
}

TEST(ValidatorSet, QuorumAndFForManySizes) {
  struct Row {
    uint32_t n, quorum, f;
  };
  for (Row row : {Row{1, 1, 0}, Row{3, 3, 0}, Row{4, 3, 1}, Row{5, 4, 1}, Row{6, 5, 1},
                  Row{7, 5, 2}, Row{10, 7, 3}, Row{100, 67, 33}}) {
    Result<ValidatorSet> set = ValidatorSet::Create(Keys(row.n));
    ASSERT_TRUE(set.ok());
    EXPECT_EQ(set->quorum(), row.quorum) << "n " << row.n;
    EXPECT_EQ(set->f(), row.f) << "n " << row.n;
    // Two quorums always share an honest validator: 2q - n > f.
    EXPECT_GT(2 * set->quorum(), row.n + set->f()) << "n " << row.n;
  }
}

TEST(ValidatorSet, IndexIsPositionInTheList) {
  const std::vector<PublicKey> keys = Keys(5);
  Result<ValidatorSet> set = ValidatorSet::Create(keys);
  ASSERT_TRUE(set.ok());
  for (ValidatorIndex i = 0; i < 5; ++i) {
    EXPECT_EQ(set->IndexOf(keys[i]), i);
    EXPECT_EQ(set->key(i), keys[i]);
  }
  EXPECT_EQ(set->IndexOf(KeyNumber(5)), std::nullopt);
  EXPECT_EQ(set->keys(), keys);
}

}  // namespace
}  // namespace hotbft
