// Core: chained HotStuff (3-chain, LibraBFT/DiemBFT v3 style) with a timeout-certificate
// pacemaker, as a pure, deterministic state machine.
//
// Inputs are the On* calls; each returns the actions the driver must carry out, in
// order. No I/O, clock or randomness inside: time arrives as `now_ms` with every input,
// signing randomness lives in the SafetyRules' signer. The same core runs in the node,
// the simulator and unit tests.
//
// Ordering contract (persist, then send): a PersistAction is emitted before any
// message that depends on it, and such messages are held by the core until
// OnPersisted(token) returns them. The driver may carry out everything else at once.
// A batch holds at most one PersistAction, always first; storage must make them durable
// in the order they were emitted (see PersistAction).
//
// Every message is checked before use (structure, signer, signatures, certificates,
// the protocol's well-formedness rules); a rejected one is dropped and counted by reason
// in counters(). Not thread-safe: one consensus thread owns a Core.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consensus/block_tree.h"
#include "consensus/collectors.h"
#include "consensus/leader_election.h"
#include "consensus/messages.h"
#include "consensus/safety_rules.h"

namespace hotbft {

// Upper bound on CoreConfig's round windows (rounds_ahead_max, evidence_rounds_back): state
// kept per round of a window must stay small.
inline constexpr uint64_t kRoundsWindowMax = 10'000;

struct CoreConfig {
  std::string chain_id;
  Epoch epoch = 0;
  // What the genesis block commits to (MakeGenesisBlock): the hash of the genesis document
  // and the genesis time. The only valid round-0 QC is the genesis block's.
  Hash32 genesis_commitment;
  uint64_t genesis_time_ms = 0;
  // Round deadline: base * factor ^ min(exponent_max, max(0, r - committed_round - 3)).
  uint64_t round_timeout_base_ms = 1000;
  double round_timeout_factor = 1.2;
  uint32_t round_timeout_exponent_max = 6;
  // Empty blocks. A leader always proposes at once while uncommitted blocks with
  // transactions wait for the 3-chain that commits them, with an empty payload if need be.
  // When nothing waits to commit and its mempool is empty, it waits for transactions
  // (OnTxsAvailable): with idle_empty_blocks false (the default), for as long as the round
  // lasts, so an idle chain makes no blocks (its rounds time out instead, at the longest
  // round deadline once idle); with true, for at most empty_block_interval_ms, then it
  // proposes an empty block (heights and timestamps keep moving, like CometBFT's
  // create_empty_blocks). The interval must be below the base timeout.
  bool idle_empty_blocks = false;
  uint64_t empty_block_interval_ms = 500;
  // A proposal's timestamp may be at most this far ahead of the receiver's clock.
  uint64_t clock_drift_ms_max = 500;
  uint64_t payload_bytes_max = 4 << 20;
  uint32_t payload_txs_max = 10'000;
  // Ancestors asked for per block fetch, and served per request: at most the network's
  // kSyncAncestorsMax (1,024). A request asks only for the heights this validator lacks,
  // and responses are cut by bytes, so the default is the most a catch-up can use.
  uint32_t sync_ancestors_max = 1'024;
  // A BlockResponse is cut to at most this many encoded bytes (BlockResponseBytes), always
  // keeping its first block: the p2p frame limit (16 MiB) with margin, since one block may
  // carry up to payload_bytes_max. Applies to responses from the tree and from the store.
  uint64_t sync_response_bytes_max = 8 << 20;
  // Votes and timeouts for rounds further ahead than this are dropped (certificates,
  // which are verified, may move a validator any distance).
  Round rounds_ahead_max = 100;
  // Proposals waiting for a missing ancestor.
  size_t pending_proposals_max = 16;
  // Equivocation is detected among votes and proposals of rounds from current -
  // evidence_rounds_back to current + rounds_ahead_max; evidence_max pieces are kept
  // (the oldest rounds go first). 1 <= evidence_rounds_back <= kRoundsWindowMax.
  Round evidence_rounds_back = 100;
  size_t evidence_max = 1'024;
  // Evidence in blocks (BlockEvidenceRules): pieces and canonical bytes per block (the
  // bytes count towards payload_bytes_max too), and how many rounds a piece stays
  // acceptable: a piece of round k fits a block of round r iff r - evidence_age_rounds_max
  // <= k <= r + rounds_ahead_max. Chain parameters: validators that disagree on them
  // disagree on which blocks are valid. evidence_per_block_max <= kBlockEvidenceMax and
  // 1 <= evidence_age_rounds_max <= kRoundsWindowMax.
  uint32_t evidence_per_block_max = 32;
  uint64_t evidence_bytes_per_block_max = 1 << 20;
  Round evidence_age_rounds_max = 1'000;

