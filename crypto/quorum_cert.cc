#include "crypto/quorum_cert.h"

#include <bit>

#include "crypto/batch_verifier.h"

namespace hotbft {

Result<SignerBitmap> SignerBitmap::FromBytes(ByteView bytes, uint32_t n) {
  SignerBitmap out(n);
  if (bytes.size() != out.bits_.size()) {
    return Status::InvalidArgument("signer bitmap has " + std::to_string(bytes.size()) +
                                   " bytes; " + std::to_string(out.bits_.size()) +
                                   " expected for " + std::to_string(n) + " validators");
  }
  std::copy(bytes.begin(), bytes.end(), out.bits_.begin());
  if (n % 8 != 0 && !out.bits_.empty()) {
    const uint8_t unused = static_cast<uint8_t>(0xff << (n % 8));
    if ((out.bits_.back() & unused) != 0) {
      return Status::InvalidArgument("signer bitmap sets a bit at or beyond validator count " +
                                     std::to_string(n));
    }
  }
  return out;
}

bool SignerBitmap::Test(ValidatorIndex i) const {
  HOTBFT_ASSERT(i < n_);
  return (bits_[i / 8] >> (i % 8)) & 1;
}

void SignerBitmap::Set(ValidatorIndex i) {
  HOTBFT_ASSERT(i < n_);
  bits_[i / 8] = static_cast<uint8_t>(bits_[i / 8] | (1u << (i % 8)));
}

uint32_t SignerBitmap::Count() const {
  uint32_t c = 0;
  for (uint8_t b : bits_) c += static_cast<uint32_t>(std::popcount(b));
  return c;
}

std::vector<ValidatorIndex> SignerBitmap::Indexes() const {
  std::vector<ValidatorIndex> out;
  for (ValidatorIndex i = 0; i < n_; ++i) {
    if (Test(i)) out.push_back(i);
  }
  return out;
}

QuorumCertBuilder::QuorumCertBuilder(const ValidatorSet& validators, const Verifier& verifier,
                                     Hash32 digest)
    : validators_(validators),
      verifier_(verifier),
      digest_(digest),
      bitmap_(validators.size()),
      by_index_(validators.size()) {}

Status QuorumCertBuilder::Add(const PublicKey& signer, const Signature& signature) {
  std::optional<ValidatorIndex> index = validators_.IndexOf(signer);
  if (!index) {
    return Status::InvalidArgument("signer " + signer.hex() + " is not a validator");
  }
  if (bitmap_.Test(*index)) {
    return Status::InvalidArgument("duplicate signer: validator " + std::to_string(*index) + " (" +
                                   signer.hex() + ") already signed");
  }
  if (!verifier_.Verify(signer, digest_, signature)) {
    return Status::InvalidArgument("bad signature from validator " + std::to_string(*index) +
                                   " over digest " + digest_.hex());
  }
  bitmap_.Set(*index);
  by_index_[*index] = signature;
  return Status::Ok();
}

Status QuorumCertBuilder::AddVerified(ValidatorIndex signer, const Signature& signature) {
  if (signer >= validators_.size()) {
    return Status::InvalidArgument("signer index " + std::to_string(signer) +
                                   " is not a validator (set of " +
                                   std::to_string(validators_.size()) + ")");
  }
  if (bitmap_.Test(signer)) {
    return Status::InvalidArgument("duplicate signer: validator " + std::to_string(signer) +
                                   " already signed");
  }
  bitmap_.Set(signer);
  by_index_[signer] = signature;
  return Status::Ok();
}

Result<QuorumCert> QuorumCertBuilder::Build() const {
  if (!HasQuorum()) {
    return Status::FailedPrecondition(
        "quorum certificate needs " + std::to_string(validators_.quorum()) + " signers of " +
        std::to_string(validators_.size()) + ", have " + std::to_string(count()));
  }
  QuorumCert cert{digest_, bitmap_, {}};
  for (ValidatorIndex i : bitmap_.Indexes()) cert.signatures.push_back(by_index_[i]);
  return cert;
}

Status VerifySigners(const ValidatorSet& validators, const Verifier& verifier,
                     const SignerBitmap& signers, const std::vector<Hash32>& digests,
                     const std::vector<Signature>& signatures, const BatchVerifier* batch) {
  if (signers.n() != validators.size()) {
    return Status::InvalidArgument("signer bitmap is for " + std::to_string(signers.n()) +
                                   " validators, the set has " + std::to_string(validators.size()));
  }
  HOTBFT_ASSERT(batch == nullptr || batch->verifier().scheme() == verifier.scheme());
  const std::vector<ValidatorIndex> indexes = signers.Indexes();
  if (signatures.size() != indexes.size() || digests.size() != indexes.size()) {
    return Status::InvalidArgument("certificate has " + std::to_string(indexes.size()) +
                                   " signers but " + std::to_string(signatures.size()) +
                                   " signatures and " + std::to_string(digests.size()) +
                                   " digests");
  }
  if (indexes.size() < validators.quorum()) {
    return Status::InvalidArgument("certificate has " + std::to_string(indexes.size()) +
                                   " signers; a quorum of " + std::to_string(validators.size()) +
                                   " validators needs " + std::to_string(validators.quorum()));
  }
  std::vector<VerifyItem> items;
  items.reserve(indexes.size());
  for (size_t k = 0; k < indexes.size(); ++k) {
    items.push_back({validators.key(indexes[k]), digests[k], signatures[k]});
  }
  std::vector<size_t> failed;
  if (batch != nullptr) {
    failed = batch->Verify(items).failed;
  } else {
    for (size_t k = 0; k < items.size(); ++k) {
      if (!verifier.Verify(items[k].key, items[k].digest, items[k].signature)) failed.push_back(k);
    }
  }
  if (!failed.empty()) {
    return Status::InvalidArgument("bad signature from validator " +
                                   std::to_string(indexes[failed.front()]) + " (" +
                                   std::to_string(failed.size()) + " bad in all)");
  }
  return Status::Ok();
}

Status VerifyQuorumCert(const ValidatorSet& validators, const Verifier& verifier,
                        const Hash32& expected_digest, const QuorumCert& cert,
                        const BatchVerifier* batch) {
  if (cert.digest != expected_digest) {
    return Status::InvalidArgument("quorum certificate is over digest " + cert.digest.hex() +
                                   ", expected " + expected_digest.hex());
  }
  std::vector<Hash32> digests(cert.signatures.size(), expected_digest);
  return VerifySigners(validators, verifier, cert.signers, digests, cert.signatures, batch);
}

}  // namespace hotbft
