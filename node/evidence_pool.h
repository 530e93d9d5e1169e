// EvidencePool: the evidence of equivocation this validator recorded (the core's
// EvidenceActions) and has not yet seen committed, waiting for a block to carry it
// (DESIGN.md: every honest validator hands the app the same misbehaviour).
//
// A leader's payload takes pending pieces first (Reap), leaving out those the chain it
// extends already carries: committed (Core::committed_evidence) or in an uncommitted
// ancestor (Core::EvidenceOnPath). Pieces leave once committed, or once too old for any
// proposal (older than CoreConfig::evidence_age_rounds_max rounds). The core checks again
// what the leader proposes (SelectBlockEvidence), so a piece the pool still offers after
// the chain took it costs nothing but a slot.
//
// Bounded: at most pieces_max pieces; when full, the oldest round goes first.
// Thread-safe: the consensus thread adds, reaps and prunes; any thread may read (RPC).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "consensus/core.h"

namespace hotbft::node {

// A piece waiting for a block.
struct PendingEvidence {
  EvidenceKey key;
  Evidence evidence;
  Bytes canonical;  // EncodeEvidence(evidence)
};

class EvidencePool {
 public:
  enum class Added : uint8_t {
    kAdded,
    kKnown,       // pending already, or committed
    kNotCarried,  // its canonical encoding does not decode back to it (see Add)
  };

  // `validators`: the set's size, which canonical decoding checks bitmaps and indexes
  // against. REQUIRES: pieces_max > 0.
  EvidencePool(size_t pieces_max, uint32_t validators);

  // A verified piece (the core's EvidenceAction). A piece whose canonical encoding does not
  // decode back to it (a certificate inside it not shaped for this validator set: only
  // possible for messages that never crossed the wire) cannot travel in a block, and is
  // refused. `core` tells what was committed.
  Added Add(const Evidence& evidence, const Core& core);

  // Pending pieces for a block extending the core's high QC in its current round, oldest
  // rounds first: at most count_max pieces and bytes_max canonical bytes together, none
  // committed or on the path. Prunes first (see Prune).
  std::vector<Bytes> Reap(const Core& core, size_t count_max, uint64_t bytes_max);

  // Drops pieces the core saw committed, or too old for a proposal of its current round.
  void Prune(const Core& core);

  std::vector<PendingEvidence> Pending() const;  // oldest rounds first
  size_t size() const;

 private:
  void PruneLocked(const Core& core);  // REQUIRES: mutex_ held

  const size_t pieces_max_;
  const uint32_t validators_;
  mutable std::mutex mutex_;
  // By round first, so the oldest come first.
  std::map<std::tuple<Round, uint32_t, EvidenceKind, Epoch>, PendingEvidence> pending_;
};

}  // namespace hotbft::node
