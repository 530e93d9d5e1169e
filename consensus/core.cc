// Core: inputs, the pacemaker, votes, timeouts and the persist-then-send machinery.
// Proposals are in core_proposal.cc, block fetching in core_sync.cc, checks of untrusted
// input in core_verify.cc.
#include "consensus/core.h"

#include <algorithm>
#include <cmath>

#include "consensus/core_impl.h"

namespace hotbft {

uint64_t CoreConfig::RoundTimeoutMaxMs() const {
  return static_cast<uint64_t>(static_cast<double>(round_timeout_base_ms) *
                               std::pow(round_timeout_factor, round_timeout_exponent_max));
}

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kWrongEpoch: return "wrong_epoch";
    case DropReason::kBadSignature: return "bad_signature";
    case DropReason::kInvalidQC: return "invalid_qc";
    case DropReason::kInvalidTC: return "invalid_tc";
    case DropReason::kMalformed: return "malformed";
    case DropReason::kWrongLeader: return "wrong_leader";
    case DropReason::kStaleRound: return "stale_round";
    case DropReason::kFarFutureRound: return "far_future_round";
    case DropReason::kUnsafe: return "unsafe";
    case DropReason::kBadTimestamp: return "bad_timestamp";
    case DropReason::kUnknownBlock: return "unknown_block";
    case DropReason::kTooManyPending: return "too_many_pending";
    case DropReason::kBadAppHash: return "bad_app_hash";
    case DropReason::kInvalidEvidence: return "invalid_evidence";
    case DropReason::kCount: break;
  }
  return "unknown";
}

Core::Impl::Impl(CoreConfig config, uint32_t self, const ValidatorSet& validators,
                 const Verifier& verifier, const LeaderElection& election,
                 std::unique_ptr<SafetyRules> safety_rules, RecoveryState recovery)
    : config_(std::move(config)),
      self_(self),
      validators_(validators),
      verifier_(verifier),
      election_(election),
      safety_(std::move(safety_rules)),
      genesis_qc_(
          MakeGenesisQC(*MakeGenesisBlock(config_.chain_id, config_.epoch, validators.size(),
                                          config_.genesis_commitment, config_.genesis_time_ms))),
      tree_(recovery.root, recovery.root_qc),
      votes_(validators, verifier, config_.chain_id),
      timeouts_(validators),
      detector_(config_.chain_id, config_.evidence_rounds_back + config_.rounds_ahead_max),
      round_entry_(recovery.root_qc),
      far_timeout_checked_(validators.size(), kNoRound) {
  HOTBFT_ASSERT(self_ < validators_.size());
  HOTBFT_ASSERT(safety_ != nullptr);
  HOTBFT_ASSERT(safety_->self() == self_);
  HOTBFT_ASSERT(config_.empty_block_interval_ms < config_.round_timeout_base_ms);
  // The detector must cover the previous round, whose votes still count.
  HOTBFT_ASSERT(config_.evidence_rounds_back >= 1);
  HOTBFT_ASSERT(config_.evidence_rounds_back <= kRoundsWindowMax);
  HOTBFT_ASSERT(config_.rounds_ahead_max <= kRoundsWindowMax);
  HOTBFT_ASSERT(config_.evidence_age_rounds_max >= 1);
  HOTBFT_ASSERT(config_.evidence_age_rounds_max <= kRoundsWindowMax);
  HOTBFT_ASSERT(config_.evidence_per_block_max <= kBlockEvidenceMax);
  // Recovered blocks: insert parents first; blocks that no longer connect are dropped.
  std::sort(recovery.blocks.begin(), recovery.blocks.end(),
            [](const auto& a, const auto& b) { return a->header.height < b->header.height; });
  // Blocks whose commit was decided but not yet durable commit again here; Start()
  // hands them to execution.
  auto recommit = [this](const QC& qc) {
    auto committed = tree_.InsertQC(qc);
    if (!committed.ok() && committed.status().code() == Status::Code::kSafetyViolation) {
      ++counters_.safety_violations;
    }
    if (!committed.ok() || committed->empty()) return;
    for (auto& b : *committed) recovered_commits_.push_back(std::move(b));
    recovered_commit_proof_ = qc;
  };
  for (const auto& block : recovery.blocks) {
    if (tree_.Insert(block).ok()) recommit(block->header.justify);
  }
  if (recovery.high_qc && tree_.Contains(recovery.high_qc->vote_data.block_id)) {
    recommit(*recovery.high_qc);
  }
  high_tc_ = recovery.high_tc;
  for (const auto& [key, height] : recovery.committed_evidence) {
    committed_evidence_.emplace(key, height);
  }
  PruneCommittedEvidence(tree_.root()->header.round);
  executed_height_ = recovery.executed_height;
  app_hashes_[0] = Bytes();  // the genesis block's execution fields
  for (auto& [height, hash] : recovery.app_hashes) app_hashes_[height] = std::move(hash);
  HOTBFT_ASSERT(app_hashes_.count(executed_height_));
  HOTBFT_ASSERT(executed_height_ <= tree_.root()->header.height);
  if (safety_->initialized() && safety_->data().highest_tc &&
      (!high_tc_ || high_tc_->round < safety_->data().highest_tc->round)) {
    high_tc_ = safety_->data().highest_tc;
  }
}

