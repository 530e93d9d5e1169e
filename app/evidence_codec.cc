#include "app/evidence_codec.h"

#include <string>

#include "app/limits.h"

namespace hotbft::app {
namespace {

constexpr size_t kSignerBitmapBytesMax = (kValidatorsMax + 7) / 8;

std::string ToString(ByteView bytes) {
  return std::string(bytes.begin(), bytes.end());
}

void VoteDataToProto(const VoteData& in, wire::VoteData* out) {
  out->set_epoch(in.epoch);
  out->set_block_id(ToString(in.block_id.view()));
  out->set_height(in.height);
  out->set_round(in.round);
  out->set_parent_id(ToString(in.parent_id.view()));
  out->set_parent_round(in.parent_round);
}

void QcToProto(const QC& in, wire::QuorumCert* out) {
  VoteDataToProto(in.vote_data, out->mutable_vote_data());
  out->set_signers(ToString(in.signers.bytes()));
  for (const Signature& s : in.signatures) out->add_signatures(ToString(s.view()));
}

void VoteToProto(const Vote& in, wire::Vote* out) {
  VoteDataToProto(in.data, out->mutable_data());
  out->set_voter(in.voter);
  out->set_signature(ToString(in.signature.view()));
}

void HeaderToProto(const BlockHeader& in, wire::BlockHeader* out) {
  out->set_epoch(in.epoch);
  out->set_height(in.height);
  out->set_round(in.round);
  out->set_parent_id(ToString(in.parent_id.view()));
  out->set_payload_hash(ToString(in.payload_hash.view()));
  out->set_proposer(in.proposer);
  QcToProto(in.justify, out->mutable_justify());
  out->set_exec_height(in.exec_height);
  out->set_app_hash(ToString(in.app_hash));
  out->set_timestamp_ms(in.timestamp_ms);
}

void SignedHeaderToProto(const BlockHeader& header, const Signature& signature,
                         wire::SignedHeader* out) {
  HeaderToProto(header, out->mutable_header());
  out->set_signature(ToString(signature.view()));
}

Result<Hash32> HashField(const std::string& bytes, const char* field) {
  auto hash = Hash32::FromBytes(AsBytes(bytes));
  if (!hash.ok()) return hash.status().With(field);
  return *hash;
}

Result<Signature> SignatureField(const std::string& bytes, const char* field) {
  auto raw = FixedBytes<64>::FromBytes(AsBytes(bytes));
  if (!raw.ok()) return raw.status().With(field);
  Signature signature;
  signature.bytes = raw->bytes;
  return signature;
}

Status IndexField(uint32_t index, const char* field) {
  if (index < kValidatorsMax) return Status::Ok();
  return Status::InvalidArgument(std::string(field) + " " + std::to_string(index) +
                                 " is not below the validator bound " +
                                 std::to_string(kValidatorsMax));
}

Result<VoteData> VoteDataFromProto(const wire::VoteData& in) {
  VoteData out;
  out.epoch = in.epoch();
  auto block_id = HashField(in.block_id(), "block_id");
  if (!block_id.ok()) return block_id.status();
  out.block_id = *block_id;
  out.height = in.height();
  out.round = in.round();
  auto parent_id = HashField(in.parent_id(), "parent_id");
  if (!parent_id.ok()) return parent_id.status();
  out.parent_id = *parent_id;
  out.parent_round = in.parent_round();
  return out;
}

Status SignaturesFromProto(const google::protobuf::RepeatedPtrField<std::string>& in,
                           size_t signers, std::vector<Signature>* out) {
  if (static_cast<size_t>(in.size()) != signers) {
    return Status::InvalidArgument("signer bitmap names " + std::to_string(signers) +
                                   " signers but " + std::to_string(in.size()) +
                                   " signatures follow");
  }
  for (const std::string& bytes : in) {
    auto signature = SignatureField(bytes, "signature");
    if (!signature.ok()) return signature.status();
    out->push_back(*signature);
  }
  return Status::Ok();
}

Result<QC> QcFromProto(const wire::QuorumCert& in) {
  if (!in.has_vote_data()) return Status::InvalidArgument("lacks its vote data");
  QC out;
  auto vote_data = VoteDataFromProto(in.vote_data());
  if (!vote_data.ok()) return vote_data.status().With("vote data");
  out.vote_data = *vote_data;
  if (in.signers().size() > kSignerBitmapBytesMax) {
    return Status::InvalidArgument("signer bitmap of " + std::to_string(in.signers().size()) +
                                   " bytes exceeds " + std::to_string(kSignerBitmapBytesMax));
  }
  const auto n = static_cast<uint32_t>(8 * in.signers().size());
  auto signers = SignerBitmap::FromBytes(AsBytes(in.signers()), n);
  HOTBFT_ASSERT(signers.ok());  // any whole number of bytes is a bitmap for n = 8 * length
  out.signers = std::move(signers).value();
  HOTBFT_RETURN_IF_ERROR(
      SignaturesFromProto(in.signatures(), out.signers.Count(), &out.signatures));
  return out;
}

Result<Vote> VoteFromProto(const wire::Vote& in) {
  if (!in.has_data()) return Status::InvalidArgument("vote lacks its vote data");
  Vote out;
  auto data = VoteDataFromProto(in.data());
  if (!data.ok()) return data.status().With("vote data");
  out.data = *data;
  HOTBFT_RETURN_IF_ERROR(IndexField(in.voter(), "voter"));
  out.voter = in.voter();
  auto signature = SignatureField(in.signature(), "vote signature");
  if (!signature.ok()) return signature.status();
  out.signature = *signature;
  return out;
}

Result<BlockHeader> HeaderFromProto(const wire::BlockHeader& in) {
  BlockHeader out;
  out.epoch = in.epoch();
  out.height = in.height();
  out.round = in.round();
  auto parent_id = HashField(in.parent_id(), "parent_id");
  if (!parent_id.ok()) return parent_id.status();
  out.parent_id = *parent_id;
  auto payload_hash = HashField(in.payload_hash(), "payload_hash");
  if (!payload_hash.ok()) return payload_hash.status();
  out.payload_hash = *payload_hash;
  HOTBFT_RETURN_IF_ERROR(IndexField(in.proposer(), "proposer"));
  out.proposer = in.proposer();
  if (!in.has_justify()) return Status::InvalidArgument("header lacks its justify QC");
  auto justify = QcFromProto(in.justify());
  if (!justify.ok()) return justify.status().With("justify QC");
  out.justify = std::move(justify).value();
  out.exec_height = in.exec_height();
  if (in.app_hash().size() > kAppHashBytesMax) {
    return Status::InvalidArgument("app_hash of " + std::to_string(in.app_hash().size()) +
                                   " bytes exceeds " + std::to_string(kAppHashBytesMax));
  }
  out.app_hash.assign(in.app_hash().begin(), in.app_hash().end());
  out.timestamp_ms = in.timestamp_ms();
  return out;
}

Status SignedHeaderFromProto(const wire::SignedHeader& in, BlockHeader* header,
                             Signature* signature) {
  if (!in.has_header()) return Status::InvalidArgument("lacks its header");
  auto decoded = HeaderFromProto(in.header());
  if (!decoded.ok()) return decoded.status();
  auto sig = SignatureField(in.signature(), "proposal signature");
  if (!sig.ok()) return sig.status();
  *header = std::move(decoded).value();
  *signature = *sig;
  return Status::Ok();
}

Result<Evidence> DoubleVoteFromProto(const wire::DoubleVote& in) {
  if (!in.has_first() || !in.has_second()) {
    return Status::InvalidArgument("double vote lacks one of its votes");
  }
  auto first = VoteFromProto(in.first());
  if (!first.ok()) return first.status().With("double vote, first");
  auto second = VoteFromProto(in.second());
  if (!second.ok()) return second.status().With("double vote, second");
  return Evidence(DoubleVote{*first, *second});
}

Result<Evidence> DoubleProposalFromProto(const wire::DoubleProposal& in) {
  if (!in.has_first() || !in.has_second()) {
    return Status::InvalidArgument("double proposal lacks one of its proposals");
  }
  DoubleProposal out;
  HOTBFT_RETURN_IF_ERROR(SignedHeaderFromProto(in.first(), &out.first, &out.first_signature)
                             .With("double proposal, first"));
  HOTBFT_RETURN_IF_ERROR(SignedHeaderFromProto(in.second(), &out.second, &out.second_signature)
                             .With("double proposal, second"));
  return Evidence(std::move(out));
}

}  // namespace

void EvidenceToProto(const Evidence& in, wire::Evidence* out) {
  out->Clear();
  if (const auto* vote = std::get_if<DoubleVote>(&in)) {
    VoteToProto(vote->first, out->mutable_double_vote()->mutable_first());
    VoteToProto(vote->second, out->mutable_double_vote()->mutable_second());
    return;
  }
  const auto& proposal = std::get<DoubleProposal>(in);
  SignedHeaderToProto(proposal.first, proposal.first_signature,
                      out->mutable_double_proposal()->mutable_first());
  SignedHeaderToProto(proposal.second, proposal.second_signature,
                      out->mutable_double_proposal()->mutable_second());
}

Result<Evidence> EvidenceFromProto(const wire::Evidence& in) {
  switch (in.kind_case()) {
    case wire::Evidence::kDoubleVote: return DoubleVoteFromProto(in.double_vote());
    case wire::Evidence::kDoubleProposal: return DoubleProposalFromProto(in.double_proposal());
    case wire::Evidence::kDoubleTimeout:
      // consensus/evidence.h has no such kind yet, so the app interface cannot carry it.
      return Status::InvalidArgument("evidence kind double_timeout is not in the app interface");
    case wire::Evidence::KIND_NOT_SET: break;
  }
  return Status::InvalidArgument("evidence names no kind");
}

}  // namespace hotbft::app
