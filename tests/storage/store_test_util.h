// Shared pieces of the storage tests: chains of real, signed blocks, batches that commit
// and execute them, comparisons, a temporary directory, and one factory per Store
// implementation for the suite that runs against both.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "consensus/safety_rules.h"
#include "crypto/sha256.h"
#include "storage/encoding.h"
#include "storage/mem_store.h"
#include "storage/rocks_store.h"
#include "tests/consensus/fixtures.h"
#include "tests/temp_dir.h"

namespace hotbft::storage::testing {

using ::hotbft::testing::Fixture;
using ::hotbft::testing::kChainId;

inline constexpr uint32_t kValidators = 4;

// A temporary directory; a test's database goes in Sub("db") (RocksDB creates it).
using ::hotbft::testing::TempDir;

inline Bytes TxBytes(uint64_t height, uint32_t index) {
  const std::string text = "tx-" + std::to_string(height) + "-" + std::to_string(index);
  return Bytes(text.begin(), text.end());
}

// A linear chain on the genesis block: block h has round h, two transactions, and the QC
// qcs[h] certifies it (qcs[0] is the genesis QC).
using Chain = ::hotbft::testing::LinearChain;

inline Chain MakeChain(Fixture& fx, Height length) {
  return ::hotbft::testing::MakeLinearChain(fx, length, [](Height h) {
    return std::vector<Bytes>{TxBytes(h, 0), TxBytes(h, 1)};
  });
}

// Commits heights (from, to] of `chain`, whose blocks are stored already.
inline WriteBatch CommitBatch(const Chain& chain, Height from, Height to) {
  WriteBatch batch;
  for (Height h = from + 1; h <= to; ++h) batch.committed.push_back(chain.blocks[h]->id);
  batch.root_qc = chain.qcs[to];
  return batch;
}

inline Bytes AppHash(Height height) {
  const std::string text = "app-" + std::to_string(height);
  const Hash32 hash = Sha256(AsBytes(text));
  return Bytes(hash.bytes.begin(), hash.bytes.end());
}

inline Bytes BlockResult(Height height) {
  const std::string text = "block-result-" + std::to_string(height);
  return Bytes(text.begin(), text.end());
}

// The execution of height `h` of `chain`: a record for each of its transactions, and a
// block result.
inline ExecutionRecord Execution(const Chain& chain, Height h) {
  ExecutionRecord record;
  record.height = h;
  record.app_hash = AppHash(h);
  const auto& txs = chain.blocks[h]->payload->txs;
  for (uint32_t i = 0; i < txs.size(); ++i) {
    record.txs.emplace_back(Sha256(txs[i]), TxRecord{h, i, Bytes{0x0a, static_cast<uint8_t>(i)}});
  }
  record.block_result = BlockResult(h);
  return record;
}

// The same, written ahead of the app's Commit: no app hash.
inline ExecutionRecord Ahead(const Chain& chain, Height h) {
  ExecutionRecord record = Execution(chain, h);
  record.app_hash.clear();
  return record;
}

// A record completing height `h`, whose results were written ahead: its app hash alone.
inline ExecutionRecord Completion(Height h) {
  ExecutionRecord record;
  record.height = h;
  record.app_hash = AppHash(h);
  return record;
}

// Safety data with every optional part set, signed by validator 0: a proposal (with a TC)
// of a block extending chain block `extend` (at height extend + 1, round extend + 2), votes,
// a timeout carrying a vote, and an observed TC. The store keeps the proposal only while
// its block is stored: write the block with it.
inline SafetyData FullSafetyData(Fixture& fx, const Chain& chain, Height extend = 1) {
  SafetyRules rules(fx.MakeValidatorSigner(0, 7), 0, kChainId, std::nullopt);
  rules.InitializeFresh(0);
  HOTBFT_ASSERT(rules.SignVote(*chain.blocks[1]).ok());
  HOTBFT_ASSERT(rules.SignVote(*chain.blocks[2]).ok());
  HOTBFT_ASSERT(rules.SignTimeout(2, chain.qcs[1], chain.qcs[1]).ok());
  const TC tc = fx.MakeTC(extend + 1, extend);
  rules.ObserveTC(tc);
  auto own = fx.MakeBlock(chain.qcs[extend], extend + 2, 0);
  HOTBFT_ASSERT(rules.SignProposal(own, tc).ok());
  HOTBFT_ASSERT(rules.data().last_timeout->vote.has_value());
  return rules.data();
}

inline void ExpectSameBlock(const std::shared_ptr<const Block>& got,
                            const std::shared_ptr<const Block>& want);

// The stored form of safety data names its last proposal's block by id: the block itself
// is compared too.
inline void ExpectSameSafety(const std::optional<SafetyData>& got, const SafetyData& want) {
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(EncodeSafetyData(*got), EncodeSafetyData(want));
  ASSERT_EQ(got->last_proposal.has_value(), want.last_proposal.has_value());
  if (want.last_proposal) ExpectSameBlock(got->last_proposal->block, want.last_proposal->block);
}

inline void ExpectSameBlock(const std::shared_ptr<const Block>& got,
                            const std::shared_ptr<const Block>& want) {
  ASSERT_NE(got, nullptr);
  ASSERT_NE(want, nullptr);
  EXPECT_EQ(got->id, want->id);
  EXPECT_EQ(got->header, want->header);
  ASSERT_NE(got->payload, nullptr);
  EXPECT_EQ(*got->payload, *want->payload);
}

inline std::vector<Hash32> Ids(const std::vector<std::shared_ptr<const Block>>& blocks) {
  std::vector<Hash32> ids;
  for (const auto& block : blocks) ids.push_back(block->id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

inline std::vector<Hash32> IdsOf(const Chain& chain, Height from, Height to) {
  std::vector<std::shared_ptr<const Block>> blocks(chain.blocks.begin() + from,
                                                   chain.blocks.begin() + to + 1);
  return Ids(blocks);
}

// `ids` (sorted) with `id` added, sorted.
inline std::vector<Hash32> With(std::vector<Hash32> ids, const Hash32& id) {
  ids.insert(std::upper_bound(ids.begin(), ids.end(), id), id);
  return ids;
}

// Factories for the suite that runs against every implementation.
struct MemStoreFactory {
  std::unique_ptr<Store> Open(const Fixture& fx) {
    return std::make_unique<MemStore>(fx.genesis(), fx.genesis_qc());
  }
};

struct RocksStoreFactory {
  std::unique_ptr<Store> Open(const Fixture& fx) {
    auto store = OpenRocksStore(dir.Sub("db"), kChainId, fx.genesis(), fx.genesis_qc());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return nullptr;
    return std::move(store).value();
  }
  TempDir dir;
};

}  // namespace hotbft::storage::testing
