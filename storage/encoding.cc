#include "storage/encoding.h"

#include <cstring>
#include <limits>

#include "crypto/canonical.h"
#include "proto/types.pb.h"

namespace hotbft::storage {
namespace {

std::string ToString(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

Status AsCorruption(const Status& status, std::string_view what) {
  HOTBFT_ASSERT(!status.ok());
  return Status::Corruption(std::string(what) + ": " + status.message());
}

// Decodes exactly one value with `read`, or reports what was being read.
template <typename T, typename Read>
Result<T> DecodeExactly(std::string_view bytes, std::string_view what, Read read) {
  CanonicalReader reader(AsBytes(bytes));
  Result<T> value = read(reader);
  if (!value.ok()) return AsCorruption(value.status(), what);
  Status finish = reader.Finish();
  if (!finish.ok()) return AsCorruption(finish, what);
  return value;
}

Result<Hash32> ReadId(CanonicalReader& reader) {
  auto bytes = reader.Fixed(kIdKeyBytes);
  if (!bytes.ok()) return bytes.status();
  return Hash32::FromBytes(*bytes);
}

// Parses a protobuf message and converts it with FromProto, reporting both failures as
// corruption of `what`.
template <typename Proto>
Result<Proto> ParseProto(std::string_view bytes, std::string_view what) {
  HOTBFT_ASSERT(bytes.size() <= static_cast<size_t>(std::numeric_limits<int>::max()));
  Proto proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption(std::string(what) + ": " + std::to_string(bytes.size()) +
                              " bytes do not parse as " + proto.GetTypeName());
  }
  return proto;
}

template <typename Proto, typename T>
Result<T> DecodeWire(std::string_view bytes, const WireContext& ctx, std::string_view what) {
  auto proto = ParseProto<Proto>(bytes, what);
  if (!proto.ok()) return proto.status();
  Result<T> value = FromProto(*proto, ctx);
  if (!value.ok()) return AsCorruption(value.status(), what);
  return value;
}

template <typename Proto>
std::string Serialize(const Proto& proto) {
  std::string out;
  const bool serialized = proto.SerializeToString(&out);
  HOTBFT_ASSERT(serialized);
  return out;
}

}  // namespace

std::string HeightKey(Height height) {
  std::string key = EncodeU64(height);
  HOTBFT_ASSERT(key.size() == kHeightKeyBytes);
  return key;
}

std::string HeightIdKey(const HeightId& entry) {
  CanonicalWriter w;
  w.U64(entry.height).Fixed(entry.id.view());
  HOTBFT_ASSERT(w.bytes().size() == kHeightIdKeyBytes);
  return ToString(w.bytes());
}

std::string IdKey(const Hash32& id) {
  return std::string(id.bytes.begin(), id.bytes.end());
}

std::string EncodeU32(uint32_t value) {
  CanonicalWriter w;
  w.U32(value);
  return ToString(w.bytes());
}

std::string EncodeU64(uint64_t value) {
  CanonicalWriter w;
  w.U64(value);
  return ToString(w.bytes());
}

std::string EncodeTxRecord(const TxRecord& record) {
  HOTBFT_ASSERT(record.result.size() <= kTxResultBytesMax);
  CanonicalWriter w;
  w.U64(record.height).U32(record.index).Var(record.result);
  return ToString(w.bytes());
}

std::string EvidenceKeyBytes(const EvidenceKey& key) {
  CanonicalWriter w;
  w.U64(key.epoch).U64(key.round).U32(key.validator).U8(static_cast<uint8_t>(key.kind));
  return ToString(w.bytes());
}

std::string EncodeEvidenceRecord(const StoredEvidence& record) {
  HOTBFT_ASSERT(record.evidence.size() <= kEvidenceBytesMax);
  CanonicalWriter w;
  w.U64(record.height).Var(record.evidence);
  return ToString(w.bytes());
}

std::string EncodeBlock(const Block& block) {
  HOTBFT_ASSERT(block.payload != nullptr);
  wire::Block proto;
  ToProto(block, &proto);
  return Serialize(proto);
}

std::string EncodeQC(const QC& qc) {
  wire::QuorumCert proto;
  ToProto(qc, &proto);
  return Serialize(proto);
}

std::string EncodeTC(const TC& tc) {
  wire::TimeoutCert proto;
  ToProto(tc, &proto);
  return Serialize(proto);
}

std::string EncodeSafetyData(const SafetyData& data) {
  SafetyData without_proposal = data;
  without_proposal.last_proposal.reset();
  wire::SafetyData proto;
  ToProto(without_proposal, &proto);
  if (data.last_proposal) {
    const Proposal& p = *data.last_proposal;
    wire::StoredProposal* stored = proto.mutable_last_proposal_stored();
    stored->set_block_id(p.block->id.bytes.data(), p.block->id.bytes.size());
    if (p.tc) ToProto(*p.tc, stored->mutable_tc());
    stored->set_signature(p.signature.bytes.data(), p.signature.bytes.size());
  }
  return Serialize(proto);
}

Result<Height> DecodeHeightKey(std::string_view bytes, std::string_view what) {
  return DecodeU64(bytes, what);
}

Result<HeightId> DecodeHeightIdKey(std::string_view bytes, std::string_view what) {
  return DecodeExactly<HeightId>(bytes, what, [](CanonicalReader& r) -> Result<HeightId> {
    auto height = r.U64();
    if (!height.ok()) return height.status();
    auto id = ReadId(r);
    if (!id.ok()) return id.status();
    return HeightId{*height, *id};
  });
}

Result<Hash32> DecodeId(std::string_view bytes, std::string_view what) {
  return DecodeExactly<Hash32>(bytes, what, ReadId);
}

Result<uint32_t> DecodeU32(std::string_view bytes, std::string_view what) {
  return DecodeExactly<uint32_t>(bytes, what, [](CanonicalReader& r) { return r.U32(); });
}

Result<uint64_t> DecodeU64(std::string_view bytes, std::string_view what) {
  return DecodeExactly<uint64_t>(bytes, what, [](CanonicalReader& r) { return r.U64(); });
}

Result<TxRecord> DecodeTxRecord(std::string_view bytes, std::string_view what) {
  return DecodeExactly<TxRecord>(bytes, what, [](CanonicalReader& r) -> Result<TxRecord> {
    TxRecord record;
    auto height = r.U64();
    if (!height.ok()) return height.status();
    auto index = r.U32();
    if (!index.ok()) return index.status();
    auto result = r.Var(kTxResultBytesMax);
    if (!result.ok()) return result.status();
    record.height = *height;
    record.index = *index;
    record.result.assign(result->begin(), result->end());
    return record;
  });
}

Result<EvidenceKey> DecodeEvidenceKey(std::string_view bytes, std::string_view what) {
  return DecodeExactly<EvidenceKey>(bytes, what, [](CanonicalReader& r) -> Result<EvidenceKey> {
    EvidenceKey key;
    auto epoch = r.U64();
    if (!epoch.ok()) return epoch.status();
    auto round = r.U64();
    if (!round.ok()) return round.status();
    auto validator = r.U32();
    if (!validator.ok()) return validator.status();
    auto kind = r.U8();
    if (!kind.ok()) return kind.status();
    if (*kind > static_cast<uint8_t>(EvidenceKind::kDoubleProposal)) {
      return Status::InvalidArgument("evidence kind " + std::to_string(*kind) + " is unknown");
    }
    key.epoch = *epoch;
    key.round = *round;
    key.validator = *validator;
    key.kind = static_cast<EvidenceKind>(*kind);
    return key;
  });
}

Result<StoredEvidence> DecodeEvidenceRecord(std::string_view bytes, const EvidenceKey& key,
                                            std::string_view what) {
  return DecodeExactly<StoredEvidence>(bytes, what,
                                       [&key](CanonicalReader& r) -> Result<StoredEvidence> {
                                         StoredEvidence record;
                                         record.key = key;
                                         auto height = r.U64();
                                         if (!height.ok()) return height.status();
                                         auto evidence = r.Var(kEvidenceBytesMax);
                                         if (!evidence.ok()) return evidence.status();
                                         record.height = *height;
                                         record.evidence.assign(evidence->begin(), evidence->end());
                                         return record;
                                       });
}

Result<std::shared_ptr<const Block>> DecodeBlock(std::string_view bytes, const WireContext& ctx,
                                                 std::string_view what) {
  return DecodeWire<wire::Block, std::shared_ptr<const Block>>(bytes, ctx, what);
}

Result<QC> DecodeQC(std::string_view bytes, const WireContext& ctx, std::string_view what) {
  return DecodeWire<wire::QuorumCert, QC>(bytes, ctx, what);
}

Result<TC> DecodeTC(std::string_view bytes, const WireContext& ctx, std::string_view what) {
  return DecodeWire<wire::TimeoutCert, TC>(bytes, ctx, what);
}

Result<SafetyData> DecodeSafetyData(std::string_view bytes, const WireContext& ctx,
                                    const BlockLookup& block, std::string_view what) {
  auto proto = ParseProto<wire::SafetyData>(bytes, what);
  if (!proto.ok()) return proto.status();
  Result<SafetyData> data = FromProto(*proto, ctx);
  if (!data.ok()) return AsCorruption(data.status(), what);
  if (!proto->has_last_proposal_stored()) return data;
  const wire::StoredProposal& stored = proto->last_proposal_stored();
  const std::string where = std::string(what) + " last_proposal_stored";
  auto id = DecodeId(stored.block_id(), where + " block_id");
  if (!id.ok()) return id.status();
  Proposal p;
  if (stored.has_tc()) {
    auto tc = FromProto(stored.tc(), ctx);
    if (!tc.ok()) return AsCorruption(tc.status(), where);
    p.tc = std::move(tc).value();
  }
  if (stored.signature().size() != Signature::kSize) {
    return Status::Corruption(where + ": signature of " +
                              std::to_string(stored.signature().size()) + " bytes, not " +
                              std::to_string(Signature::kSize));
  }
  std::memcpy(p.signature.bytes.data(), stored.signature().data(), Signature::kSize);
  auto found = block(*id);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return data;  // see encoding.h: it can no longer be re-sent
  p.block = std::move(found).value();
  data->last_proposal = std::move(p);
  return data;
}

}  // namespace hotbft::storage
