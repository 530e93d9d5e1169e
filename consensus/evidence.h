// Evidence of equivocation: two conflicting messages signed by one validator, and the
// detector that finds them among the messages a validator receives.
//
// Conflicts are found by comparing signed content, never signature bytes: two signatures
// of one message differ (BIP-340 draws fresh aux_rand), and are no offence. Evidence is
// self-contained: anyone holding the validator set can check it (VerifyEvidence).
#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string_view>
#include <variant>

#include "consensus/types.h"

namespace hotbft {

// Two votes by one voter in one round (and epoch) with different vote data.
struct DoubleVote {
  Vote first;
  Vote second;
};

// Two proposals by one proposer in one round (and epoch) of different blocks: the headers
// (whose ids the proposals sign) and the two signatures.
struct DoubleProposal {
  BlockHeader first;
  Signature first_signature;
  BlockHeader second;
  Signature second_signature;
};

using Evidence = std::variant<DoubleVote, DoubleProposal>;

enum class EvidenceKind : uint8_t { kDoubleVote, kDoubleProposal };
std::string_view EvidenceKindName(EvidenceKind kind);  // "double_vote", "double_proposal"

// What a piece of evidence is about: at most one is kept per key.
struct EvidenceKey {
  EvidenceKind kind = EvidenceKind::kDoubleVote;
  uint32_t validator = 0;
  Epoch epoch = 0;
  Round round = 0;
  auto operator<=>(const EvidenceKey&) const = default;
};
EvidenceKey KeyOf(const Evidence& evidence);

// Ok iff `evidence` proves equivocation on `chain_id`: one signer, one epoch and round,
// different signed content, and both signatures valid under the signer's key.
Status VerifyEvidence(const Evidence& evidence, std::string_view chain_id,
                      const ValidatorSet& validators, const Verifier& verifier);

// EquivocationDetector: remembers the first validly signed vote and proposal of each
// validator per round, for rounds in a window [floor, floor + window_rounds], and turns a
// second, conflicting one into evidence (once per EvidenceKey). Memory: at most two
// records per validator per round of the window.
//
// Signature checks stay with the caller, in two steps: Classify says whether a message is
// news (not a repeat of the remembered one, no evidence for its round yet); only then does
// the caller verify it and Record it. A message costs at most one verification, as any
// message the core accepts does: repeats are free, and only valid messages are remembered.
// Not thread-safe.
class EquivocationDetector {
 public:
  enum class Seen : uint8_t {
    kOutsideWindow,  // ignored: below the floor or beyond the window
    kKnown,          // same content as recorded, or evidence for it already exists
    kNew,            // verify its signature, then Record it
  };

  EquivocationDetector(std::string chain_id, Round window_rounds);

  // Forgets records below `floor`. The floor only rises.
  void SetFloor(Round floor);

  Seen Classify(const Vote& vote) const;
  // REQUIRES: `vote`'s signature is valid and Classify(vote) == kNew.
  std::optional<Evidence> Record(const Vote& vote);

  // `id` must be header.Id(chain_id) (the caller computed it).
  Seen Classify(const BlockHeader& header, const Hash32& id) const;
  // REQUIRES: `signature` over ProposalDigest(id) is valid and Classify(...) == kNew.
  std::optional<Evidence> Record(const BlockHeader& header, const Hash32& id,
                                 const Signature& signature);

  // Records held (for the bound checks of tests).
  size_t size() const;

 private:
  struct ProposalRecord {
    BlockHeader header;
    Hash32 id;
    Signature signature;
  };
  struct Slot {
    std::optional<Vote> vote;
    bool vote_conflict = false;
    std::optional<ProposalRecord> proposal;
    bool proposal_conflict = false;
  };
  bool InWindow(Round round) const;
  const Slot* Find(uint32_t validator, Round round) const;

  const std::string chain_id_;
  const Round window_rounds_;
  Round floor_ = 0;
  std::map<std::pair<Round, uint32_t>, Slot> slots_;
};

}  // namespace hotbft