// ---- Inputs ----

void Core::Impl::Begin(uint64_t now_ms) {
  HOTBFT_ASSERT(out_.empty());
  HOTBFT_ASSERT(held_.empty());
  now_ms_ = std::max(now_ms_, now_ms);
}

std::vector<Action> Core::Impl::Start(uint64_t now_ms) {
  Begin(now_ms);
  if (!recovered_commits_.empty()) {
    EmitCommit(std::move(recovered_commits_), *recovered_commit_proof_);
    recovered_commits_.clear();
  }
  const QC& high_qc = tree_.high_qc();
  if (high_tc_ && high_tc_->round >= high_qc.vote_data.round) {
    EnterRound(high_tc_->round + 1, *high_tc_);
  } else {
    EnterRound(high_qc.vote_data.round + 1, high_qc);
  }
  if (safety_->initialized()) ResumeSignedRound();
  return Finish();
}

std::vector<Action> Core::Impl::OnMessage(uint32_t from, const Message& message, uint64_t now_ms) {
  Begin(now_ms);
  if (from >= validators_.size()) {
    Drop(DropReason::kMalformed);
    return Finish();
  }
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Proposal>) HandleProposal(from, m);
        if constexpr (std::is_same_v<T, Vote>) HandleVote(from, m);
        if constexpr (std::is_same_v<T, Timeout>) HandleTimeout(from, m);
        if constexpr (std::is_same_v<T, BlockRequest>) HandleBlockRequest(from, m);
        if constexpr (std::is_same_v<T, BlockResponse>) HandleBlockResponse(from, m);
      },
      message);
  return Finish();
}

std::vector<Action> Core::Impl::OnTick(uint64_t now_ms) {
  Begin(now_ms);
  if (now_ms_ >= round_deadline_ms_) LocalTimeout();
  if (waiting_for_txs_ && config_.idle_empty_blocks &&
      now_ms_ >= round_start_ms_ + config_.empty_block_interval_ms) {
    waiting_for_txs_ = false;
    Propose(std::make_shared<const Payload>());
  }
  RetryMissing();
  return Finish();
}

std::vector<Action> Core::Impl::OnPayloadReady(Round round, std::shared_ptr<const Payload> payload,
                                               uint64_t now_ms) {
  Begin(now_ms);
  HOTBFT_ASSERT(payload != nullptr);
  if (round == round_ && election_.Leader(round_) == self_) {
    const bool must_propose =
        !payload->txs.empty() || tree_.HasPendingPayload(tree_.high_qc().vote_data.block_id) ||
        (config_.idle_empty_blocks && now_ms_ >= round_start_ms_ + config_.empty_block_interval_ms);
    if (must_propose) {
      waiting_for_txs_ = false;
      Propose(std::move(payload));
    } else {
      waiting_for_txs_ = true;  // OnTxsAvailable (or the empty-block interval) ends the wait
    }
  }
  return Finish();
}

std::vector<Action> Core::Impl::OnTxsAvailable(uint64_t now_ms) {
  Begin(now_ms);
  if (waiting_for_txs_) {
    waiting_for_txs_ = false;
    payload_requested_round_ = 0;
    MaybeRequestPayload();
  }
  return Finish();
}

std::vector<Action> Core::Impl::OnPersisted(uint64_t token, uint64_t now_ms) {
  Begin(now_ms);
  auto it = waiting_persist_.find(token);
  if (it != waiting_persist_.end()) {
    Held held = std::move(it->second);
    waiting_persist_.erase(it);
    for (Action& a : held.actions) out_.push_back(std::move(a));
    for (const Timeout& t : held.local_timeouts) {
      if (t.vote) CountVote(*t.vote);  // a QC can form from the votes timeouts carry
      if (auto tc = timeouts_.Add(t)) {
        ++counters_.tcs_formed;
        ProcessTC(*tc);
      }
    }
    for (const Vote& v : held.local_votes) CountVote(v);
  }
  return Finish();
}

