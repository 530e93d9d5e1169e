#include "consensus/types.h"

#include <algorithm>

namespace hotbft {
namespace {

Result<Hash32> ReadHash(CanonicalReader& r) {
  auto b = r.Fixed(Hash32::kSize);
  if (!b.ok()) return b.status();
  return Hash32::FromBytes(*b);
}

}  // namespace

void VoteData::Encode(CanonicalWriter& w) const {
  w.U64(epoch)
      .Fixed(block_id.view())
      .U64(height)
      .U64(round)
      .Fixed(parent_id.view())
      .U64(parent_round);
}

Result<VoteData> VoteData::Decode(CanonicalReader& r) {
  VoteData v;
  auto epoch = r.U64();
  if (!epoch.ok()) return epoch.status();
  v.epoch = *epoch;
  auto block_id = ReadHash(r);
  if (!block_id.ok()) return block_id.status();
  v.block_id = *block_id;
  auto height = r.U64();
  if (!height.ok()) return height.status();
  v.height = *height;
  auto round = r.U64();
  if (!round.ok()) return round.status();
  v.round = *round;
  auto parent_id = ReadHash(r);
  if (!parent_id.ok()) return parent_id.status();
  v.parent_id = *parent_id;
  auto parent_round = r.U64();
  if (!parent_round.ok()) return parent_round.status();
  v.parent_round = *parent_round;
  return v;
}

Hash32 VoteData::SigningDigest(std::string_view chain_id) const {
  CanonicalWriter w;
  Encode(w);
  return DomainDigest(Domain::kVote, chain_id, w.bytes());
}

void TimeoutData::Encode(CanonicalWriter& w) const {
  w.U64(epoch).U64(round).U64(high_qc_round);
}

Result<TimeoutData> TimeoutData::Decode(CanonicalReader& r) {
  TimeoutData t;
  auto epoch = r.U64();
  if (!epoch.ok()) return epoch.status();
  auto round = r.U64();
  if (!round.ok()) return round.status();
  auto high = r.U64();
  if (!high.ok()) return high.status();
  t.epoch = *epoch;
  t.round = *round;
  t.high_qc_round = *high;
  return t;
}

Hash32 TimeoutData::SigningDigest(std::string_view chain_id) const {
  CanonicalWriter w;
  Encode(w);
  return DomainDigest(Domain::kTimeout, chain_id, w.bytes());
}

void QC::Encode(CanonicalWriter& w) const {
  vote_data.Encode(w);
  w.Var(signers.bytes());
  w.U32(static_cast<uint32_t>(signatures.size()));
  for (const Signature& s : signatures) w.Fixed(s.view());
}

Round TC::MaxHighQcRound() const {
  HOTBFT_ASSERT(!high_qc_rounds.empty());
  Round max = 0;
  for (Round r : high_qc_rounds) max = std::max(max, r);
  return max;
}

void TC::Encode(CanonicalWriter& w) const {
  HOTBFT_ASSERT(high_qc_rounds.size() == signatures.size());
  w.U64(epoch).U64(round).Var(signers.bytes());
  w.U32(static_cast<uint32_t>(signatures.size()));
  for (size_t i = 0; i < signatures.size(); ++i) {
    w.U64(high_qc_rounds[i]).Fixed(signatures[i].view());
  }
}

void BlockHeader::Encode(CanonicalWriter& w) const {
  w.U64(epoch).U64(height).U64(round).Fixed(parent_id.view()).Fixed(payload_hash.view());
  w.U32(proposer);
  justify.Encode(w);
  w.U64(exec_height).Var(app_hash).U64(timestamp_ms);
}

Hash32 BlockHeader::Id(std::string_view chain_id) const {
  CanonicalWriter w;
  Encode(w);
  return DomainDigest(Domain::kBlockHeader, chain_id, w.bytes());
}

Hash32 PayloadHash(std::string_view chain_id, const std::vector<Bytes>& txs,
                   const std::vector<Bytes>& evidence_canonical) {
  CanonicalWriter w;
  w.U32(static_cast<uint32_t>(txs.size()));
  for (const Bytes& tx : txs) w.Var(tx);
  w.U32(static_cast<uint32_t>(evidence_canonical.size()));
  for (const Bytes& e : evidence_canonical) w.Var(e);
  return DomainDigest(Domain::kPayload, chain_id, w.bytes());
}

std::shared_ptr<const Block> MakeGenesisBlock(std::string_view chain_id, Epoch epoch,
                                              uint32_t validators, const Hash32& commitment,
                                              uint64_t timestamp_ms) {
  auto block = std::make_shared<Block>();
  block->payload = std::make_shared<const Payload>();
  BlockHeader& h = block->header;
  h.epoch = epoch;
  h.parent_id = commitment;
  h.timestamp_ms = timestamp_ms;
  h.payload_hash = PayloadHash(chain_id, {}, {});
  h.justify.vote_data.epoch = epoch;
  h.justify.signers = SignerBitmap(validators);
  block->id = h.Id(chain_id);
  return block;
}

QC MakeGenesisQC(const Block& genesis) {
  HOTBFT_ASSERT(genesis.header.height == 0);
  HOTBFT_ASSERT(genesis.header.round == 0);
  QC qc;
  qc.vote_data = VoteData{genesis.header.epoch, genesis.id, 0, 0, genesis.header.parent_id, 0};
  qc.signers = genesis.header.justify.signers;  // empty bitmap for the same set
  return qc;
}

Hash32 ProposalDigest(std::string_view chain_id, const Hash32& block_id) {
  return DomainDigest(Domain::kProposal, chain_id, block_id.view());
}

Hash32 HandshakeDigest(std::string_view chain_id, const Hash32& challenge,
                       const PublicKey& signer_key, const PublicKey& receiver_key) {
  CanonicalWriter w;
  w.Fixed(challenge.view()).Fixed(signer_key.view()).Fixed(receiver_key.view());
  return DomainDigest(Domain::kHandshake, chain_id, w.bytes());
}

}  // namespace hotbft
