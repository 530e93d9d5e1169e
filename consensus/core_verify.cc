// Core: checks of certificates and signatures from untrusted peers. Verified
// certificates are remembered (bounded), since the same QC arrives in many messages.
#include "consensus/core_impl.h"
#include "crypto/sha256.h"

namespace hotbft {

Round Core::Impl::CertRound(const std::variant<QC, TC>& cert) {
  if (const QC* qc = std::get_if<QC>(&cert)) return qc->vote_data.round;
  return std::get<TC>(cert).round;
}

Status Core::Impl::VerifyQC(const QC& qc) {
  if (qc.vote_data.epoch != config_.epoch) return Status::InvalidArgument("QC of another epoch");
  if (qc.vote_data.round == 0) {
    if (qc == genesis_qc_) return Status::Ok();
    return Status::InvalidArgument("a round-0 QC that is not the genesis QC");
  }
  CanonicalWriter w;
  w.U8('Q');  // QCs and TCs share the cache: tag the key with the type
  qc.Encode(w);
  const Hash32 key = Sha256(w.bytes());
  if (verified_.count(key)) return Status::Ok();
  const Hash32 digest = qc.vote_data.SigningDigest(config_.chain_id);
  HOTBFT_RETURN_IF_ERROR(VerifyQuorumCert(validators_, verifier_, digest,
                                          QuorumCert{digest, qc.signers, qc.signatures}));
  Remember(key);
  return Status::Ok();
}

Status Core::Impl::VerifyTC(const TC& tc) {
  if (tc.epoch != config_.epoch) return Status::InvalidArgument("TC of another epoch");
  if (tc.round == 0) return Status::InvalidArgument("TC for round 0");
  if (tc.high_qc_rounds.size() != tc.signatures.size()) {
    return Status::InvalidArgument("TC high QC rounds do not match its signatures");
  }
  for (Round r : tc.high_qc_rounds) {
    if (r >= tc.round) return Status::InvalidArgument("TC reports a high QC not below its round");
  }
  CanonicalWriter w;
  w.U8('T');
  tc.Encode(w);
  const Hash32 key = Sha256(w.bytes());
  if (verified_.count(key)) return Status::Ok();
  std::vector<Hash32> digests;
  digests.reserve(tc.high_qc_rounds.size());
  for (Round r : tc.high_qc_rounds) {
    digests.push_back(TimeoutData{tc.epoch, tc.round, r}.SigningDigest(config_.chain_id));
  }
  HOTBFT_RETURN_IF_ERROR(VerifySigners(validators_, verifier_, tc.signers, digests, tc.signatures));
  Remember(key);
  return Status::Ok();
}

void Core::Impl::Remember(const Hash32& key) {
  if (verified_order_.size() >= kVerifiedCacheMax) {
    verified_.erase(verified_order_.front());
    verified_order_.pop_front();
  }
  verified_.insert(key);
  verified_order_.push_back(key);
}

bool Core::Impl::VerifyCert(const std::variant<QC, TC>& cert, DropReason* reason) {
  if (const QC* qc = std::get_if<QC>(&cert)) {
    *reason = DropReason::kInvalidQC;
    return VerifyQC(*qc).ok();
  }
  *reason = DropReason::kInvalidTC;
  return VerifyTC(std::get<TC>(cert)).ok();
}

bool Core::Impl::VerifyVoteSignature(const Vote& vote) const {
  HOTBFT_ASSERT(vote.voter < validators_.size());
  return verifier_.Verify(validators_.key(vote.voter), vote.data.SigningDigest(config_.chain_id),
                          vote.signature);
}

}  // namespace hotbft