// Groups everything this input changed into one PersistAction; the sends that depend on
// it wait for its token.
std::vector<Action> Core::Impl::Finish() {
  const bool dirty = safety_dirty_ || high_qc_dirty_ || high_tc_dirty_ || root_dirty_ ||
                     !unpersisted_blocks_.empty();
  if (dirty || !held_.empty() || !held_local_votes_.empty() || !held_local_timeouts_.empty()) {
    PersistAction p;
    p.token = next_token_++;
    if (safety_->initialized()) p.safety = safety_->data();
    p.blocks = std::move(unpersisted_blocks_);
    if (high_qc_dirty_) p.high_qc = tree_.high_qc();
    if (high_tc_dirty_) p.high_tc = high_tc_;
    if (root_dirty_) p.root_qc = tree_.root_qc();
    p.committed = std::move(uncommitted_commits_);
    waiting_persist_[p.token] =
        Held{std::move(held_), std::move(held_local_votes_), std::move(held_local_timeouts_)};
    // First in the batch: a driver that answers a RequestPayload at once (calling back into
    // the core) still hands this write to storage before any write that call produces.
    out_.insert(out_.begin(), std::move(p));
    unpersisted_blocks_.clear();
    uncommitted_commits_.clear();
    held_.clear();
    held_local_votes_.clear();
    held_local_timeouts_.clear();
    safety_dirty_ = high_qc_dirty_ = high_tc_dirty_ = root_dirty_ = false;
  }
  const uint64_t deadline = NextDeadlineMs();
  if (deadline != last_deadline_sent_ms_) {
    out_.push_back(SetDeadlineAction{deadline});
    last_deadline_sent_ms_ = deadline;
  }
  std::vector<Action> out = std::move(out_);
  out_.clear();
  return out;
}

// ---- Pacemaker ----

uint64_t Core::Impl::RoundDurationMs(Round round) const {
  const Round committed = tree_.root()->header.round;
  const Round excess = round > committed + 3 ? round - committed - 3 : 0;
  const Round exponent = std::min<Round>(excess, config_.round_timeout_exponent_max);
  return static_cast<uint64_t>(static_cast<double>(config_.round_timeout_base_ms) *
                               std::pow(config_.round_timeout_factor, exponent));
}

uint64_t Core::Impl::NextDeadlineMs() const {
  uint64_t deadline = round_deadline_ms_;
  if (waiting_for_txs_ && config_.idle_empty_blocks) {
    deadline = std::min(deadline, round_start_ms_ + config_.empty_block_interval_ms);
  }
  for (const auto& [id, m] : missing_) {
    deadline = std::min(deadline, m.last_request_ms + config_.round_timeout_base_ms);
  }
  return deadline;
}

void Core::Impl::EnterRound(Round round, std::variant<QC, TC> entry) {
  HOTBFT_ASSERT(round > round_);
  HOTBFT_ASSERT(CertRound(entry) + 1 == round);
  round_ = round;
  round_entry_ = std::move(entry);
  round_start_ms_ = now_ms_;
  round_deadline_ms_ = now_ms_ + RoundDurationMs(round);
  timed_out_ = false;
  waiting_for_txs_ = false;
  propose_blocked_ = false;
  std::erase_if(proposals_seen_, [&](const auto& e) { return e.first + 1 < round; });
  PruneCommittedEvidence(round);
  detector_.SetFloor(round > config_.evidence_rounds_back ? round - config_.evidence_rounds_back
                                                          : 0);
  if (round > 1) {
    votes_.PruneBelow(round - 1);
    timeouts_.PruneBelow(round - 1);
  }
  std::erase_if(waiting_execution_,
                [&](const auto& p) { return p.second.block->header.round < round; });
  for (auto it = pending_proposals_.begin(); it != pending_proposals_.end();) {
    auto& list = it->second;
    std::erase_if(list, [&](const auto& p) { return p.second.block->header.round < round; });
    it = list.empty() ? pending_proposals_.erase(it) : std::next(it);
  }
  MaybeRequestPayload();
}

