// Core: checks of certificates and signatures from untrusted peers. Verified
// certificates are remembered (bounded), since the same QC arrives in many messages.
#include <algorithm>

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

// ---- Equivocation ----

std::optional<bool> Core::Impl::ObserveVote(const Vote& vote) {
  if (detector_.Classify(vote) != EquivocationDetector::Seen::kNew) return std::nullopt;
  if (!VerifyVoteSignature(vote)) return false;
  if (auto evidence = detector_.Record(vote)) RecordEvidence(std::move(*evidence));
  return true;
}

std::optional<bool> Core::Impl::ObserveProposal(const Proposal& p, const Hash32& id) {
  const BlockHeader& h = p.block->header;
  if (detector_.Classify(h, id) != EquivocationDetector::Seen::kNew) return std::nullopt;
  if (!verifier_.Verify(validators_.key(h.proposer), ProposalDigest(config_.chain_id, id),
                        p.signature)) {
    return false;
  }
  if (auto evidence = detector_.Record(h, id, p.signature)) RecordEvidence(std::move(*evidence));
  return true;
}

void Core::Impl::RecordEvidence(Evidence evidence) {
  HOTBFT_ASSERT(VerifyEvidence(evidence, config_.chain_id, validators_, verifier_).ok());
  const EvidenceKey key = KeyOf(evidence);
  if (evidence_.count(key)) return;
  ++counters_.evidence_recorded;
  evidence_.emplace(key, evidence);
  out_.push_back(EvidenceAction{std::move(evidence)});
  // Bounded: the oldest rounds go first.
  while (evidence_.size() > config_.evidence_max) {
    auto oldest = std::min_element(
        evidence_.begin(), evidence_.end(),
        [](const auto& a, const auto& b) { return a.first.round < b.first.round; });
    evidence_.erase(oldest);
  }
}

CoreStateSizes Core::Impl::state_sizes() const {
  CoreStateSizes s;
  s.tree_blocks = tree_.size();
  s.vote_rounds = votes_.rounds();
  s.timeout_rounds = timeouts_.rounds();
  for (const auto& [id, list] : pending_proposals_) s.pending_proposals += list.size();
  s.pending_qcs = pending_qcs_.size();
  s.missing_blocks = missing_.size();
  s.fetched_blocks = fetched_.size();
  s.proposals_seen = proposals_seen_.size();
  s.detector_records = detector_.size();
  s.evidence = evidence_.size();
  s.committed_evidence = committed_evidence_.size();
  s.waiting_persist = waiting_persist_.size();
  s.app_hashes = app_hashes_.size();
  s.exec_claims = exec_claims_.size();
  s.waiting_execution = waiting_execution_.size();
  return s;
}

}  // namespace hotbft