  // TEST ONLY. Skips the check that a proposal after a TC extends a QC at least as high as
  // the TC's highest reported QC, on both the proposing and the voting side. Breaks
  // safety (with SafetyRulesOptions::test_only_unsafe_no_lock); exists so tests can show
  // the checkers catching a fork. Nodes never set it.
  bool test_only_unsafe_skip_tc_check = false;

  // The longest round deadline: base * factor ^ exponent_max.
  uint64_t RoundTimeoutMaxMs() const;
};

// What a validator recovers from storage on restart.
struct RecoveryState {
  std::optional<SafetyData> safety;   // nullopt: SafetyRules refuses to sign (see there)
  std::shared_ptr<const Block> root;  // the committed tip (genesis on a new chain)
  QC root_qc;                         // certifies `root`
  std::vector<std::shared_ptr<const Block>> blocks;  // uncommitted blocks, any order
  std::optional<QC> high_qc;
  std::optional<TC> high_tc;
  // Execution: the highest height the application made durable, and the app hashes of
  // recent executed heights (at least the one at executed_height; height 0 has the empty
  // hash). Blocks committed above executed_height are executed again by the driver.
  Height executed_height = 0;
  std::vector<std::pair<Height, Bytes>> app_hashes;
  // The committed evidence (key, height of the block that carried it) of rounds from the
  // root's round - evidence_age_rounds_max on; older pieces are ignored. A proposal's
  // evidence is checked against it (never proposed or accepted twice).
  std::vector<std::pair<EvidenceKey, Height>> committed_evidence;
};

// Why a message was dropped.
enum class DropReason : uint8_t {
  kWrongEpoch,
  kBadSignature,
  kInvalidQC,
  kInvalidTC,
  kMalformed,  // breaks a well-formedness rule (heights, rounds, parents, payload)
  kWrongLeader,
  kStaleRound,      // for a round already passed (harmless; counted for insight)
  kFarFutureRound,  // beyond rounds_ahead_max
  kUnsafe,          // SafetyRules refused to vote
  kBadTimestamp,
  kUnknownBlock,  // a sync response block nobody asked for, or unverifiable
  kTooManyPending,
  kBadAppHash,       // execution fields that disagree with this validator's own execution
  kInvalidEvidence,  // a proposal whose evidence breaks BlockEvidenceRules: no vote
  kCount,
};
std::string_view DropReasonName(DropReason reason);

struct CoreCounters {
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> dropped{};
  uint64_t proposals_sent = 0;
  uint64_t votes_sent = 0;
  uint64_t timeouts_sent = 0;
  uint64_t qcs_formed = 0;
  uint64_t tcs_formed = 0;
  uint64_t blocks_committed = 0;
  uint64_t block_requests_sent = 0;
  uint64_t equivocations_seen = 0;  // conflicting messages from one signer, counted each
  uint64_t evidence_recorded = 0;   // new pieces of evidence (one per EvidenceKey)
  uint64_t evidence_committed = 0;  // pieces in blocks committed (one per EvidenceKey)
  // Certified blocks on two branches, one of them about to commit: more than f validators
  // are faulty. The core commits neither; a node halts with an error.
  uint64_t safety_violations = 0;
  uint64_t proposals_waiting_execution = 0;  // held until execution reached exec_height
};

// How much state a core holds, for checking its bounds (tests, metrics).
struct CoreStateSizes {
  size_t tree_blocks = 0;
  size_t vote_rounds = 0;
  size_t timeout_rounds = 0;
  size_t pending_proposals = 0;
  size_t pending_qcs = 0;
  size_t missing_blocks = 0;
  size_t fetched_blocks = 0;
  size_t proposals_seen = 0;
  size_t detector_records = 0;
  size_t evidence = 0;
  size_t committed_evidence = 0;
  size_t waiting_persist = 0;
  size_t app_hashes = 0;
  size_t exec_claims = 0;
  size_t waiting_execution = 0;
};

// Block sync, shared by the core (serving from its tree) and the node (from its store).
//
// An upper bound on `block`'s encoded size as one entry of a BlockResponse on the wire
// (the network's BlockSyncResponse): the header's exact protobuf size plus the payload's
// with every length prefix counted at its widest.
uint64_t BlockResponseBytes(const Block& block);
// The answer to `request`: its block and then parents, newest first, as `get` finds them
// (nullptr: unknown), at most min(request.ancestors, ancestors_max) ancestors, and cut
// before the total BlockResponseBytes would pass `bytes_max`; the first block is always
// kept, so a response makes progress whatever the cap. Empty if `get` lacks the block.
// `get` may be called once per block returned, plus once.
template <typename GetBlock>
std::vector<std::shared_ptr<const Block>> CollectBlockResponse(const BlockRequest& request,
                                                               uint32_t ancestors_max,
                                                               uint64_t bytes_max, GetBlock get) {
  std::vector<std::shared_ptr<const Block>> blocks;
  const uint64_t count = uint64_t{std::min(request.ancestors, ancestors_max)} + 1;
  uint64_t bytes = 0;
  Hash32 next = request.block_id;
  while (blocks.size() < count) {
    std::shared_ptr<const Block> block = get(next);
    if (!block || !block->payload) break;
    const uint64_t size = BlockResponseBytes(*block);
    if (!blocks.empty() && bytes + size > bytes_max) break;
    bytes += size;
    next = block->header.parent_id;
    const bool genesis = block->header.height == 0;
    blocks.push_back(std::move(block));
    if (genesis) break;
  }
  return blocks;
}

class Core {
 public:
  // `self` is this validator's index; `validators`, `verifier` and `election` must outlive
  // the core. REQUIRES: recovery.root and recovery.root_qc agree.
  Core(CoreConfig config, uint32_t self, const ValidatorSet& validators, const Verifier& verifier,
       const LeaderElection& election, std::unique_ptr<SafetyRules> safety_rules,
       RecoveryState recovery);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Enters the first round (after recovery: max(high QC, high TC round) + 1).
  std::vector<Action> Start(uint64_t now_ms);
  std::vector<Action> OnMessage(uint32_t from, const Message& message, uint64_t now_ms);
  std::vector<Action> OnTick(uint64_t now_ms);
  // The mempool's answer to RequestPayloadAction for `round`.
  std::vector<Action> OnPayloadReady(Round round, std::shared_ptr<const Payload> payload,
                                     uint64_t now_ms);
  // Storage made PersistAction `token` durable.
  std::vector<Action> OnPersisted(uint64_t token, uint64_t now_ms);
  // The mempool went from empty to non-empty.
  std::vector<Action> OnTxsAvailable(uint64_t now_ms);
  // The application executed the committed blocks up to `height` and made the state
  // durable; `app_hash` is its hash. Heights arrive in order, each at most once.
  std::vector<Action> OnExecuted(Height height, Bytes app_hash, uint64_t now_ms);

