// Core::Impl, shared by the core_*.cc files. Private to consensus/.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include "consensus/core.h"

namespace hotbft {

class Core::Impl {
 public:
  Impl(CoreConfig config, uint32_t self, const ValidatorSet& validators, const Verifier& verifier,
       const LeaderElection& election, std::unique_ptr<SafetyRules> safety_rules,
       RecoveryState recovery);

  // Inputs (see core.h). Each runs a handler, then Finish() collects the actions.
  std::vector<Action> Start(uint64_t now_ms);
  std::vector<Action> OnMessage(uint32_t from, const Message& message, uint64_t now_ms);
  std::vector<Action> OnTick(uint64_t now_ms);
  std::vector<Action> OnPayloadReady(Round round, std::shared_ptr<const Payload> payload,
                                     uint64_t now_ms);
  std::vector<Action> OnPersisted(uint64_t token, uint64_t now_ms);
  std::vector<Action> OnTxsAvailable(uint64_t now_ms);
  std::vector<Action> OnExecuted(Height height, Bytes app_hash, uint64_t now_ms);
  const Status& halted() const { return halted_; }
  Height executed_height() const { return executed_height_; }

  const CoreConfig& config() const { return config_; }
  Round current_round() const { return round_; }
  const BlockTree& tree() const { return tree_; }
  const CoreCounters& counters() const { return counters_; }
  const SafetyRules& safety_rules() const { return *safety_; }
  const std::map<EvidenceKey, Evidence>& evidence() const { return evidence_; }
  const std::map<EvidenceKey, Height>& committed_evidence() const { return committed_evidence_; }
  std::set<EvidenceKey> EvidenceOnPath(const Hash32& block_id) const;
  const Status& last_evidence_refusal() const { return last_evidence_refusal_; }
  CoreStateSizes state_sizes() const;

 private:
  // Bounds on state kept for block fetching: fetched blocks wait for the oldest to connect
  // (a validator far behind walks back from the tip), by count and by BlockResponseBytes;
  // at most kConnectBlocksMax enter the tree per input, so a PersistAction stays well
  // below the store's 10,000 blocks per batch.
  static constexpr size_t kFetchedBlocksMax = 16'384;
  static constexpr uint64_t kFetchedBytesMax = uint64_t{256} << 20;
  static constexpr size_t kConnectBlocksMax = 2'048;
  static_assert(kConnectBlocksMax <= kFetchedBlocksMax);
  static constexpr size_t kMissingBlocksMax = 64;
  static constexpr size_t kPendingQCsMax = 64;
  static constexpr size_t kVerifiedCacheMax = 1'024;
  // Requests per missing block (each to the next peer) before giving up on it.
  static constexpr uint32_t kFetchAttemptsMax = 8;
  // App hashes of the latest executed heights kept, and committed claims about heights
  // not executed yet.
  static constexpr size_t kAppHashesKept = 1'024;
  static constexpr size_t kExecClaimsMax = 10'000;
  // Ancestors walked to find the 3-chain a block's own ancestry proves committed.
  static constexpr size_t kCommitProofDepthMax = 256;

  struct Missing {
    uint64_t last_request_ms = 0;
    uint32_t attempts = 0;
    uint32_t peer = 0;
    uint32_t ancestors = 0;  // asked for with it
  };

  // ---- core.cc: rounds, pacemaker, votes, timeouts ----
  void Begin(uint64_t now_ms);
  std::vector<Action> Finish();
  void EnterRound(Round round, std::variant<QC, TC> entry);
  uint64_t RoundDurationMs(Round round) const;
  void LocalTimeout();
  void ResumeSignedRound();
  void ProcessQC(const QC& qc, uint32_t from);
  void ProcessTC(const TC& tc);
  void HandleVote(uint32_t from, const Vote& vote);
  void HandleTimeout(uint32_t from, const Timeout& timeout);
  void CountVote(const Vote& vote);
  void InsertQCIntoTree(const QC& qc);
  void EmitCommit(std::vector<std::shared_ptr<const Block>> blocks, const QC& proof);
  void Drop(DropReason reason);
  // Equivocation detection (core_verify.cc). Each returns nullopt if it did not verify the
  // signature, else whether it is valid.
  std::optional<bool> ObserveVote(const Vote& vote);
  std::optional<bool> ObserveProposal(const Proposal& proposal, const Hash32& id);
  void RecordEvidence(Evidence evidence);
  // Evidence in blocks (core_evidence.cc).
  BlockEvidenceRules EvidenceRules() const;
  Status CheckEvidenceOf(const Block& block);
  std::shared_ptr<const Payload> SelectEvidence(std::shared_ptr<const Payload> payload,
                                                const Block& parent, Round round) const;
  void RecordCommittedEvidence(const std::vector<std::shared_ptr<const Block>>& blocks);
  void PruneCommittedEvidence(Round round);
  void SendTo(uint32_t to, Message message, bool after_persist);
  void Broadcast(Message message, bool after_persist);
  uint64_t NextDeadlineMs() const;

  // ---- core_proposal.cc: proposing and voting ----
  void MaybeRequestPayload();
  void RetryBlockedProposal();
  void Propose(std::shared_ptr<const Payload> payload);
  void HandleProposal(uint32_t from, const Proposal& proposal);
  Status CheckProposalShape(const Proposal& proposal, const Block& parent) const;
  void VoteFor(const std::shared_ptr<const Block>& block);

