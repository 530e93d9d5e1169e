// Core: proposing, and checking and voting for proposals.
#include <algorithm>
#include <tuple>

#include "consensus/core_impl.h"

namespace hotbft {

// A leader whose proposal was blocked (high QC's block missing, or a TC reporting a
// higher QC than it holds) tries again when its high QC or high TC changes.
void Core::Impl::RetryBlockedProposal() {
  if (!propose_blocked_ || election_.Leader(round_) != self_) return;
  propose_blocked_ = false;
  payload_requested_round_ = 0;
  MaybeRequestPayload();
}

void Core::Impl::MaybeRequestPayload() {
  if (election_.Leader(round_) != self_ || payload_requested_round_ == round_) return;
  if (!safety_->initialized() || safety_->data().last_proposed_round >= round_) return;
  payload_requested_round_ = round_;
  out_.push_back(RequestPayloadAction{round_, config_.payload_bytes_max, config_.payload_txs_max});
}

// Builds this round's block on the high QC and signs it. The proposal leaves after the
// safety data (last_proposed_round) and the block are durable.
void Core::Impl::Propose(std::shared_ptr<const Payload> payload) {
  if (election_.Leader(round_) != self_) return;
  const QC& justify = tree_.high_qc();
  std::optional<TC> tc;
  if (justify.vote_data.round + 1 != round_) {
    // Entered through TC(round - 1): the proposal carries it, and the justify QC must be
    // at least as high as every high QC its signers reported, or honest voters refuse it.
    if (!high_tc_ || high_tc_->round + 1 != round_ ||
        (justify.vote_data.round < high_tc_->MaxHighQcRound() &&
         !config_.test_only_unsafe_skip_tc_check)) {
      propose_blocked_ = true;  // a higher QC or a better TC may still arrive this round
      return;
    }
    tc = high_tc_;
  }
  std::shared_ptr<const Block> parent = tree_.Get(justify.vote_data.block_id);
  if (!parent) {
    propose_blocked_ = true;  // still fetching the high QC's block
    return;
  }
  propose_blocked_ = false;
  payload = SelectEvidence(std::move(payload), *parent, round_);

  auto block = std::make_shared<Block>();
  BlockHeader& h = block->header;
  h.epoch = config_.epoch;
  h.height = parent->header.height + 1;
  h.round = round_;
  h.parent_id = parent->id;
  h.payload_hash = PayloadHash(config_.chain_id, payload->txs, payload->evidence);
  h.proposer = self_;
  h.justify = justify;
  std::tie(h.exec_height, h.app_hash) = ExecFieldsFor(*parent);
  h.timestamp_ms = std::max(now_ms_, parent->header.timestamp_ms + 1);
  block->payload = std::move(payload);
  block->id = h.Id(config_.chain_id);

  auto signed_proposal = safety_->SignProposal(block, std::move(tc));
  if (!signed_proposal.ok()) return Drop(DropReason::kUnsafe);
  const bool fresh = signed_proposal->fresh;
  if (fresh) {
    safety_dirty_ = true;
    ++counters_.proposals_sent;
  }
  if (tree_.Insert(block).ok()) {
    unpersisted_blocks_.push_back(block);
    OnBlockInserted(block);
  }
  // A re-send also waits: the safety data that covers it may not be durable yet.
  Broadcast(signed_proposal->message, /*after_persist=*/true);
  VoteFor(block);
}

Status Core::Impl::CheckProposalShape(const Proposal& p, const Block& parent) const {
  const BlockHeader& h = p.block->header;
  const VoteData& qc = h.justify.vote_data;
  if (h.parent_id != qc.block_id || parent.id != qc.block_id) {
    return Status::InvalidArgument("parent is not the block its QC certifies");
  }
  if (h.height != parent.header.height + 1 || qc.round >= h.round) {
    return Status::InvalidArgument("height or round does not follow the parent");
  }
  if (h.round != qc.round + 1) {
    // A round skipped by timeouts: TC(round - 1) must justify it, and the QC must be at
    // least as high as every high QC that TC's signers reported.
    if (!p.tc || p.tc->round + 1 != h.round) {
      return Status::InvalidArgument("round skips ahead of its QC without TC(round - 1)");
    }
    if (qc.round < p.tc->MaxHighQcRound() && !config_.test_only_unsafe_skip_tc_check) {
      return Status::InvalidArgument("QC round below the TC's highest reported QC round");
    }
  }
  HOTBFT_RETURN_IF_ERROR(CheckExecShape(h, parent));
  if (p.block->payload->txs.size() > config_.payload_txs_max) {
    return Status::InvalidArgument("too many transactions");
  }
  uint64_t bytes = 0;
  for (const Bytes& tx : p.block->payload->txs) bytes += tx.size();
  for (const Bytes& piece : p.block->payload->evidence) bytes += piece.size();
  if (bytes > config_.payload_bytes_max) return Status::InvalidArgument("payload too large");
  return Status::Ok();
}

void Core::Impl::HandleProposal(uint32_t from, const Proposal& p) {
  if (!p.block || !p.block->payload) return Drop(DropReason::kMalformed);
  const Block& b = *p.block;
  const BlockHeader& h = b.header;
  if (h.epoch != config_.epoch) return Drop(DropReason::kWrongEpoch);
  if (h.proposer >= validators_.size()) return Drop(DropReason::kMalformed);
  if (h.Id(config_.chain_id) != b.id) return Drop(DropReason::kMalformed);
  if (h.round > round_ + config_.rounds_ahead_max && !CatchUpOnFarProposal(from, p)) {
    return Drop(DropReason::kFarFutureRound);
  }
  // Stale proposals too: a conflicting one is evidence whatever its round.
  const std::optional<bool> valid = ObserveProposal(p, b.id);
  if (valid == false) return Drop(DropReason::kBadSignature);
  if (h.round < round_) return Drop(DropReason::kStaleRound);
  if (h.proposer != election_.Leader(h.round)) return Drop(DropReason::kWrongLeader);
  if (PayloadHash(config_.chain_id, b.payload->txs, b.payload->evidence) != h.payload_hash) {
    return Drop(DropReason::kMalformed);
  }
  if (!valid && !verifier_.Verify(validators_.key(h.proposer),
                                  ProposalDigest(config_.chain_id, b.id), p.signature)) {
    return Drop(DropReason::kBadSignature);
  }
  if (!VerifyQC(h.justify).ok()) return Drop(DropReason::kInvalidQC);
  if (p.tc && !VerifyTC(*p.tc).ok()) return Drop(DropReason::kInvalidTC);

  // Checks that need no parent come first, so a proposal can only make this validator
  // fetch the block its verified QC certifies.
  if (h.parent_id != h.justify.vote_data.block_id || h.justify.vote_data.round >= h.round) {
    return Drop(DropReason::kMalformed);
  }
  // One proposal per round: a second, different one from the leader is equivocation and
  // is neither stored nor voted for (a certified one arrives later through its QC).
  auto [seen, first] = proposals_seen_.emplace(h.round, b.id);
  if (!first && seen->second != b.id) {
    ++counters_.equivocations_seen;
    return Drop(DropReason::kUnsafe);
  }
  ProcessQC(h.justify, from);
  if (p.tc) ProcessTC(*p.tc);
  if (h.round != round_) {
    // Its certificates did not bring this validator to the proposal's round.
    return Drop(h.round < round_ ? DropReason::kStaleRound : DropReason::kMalformed);
  }
  std::shared_ptr<const Block> parent = tree_.Get(h.parent_id);
  if (!parent || !tree_.Contains(h.justify.vote_data.block_id)) {
    auto& waiting = pending_proposals_[h.parent_id];
    if (pending_proposals_.size() > config_.pending_proposals_max ||
        waiting.size() >= validators_.size()) {
      if (waiting.empty()) pending_proposals_.erase(h.parent_id);
      return Drop(DropReason::kTooManyPending);
    }
    waiting.emplace_back(from, p);
    RequestBlock(h.parent_id, from);
    return;
  }
  if (h.timestamp_ms <= parent->header.timestamp_ms ||
      h.timestamp_ms > now_ms_ + config_.clock_drift_ms_max) {
    return Drop(DropReason::kBadTimestamp);
  }
  if (!CheckProposalShape(p, *parent).ok()) return Drop(DropReason::kMalformed);
  // Stored even when the vote must wait, or is refused: a QC may certify it anyway.
  if (!tree_.Contains(b.id)) {
    if (!tree_.Insert(p.block).ok()) return Drop(DropReason::kMalformed);
    unpersisted_blocks_.push_back(p.block);
    OnBlockInserted(p.block);
  }
  // Every honest validator hands the app the same misbehaviour: evidence that is malformed,
  // forged, out of its window, or already in the chain gets no vote.
  if (!CheckEvidenceOf(b).ok()) return Drop(DropReason::kInvalidEvidence);
  switch (CheckExecution(h)) {
    case ExecCheck::kOk: break;
    case ExecCheck::kMismatch: return Drop(DropReason::kBadAppHash);
    case ExecCheck::kWait:
      // Voted for once this validator's execution reaches exec_height (OnExecuted).
      if (waiting_execution_.size() >= config_.pending_proposals_max) {
        return Drop(DropReason::kTooManyPending);
      }
      ++counters_.proposals_waiting_execution;
      waiting_execution_.emplace_back(from, p);
      return;
  }
  VoteFor(p.block);
}

// Votes go to the next round's leader, after the safety data is durable.
void Core::Impl::VoteFor(const std::shared_ptr<const Block>& block) {
  auto vote = safety_->SignVote(*block);
  if (!vote.ok()) return Drop(DropReason::kUnsafe);
  const bool fresh = vote->fresh;
  if (fresh) {
    safety_dirty_ = true;
    ++counters_.votes_sent;
  }
  // A re-sent vote also waits for a persist: the first one may still be in flight.
  SendTo(election_.Leader(block->header.round + 1), std::move(vote->message),
         /*after_persist=*/true);
}

}  // namespace hotbft
