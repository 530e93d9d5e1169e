// The RocksDB layout of a validator's database (schema version kSchemaVersion). Encodings
// are in encoding.h; consensus values are their protobuf wire form (consensus/wire.h).
//
//   column family   key                  value
//   blocks          id key               wire::Block (header and payload)
//   qcs             id key               wire::QuorumCert certifying that committed block
//   heights         height key           id of the block committed at that height
//   uncommitted     height-id key        empty: the stored blocks above the committed tip
//   txs             tx hash (id key)     tx record
//   results         height key           app hash after executing that height
//   block_results   height key           that height's block result, as the executor
//                                        encoded it (ExecutionRecord::block_result); only
//                                        heights with a non-empty one have a key
//   evidence        evidence key         evidence record: the committed evidence index
//   safety          kSafetyKey           wire::SafetyData
//   meta            kMeta* below         see each key
//
// block_results came after the first databases of schema version 1 were written, without a
// version change: opening creates a missing column family (create_missing_column_families),
// and such a database has no block results to miss, since nothing recorded them before. A
// build older than the family cannot open a database that has it (RocksDB refuses to leave
// a column family unopened). `evidence` came later the same way: a database without it has
// no committed evidence, since no block could carry any before.
#pragma once

#include <array>
#include <string_view>

namespace hotbft::storage::rocks_layout {

inline constexpr std::string_view kBlocks = "blocks";
inline constexpr std::string_view kQcs = "qcs";
inline constexpr std::string_view kHeights = "heights";
inline constexpr std::string_view kUncommitted = "uncommitted";
inline constexpr std::string_view kTxs = "txs";
inline constexpr std::string_view kResults = "results";
inline constexpr std::string_view kBlockResults = "block_results";
inline constexpr std::string_view kEvidence = "evidence";
inline constexpr std::string_view kSafety = "safety";
inline constexpr std::string_view kMeta = "meta";

// Every column family hotbft opens, in handle order. RocksDB's own "default" family is
// opened too (it must be) and holds nothing.
enum ColumnFamily : size_t {
  kBlocksCf,
  kQcsCf,
  kHeightsCf,
  kUncommittedCf,
  kTxsCf,
  kResultsCf,
  kBlockResultsCf,
  kEvidenceCf,
  kSafetyCf,
  kMetaCf,
  kColumnFamilyCount,
};
inline constexpr std::array<std::string_view, kColumnFamilyCount> kColumnFamilyNames = {
    kBlocks,  kQcs,          kHeights,  kUncommitted, kTxs,
    kResults, kBlockResults, kEvidence, kSafety,      kMeta};

inline constexpr std::string_view kSafetyKey = "safety";

inline constexpr std::string_view kMetaSchemaVersion = "schema_version";      // u32
inline constexpr std::string_view kMetaChainId = "chain_id";                  // raw bytes
inline constexpr std::string_view kMetaGenesisId = "genesis_id";              // id key
inline constexpr std::string_view kMetaRootQc = "root_qc";                    // wire::QuorumCert
inline constexpr std::string_view kMetaHighQc = "high_qc";                    // wire::QuorumCert
inline constexpr std::string_view kMetaHighTc = "high_tc";                    // wire::TimeoutCert
inline constexpr std::string_view kMetaCommittedHeight = "committed_height";  // u64
inline constexpr std::string_view kMetaExecutedHeight = "executed_height";    // u64
// The lowest height still in the committed height index (pruning starts there).
inline constexpr std::string_view kMetaRetainHeight = "retain_height";  // u64

}  // namespace hotbft::storage::rocks_layout