  // ---- core_exec.cc: execution results in headers ----
  enum class ExecCheck : uint8_t { kOk, kWait, kMismatch };
  // The (exec_height, app_hash) a proposal on `parent` carries.
  std::pair<Height, Bytes> ExecFieldsFor(const Block& parent) const;
  Height CommittedByAncestry(const Block& parent) const;
  Status CheckExecShape(const BlockHeader& h, const Block& parent) const;
  ExecCheck CheckExecution(const BlockHeader& h) const;
  void RecordExecClaims(const std::vector<std::shared_ptr<const Block>>& committed);
  void CheckClaim(Height height, const Bytes& app_hash);
  void Halt(Status status);

  // ---- core_sync.cc: fetching missing blocks ----
  void RequestBlock(const Hash32& id, uint32_t peer);
  std::optional<Height> HeightHint(const Hash32& id) const;
  uint32_t AncestorsToAsk(std::optional<Height> height) const;
  void RetryMissing();
  void HandleBlockRequest(uint32_t from, const BlockRequest& request);
  bool CatchUpOnFarProposal(uint32_t from, const Proposal& proposal);
  bool CatchUpOnFarTimeout(uint32_t from, const Timeout& timeout);
  void HandleBlockResponse(uint32_t from, const BlockResponse& response);
  void AddFetched(const std::shared_ptr<const Block>& block);
  void EraseFetched(const Hash32& id);
  void ConnectFetched(uint32_t peer);
  void OnBlockInserted(const std::shared_ptr<const Block>& block);

  // ---- core_verify.cc: checks of untrusted input ----
  Status VerifyQC(const QC& qc);
  Status VerifyTC(const TC& tc);
  bool VerifyVoteSignature(const Vote& vote) const;
  bool VerifyCert(const std::variant<QC, TC>& cert, DropReason* reason);
  void Remember(const Hash32& verified_key);
  static Round CertRound(const std::variant<QC, TC>& cert);

  const CoreConfig config_;
  const uint32_t self_;
  const ValidatorSet& validators_;
  const Verifier& verifier_;
  const LeaderElection& election_;
  std::unique_ptr<SafetyRules> safety_;
  const QC genesis_qc_;

  BlockTree tree_;
  VoteCollector votes_;
  TimeoutCollector timeouts_;
  CoreCounters counters_;
  EquivocationDetector detector_;
  std::map<EvidenceKey, Evidence> evidence_;
  // Committed evidence of rounds >= round_ - evidence_age_rounds_max (older pieces cannot
  // be in a valid proposal any more): at most two kinds per validator and round of
  // [round_ - evidence_age_rounds_max, round_ + rounds_ahead_max].
  std::map<EvidenceKey, Height> committed_evidence_;
  Status last_evidence_refusal_;

  // Commits decided before a restart but not yet durable; emitted by Start().
  std::vector<std::shared_ptr<const Block>> recovered_commits_;
  std::optional<QC> recovered_commit_proof_;

  // Pacemaker.
  Round round_ = 0;
  std::variant<QC, TC> round_entry_;
  uint64_t round_start_ms_ = 0;
  uint64_t round_deadline_ms_ = 0;
  bool timed_out_ = false;
  std::optional<TC> high_tc_;
  // By peer: the round this validator was in when it last checked a far timeout from that
  // peer (CatchUpOnFarTimeout), one check per peer per round. kNoRound: never.
  static constexpr Round kNoRound = ~Round{0};
  std::vector<Round> far_timeout_checked_;

  // Proposer.
  Round payload_requested_round_ = 0;
  bool waiting_for_txs_ = false;
  bool propose_blocked_ = false;
  std::map<Round, Hash32> proposals_seen_;  // the first proposal seen per recent round

  // Fetching.
  std::map<Hash32, Missing> missing_;
  std::map<Hash32, std::shared_ptr<const Block>> fetched_;  // authenticated, not yet connected
  uint64_t fetched_bytes_ = 0;                              // their BlockResponseBytes
  std::map<Hash32, Height> fetched_child_heights_;  // parent id -> height of a fetched child
  // The lowest fetched block dropped on overflow (height, trusted id): fetched again once
  // the blocks kept have connected.
  std::optional<std::pair<Height, Hash32>> resume_;
  bool connect_capped_ = false;  // blocks that connect were left for a later input
  std::map<Hash32, std::vector<std::pair<uint32_t, Proposal>>> pending_proposals_;
  std::map<Hash32, QC> pending_qcs_;  // verified QCs whose block is missing

  // Verified certificates (hash of the canonical encoding), FIFO-bounded.
  std::unordered_set<Hash32, Hash32Hasher> verified_;
  std::deque<Hash32> verified_order_;

  // Execution.
  Height executed_height_ = 0;
  std::map<Height, Bytes> app_hashes_;   // the latest kAppHashesKept executed heights
  std::map<Height, Bytes> exec_claims_;  // what committed headers say of heights not executed
  std::vector<std::pair<uint32_t, Proposal>> waiting_execution_;
  Status halted_;

  // Persist, then send.
  uint64_t now_ms_ = 0;
  uint64_t next_token_ = 1;
  bool safety_dirty_ = false;
  bool high_qc_dirty_ = false;
  bool high_tc_dirty_ = false;
  bool root_dirty_ = false;
  std::vector<Hash32> uncommitted_commits_;  // committed since the last PersistAction
  std::vector<std::shared_ptr<const Block>> unpersisted_blocks_;
  std::vector<Action> held_;  // released by OnPersisted of this input's token
  std::vector<Vote> held_local_votes_;
  std::vector<Timeout> held_local_timeouts_;
  struct Held {
    std::vector<Action> actions;
    std::vector<Vote> local_votes;
    std::vector<Timeout> local_timeouts;
  };
  std::map<uint64_t, Held> waiting_persist_;
  std::vector<Action> out_;
  uint64_t last_deadline_sent_ms_ = 0;
};

}  // namespace hotbft