// The round's deadline passed (or f+1 others timed it out): sign Timeout(round) once, and
// re-send the stored one at every later deadline until the round ends.
void Core::Impl::LocalTimeout() {
  round_deadline_ms_ = now_ms_ + RoundDurationMs(round_);
  auto signed_timeout = safety_->SignTimeout(round_, tree_.high_qc(), round_entry_);
  if (!signed_timeout.ok()) {
    Drop(DropReason::kUnsafe);
    return;
  }
  const bool fresh = signed_timeout->fresh;
  if (fresh) {
    safety_dirty_ = true;
    ++counters_.timeouts_sent;
    held_local_timeouts_.push_back(signed_timeout->message);
  }
  timed_out_ = true;
  // A re-send also waits: the safety data that covers it may not be durable yet.
  Broadcast(std::move(signed_timeout->message), /*after_persist=*/true);
}

// After a restart: a round this validator timed out or proposed in before the crash is
// resumed from the stored messages, which are re-sent as signed (never signed again).
void Core::Impl::ResumeSignedRound() {
  const SafetyData& d = safety_->data();
  if (d.last_timeout && d.last_timeout->data.round >= round_) {
    // Its entry certificate was verified when the timeout was signed.
    if (d.last_timeout->data.round > round_) {
      EnterRound(d.last_timeout->data.round, d.last_timeout->entry);
    }
    timed_out_ = true;
    held_local_timeouts_.push_back(*d.last_timeout);
    Broadcast(*d.last_timeout, /*after_persist=*/true);
  }
  if (d.last_proposal && d.last_proposal->block->header.round == round_ &&
      tree_.Contains(d.last_proposal->block->id)) {
    Broadcast(*d.last_proposal, /*after_persist=*/true);
  }
}

void Core::Impl::ProcessQC(const QC& qc, uint32_t from) {
  if (safety_->ObserveQC(qc)) safety_dirty_ = true;
  const Hash32& id = qc.vote_data.block_id;
  if (qc.vote_data.round > tree_.root()->header.round) {
    if (tree_.Contains(id)) {
      InsertQCIntoTree(qc);
    } else if (pending_qcs_.size() < kPendingQCsMax || pending_qcs_.count(id)) {
      auto [it, inserted] = pending_qcs_.emplace(id, qc);
      if (!inserted && it->second.vote_data.round < qc.vote_data.round) it->second = qc;
      RequestBlock(id, from);
    }
  }
  if (qc.vote_data.round + 1 > round_) EnterRound(qc.vote_data.round + 1, qc);
}

void Core::Impl::ProcessTC(const TC& tc) {
  // For one round, keep the TC with the lowest reported high-QC round: a Byzantine signer
  // may claim a QC that does not exist, and the next leader must be able to satisfy it.
  const bool better =
      !high_tc_ || high_tc_->round < tc.round ||
      (high_tc_->round == tc.round && tc.MaxHighQcRound() < high_tc_->MaxHighQcRound());
  if (better) {
    high_tc_ = tc;
    high_tc_dirty_ = true;
    if (safety_->ObserveTC(tc)) safety_dirty_ = true;
  }
  if (tc.round + 1 > round_) {
    EnterRound(tc.round + 1, tc);
  } else if (better && tc.round + 1 == round_) {
    if (std::holds_alternative<TC>(round_entry_)) round_entry_ = tc;
    RetryBlockedProposal();
  }
}

void Core::Impl::InsertQCIntoTree(const QC& qc) {
  const Round high_before = tree_.high_qc().vote_data.round;
  auto committed = tree_.InsertQC(qc);
  if (!committed.ok()) {
    // Usually its block is not in the tree (yet). A safety violation (more than f faulty
    // validators) is counted: the driver halts on it.
    if (committed.status().code() == Status::Code::kSafetyViolation) {
      ++counters_.safety_violations;
    }
    return;
  }
  if (!committed->empty()) EmitCommit(std::move(committed).value(), qc);
  if (tree_.high_qc().vote_data.round != high_before) {
    high_qc_dirty_ = true;
    RetryBlockedProposal();
  }
}

void Core::Impl::EmitCommit(std::vector<std::shared_ptr<const Block>> blocks, const QC& proof) {
  HOTBFT_ASSERT(!blocks.empty());
  HOTBFT_ASSERT(blocks.back()->id == tree_.root()->id);
  counters_.blocks_committed += blocks.size();
  root_dirty_ = true;
  for (const auto& block : blocks) uncommitted_commits_.push_back(block->id);
  RecordCommittedEvidence(blocks);
  RecordExecClaims(blocks);
  const Round root_round = tree_.root()->header.round;
  std::erase_if(pending_qcs_,
                [&](const auto& e) { return e.second.vote_data.round <= root_round; });
  // Commits leave with the persisted root, so execution never runs ahead of storage.
  held_.push_back(CommitAction{std::move(blocks), proof});
}

