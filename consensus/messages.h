// The messages the core exchanges with its peers, and the actions it asks its driver to
// carry out. The core never performs I/O: every effect is one of these actions.
#pragma once

#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "consensus/evidence.h"
#include "consensus/safety_rules.h"
#include "consensus/types.h"

namespace hotbft {

// Ask a peer for a block and up to `ancestors` of its ancestors (newest first).
struct BlockRequest {
  Hash32 block_id;
  uint32_t ancestors = 0;
};

// Blocks answering a BlockRequest, newest first: blocks[k + 1] is blocks[k]'s parent.
struct BlockResponse {
  std::vector<std::shared_ptr<const Block>> blocks;
};

using Message = std::variant<Proposal, Vote, Timeout, BlockRequest, BlockResponse>;

// ---- Actions ----

// Send `message` to validator `to`.
struct SendAction {
  uint32_t to = 0;
  Message message;
};

// Send `message` to every other validator.
struct BroadcastAction {
  Message message;
};

// Make this state durable, then call Core::OnPersisted(token). Sends that depend on it
// are held by the core until then: persist, then send. Everything in one action belongs
// in one atomic, synced write batch. PersistActions must become durable in the order they
// were emitted (a later safety-data snapshot must never be overwritten by an earlier one):
// OnPersisted(token) means every earlier PersistAction is durable too.
struct PersistAction {
  uint64_t token = 0;
  std::optional<SafetyData> safety;                  // replaces the stored safety data
  std::vector<std::shared_ptr<const Block>> blocks;  // new blocks in the tree
  std::optional<QC> high_qc;                         // replaces the stored high QC
  std::optional<TC> high_tc;                         // replaces the stored high TC
  // The new committed tip, as the QC certifying it (root = root_qc.vote_data.block_id,
  // a block persisted earlier or in this action).
  std::optional<QC> root_qc;
  // The ids of the blocks this action commits, oldest first, the last one root_qc's block
  // (empty without root_qc): the committed height index the store keeps.
  std::vector<Hash32> committed;
};

// Ask the mempool for a block payload for `round`; answered by Core::OnPayloadReady.
struct RequestPayloadAction {
  Round round = 0;
  uint64_t bytes_max = 0;
  uint32_t txs_max = 0;
};

// Blocks newly committed, oldest first, each extending the previous one (or the previous
// commit). `proof` is the QC whose arrival completed the 3-chain.
struct CommitAction {
  std::vector<std::shared_ptr<const Block>> blocks;
  QC proof;
};

// Call Core::OnTick at or after `at_ms`. A later SetDeadline replaces an earlier one.
struct SetDeadlineAction {
  uint64_t at_ms = 0;
};

// New evidence of equivocation (verified; once per EvidenceKey). Also kept by the core
// (Core::evidence()) within CoreConfig::evidence_max.
struct EvidenceAction {
  Evidence evidence;
};

using Action = std::variant<SendAction, BroadcastAction, PersistAction, RequestPayloadAction,
                            CommitAction, SetDeadlineAction, EvidenceAction>;

}  // namespace hotbft
