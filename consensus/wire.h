// Conversion between the consensus types and their protobuf form (proto/types.proto).
//
// Decoding checks structure only: exact hash and signature lengths, bitmaps sized for the
// validator set, one signature per signer, validator indexes in range, bounded counts,
// and that a block's payload hash matches its payload. Signatures and protocol rules
// are checked later, by the core. Every failure says which field and which values.
#pragma once

#include <string>

#include "consensus/evidence.h"
#include "consensus/safety_rules.h"
#include "consensus/types.h"
#include "proto/types.pb.h"

namespace hotbft {

// Bounds on decoded payloads (the network frame limit bounds the total as well).
inline constexpr size_t kBlockTxsMax = 100'000;
inline constexpr size_t kTxBytesMax = 1 << 20;
// kAppHashBytesMax is in types.h (the canonical decoders bound it too); the bounds on a
// block's evidence (kBlockEvidenceMax, kEvidenceBytesMax) are in evidence.h.

struct WireContext {
  std::string chain_id;
  uint32_t validators = 0;  // the validator set's size: bitmap sizes and index bounds
};

void ToProto(const VoteData& in, wire::VoteData* out);
void ToProto(const TimeoutData& in, wire::TimeoutData* out);
void ToProto(const QC& in, wire::QuorumCert* out);
void ToProto(const TC& in, wire::TimeoutCert* out);
void ToProto(const BlockHeader& in, wire::BlockHeader* out);
void ToProto(const Block& in, wire::Block* out);
void ToProto(const Vote& in, wire::Vote* out);
void ToProto(const Proposal& in, wire::Proposal* out);
void ToProto(const Timeout& in, wire::Timeout* out);
void ToProto(const SafetyData& in, wire::SafetyData* out);

Result<VoteData> FromProto(const wire::VoteData& in);
Result<TimeoutData> FromProto(const wire::TimeoutData& in);
Result<QC> FromProto(const wire::QuorumCert& in, const WireContext& ctx);
Result<TC> FromProto(const wire::TimeoutCert& in, const WireContext& ctx);
Result<BlockHeader> FromProto(const wire::BlockHeader& in, const WireContext& ctx);
// Computes the block id and checks the header's payload hash against the payload.
Result<std::shared_ptr<const Block>> FromProto(const wire::Block& in, const WireContext& ctx);
Result<Vote> FromProto(const wire::Vote& in, const WireContext& ctx);
Result<Proposal> FromProto(const wire::Proposal& in, const WireContext& ctx);
Result<Timeout> FromProto(const wire::Timeout& in, const WireContext& ctx);
Result<SafetyData> FromProto(const wire::SafetyData& in, const WireContext& ctx);

}  // namespace hotbft