void Core::Impl::HandleVote(uint32_t from, const Vote& vote) {
  (void)from;
  if (vote.data.epoch != config_.epoch) return Drop(DropReason::kWrongEpoch);
  if (vote.voter >= validators_.size()) return Drop(DropReason::kMalformed);
  if (vote.data.round > round_ + config_.rounds_ahead_max) {
    return Drop(DropReason::kFarFutureRound);
  }
  // Stale votes too: a conflicting vote is evidence whatever its round.
  const std::optional<bool> valid = ObserveVote(vote);
  if (valid == false) return Drop(DropReason::kBadSignature);
  if (vote.data.round + 1 < round_) return Drop(DropReason::kStaleRound);
  if (!valid && !VerifyVoteSignature(vote)) return Drop(DropReason::kBadSignature);
  CountVote(vote);
}

void Core::Impl::CountVote(const Vote& vote) {
  // Also reached by votes carried inside timeouts: the same window and epoch apply.
  if (vote.data.epoch != config_.epoch) return Drop(DropReason::kWrongEpoch);
  if (vote.data.round + 1 < round_) return Drop(DropReason::kStaleRound);
  if (vote.data.round > round_ + config_.rounds_ahead_max) {
    return Drop(DropReason::kFarFutureRound);
  }
  std::optional<Vote> conflicting;
  std::optional<QC> qc = votes_.Add(vote, &conflicting);
  if (conflicting) ++counters_.equivocations_seen;  // the detector keeps the evidence
  if (qc) {
    ++counters_.qcs_formed;
    ProcessQC(*qc, vote.voter);
  }
}

void Core::Impl::HandleTimeout(uint32_t from, const Timeout& t) {
  if (t.data.epoch != config_.epoch) return Drop(DropReason::kWrongEpoch);
  if (t.sender >= validators_.size()) return Drop(DropReason::kMalformed);
  if (t.data.round > round_ + config_.rounds_ahead_max && !CatchUpOnFarTimeout(from, t)) {
    return Drop(DropReason::kFarFutureRound);
  }
  // The vote a timeout carries is signed on its own: evidence even if the rest is bad.
  std::optional<bool> vote_valid;
  if (t.vote && t.vote->voter == t.sender && t.vote->data.round == t.data.round &&
      t.vote->data.epoch == config_.epoch) {
    vote_valid = ObserveVote(*t.vote);
    if (vote_valid == false) return Drop(DropReason::kBadSignature);
  }
  if (t.high_qc.vote_data.round != t.data.high_qc_round || t.data.round == 0 ||
      CertRound(t.entry) + 1 != t.data.round || t.high_qc.vote_data.round >= t.data.round) {
    return Drop(DropReason::kMalformed);
  }
  if (t.vote && (t.vote->voter != t.sender || t.vote->data.round != t.data.round ||
                 t.vote->data.epoch != config_.epoch)) {
    return Drop(DropReason::kMalformed);
  }
  const Hash32 digest = t.data.SigningDigest(config_.chain_id);
  if (!verifier_.Verify(validators_.key(t.sender), digest, t.signature)) {
    return Drop(DropReason::kBadSignature);
  }
  if (!VerifyQC(t.high_qc).ok()) return Drop(DropReason::kInvalidQC);
  DropReason reason;
  if (!VerifyCert(t.entry, &reason)) return Drop(reason);
  if (t.vote && !vote_valid && !VerifyVoteSignature(*t.vote)) {
    return Drop(DropReason::kBadSignature);
  }

  // The certificates may move this validator forward; then the vote and the timeout count.
  ProcessQC(t.high_qc, from);
  if (const QC* qc = std::get_if<QC>(&t.entry)) ProcessQC(*qc, from);
  if (const TC* tc = std::get_if<TC>(&t.entry)) ProcessTC(*tc);
  if (t.vote) CountVote(*t.vote);
  if (t.data.round < round_) return;  // too old to matter now
  if (auto tc = timeouts_.Add(t)) {
    ++counters_.tcs_formed;
    ProcessTC(*tc);
  }
  // f + 1 validators timed out the current round: at least one is honest, so join them.
  if (!timed_out_ && timeouts_.Count(round_) >= validators_.f() + 1) LocalTimeout();
}