  // Not OK once this validator's own execution disagreed with what the chain committed
  // (the error names both hashes). A halted core ignores every input and signs nothing:
  // the driver stops the node.
  const Status& halted() const;
  Height executed_height() const;

  const CoreConfig& config() const;
  Round current_round() const;
  Height committed_height() const;
  const BlockTree& tree() const;
  const CoreCounters& counters() const;
  const SafetyRules& safety_rules() const;
  // Evidence of equivocation recorded so far (at most config.evidence_max pieces).
  const std::map<EvidenceKey, Evidence>& evidence() const;
  // Evidence committed in the window a proposal's evidence is checked against (see
  // RecoveryState::committed_evidence): key -> height of the block that carried it.
  const std::map<EvidenceKey, Height>& committed_evidence() const;
  // The keys of the evidence in the uncommitted blocks from `block_id` back to the
  // committed root (excluded): what a block extending `block_id` must not carry again.
  std::set<EvidenceKey> EvidenceOnPath(const Hash32& block_id) const;
  // Why the last proposal dropped as kInvalidEvidence was refused (OK if none was).
  const Status& last_evidence_refusal() const;
  CoreStateSizes state_sizes() const;

 private:
  std::vector<Action> UnlessHalted(std::vector<Action> actions) const;

  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotbft
