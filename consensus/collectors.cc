#include "consensus/collectors.h"

#include <utility>

namespace hotbft {

// ---- VoteCollector ----
//
// Which QC is returned once: the flag is per digest, not per round. A digest's builder
// gains one signer per counted vote, so its count passes quorum() exactly once; that
// transition is the moment the QC is returned, and later votes for the digest (count above
// quorum) return nullopt. A per-round flag would give the same answers only because of an
// invariant, so it is kept as a check instead (RoundVotes::qc_formed): each voter counts
// for at most one digest per round, and 2 * quorum() > n, so two digests of one round can
// never both reach a quorum, however many validators are Byzantine.

VoteCollector::VoteCollector(const ValidatorSet& validators, const Verifier& verifier,
                             std::string chain_id)
    : validators_(validators), verifier_(verifier), chain_id_(std::move(chain_id)) {
  HOTBFT_ASSERT(validators_.size() > 0);
  HOTBFT_ASSERT(2 * validators_.quorum() > validators_.size());
}

std::optional<QC> VoteCollector::Add(const Vote& vote, std::optional<Vote>* conflicting) {
  HOTBFT_ASSERT(vote.voter < validators_.size());
  if (conflicting != nullptr) conflicting->reset();

  RoundVotes& round = rounds_[vote.data.round];
  HOTBFT_ASSERT(round.by_voter.size() <= validators_.size());
  // All votes are of one epoch (the caller drops others), so a second vote data by one
  // voter in one round is equivocation, not a vote from another epoch.
  HOTBFT_ASSERT(round.by_voter.empty() ||
                round.by_voter.begin()->second.data.epoch == vote.data.epoch);

  auto [recorded, inserted] = round.by_voter.try_emplace(vote.voter, vote);
  if (!inserted) {
    // Signed content decides, never signature bytes: two signatures of one vote differ
    // under random aux_rand.
    if (recorded->second.data != vote.data && conflicting != nullptr) {
      *conflicting = recorded->second;
    }
    return std::nullopt;
  }

  const Hash32 digest = vote.data.SigningDigest(chain_id_);
  auto builder = round.by_digest.try_emplace(digest, validators_, verifier_, digest).first;
  const Status added = builder->second.AddVerified(vote.voter, vote.signature);
  // by_voter admits each voter once per round, so the builder never sees a duplicate.
  HOTBFT_ASSERT_MSG(added.ok(), added.message().c_str());
  if (builder->second.count() != validators_.quorum()) return std::nullopt;

  HOTBFT_ASSERT(!round.qc_formed);
  round.qc_formed = true;
  Result<QuorumCert> cert = builder->second.Build();
  HOTBFT_ASSERT(cert.ok());
  HOTBFT_ASSERT(cert->digest == digest);
  HOTBFT_ASSERT(cert->signatures.size() == validators_.quorum());
  return QC{vote.data, std::move(cert->signers), std::move(cert->signatures)};
}

void VoteCollector::PruneBelow(Round round) {
  rounds_.erase(rounds_.begin(), rounds_.lower_bound(round));
  HOTBFT_ASSERT(rounds_.empty() || rounds_.begin()->first >= round);
}

// ---- TimeoutCollector ----

TimeoutCollector::TimeoutCollector(const ValidatorSet& validators) : validators_(validators) {
  HOTBFT_ASSERT(validators_.size() > 0);
}

std::optional<TC> TimeoutCollector::Add(const Timeout& timeout) {
  HOTBFT_ASSERT(timeout.sender < validators_.size());
  RoundTimeouts& round = rounds_[timeout.data.round];
  const bool inserted =
      round.by_sender.try_emplace(timeout.sender, timeout.data.high_qc_round, timeout.signature)
          .second;
  HOTBFT_ASSERT(round.by_sender.size() <= validators_.size());
  // A sender's first timeout of a round counts; a repeat or a different one does not.
  if (!inserted) return std::nullopt;
  // One sender per call, so the count passes quorum() exactly once.
  if (round.by_sender.size() != validators_.quorum()) return std::nullopt;

  HOTBFT_ASSERT(!round.tc_formed);
  round.tc_formed = true;
  TC tc;
  tc.epoch = timeout.data.epoch;
  tc.round = timeout.data.round;
  tc.signers = SignerBitmap(validators_.size());
  // std::map iterates senders in ascending order: the order a TC lists them in.
  for (const auto& [sender, entry] : round.by_sender) {
    tc.signers.Set(sender);
    tc.high_qc_rounds.push_back(entry.first);
    tc.signatures.push_back(entry.second);
  }
  HOTBFT_ASSERT(tc.signers.Count() == validators_.quorum());
  HOTBFT_ASSERT(tc.high_qc_rounds.size() == tc.signatures.size());
  return tc;
}

uint32_t TimeoutCollector::Count(Round round) const {
  auto it = rounds_.find(round);
  if (it == rounds_.end()) return 0;
  HOTBFT_ASSERT(it->second.by_sender.size() <= validators_.size());
  return static_cast<uint32_t>(it->second.by_sender.size());
}

void TimeoutCollector::PruneBelow(Round round) {
  rounds_.erase(rounds_.begin(), rounds_.lower_bound(round));
  HOTBFT_ASSERT(rounds_.empty() || rounds_.begin()->first >= round);
}

}  // namespace hotbft
