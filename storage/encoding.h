// The stored encodings of the values the store itself defines: keys, counters and
// transaction records. Consensus values (blocks, QCs, TCs, safety data) are stored in
// their protobuf wire form through consensus/wire.h, so decoding them re-runs the same
// structural checks as a message from the network.
//
// These use the canonical writer (crypto/canonical.h) rather than new protobuf messages:
// the layout is fixed-width and big-endian, so height keys sort numerically in RocksDB,
// a decode rejects trailing bytes, and the schema lives in the storage module (proto/ is
// the wire contract between nodes; a storage change bumps kSchemaVersion instead).
//
//   height key     u64 height (big-endian: byte order is numeric order)
//   height-id key  u64 height, fixed(32) block id
//   id key         fixed(32)
//   u32, u64       fixed width, big-endian
//   tx record      u64 height, u32 index, var(result)
//   evidence key   u64 epoch, u64 round, u32 validator, u8 kind (EvidenceKind): rounds sort
//                  numerically within an epoch
//   evidence record  u64 height, var(canonical evidence)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "storage/write_plan.h"

namespace hotbft::storage {

inline constexpr size_t kHeightKeyBytes = 8;
inline constexpr size_t kIdKeyBytes = Hash32::kSize;
inline constexpr size_t kHeightIdKeyBytes = kHeightKeyBytes + kIdKeyBytes;

std::string HeightKey(Height height);
std::string HeightIdKey(const HeightId& entry);
std::string IdKey(const Hash32& id);
std::string EncodeU32(uint32_t value);
std::string EncodeU64(uint64_t value);
std::string EncodeTxRecord(const TxRecord& record);
std::string EvidenceKeyBytes(const EvidenceKey& key);
std::string EncodeEvidenceRecord(const StoredEvidence& record);
std::string EncodeBlock(const Block& block);
std::string EncodeQC(const QC& qc);
std::string EncodeTC(const TC& tc);
std::string EncodeSafetyData(const SafetyData& data);

// Each decode fails with kCorruption, naming `what` (e.g. "meta committed_height"), when
// the bytes are not exactly one value of the type.
Result<Height> DecodeHeightKey(std::string_view bytes, std::string_view what);
Result<HeightId> DecodeHeightIdKey(std::string_view bytes, std::string_view what);
Result<Hash32> DecodeId(std::string_view bytes, std::string_view what);
Result<uint32_t> DecodeU32(std::string_view bytes, std::string_view what);
Result<uint64_t> DecodeU64(std::string_view bytes, std::string_view what);
Result<TxRecord> DecodeTxRecord(std::string_view bytes, std::string_view what);
Result<EvidenceKey> DecodeEvidenceKey(std::string_view bytes, std::string_view what);
// The record's key is not in its bytes: `key` is the one it was stored under.
Result<StoredEvidence> DecodeEvidenceRecord(std::string_view bytes, const EvidenceKey& key,
                                            std::string_view what);
// Consensus values, decoded and checked as consensus/wire.h does for `ctx`'s chain.
Result<std::shared_ptr<const Block>> DecodeBlock(std::string_view bytes, const WireContext& ctx,
                                                 std::string_view what);
Result<QC> DecodeQC(std::string_view bytes, const WireContext& ctx, std::string_view what);
Result<TC> DecodeTC(std::string_view bytes, const WireContext& ctx, std::string_view what);
// Safety data keeps its last proposal without the block (EncodeSafetyData): a leader's
// safety data is written with every vote and timeout it signs, and its proposal's payload
// (up to payload_bytes_max) is already in the blocks written with it. Decoding looks the
// block up with `block`; if it is gone (committed and pruned, or lost to the committed
// branch), the proposal is left out: its round is behind the validator then, so it can
// never be re-sent, and last_proposed_round still forbids proposing in that round again.
using BlockLookup = std::function<Result<std::shared_ptr<const Block>>(const Hash32& id)>;
Result<SafetyData> DecodeSafetyData(std::string_view bytes, const WireContext& ctx,
                                    const BlockLookup& block, std::string_view what);

}  // namespace hotbft::storage
