// Quorum certificates: a signer bitmap plus one signature per signer, all over one digest.
//
// The same structure certifies a block (votes over VoteData) and anything else a quorum
// signs over one message. A timeout certificate, whose signers sign different high-QC
// rounds, is verified with VerifySigners over per-signer digests.
#pragma once

#include <vector>

#include "crypto/validator_set.h"

namespace hotbft {

class BatchVerifier;

// A set of validator indexes in [0, n), as bits. Bit i is byte i / 8, mask 1 << (i % 8).
class SignerBitmap {
 public:
  SignerBitmap() = default;
  explicit SignerBitmap(uint32_t n) : n_(n), bits_((n + 7) / 8, 0) {}

  // Parses `bytes` for a set of `n` validators: fails on a wrong length or a bit set at
  // an index >= n.
  static Result<SignerBitmap> FromBytes(ByteView bytes, uint32_t n);

  uint32_t n() const { return n_; }
  bool Test(ValidatorIndex i) const;  // REQUIRES: i < n()
  void Set(ValidatorIndex i);         // REQUIRES: i < n()
  uint32_t Count() const;
  std::vector<ValidatorIndex> Indexes() const;  // ascending
  const Bytes& bytes() const { return bits_; }
  bool operator==(const SignerBitmap&) const = default;

 private:
  uint32_t n_ = 0;
  Bytes bits_;
};

// A certificate that a quorum signed `digest`. Signatures are in ascending signer order.
struct QuorumCert {
  Hash32 digest;
  SignerBitmap signers;
  std::vector<Signature> signatures;
  bool operator==(const QuorumCert&) const = default;
};

// Collects signatures over one digest until a quorum is reached. Not thread-safe.
class QuorumCertBuilder {
 public:
  // `validators` and `verifier` must outlive the builder.
  QuorumCertBuilder(const ValidatorSet& validators, const Verifier& verifier, Hash32 digest);

  // Adds `signer`'s signature. Rejects a key outside the validator set, a signer already
  // added, and a signature that does not verify over this builder's digest.
  Status Add(const PublicKey& signer, const Signature& signature);

  // Adds a signature the caller has already verified over this builder's digest (e.g. in
  // a batch). Rejects an index outside the set and a duplicate signer.
  Status AddVerified(ValidatorIndex signer, const Signature& signature);

  uint32_t count() const { return bitmap_.Count(); }
  bool HasQuorum() const { return count() >= validators_.quorum(); }
  // The certificate; fails with fewer than quorum() signers.
  Result<QuorumCert> Build() const;

 private:
  const ValidatorSet& validators_;
  const Verifier& verifier_;
  Hash32 digest_;
  SignerBitmap bitmap_;
  std::vector<Signature> by_index_;
};

// Verifies `cert` as a quorum certificate over `expected_digest` for `validators`:
// the digest matches, the bitmap fits the set, one signature per signer, at least
// quorum() signers, and every signature verifies. With `batch`, signatures are checked
// in parallel (its verifier is used); otherwise with `verifier` on this thread.
Status VerifyQuorumCert(const ValidatorSet& validators, const Verifier& verifier,
                        const Hash32& expected_digest, const QuorumCert& cert,
                        const BatchVerifier* batch = nullptr);

// Verifies that each signer in `signers` signed its own digest: `digests[k]` and
// `signatures[k]` belong to the k-th set bit. Checks sizes and quorum() as above.
Status VerifySigners(const ValidatorSet& validators, const Verifier& verifier,
                     const SignerBitmap& signers, const std::vector<Hash32>& digests,
                     const std::vector<Signature>& signatures,
                     const BatchVerifier* batch = nullptr);

}  // namespace hotbft
