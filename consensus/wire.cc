#include "consensus/wire.h"

namespace hotbft {
namespace {

std::string ToString(ByteView b) {
  return std::string(b.begin(), b.end());
}

Result<Hash32> HashField(const std::string& bytes, const char* field) {
  auto h = Hash32::FromBytes(AsBytes(bytes));
  if (!h.ok()) return h.status().With(field);
  return *h;
}

Result<Signature> SignatureField(const std::string& bytes, const char* field) {
  auto s = FixedBytes<64>::FromBytes(AsBytes(bytes));
  if (!s.ok()) return s.status().With(field);
  Signature sig;
  sig.bytes = s->bytes;
  return sig;
}

Status IndexField(uint32_t index, const WireContext& ctx, const char* field) {
  if (index >= ctx.validators) {
    return Status::InvalidArgument(std::string(field) + " " + std::to_string(index) +
                                   " is not a validator index (set of " +
                                   std::to_string(ctx.validators) + ")");
  }
  return Status::Ok();
}

// Parses a bitmap and the signatures that go with its set bits.
Status SignersField(const std::string& bitmap,
                    const google::protobuf::RepeatedPtrField<std::string>& sigs,
                    const WireContext& ctx, SignerBitmap* signers_out,
                    std::vector<Signature>* sigs_out) {
  auto signers = SignerBitmap::FromBytes(AsBytes(bitmap), ctx.validators);
  if (!signers.ok()) return signers.status();
  if (static_cast<size_t>(sigs.size()) != signers->Count()) {
    return Status::InvalidArgument("certificate names " + std::to_string(signers->Count()) +
                                   " signers but carries " + std::to_string(sigs.size()) +
                                   " signatures");
  }
  sigs_out->clear();
  for (const std::string& s : sigs) {
    auto sig = SignatureField(s, "certificate signature");
    if (!sig.ok()) return sig.status();
    sigs_out->push_back(*sig);
  }
  *signers_out = std::move(signers).value();
  return Status::Ok();
}

}  // namespace

void ToProto(const VoteData& in, wire::VoteData* out) {
  out->set_epoch(in.epoch);
  out->set_block_id(ToString(in.block_id.view()));
  out->set_height(in.height);
  out->set_round(in.round);
  out->set_parent_id(ToString(in.parent_id.view()));
  out->set_parent_round(in.parent_round);
}

void ToProto(const TimeoutData& in, wire::TimeoutData* out) {
  out->set_epoch(in.epoch);
  out->set_round(in.round);
  out->set_high_qc_round(in.high_qc_round);
}

void ToProto(const QC& in, wire::QuorumCert* out) {
  ToProto(in.vote_data, out->mutable_vote_data());
  out->set_signers(ToString(in.signers.bytes()));
  out->clear_signatures();
  for (const Signature& s : in.signatures) out->add_signatures(ToString(s.view()));
}

void ToProto(const TC& in, wire::TimeoutCert* out) {
  out->set_epoch(in.epoch);
  out->set_round(in.round);
  out->set_signers(ToString(in.signers.bytes()));
  out->clear_high_qc_rounds();
  out->clear_signatures();
  for (Round r : in.high_qc_rounds) out->add_high_qc_rounds(r);
  for (const Signature& s : in.signatures) out->add_signatures(ToString(s.view()));
}

void ToProto(const BlockHeader& in, wire::BlockHeader* out) {
  out->set_epoch(in.epoch);
  out->set_height(in.height);
  out->set_round(in.round);
  out->set_parent_id(ToString(in.parent_id.view()));
  out->set_payload_hash(ToString(in.payload_hash.view()));
  out->set_proposer(in.proposer);
  ToProto(in.justify, out->mutable_justify());
  out->set_exec_height(in.exec_height);
  out->set_app_hash(ToString(in.app_hash));
  out->set_timestamp_ms(in.timestamp_ms);
}

void ToProto(const Block& in, wire::Block* out) {
  ToProto(in.header, out->mutable_header());
  auto* payload = out->mutable_payload();
  payload->clear_txs();
  payload->clear_evidence();
  HOTBFT_ASSERT(in.payload != nullptr);
  for (const Bytes& tx : in.payload->txs) payload->add_txs(ToString(tx));
  for (const Bytes& piece : in.payload->evidence) payload->add_evidence(ToString(piece));
}

void ToProto(const Vote& in, wire::Vote* out) {
  ToProto(in.data, out->mutable_data());
  out->set_voter(in.voter);
  out->set_signature(ToString(in.signature.view()));
}

void ToProto(const Proposal& in, wire::Proposal* out) {
  HOTBFT_ASSERT(in.block != nullptr);
  ToProto(*in.block, out->mutable_block());
  if (in.tc) {
    ToProto(*in.tc, out->mutable_tc());
  } else {
    out->clear_tc();
  }
  out->set_signature(ToString(in.signature.view()));
}

void ToProto(const Timeout& in, wire::Timeout* out) {
  ToProto(in.data, out->mutable_data());
  out->set_sender(in.sender);
  out->set_signature(ToString(in.signature.view()));
  ToProto(in.high_qc, out->mutable_high_qc());
  if (in.vote) {
    ToProto(*in.vote, out->mutable_vote());
  } else {
    out->clear_vote();
  }
  if (const QC* qc = std::get_if<QC>(&in.entry)) {
    ToProto(*qc, out->mutable_entry_qc());
  } else {
    ToProto(std::get<TC>(in.entry), out->mutable_entry_tc());
  }
}

Result<VoteData> FromProto(const wire::VoteData& in) {
  VoteData v;
  v.epoch = in.epoch();
  auto block_id = HashField(in.block_id(), "vote data block_id");
  if (!block_id.ok()) return block_id.status();
  v.block_id = *block_id;
  v.height = in.height();
  v.round = in.round();
  auto parent_id = HashField(in.parent_id(), "vote data parent_id");
  if (!parent_id.ok()) return parent_id.status();
  v.parent_id = *parent_id;
  v.parent_round = in.parent_round();
  return v;
}

Result<TimeoutData> FromProto(const wire::TimeoutData& in) {
  return TimeoutData{in.epoch(), in.round(), in.high_qc_round()};
}

Result<QC> FromProto(const wire::QuorumCert& in, const WireContext& ctx) {
  if (!in.has_vote_data()) return Status::InvalidArgument("quorum certificate lacks vote data");
  QC qc;
  auto vd = FromProto(in.vote_data());
  if (!vd.ok()) return vd.status();
  qc.vote_data = *vd;
  HOTBFT_RETURN_IF_ERROR(
      SignersField(in.signers(), in.signatures(), ctx, &qc.signers, &qc.signatures)
          .With("quorum certificate"));
  return qc;
}

Result<TC> FromProto(const wire::TimeoutCert& in, const WireContext& ctx) {
  TC tc;
  tc.epoch = in.epoch();
  tc.round = in.round();
  HOTBFT_RETURN_IF_ERROR(
      SignersField(in.signers(), in.signatures(), ctx, &tc.signers, &tc.signatures)
          .With("timeout certificate"));
  if (static_cast<size_t>(in.high_qc_rounds_size()) != tc.signatures.size()) {
    return Status::InvalidArgument(
        "timeout certificate has " + std::to_string(in.high_qc_rounds_size()) +
        " high QC rounds for " + std::to_string(tc.signatures.size()) + " signers");
  }
  tc.high_qc_rounds.assign(in.high_qc_rounds().begin(), in.high_qc_rounds().end());
  return tc;
}

Result<BlockHeader> FromProto(const wire::BlockHeader& in, const WireContext& ctx) {
  BlockHeader h;
  h.epoch = in.epoch();
  h.height = in.height();
  h.round = in.round();
  auto parent_id = HashField(in.parent_id(), "block parent_id");
  if (!parent_id.ok()) return parent_id.status();
  h.parent_id = *parent_id;
  auto payload_hash = HashField(in.payload_hash(), "block payload_hash");
  if (!payload_hash.ok()) return payload_hash.status();
  h.payload_hash = *payload_hash;
  HOTBFT_RETURN_IF_ERROR(IndexField(in.proposer(), ctx, "block proposer"));
  h.proposer = in.proposer();
  if (!in.has_justify()) return Status::InvalidArgument("block header lacks its justify QC");
  auto justify = FromProto(in.justify(), ctx);
  if (!justify.ok()) return justify.status().With("block justify");
  h.justify = std::move(justify).value();
  h.exec_height = in.exec_height();
  if (in.app_hash().size() > kAppHashBytesMax) {
    return Status::InvalidArgument("block app_hash has " + std::to_string(in.app_hash().size()) +
                                   " bytes; at most " + std::to_string(kAppHashBytesMax));
  }
  h.app_hash.assign(in.app_hash().begin(), in.app_hash().end());
  h.timestamp_ms = in.timestamp_ms();
  return h;
}

namespace {

// A payload's evidence: canonical encodings, kept as received (what the payload hash
// covers), each checked to decode as exactly one piece.
Status EvidenceFromProto(const wire::BlockPayload& in, const WireContext& ctx, Payload* out) {
  const auto& pieces = in.evidence();
  if (static_cast<size_t>(pieces.size()) > kBlockEvidenceMax) {
    return Status::InvalidArgument("block carries " + std::to_string(pieces.size()) +
                                   " pieces of evidence; at most " +
                                   std::to_string(kBlockEvidenceMax));
  }
  out->evidence.reserve(static_cast<size_t>(pieces.size()));
  for (const std::string& piece : pieces) {
    if (piece.size() > kEvidenceBytesMax) {
      return Status::InvalidArgument("block evidence of " + std::to_string(piece.size()) +
                                     " bytes exceeds " + std::to_string(kEvidenceBytesMax));
    }
    Bytes bytes(piece.begin(), piece.end());
    auto decoded = DecodeEvidence(bytes, ctx.validators);
    if (!decoded.ok()) {
      return decoded.status().With("block evidence " + std::to_string(out->evidence.size()));
    }
    out->evidence.push_back(std::move(bytes));
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const Block>> FromProto(const wire::Block& in, const WireContext& ctx) {
  if (!in.has_header()) return Status::InvalidArgument("block lacks a header");
  auto header = FromProto(in.header(), ctx);
  if (!header.ok()) return header.status();
  const auto& txs = in.payload().txs();
  if (static_cast<size_t>(txs.size()) > kBlockTxsMax) {
    return Status::InvalidArgument("block carries " + std::to_string(txs.size()) +
                                   " transactions; at most " + std::to_string(kBlockTxsMax));
  }
  auto payload = std::make_shared<Payload>();
  HOTBFT_RETURN_IF_ERROR(EvidenceFromProto(in.payload(), ctx, payload.get()));
  payload->txs.reserve(static_cast<size_t>(txs.size()));
  for (const std::string& tx : txs) {
    if (tx.size() > kTxBytesMax) {
      return Status::InvalidArgument("block transaction of " + std::to_string(tx.size()) +
                                     " bytes exceeds " + std::to_string(kTxBytesMax));
    }
    payload->txs.emplace_back(tx.begin(), tx.end());
  }
  const Hash32 computed = PayloadHash(ctx.chain_id, payload->txs, payload->evidence);
  if (computed != header->payload_hash) {
    return Status::InvalidArgument("block payload hash " + header->payload_hash.hex() +
                                   " does not match its payload (" + computed.hex() + ")");
  }
  auto block = std::make_shared<Block>();
  block->id = header->Id(ctx.chain_id);
  block->header = std::move(header).value();
  block->payload = std::move(payload);
  return std::shared_ptr<const Block>(std::move(block));
}

Result<Vote> FromProto(const wire::Vote& in, const WireContext& ctx) {
  if (!in.has_data()) return Status::InvalidArgument("vote lacks its vote data");
  Vote v;
  auto data = FromProto(in.data());
  if (!data.ok()) return data.status();
  v.data = *data;
  HOTBFT_RETURN_IF_ERROR(IndexField(in.voter(), ctx, "vote voter"));
  v.voter = in.voter();
  auto sig = SignatureField(in.signature(), "vote signature");
  if (!sig.ok()) return sig.status();
  v.signature = *sig;
  return v;
}

Result<Proposal> FromProto(const wire::Proposal& in, const WireContext& ctx) {
  if (!in.has_block()) return Status::InvalidArgument("proposal lacks a block");
  Proposal p;
  auto block = FromProto(in.block(), ctx);
  if (!block.ok()) return block.status();
  p.block = std::move(block).value();
  if (in.has_tc()) {
    auto tc = FromProto(in.tc(), ctx);
    if (!tc.ok()) return tc.status().With("proposal");
    p.tc = std::move(tc).value();
  }
  auto sig = SignatureField(in.signature(), "proposal signature");
  if (!sig.ok()) return sig.status();
  p.signature = *sig;
  return p;
}

Result<Timeout> FromProto(const wire::Timeout& in, const WireContext& ctx) {
  if (!in.has_data()) return Status::InvalidArgument("timeout lacks its timeout data");
  if (!in.has_high_qc()) return Status::InvalidArgument("timeout lacks its high QC");
  Timeout t;
  auto data = FromProto(in.data());
  if (!data.ok()) return data.status();
  t.data = *data;
  HOTBFT_RETURN_IF_ERROR(IndexField(in.sender(), ctx, "timeout sender"));
  t.sender = in.sender();
  auto sig = SignatureField(in.signature(), "timeout signature");
  if (!sig.ok()) return sig.status();
  t.signature = *sig;
  auto high_qc = FromProto(in.high_qc(), ctx);
  if (!high_qc.ok()) return high_qc.status().With("timeout high QC");
  t.high_qc = std::move(high_qc).value();
  if (in.has_vote()) {
    auto vote = FromProto(in.vote(), ctx);
    if (!vote.ok()) return vote.status().With("timeout");
    t.vote = std::move(vote).value();
  }
  switch (in.entry_case()) {
    case wire::Timeout::kEntryQc: {
      auto qc = FromProto(in.entry_qc(), ctx);
      if (!qc.ok()) return qc.status().With("timeout entry QC");
      t.entry = std::move(qc).value();
      break;
    }
    case wire::Timeout::kEntryTc: {
      auto tc = FromProto(in.entry_tc(), ctx);
      if (!tc.ok()) return tc.status().With("timeout entry TC");
      t.entry = std::move(tc).value();
      break;
    }
    default: return Status::InvalidArgument("timeout lacks the certificate that entered its round");
  }
  return t;
}

void ToProto(const SafetyData& in, wire::SafetyData* out) {
  out->Clear();
  out->set_epoch(in.epoch);
  out->set_last_voted_round(in.last_voted_round);
  out->set_last_proposed_round(in.last_proposed_round);
  out->set_preferred_round(in.preferred_round);
  out->set_highest_qc_round(in.highest_qc_round);
  if (in.last_vote) ToProto(*in.last_vote, out->mutable_last_vote());
  if (in.last_timeout) ToProto(*in.last_timeout, out->mutable_last_timeout());
  if (in.last_proposal) ToProto(*in.last_proposal, out->mutable_last_proposal());
  if (in.highest_tc) ToProto(*in.highest_tc, out->mutable_highest_tc());
}

Result<SafetyData> FromProto(const wire::SafetyData& in, const WireContext& ctx) {
  SafetyData d;
  d.epoch = in.epoch();
  d.last_voted_round = in.last_voted_round();
  d.last_proposed_round = in.last_proposed_round();
  d.preferred_round = in.preferred_round();
  d.highest_qc_round = in.highest_qc_round();
  if (in.has_last_vote()) {
    auto v = FromProto(in.last_vote(), ctx);
    if (!v.ok()) return v.status().With("safety data last_vote");
    d.last_vote = std::move(v).value();
  }
  if (in.has_last_timeout()) {
    auto t = FromProto(in.last_timeout(), ctx);
    if (!t.ok()) return t.status().With("safety data last_timeout");
    d.last_timeout = std::move(t).value();
  }
  if (in.has_last_proposal()) {
    auto p = FromProto(in.last_proposal(), ctx);
    if (!p.ok()) return p.status().With("safety data last_proposal");
    d.last_proposal = std::move(p).value();
  }
  if (in.has_highest_tc()) {
    auto tc = FromProto(in.highest_tc(), ctx);
    if (!tc.ok()) return tc.status().With("safety data highest_tc");
    d.highest_tc = std::move(tc).value();
  }
  return d;
}

}  // namespace hotbft
