// SafetyRules: the only holder of a validator's signing key, and the rules that keep an
// honest validator from ever signing two conflicting messages.
//
// Every signing call checks its rule against the safety data, updates the safety data
// and returns the signed message. The caller (the core) must make data() durable before
// the message leaves the process: persist, then send. A message signed before a crash
// is stored in the safety data and returned again as stored, never signed again.
//
// The rules, written as the conditions enforced below (DESIGN.md, "Protocol"):
//   vote     for block B of round r with justify QC qc:
//              r > last_voted_round  and  qc.round >= preferred_round;
//            then last_voted_round = r, preferred_round = max(preferred_round,
//            qc.parent_round) (the round of the block qc's block extends).
//   timeout  for round r: r >= last_voted_round; then last_voted_round = r, so no vote
//            in round r can follow the timeout.
//   propose  for round r: r > last_proposed_round; then last_proposed_round = r.
//
// Not thread-safe: owned by the consensus thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "consensus/types.h"

namespace hotbft {

struct SafetyData {
  Epoch epoch = 0;
  Round last_voted_round = 0;
  Round last_proposed_round = 0;
  Round preferred_round = 0;
  Round highest_qc_round = 0;
  std::optional<Vote> last_vote;          // the last vote signed, as signed
  std::optional<Timeout> last_timeout;    // the last timeout signed, as signed
  std::optional<Proposal> last_proposal;  // the last proposal signed, as signed
  std::optional<TC> highest_tc;
};

// A signed message and whether it is new (the safety data changed and must be persisted
// before sending) or a re-send of what was signed before (nothing to persist).
template <typename T>
struct Signed {
  T message;
  bool fresh = false;
};

// TEST ONLY. Switches off the lock (the preferred-round condition of the vote rule), which
// breaks safety. It exists so tests can show the safety checkers catching a real fork;
// nodes never set it.
struct SafetyRulesOptions {
  bool test_only_unsafe_no_lock = false;
};

class SafetyRules {
 public:
  // `signer` signs as validator `self` of chain `chain_id`. `stored` is the safety data
  // this validator last persisted, or nullopt when none exists: then every signing call
  // fails until InitializeFresh() (an operator's explicit act: a key with lost safety
  // data may already have signed in the rounds ahead).
  SafetyRules(std::unique_ptr<Signer> signer, uint32_t self, std::string chain_id,
              std::optional<SafetyData> stored, SafetyRulesOptions options = {});

  // Starts from empty safety data for `epoch`. For a new validator or an operator who
  // knows the key never signed. REQUIRES: !initialized().
  void InitializeFresh(Epoch epoch);

  bool initialized() const { return data_.has_value(); }
  // REQUIRES: initialized().
  const SafetyData& data() const;
  const PublicKey& public_key() const { return signer_->public_key(); }
  uint32_t self() const { return self_; }

  // Votes for `block`. The caller has checked that the block is well-formed and its QC
  // valid; these are the safety conditions on top.
  Result<Signed<Vote>> SignVote(const Block& block);

  // Signs a proposal of `block` (proposed by this validator), with TC(round - 1) when the
  // previous round timed out.
  Result<Signed<Proposal>> SignProposal(std::shared_ptr<const Block> block, std::optional<TC> tc);

  // Times out `round`, carrying `high_qc`, the certificate that entered the round, and
  // this validator's vote in the round if it cast one.
  Result<Signed<Timeout>> SignTimeout(Round round, const QC& high_qc, std::variant<QC, TC> entry);

  // Records certificates seen (no signing): highest_qc_round and highest_tc.
  // Returns true if the safety data changed (and should be persisted with the round).
  bool ObserveQC(const QC& qc);
  bool ObserveTC(const TC& tc);

 private:
  Status CheckCanSign(Epoch epoch) const;

  std::unique_ptr<Signer> signer_;
  const uint32_t self_;
  const std::string chain_id_;
  const SafetyRulesOptions options_;
  std::optional<SafetyData> data_;
};

}  // namespace hotbft
