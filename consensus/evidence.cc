#include "consensus/evidence.h"

#include <set>
#include <string>

#include "crypto/assert.h"

namespace hotbft {
namespace {

// The kind tags of the canonical encoding.
constexpr uint8_t kDoubleVoteTag = 1;
constexpr uint8_t kDoubleProposalTag = 2;

std::string Num(uint64_t v) {
  return std::to_string(v);
}

void EncodeVote(const Vote& v, CanonicalWriter& w) {
  v.data.Encode(w);
  w.U32(v.voter).Fixed(v.signature.view());
}

void EncodeSignedHeader(const BlockHeader& h, const Signature& s, CanonicalWriter& w) {
  h.Encode(w);
  w.Fixed(s.view());
}

Result<Hash32> ReadHash(CanonicalReader& r) {
  auto b = r.Fixed(Hash32::kSize);
  if (!b.ok()) return b.status();
  return Hash32::FromBytes(*b);
}

Result<Signature> ReadSignature(CanonicalReader& r) {
  auto b = r.Fixed(64);
  if (!b.ok()) return b.status();
  auto raw = FixedBytes<64>::FromBytes(*b);
  if (!raw.ok()) return raw.status();
  Signature s;
  s.bytes = raw->bytes;
  return s;
}

Result<uint32_t> ReadIndex(CanonicalReader& r, uint32_t validators, const char* field) {
  auto index = r.U32();
  if (!index.ok()) return index.status();
  if (*index >= validators) {
    return Status::InvalidArgument(std::string(field) + " " + Num(*index) +
                                   " is not a validator of a set of " + Num(validators));
  }
  return *index;
}

Result<Vote> ReadVote(CanonicalReader& r, uint32_t validators) {
  Vote v;
  auto data = VoteData::Decode(r);
  if (!data.ok()) return data.status().With("vote data");
  v.data = *data;
  auto voter = ReadIndex(r, validators, "voter");
  if (!voter.ok()) return voter.status();
  v.voter = *voter;
  auto signature = ReadSignature(r);
  if (!signature.ok()) return signature.status().With("vote signature");
  v.signature = *signature;
  return v;
}

Result<QC> ReadQC(CanonicalReader& r, uint32_t validators) {
  QC qc;
  auto data = VoteData::Decode(r);
  if (!data.ok()) return data.status().With("QC vote data");
  qc.vote_data = *data;
  auto bitmap = r.Var((size_t{validators} + 7) / 8);
  if (!bitmap.ok()) return bitmap.status().With("QC signers");
  auto signers = SignerBitmap::FromBytes(*bitmap, validators);
  if (!signers.ok()) return signers.status().With("QC signers");
  qc.signers = std::move(signers).value();
  auto count = r.U32();
  if (!count.ok()) return count.status();
  if (*count != qc.signers.Count()) {
    return Status::InvalidArgument("QC names " + Num(qc.signers.Count()) + " signers but has " +
                                   Num(*count) + " signatures");
  }
  for (uint32_t i = 0; i < *count; ++i) {
    auto signature = ReadSignature(r);
    if (!signature.ok()) return signature.status().With("QC signature");
    qc.signatures.push_back(*signature);
  }
  return qc;
}

// Reads fields in BlockHeader::Encode's order.
Result<BlockHeader> ReadHeader(CanonicalReader& r, uint32_t validators) {
  BlockHeader h;
  auto epoch = r.U64();
  auto height = epoch.ok() ? r.U64() : epoch;
  auto round = height.ok() ? r.U64() : height;
  if (!round.ok()) return round.status().With("header");
  h.epoch = *epoch;
  h.height = *height;
  h.round = *round;
  auto parent_id = ReadHash(r);
  if (!parent_id.ok()) return parent_id.status().With("header parent id");
  h.parent_id = *parent_id;
  auto payload_hash = ReadHash(r);
  if (!payload_hash.ok()) return payload_hash.status().With("header payload hash");
  h.payload_hash = *payload_hash;
  auto proposer = ReadIndex(r, validators, "proposer");
  if (!proposer.ok()) return proposer.status();
  h.proposer = *proposer;
  auto justify = ReadQC(r, validators);
  if (!justify.ok()) return justify.status().With("header justify");
  h.justify = std::move(justify).value();
  auto exec_height = r.U64();
  if (!exec_height.ok()) return exec_height.status().With("header exec height");
  h.exec_height = *exec_height;
  auto app_hash = r.Var(kAppHashBytesMax);
  if (!app_hash.ok()) return app_hash.status().With("header app hash");
  h.app_hash.assign(app_hash->begin(), app_hash->end());
  auto timestamp = r.U64();
  if (!timestamp.ok()) return timestamp.status().With("header timestamp");
  h.timestamp_ms = *timestamp;
  return h;
}

Result<Evidence> ReadDoubleVote(CanonicalReader& r, uint32_t validators) {
  auto first = ReadVote(r, validators);
  if (!first.ok()) return first.status().With("double vote, first");
  auto second = ReadVote(r, validators);
  if (!second.ok()) return second.status().With("double vote, second");
  return Evidence(DoubleVote{*first, *second});
}

Result<Evidence> ReadDoubleProposal(CanonicalReader& r, uint32_t validators) {
  DoubleProposal p;
  auto first = ReadHeader(r, validators);
  if (!first.ok()) return first.status().With("double proposal, first");
  auto first_signature = ReadSignature(r);
  if (!first_signature.ok()) return first_signature.status().With("double proposal, first");
  auto second = ReadHeader(r, validators);
  if (!second.ok()) return second.status().With("double proposal, second");
  auto second_signature = ReadSignature(r);
  if (!second_signature.ok()) return second_signature.status().With("double proposal, second");
  p.first = std::move(first).value();
  p.first_signature = *first_signature;
  p.second = std::move(second).value();
  p.second_signature = *second_signature;
  return Evidence(std::move(p));
}

std::string Describe(const EvidenceKey& key) {
  return std::string(EvidenceKindName(key.kind)) + " of validator " + Num(key.validator) +
         " in epoch " + Num(key.epoch) + " round " + Num(key.round);
}

// One piece of a block of `round`, without its signatures: decodes, and fits the rules'
// epoch and round window, is not `included` and not among `in_block`.
Result<std::pair<Evidence, EvidenceKey>> CheckPieceShape(const Bytes& bytes, Round round,
                                                         const BlockEvidenceRules& rules,
                                                         const EvidenceIncluded& included,
                                                         const std::set<EvidenceKey>& in_block) {
  auto evidence = DecodeEvidence(bytes, static_cast<uint32_t>(rules.validators->size()));
  if (!evidence.ok()) return evidence.status().With("does not decode");
  const EvidenceKey key = KeyOf(*evidence);
  if (key.epoch != rules.epoch) {
    return Status::InvalidArgument(Describe(key) + " is not of epoch " + Num(rules.epoch));
  }
  if (key.round + rules.age_rounds_max < round) {
    return Status::InvalidArgument(Describe(key) + " is too old for a block of round " +
                                   Num(round) + " (at most " + Num(rules.age_rounds_max) +
                                   " rounds back)");
  }
  if (key.round > round + rules.rounds_ahead_max) {
    return Status::InvalidArgument(Describe(key) + " is too far ahead of a block of round " +
                                   Num(round));
  }
  if (in_block.contains(key)) {
    return Status::InvalidArgument(Describe(key) + " is in the block twice");
  }
  if (included(key)) {
    return Status::InvalidArgument(Describe(key) +
                                   " is already in the chain (committed, or in an ancestor)");
  }
  return std::make_pair(std::move(evidence).value(), key);
}

}  // namespace

std::string_view EvidenceKindName(EvidenceKind kind) {
  switch (kind) {
    case EvidenceKind::kDoubleVote: return "double_vote";
    case EvidenceKind::kDoubleProposal: return "double_proposal";
  }
  return "unknown";
}

EvidenceKey KeyOf(const Evidence& evidence) {
  if (const auto* v = std::get_if<DoubleVote>(&evidence)) {
    return EvidenceKey{EvidenceKind::kDoubleVote, v->first.voter, v->first.data.epoch,
                       v->first.data.round};
  }
  const auto& p = std::get<DoubleProposal>(evidence);
  return EvidenceKey{EvidenceKind::kDoubleProposal, p.first.proposer, p.first.epoch, p.first.round};
}

Status VerifyEvidence(const Evidence& evidence, std::string_view chain_id,
                      const ValidatorSet& validators, const Verifier& verifier) {
  if (const auto* v = std::get_if<DoubleVote>(&evidence)) {
    const Vote& a = v->first;
    const Vote& b = v->second;
    if (a.voter != b.voter || a.voter >= validators.size()) {
      return Status::InvalidArgument("double vote: not one known voter");
    }
    if (a.data.epoch != b.data.epoch || a.data.round != b.data.round) {
      return Status::InvalidArgument("double vote: votes of different rounds");
    }
    if (a.data == b.data) return Status::InvalidArgument("double vote: the same vote twice");
    const PublicKey& key = validators.key(a.voter);
    if (!verifier.Verify(key, a.data.SigningDigest(chain_id), a.signature) ||
        !verifier.Verify(key, b.data.SigningDigest(chain_id), b.signature)) {
      return Status::InvalidArgument("double vote: a signature is invalid");
    }
    return Status::Ok();
  }
  const auto& p = std::get<DoubleProposal>(evidence);
  if (p.first.proposer != p.second.proposer || p.first.proposer >= validators.size()) {
    return Status::InvalidArgument("double proposal: not one known proposer");
  }
  if (p.first.epoch != p.second.epoch || p.first.round != p.second.round) {
    return Status::InvalidArgument("double proposal: proposals of different rounds");
  }
  const Hash32 first_id = p.first.Id(chain_id);
  const Hash32 second_id = p.second.Id(chain_id);
  if (first_id == second_id) {
    return Status::InvalidArgument("double proposal: the same block twice");
  }
  const PublicKey& key = validators.key(p.first.proposer);
  if (!verifier.Verify(key, ProposalDigest(chain_id, first_id), p.first_signature) ||
      !verifier.Verify(key, ProposalDigest(chain_id, second_id), p.second_signature)) {
    return Status::InvalidArgument("double proposal: a signature is invalid");
  }
  return Status::Ok();
}

// ---- The canonical encoding ----

Bytes EncodeEvidence(const Evidence& evidence) {
  CanonicalWriter w;
  if (const auto* v = std::get_if<DoubleVote>(&evidence)) {
    w.U8(kDoubleVoteTag);
    EncodeVote(v->first, w);
    EncodeVote(v->second, w);
    return w.Take();
  }
  const auto& p = std::get<DoubleProposal>(evidence);
  w.U8(kDoubleProposalTag);
  EncodeSignedHeader(p.first, p.first_signature, w);
  EncodeSignedHeader(p.second, p.second_signature, w);
  return w.Take();
}

Result<Evidence> DecodeEvidence(ByteView bytes, uint32_t validators) {
  CanonicalReader r(bytes);
  auto tag = r.U8();
  if (!tag.ok()) return tag.status().With("evidence kind");
  Result<Evidence> evidence = Status::InvalidArgument("evidence kind " + Num(*tag) + " is unknown");
  if (*tag == kDoubleVoteTag) evidence = ReadDoubleVote(r, validators);
  if (*tag == kDoubleProposalTag) evidence = ReadDoubleProposal(r, validators);
  if (!evidence.ok()) return evidence.status();
  HOTBFT_RETURN_IF_ERROR(r.Finish().With("evidence"));
  return evidence;
}

// ---- Evidence in blocks ----

Status CheckBlockEvidence(const std::vector<Bytes>& evidence, Round round,
                          const BlockEvidenceRules& rules, const EvidenceIncluded& included) {
  HOTBFT_ASSERT(rules.validators != nullptr);
  HOTBFT_ASSERT(rules.verifier != nullptr);
  if (evidence.size() > rules.count_max) {
    return Status::InvalidArgument("block carries " + Num(evidence.size()) +
                                   " pieces of evidence; at most " + Num(rules.count_max));
  }
  uint64_t bytes = 0;
  for (const Bytes& piece : evidence) bytes += piece.size();
  if (bytes > rules.bytes_max) {
    return Status::InvalidArgument("block carries " + Num(bytes) + " bytes of evidence; at most " +
                                   Num(rules.bytes_max));
  }
  std::set<EvidenceKey> in_block;
  std::vector<Evidence> decoded;
  decoded.reserve(evidence.size());
  for (size_t i = 0; i < evidence.size(); ++i) {
    auto piece = CheckPieceShape(evidence[i], round, rules, included, in_block);
    if (!piece.ok()) return piece.status().With("evidence " + Num(i));
    in_block.insert(piece->second);
    decoded.push_back(std::move(piece->first));
  }
  for (size_t i = 0; i < decoded.size(); ++i) {
    Status st = VerifyEvidence(decoded[i], rules.chain_id, *rules.validators, *rules.verifier);
    if (!st.ok()) return st.With("evidence " + Num(i));
  }
  return Status::Ok();
}

std::vector<Bytes> SelectBlockEvidence(const std::vector<Bytes>& candidates, Round round,
                                       const BlockEvidenceRules& rules,
                                       const EvidenceIncluded& included) {
  std::vector<Bytes> selected;
  std::set<EvidenceKey> in_block;
  uint64_t bytes = 0;
  for (const Bytes& candidate : candidates) {
    if (selected.size() >= rules.count_max) break;
    if (bytes + candidate.size() > rules.bytes_max) continue;
    auto piece = CheckPieceShape(candidate, round, rules, included, in_block);
    if (!piece.ok()) continue;
    if (!VerifyEvidence(piece->first, rules.chain_id, *rules.validators, *rules.verifier).ok()) {
      continue;
    }
    in_block.insert(piece->second);
    bytes += candidate.size();
    selected.push_back(candidate);
  }
  HOTBFT_ASSERT(selected.size() <= rules.count_max);
  HOTBFT_ASSERT(bytes <= rules.bytes_max);
  return selected;
}

std::vector<EvidenceKey> BlockEvidenceKeys(const Payload& payload, uint32_t validators) {
  std::vector<EvidenceKey> keys;
  keys.reserve(payload.evidence.size());
  for (const Bytes& piece : payload.evidence) {
    auto evidence = DecodeEvidence(piece, validators);
    if (evidence.ok()) keys.push_back(KeyOf(*evidence));
  }
  return keys;
}

// ---- EquivocationDetector ----

EquivocationDetector::EquivocationDetector(std::string chain_id, Round window_rounds)
    : chain_id_(std::move(chain_id)), window_rounds_(window_rounds) {
  HOTBFT_ASSERT(window_rounds_ > 0);
}

void EquivocationDetector::SetFloor(Round floor) {
  if (floor <= floor_) return;
  floor_ = floor;
  slots_.erase(slots_.begin(), slots_.lower_bound({floor_, 0}));
}

bool EquivocationDetector::InWindow(Round round) const {
  return round >= floor_ && round - floor_ <= window_rounds_;
}

const EquivocationDetector::Slot* EquivocationDetector::Find(uint32_t validator,
                                                             Round round) const {
  auto it = slots_.find({round, validator});
  return it == slots_.end() ? nullptr : &it->second;
}

EquivocationDetector::Seen EquivocationDetector::Classify(const Vote& vote) const {
  if (!InWindow(vote.data.round)) return Seen::kOutsideWindow;
  const Slot* slot = Find(vote.voter, vote.data.round);
  if (slot && slot->vote && (slot->vote_conflict || slot->vote->data == vote.data)) {
    return Seen::kKnown;
  }
  return Seen::kNew;
}

std::optional<Evidence> EquivocationDetector::Record(const Vote& vote) {
  HOTBFT_ASSERT(Classify(vote) == Seen::kNew);
  Slot& slot = slots_[{vote.data.round, vote.voter}];
  if (!slot.vote) {
    slot.vote = vote;
    return std::nullopt;
  }
  HOTBFT_ASSERT(!(slot.vote->data == vote.data));
  slot.vote_conflict = true;
  return DoubleVote{*slot.vote, vote};
}

EquivocationDetector::Seen EquivocationDetector::Classify(const BlockHeader& header,
                                                          const Hash32& id) const {
  if (!InWindow(header.round)) return Seen::kOutsideWindow;
  const Slot* slot = Find(header.proposer, header.round);
  if (slot && slot->proposal && (slot->proposal_conflict || slot->proposal->id == id)) {
    return Seen::kKnown;
  }
  return Seen::kNew;
}

std::optional<Evidence> EquivocationDetector::Record(const BlockHeader& header, const Hash32& id,
                                                     const Signature& signature) {
  HOTBFT_ASSERT(Classify(header, id) == Seen::kNew);
  Slot& slot = slots_[{header.round, header.proposer}];
  if (!slot.proposal) {
    slot.proposal = ProposalRecord{header, id, signature};
    return std::nullopt;
  }
  HOTBFT_ASSERT(slot.proposal->id != id);
  slot.proposal_conflict = true;
  return DoubleProposal{slot.proposal->header, slot.proposal->signature, header, signature};
}

size_t EquivocationDetector::size() const {
  return slots_.size();
}

}  // namespace hotbft
