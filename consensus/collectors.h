// Vote and timeout collection: 2f+1 matching votes make a QC, 2f+1 timeouts for one round
// make a TC. Messages reach the collectors verified; the collectors only count.
//
// A QC forms from votes wherever they arrived: sent directly to the next leader, or
// carried inside a Timeout. Not thread-safe: owned by the consensus thread.
#pragma once

#include <map>
#include <optional>

#include "consensus/types.h"
#include "crypto/quorum_cert.h"

namespace hotbft {

class VoteCollector {
 public:
  // `validators` and `verifier` must outlive the collector; `chain_id` is for digests.
  VoteCollector(const ValidatorSet& validators, const Verifier& verifier, std::string chain_id);

  // Adds a vote whose signature the caller verified. Returns the QC the first time its
  // vote data reaches a quorum, nullopt otherwise (also for a repeated vote). A second,
  // different vote by the same voter in one round is ignored here and returned through
  // `conflicting` (evidence of equivocation) when non-null; each call resets *conflicting.
  // REQUIRES: vote.voter < validators.size(); every vote added is of one epoch.
  std::optional<QC> Add(const Vote& vote, std::optional<Vote>* conflicting = nullptr);

  // Forgets rounds below `round`.
  void PruneBelow(Round round);

  size_t rounds() const { return rounds_.size(); }

 private:
  struct RoundVotes {
    std::map<uint32_t, Vote> by_voter;
    std::map<Hash32, QuorumCertBuilder> by_digest;
    bool qc_formed = false;  // a check: at most one QC per round (collectors.cc)
  };

  const ValidatorSet& validators_;
  const Verifier& verifier_;
  std::string chain_id_;
  std::map<Round, RoundVotes> rounds_;
};

class TimeoutCollector {
 public:
  explicit TimeoutCollector(const ValidatorSet& validators);

  // Adds a timeout whose signature the caller verified. Returns the TC the first time its
  // round reaches a quorum of distinct senders, nullopt otherwise.
  // REQUIRES: timeout.sender < validators.size(); every timeout added is of one epoch.
  std::optional<TC> Add(const Timeout& timeout);

  // Distinct senders that timed out `round`.
  uint32_t Count(Round round) const;

  // Forgets rounds below `round`.
  void PruneBelow(Round round);

  size_t rounds() const { return rounds_.size(); }

 private:
  struct RoundTimeouts {
    std::map<uint32_t, std::pair<Round, Signature>> by_sender;  // high_qc_round, signature
    bool tc_formed = false;
  };

  const ValidatorSet& validators_;
  std::map<Round, RoundTimeouts> rounds_;
};

}  // namespace hotbft
