#include "consensus/evidence.h"

#include "crypto/assert.h"

namespace hotbft {

std::string_view EvidenceKindName(EvidenceKind kind) {
  switch (kind) {
    case EvidenceKind::kDoubleVote: return "double_vote";
    case EvidenceKind::kDoubleProposal: return "double_proposal";
  }
  return "unknown";
}

EvidenceKey KeyOf(const Evidence& evidence) {
  if (const auto* v = std::get_if<DoubleVote>(&evidence)) {
    return EvidenceKey{EvidenceKind::kDoubleVote, v->first.voter, v->first.data.epoch,
                       v->first.data.round};
  }
  const auto& p = std::get<DoubleProposal>(evidence);
  return EvidenceKey{EvidenceKind::kDoubleProposal, p.first.proposer, p.first.epoch, p.first.round};
}

Status VerifyEvidence(const Evidence& evidence, std::string_view chain_id,
                      const ValidatorSet& validators, const Verifier& verifier) {
  if (const auto* v = std::get_if<DoubleVote>(&evidence)) {
    const Vote& a = v->first;
    const Vote& b = v->second;
    if (a.voter != b.voter || a.voter >= validators.size()) {
      return Status::InvalidArgument("double vote: not one known voter");
    }
    if (a.data.epoch != b.data.epoch || a.data.round != b.data.round) {
      return Status::InvalidArgument("double vote: votes of different rounds");
    }
    if (a.data == b.data) return Status::InvalidArgument("double vote: the same vote twice");
    const PublicKey& key = validators.key(a.voter);
    if (!verifier.Verify(key, a.data.SigningDigest(chain_id), a.signature) ||
        !verifier.Verify(key, b.data.SigningDigest(chain_id), b.signature)) {
      return Status::InvalidArgument("double vote: a signature is invalid");
    }
    return Status::Ok();
  }
  const auto& p = std::get<DoubleProposal>(evidence);
  if (p.first.proposer != p.second.proposer || p.first.proposer >= validators.size()) {
    return Status::InvalidArgument("double proposal: not one known proposer");
  }
  if (p.first.epoch != p.second.epoch || p.first.round != p.second.round) {
    return Status::InvalidArgument("double proposal: proposals of different rounds");
  }
  const Hash32 first_id = p.first.Id(chain_id);
  const Hash32 second_id = p.second.Id(chain_id);
  if (first_id == second_id) {
    return Status::InvalidArgument("double proposal: the same block twice");
  }
  const PublicKey& key = validators.key(p.first.proposer);
  if (!verifier.Verify(key, ProposalDigest(chain_id, first_id), p.first_signature) ||
      !verifier.Verify(key, ProposalDigest(chain_id, second_id), p.second_signature)) {
    return Status::InvalidArgument("double proposal: a signature is invalid");
  }
  return Status::Ok();
}

// ---- EquivocationDetector ----

EquivocationDetector::EquivocationDetector(std::string chain_id, Round window_rounds)
    : chain_id_(std::move(chain_id)), window_rounds_(window_rounds) {
  HOTBFT_ASSERT(window_rounds_ > 0);
}

void EquivocationDetector::SetFloor(Round floor) {
  if (floor <= floor_) return;
  floor_ = floor;
  slots_.erase(slots_.begin(), slots_.lower_bound({floor_, 0}));
}

bool EquivocationDetector::InWindow(Round round) const {
  return round >= floor_ && round - floor_ <= window_rounds_;
}

const EquivocationDetector::Slot* EquivocationDetector::Find(uint32_t validator,
                                                             Round round) const {
  auto it = slots_.find({round, validator});
  return it == slots_.end() ? nullptr : &it->second;
}

EquivocationDetector::Seen EquivocationDetector::Classify(const Vote& vote) const {
  if (!InWindow(vote.data.round)) return Seen::kOutsideWindow;
  const Slot* slot = Find(vote.voter, vote.data.round);
  if (slot && slot->vote && (slot->vote_conflict || slot->vote->data == vote.data)) {
    return Seen::kKnown;
  }
  return Seen::kNew;
}

std::optional<Evidence> EquivocationDetector::Record(const Vote& vote) {
  HOTBFT_ASSERT(Classify(vote) == Seen::kNew);
  Slot& slot = slots_[{vote.data.round, vote.voter}];
  if (!slot.vote) {
    slot.vote = vote;
    return std::nullopt;
  }
  HOTBFT_ASSERT(!(slot.vote->data == vote.data));
  slot.vote_conflict = true;
  return DoubleVote{*slot.vote, vote};
}

EquivocationDetector::Seen EquivocationDetector::Classify(const BlockHeader& header,
                                                          const Hash32& id) const {
  if (!InWindow(header.round)) return Seen::kOutsideWindow;
  const Slot* slot = Find(header.proposer, header.round);
  if (slot && slot->proposal && (slot->proposal_conflict || slot->proposal->id == id)) {
    return Seen::kKnown;
  }
  return Seen::kNew;
}

std::optional<Evidence> EquivocationDetector::Record(const BlockHeader& header, const Hash32& id,
                                                     const Signature& signature) {
  HOTBFT_ASSERT(Classify(header, id) == Seen::kNew);
  Slot& slot = slots_[{header.round, header.proposer}];
  if (!slot.proposal) {
    slot.proposal = ProposalRecord{header, id, signature};
    return std::nullopt;
  }
  HOTBFT_ASSERT(slot.proposal->id != id);
  slot.proposal_conflict = true;
  return DoubleProposal{slot.proposal->header, slot.proposal->signature, header, signature};
}

size_t EquivocationDetector::size() const {
  return slots_.size();
}

}  // namespace hotbft