// ---- Sending ----

void Core::Impl::SendTo(uint32_t to, Message message, bool after_persist) {
  HOTBFT_ASSERT(to < validators_.size());
  if (to == self_) {
    // Only votes go to self (when this validator leads the next round).
    HOTBFT_ASSERT(std::holds_alternative<Vote>(message));
    if (after_persist) {
      held_local_votes_.push_back(std::get<Vote>(message));
    } else {
      CountVote(std::get<Vote>(message));
    }
    return;
  }
  SendAction send{to, std::move(message)};
  if (after_persist) {
    held_.push_back(std::move(send));
  } else {
    out_.push_back(std::move(send));
  }
}

void Core::Impl::Broadcast(Message message, bool after_persist) {
  BroadcastAction b{std::move(message)};
  if (after_persist) {
    held_.push_back(std::move(b));
  } else {
    out_.push_back(std::move(b));
  }
}

void Core::Impl::Drop(DropReason reason) {
  ++counters_.dropped[static_cast<size_t>(reason)];
}

// ---- Core: forwards to Impl ----

// A core that halted during an input sends, persists and commits nothing of it.
std::vector<Action> Core::UnlessHalted(std::vector<Action> actions) const {
  if (!impl_->halted().ok()) return {};
  return actions;
}

Core::Core(CoreConfig config, uint32_t self, const ValidatorSet& validators,
           const Verifier& verifier, const LeaderElection& election,
           std::unique_ptr<SafetyRules> safety_rules, RecoveryState recovery)
    : impl_(std::make_unique<Impl>(std::move(config), self, validators, verifier, election,
                                   std::move(safety_rules), std::move(recovery))) {}
Core::~Core() = default;
std::vector<Action> Core::Start(uint64_t now_ms) {
  if (!impl_->halted().ok()) return {};
  return UnlessHalted(impl_->Start(now_ms));
}
std::vector<Action> Core::OnMessage(uint32_t from, const Message& message, uint64_t now_ms) {
  if (!impl_->halted().ok()) return {};
  return UnlessHalted(impl_->OnMessage(from, message, now_ms));
}
std::vector<Action> Core::OnTick(uint64_t now_ms) {
  if (!impl_->halted().ok()) return {};
  return UnlessHalted(impl_->OnTick(now_ms));
}
std::vector<Action> Core::OnPayloadReady(Round round, std::shared_ptr<const Payload> payload,
                                         uint64_t now_ms) {
  if (!impl_->halted().ok()) return {};
  return UnlessHalted(impl_->OnPayloadReady(round, std::move(payload), now_ms));
}
std::vector<Action> Core::OnPersisted(uint64_t token, uint64_t now_ms) {
  if (!impl_->halted().ok()) return {};
  return UnlessHalted(impl_->OnPersisted(token, now_ms));
}
std::vector<Action> Core::OnTxsAvailable(uint64_t now_ms) {
  if (!impl_->halted().ok()) return {};
  return UnlessHalted(impl_->OnTxsAvailable(now_ms));
}
std::vector<Action> Core::OnExecuted(Height height, Bytes app_hash, uint64_t now_ms) {
  if (!impl_->halted().ok()) return {};
  return UnlessHalted(impl_->OnExecuted(height, std::move(app_hash), now_ms));
}
const Status& Core::halted() const {
  return impl_->halted();
}
Height Core::executed_height() const {
  return impl_->executed_height();
}
Round Core::current_round() const {
  return impl_->current_round();
}
Height Core::committed_height() const {
  return impl_->tree().root()->header.height;
}
const BlockTree& Core::tree() const {
  return impl_->tree();
}
const CoreCounters& Core::counters() const {
  return impl_->counters();
}
const SafetyRules& Core::safety_rules() const {
  return impl_->safety_rules();
}
const std::map<EvidenceKey, Evidence>& Core::evidence() const {
  return impl_->evidence();
}

const CoreConfig& Core::config() const {
  return impl_->config();
}

const std::map<EvidenceKey, Height>& Core::committed_evidence() const {
  return impl_->committed_evidence();
}

std::set<EvidenceKey> Core::EvidenceOnPath(const Hash32& block_id) const {
  return impl_->EvidenceOnPath(block_id);
}

const Status& Core::last_evidence_refusal() const {
  return impl_->last_evidence_refusal();
}
CoreStateSizes Core::state_sizes() const {
  return impl_->state_sizes();
}

}  // namespace hotbft
