// The checkers every simulated run carries: agreement, no double-sign, validity and
// liveness (DESIGN.md, "Invariants"). Each returns a Violation naming what broke, with the
// values that show it; the simulation stops the run at the first one.
//
// The checkers watch honest validators only (those with Byzantine validators to watch
// record what the Byzantine ones do). Not thread-safe; owned by one Simulation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "consensus/core.h"
#include "consensus/messages.h"

namespace hotbft::sim {

struct Violation {
  std::string checker;  // "agreement", "no-double-sign", "validity", "liveness", ...
  std::string message;
};

// The first six hex digits of `id`: how blocks are named in messages and traces.
std::string ShortId(const Hash32& id);

// Agreement: no two validators commit different blocks at one height. Also checks that
// each validator's commits form one chain: heights rise by one and each block's parent is
// the previous commit (the genesis block first).
class AgreementChecker {
 public:
  AgreementChecker(uint32_t validators, const Block& genesis);
  // `validator` committed `block` (called per block, oldest first).
  std::optional<Violation> OnCommit(uint32_t validator, const Block& block);

 private:
  struct Committed {
    Hash32 id;
    uint32_t validator = 0;  // the first to commit it
  };
  struct Tip {
    Hash32 id;
    Height height = 0;
  };
  std::map<Height, Committed> by_height_;
  std::vector<Tip> tips_;
};

// No double-sign: sees every Vote, Proposal and Timeout a validator sends, before the
// network, and those its persisted safety data names (a leader's vote to itself), across
// its restarts. Fires on two votes by one validator in one round with
// different vote data, two proposals in one round with different blocks, or a new vote in
// a round the validator had already timed out. Compares signed content, never signature
// bytes (two signatures of one message differ).
class DoubleSignChecker {
 public:
  explicit DoubleSignChecker(uint32_t validators);
  std::optional<Violation> OnSend(uint32_t sender, const Message& message);

 private:
  struct RoundSigned {
    std::optional<VoteData> vote;
    std::optional<Hash32> proposal;
    bool timed_out = false;
  };
  std::optional<Violation> OnVote(uint32_t sender, const VoteData& data);
  std::optional<Violation> OnProposal(uint32_t sender, const Proposal& proposal);

  std::vector<std::map<Round, RoundSigned>> signed_;
};

// Validity: every committed transaction was submitted by a client, and no block that an
// honest validator proposed repeats a transaction already on its chain (honest proposers
// leave out what is committed or in the ancestors they extend). A Byzantine proposer may
// repeat transactions; that they take no effect twice is the exactly-once checker's job.
class ValidityChecker {
 public:
  // `byzantine[v]` marks the validators whose proposals may repeat transactions; shorter
  // than the set (or empty) means the rest are honest.
  explicit ValidityChecker(uint32_t validators, std::vector<bool> byzantine = {});
  void OnSubmit(const std::string& tx);
  std::optional<Violation> OnCommit(uint32_t validator, const Block& block);

 private:
  std::vector<bool> byzantine_;
  std::unordered_set<std::string> submitted_;
  std::vector<std::unordered_map<std::string, Height>> committed_;  // tx -> height
};

// Evidence: every equivocation by a Byzantine validator that reaches an honest one is
// recorded by it, and no honest validator is ever accused.
//
// "Reaches" mirrors what the core promises (CoreConfig, core.h): two validly signed votes
// (standalone, or carried by a timeout from their voter) or two proposals by one signer for
// one round with different signed content, each arriving while the receiver's round r
// makes its round fall in [r - evidence_rounds_back, r + rounds_ahead_max], within one
// incarnation of the receiver (evidence lives in memory). The checker verifies signatures
// itself, so forged messages never count.
class EvidenceChecker {
 public:
  // `validators` and `verifier` must outlive the checker. `byzantine[v]` marks the
  // validators whose equivocations are tracked.
  EvidenceChecker(const ValidatorSet& validators, const Verifier& verifier, CoreConfig config,
                  std::vector<bool> byzantine, uint32_t instances);

  // Before instance `receiver` (honest, in round `round`, incarnation `incarnation`)
  // processes `message`: the evidence it must hold afterwards, if this message completes
  // an equivocation.
  std::optional<EvidenceKey> OnDeliver(uint32_t receiver, uint32_t incarnation, Round round,
                                       const Message& message);
  // After: `held` is the receiver's evidence (Core::evidence()).
  std::optional<Violation> Check(uint32_t receiver, const EvidenceKey& required,
                                 const std::map<EvidenceKey, Evidence>& held) const;
  // An honest validator's EvidenceAction: it must verify and accuse a Byzantine validator.
  std::optional<Violation> OnEvidence(uint32_t receiver, const Evidence& evidence) const;

 private:
  struct Seen {
    uint32_t incarnation = 0;
    // Signed content (digest) first seen per (round, kind, signer), one epoch.
    std::map<std::tuple<Round, uint8_t, uint32_t>, Hash32> first;
  };
  std::optional<EvidenceKey> Observe(Seen& seen, Round round, EvidenceKey key,
                                     const Hash32& content);

  const ValidatorSet& validators_;
  const Verifier& verifier_;
  const CoreConfig config_;
  const std::vector<bool> byzantine_;
  std::vector<Seen> seen_;  // per receiver instance
};

// Bounded state: whatever Byzantine validators send, an honest core (instance `instance`,
// in round `round` above its committed root's round `root_round`) holds every structure
// within its bound: the tree within two blocks per round since the last commit (one
// proposal voted for and one certified block per round, certified blocks being unique per
// round with at most f faulty validators), collectors and the proposals seen within the
// rounds the core accepts, the equivocation detector within its window, the evidence
// within evidence_max.
std::optional<Violation> CheckStateBounds(uint32_t instance, const CoreStateSizes& sizes,
                                          Round round, Round root_round, const CoreConfig& config,
                                          uint32_t validators);

// App-hash agreement: honest validators report the same app hash at every height.
class AppHashChecker {
 public:
  // `validator` executed `height` to `app_hash`.
  std::optional<Violation> OnExecuted(uint32_t validator, Height height, const Bytes& app_hash);

 private:
  struct First {
    Bytes app_hash;
    uint32_t validator = 0;
  };
  std::map<Height, First> by_height_;
};

// Liveness: from `stable_ms` on (GST, with every restart done and every partition healed),
// each running validator that is not excluded raises its committed height within every
// window of `window_ms`.
class LivenessChecker {
 public:
  LivenessChecker(uint32_t validators, uint64_t stable_ms, uint64_t window_ms);
  // `validator` never counts (it stays crashed for the whole run).
  void Exclude(uint32_t validator);
  void OnCommitHeight(uint32_t validator, Height height, uint64_t now_ms);
  // Checks every validator with running[v] true at `now_ms`.
  std::optional<Violation> Check(uint64_t now_ms, const std::vector<bool>& running) const;

  uint64_t window_ms() const { return window_ms_; }

 private:
  struct Progress {
    Height height = 0;
    uint64_t rose_ms = 0;
    bool excluded = false;
  };
  const uint64_t stable_ms_;
  const uint64_t window_ms_;
  std::vector<Progress> progress_;
};

}  // namespace hotbft::sim
