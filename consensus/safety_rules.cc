#include "consensus/safety_rules.h"

#include <algorithm>

namespace hotbft {

SafetyRules::SafetyRules(std::unique_ptr<Signer> signer, uint32_t self, std::string chain_id,
                         std::optional<SafetyData> stored, SafetyRulesOptions options)
    : signer_(std::move(signer)),
      self_(self),
      chain_id_(std::move(chain_id)),
      options_(options),
      data_(std::move(stored)) {
  HOTBFT_ASSERT(signer_ != nullptr);
  HOTBFT_ASSERT(!chain_id_.empty());
}

void SafetyRules::InitializeFresh(Epoch epoch) {
  HOTBFT_ASSERT(!data_.has_value());
  data_ = SafetyData{};
  data_->epoch = epoch;
}

const SafetyData& SafetyRules::data() const {
  HOTBFT_ASSERT(data_.has_value());
  return *data_;
}

Status SafetyRules::CheckCanSign(Epoch epoch) const {
  if (!data_) {
    return Status::FailedPrecondition(
        "validator " + std::to_string(self_) +
        " has a signing key but no safety data; refusing to sign. If this key has never "
        "signed on this chain, initialise the safety data explicitly; otherwise restore it");
  }
  if (epoch != data_->epoch) {
    return Status::InvalidArgument("message epoch " + std::to_string(epoch) +
                                   " differs from the safety data's epoch " +
                                   std::to_string(data_->epoch));
  }
  return Status::Ok();
}

Result<Signed<Vote>> SafetyRules::SignVote(const Block& block) {
  const BlockHeader& h = block.header;
  HOTBFT_RETURN_IF_ERROR(CheckCanSign(h.epoch));
  const QC& qc = h.justify;
  SafetyData& d = *data_;
  // Voting again for the block already voted for returns the stored vote.
  if (d.last_vote && d.last_vote->data.round == h.round && d.last_vote->data.block_id == block.id) {
    return Signed<Vote>{*d.last_vote, false};
  }
  if (h.round <= d.last_voted_round) {
    return Status::FailedPrecondition("vote refused: round " + std::to_string(h.round) +
                                      " is not above last voted round " +
                                      std::to_string(d.last_voted_round));
  }
  if (qc.vote_data.round < d.preferred_round && !options_.test_only_unsafe_no_lock) {
    return Status::FailedPrecondition(
        "vote refused: block's QC round " + std::to_string(qc.vote_data.round) +
        " is below preferred round " + std::to_string(d.preferred_round));
  }
  // Well-formedness the caller checked; re-asserted here because a vote is irrevocable.
  if (qc.vote_data.round >= h.round || qc.vote_data.block_id != h.parent_id ||
      h.height != qc.vote_data.height + 1) {
    return Status::InvalidArgument("vote refused: block (height " + std::to_string(h.height) +
                                   ", round " + std::to_string(h.round) +
                                   ") does not extend its QC (height " +
                                   std::to_string(qc.vote_data.height) + ", round " +
                                   std::to_string(qc.vote_data.round) + ")");
  }

  Vote vote;
  vote.data = VoteData{h.epoch, block.id, h.height, h.round, h.parent_id, qc.vote_data.round};
  vote.voter = self_;
  vote.signature = signer_->Sign(vote.data.SigningDigest(chain_id_));

  d.last_voted_round = h.round;
  d.preferred_round = std::max(d.preferred_round, qc.vote_data.parent_round);
  d.highest_qc_round = std::max(d.highest_qc_round, qc.vote_data.round);
  d.last_vote = vote;
  return Signed<Vote>{vote, true};
}

Result<Signed<Proposal>> SafetyRules::SignProposal(std::shared_ptr<const Block> block,
                                                   std::optional<TC> tc) {
  HOTBFT_ASSERT(block != nullptr);
  const BlockHeader& h = block->header;
  HOTBFT_RETURN_IF_ERROR(CheckCanSign(h.epoch));
  SafetyData& d = *data_;
  if (d.last_proposal && d.last_proposal->block->header.round == h.round &&
      d.last_proposal->block->id == block->id) {
    return Signed<Proposal>{*d.last_proposal, false};
  }
  if (h.proposer != self_) {
    return Status::InvalidArgument("proposal refused: block proposer " +
                                   std::to_string(h.proposer) + " is not this validator (" +
                                   std::to_string(self_) + ")");
  }
  if (h.round <= d.last_proposed_round) {
    return Status::FailedPrecondition("proposal refused: round " + std::to_string(h.round) +
                                      " is not above last proposed round " +
                                      std::to_string(d.last_proposed_round));
  }
  Proposal p;
  p.signature = signer_->Sign(ProposalDigest(chain_id_, block->id));
  p.block = std::move(block);
  p.tc = std::move(tc);
  d.last_proposed_round = h.round;
  d.last_proposal = p;
  return Signed<Proposal>{std::move(p), true};
}

Result<Signed<Timeout>> SafetyRules::SignTimeout(Round round, const QC& high_qc,
                                                 std::variant<QC, TC> entry) {
  HOTBFT_RETURN_IF_ERROR(CheckCanSign(high_qc.vote_data.epoch));
  SafetyData& d = *data_;
  if (d.last_timeout && d.last_timeout->data.round == round) {
    return Signed<Timeout>{*d.last_timeout, false};
  }
  if (round < d.last_voted_round) {
    return Status::FailedPrecondition("timeout refused: round " + std::to_string(round) +
                                      " is below last voted round " +
                                      std::to_string(d.last_voted_round));
  }
  if (high_qc.vote_data.round >= round) {
    return Status::InvalidArgument(
        "timeout refused: high QC round " + std::to_string(high_qc.vote_data.round) +
        " is not below the round timed out (" + std::to_string(round) + ")");
  }
  Timeout t;
  t.data = TimeoutData{d.epoch, round, high_qc.vote_data.round};
  t.sender = self_;
  t.signature = signer_->Sign(t.data.SigningDigest(chain_id_));
  t.high_qc = high_qc;
  if (d.last_vote && d.last_vote->data.round == round) t.vote = d.last_vote;
  t.entry = std::move(entry);

  d.last_voted_round = round;
  d.highest_qc_round = std::max(d.highest_qc_round, high_qc.vote_data.round);
  d.last_timeout = t;
  return Signed<Timeout>{std::move(t), true};
}

bool SafetyRules::ObserveQC(const QC& qc) {
  if (!data_ || qc.vote_data.round <= data_->highest_qc_round) return false;
  data_->highest_qc_round = qc.vote_data.round;
  return true;
}

bool SafetyRules::ObserveTC(const TC& tc) {
  if (!data_ || (data_->highest_tc && data_->highest_tc->round >= tc.round)) return false;
  data_->highest_tc = tc;
  return true;
}

}  // namespace hotbft
