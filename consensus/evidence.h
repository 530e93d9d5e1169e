// Evidence of equivocation: two conflicting messages signed by one validator, and the
// detector that finds them among the messages a validator receives.
//
// Conflicts are found by comparing signed content, never signature bytes: two signatures
// of one message differ (BIP-340 draws fresh aux_rand), and are no offence. Evidence is
// self-contained: anyone holding the validator set can check it (VerifyEvidence).
#pragma once

#include <compare>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

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

// Hard bounds on the evidence a block may carry on the wire: pieces, and bytes of one
// piece's canonical encoding (a double proposal at the largest validator set is about
// 130 KiB). The chain's own limits (CoreConfig::evidence_per_block_max,
// evidence_bytes_per_block_max) are below these.
inline constexpr size_t kBlockEvidenceMax = 1'024;
inline constexpr size_t kEvidenceBytesMax = size_t{256} << 10;

// ---- The canonical encoding (docs/wire.md "Evidence") ----
//
// What a block's payload carries for each piece of evidence, and what its payload hash
// covers. Every field is fixed-width or length-prefixed, so a piece has exactly one
// encoding: decoding and encoding again gives back the input bytes.
Bytes EncodeEvidence(const Evidence& evidence);
// Decodes exactly one piece for a validator set of `validators` (signer bitmap sizes, one
// signature per signer, validator indexes below `validators`). Checks structure only;
// VerifyEvidence checks what it proves. Fails on trailing bytes, naming the field.
Result<Evidence> DecodeEvidence(ByteView bytes, uint32_t validators);

// ---- Evidence in blocks ----
//
// The rule every honest validator applies to a proposal's evidence before it votes
// (DESIGN.md "Execution and duplicates": every honest validator hands the app the same
// misbehaviour). Chain parameters: validators that disagree on them disagree on which
// blocks are valid.
struct BlockEvidenceRules {
  std::string_view chain_id;
  Epoch epoch = 0;
  const ValidatorSet* validators = nullptr;
  const Verifier* verifier = nullptr;
  size_t count_max = 0;        // pieces per block
  uint64_t bytes_max = 0;      // canonical bytes per block, all pieces together
  Round age_rounds_max = 0;    // a piece of round k fits a block of round r iff k + this >= r
  Round rounds_ahead_max = 0;  // ... and k <= r + this
};

// Whether a piece with this key is already in the chain the block extends: committed, or
// in an uncommitted ancestor.
using EvidenceIncluded = std::function<bool(const EvidenceKey&)>;

// OK iff the evidence a block of `round` carries is acceptable: at most count_max pieces
// and bytes_max bytes; each decodes, is of the rules' epoch, within the round window,
// not twice in the block, not `included`, and verifies (VerifyEvidence). The error names
// the piece and the reason. Cheap checks run first: signatures are verified last, two per
// piece, at most count_max pieces.
Status CheckBlockEvidence(const std::vector<Bytes>& evidence, Round round,
                          const BlockEvidenceRules& rules, const EvidenceIncluded& included);

// The pieces of `candidates` (canonical encodings, in order) that a block of `round` may
// carry, each passing the rule above, cut at count_max pieces and bytes_max bytes: what
// a proposer keeps of its pool, so that it never proposes what honest voters refuse.
std::vector<Bytes> SelectBlockEvidence(const std::vector<Bytes>& candidates, Round round,
                                       const BlockEvidenceRules& rules,
                                       const EvidenceIncluded& included);

// The keys of a block's evidence. A piece that does not decode has none (a certified block's
// pieces all decode: honest voters checked them).
std::vector<EvidenceKey> BlockEvidenceKeys(const Payload& payload, uint32_t validators);

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
