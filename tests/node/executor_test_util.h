// Shared pieces of the executor tests: a chain of real, signed blocks with chosen
// transactions, committed into a store; an Application wrapper that records what reaches
// the app, fails on demand and adds block-level events and validator updates; a Store
// wrapper whose writes fail on demand; and a clean run of the chain to compare against.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/forwarding_app.h"
#include "app/kvstore.h"
#include "crypto/sha256.h"
#include "node/executor.h"
#include "storage/mem_store.h"
#include "storage/rocks_store.h"
#include "tests/consensus/fixtures.h"
#include "tests/temp_dir.h"

namespace hotbft::node::testing {

using ::hotbft::testing::Fixture;
using ::hotbft::testing::kChainId;
using ::hotbft::testing::TempDir;

inline constexpr uint32_t kValidators = 4;

inline Bytes Tx(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

inline std::string Text(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

inline ExecutorConfig Config() {
  return ExecutorConfig{std::string(kChainId), {}, {}};
}

// A linear chain on the genesis block; block h has round h and the QC qcs[h] certifies it.
class TestChain {
 public:
  TestChain() : fx_(kValidators) {
    blocks_.push_back(fx_.genesis());
    qcs_.push_back(fx_.genesis_qc());
  }

  const Fixture& fixture() const { return fx_; }
  Height height() const { return blocks_.size() - 1; }
  const Block& block(Height h) const { return *blocks_.at(h); }

  // `evidence`: canonical encodings the block's payload carries.
  void Append(const std::vector<std::string>& txs, std::vector<Bytes> evidence = {}) {
    std::vector<Bytes> bytes;
    for (const std::string& tx : txs) bytes.push_back(Tx(tx));
    const Round round = blocks_.size();
    auto made = fx_.MakeBlock(qcs_.back(), round, static_cast<uint32_t>(round % kValidators),
                              std::move(bytes));
    auto block = std::make_shared<Block>(*made);
    auto payload = std::make_shared<Payload>(*made->payload);
    payload->evidence = std::move(evidence);
    block->header.payload_hash = PayloadHash(kChainId, payload->txs, payload->evidence);
    block->payload = std::move(payload);
    block->id = block->header.Id(kChainId);
    qcs_.push_back(fx_.MakeQC(*block));
    blocks_.push_back(std::move(block));
  }

  // Validator `voter`'s double vote in `round` (two blocks that are not on this chain).
  DoubleVote MakeDoubleVote(Round round, uint32_t voter) {
    auto a = fx_.MakeBlock(fx_.genesis_qc(), round, 0, {Tx("x")});
    auto b = fx_.MakeBlock(fx_.genesis_qc(), round, 0, {Tx("y")});
    return DoubleVote{fx_.MakeVote(*a, voter), fx_.MakeVote(*b, voter)};
  }

  // The executor's config with the chain's validator set (evidence decodes against it).
  ExecutorConfig ConfigWithValidators() const {
    ExecutorConfig config{std::string(kChainId), {}, {}};
    for (const PublicKey& key : fx_.validators().keys()) {
      config.validators.push_back(
          app::ValidatorUpdate{Bytes(key.bytes.begin(), key.bytes.end()), 1});
    }
    return config;
  }

  // Stores and commits heights (store.CommittedHeight(), to] in one batch.
  void Commit(storage::Store& store, Height to) const {
    storage::WriteBatch batch;
    for (Height h = store.CommittedHeight() + 1; h <= to; ++h) {
      batch.blocks.push_back(blocks_.at(h));
      batch.committed.push_back(blocks_.at(h)->id);
    }
    batch.root_qc = qcs_.at(to);
    const Status status = store.Write(batch);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  std::unique_ptr<storage::MemStore> NewMemStore() const {
    return std::make_unique<storage::MemStore>(fx_.genesis(), fx_.genesis_qc());
  }

  std::unique_ptr<storage::Store> OpenRocksStore(const std::string& dir) const {
    auto store =
        storage::OpenRocksStore(dir, std::string(kChainId), fx_.genesis(), fx_.genesis_qc());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

 private:
  Fixture fx_;
  std::vector<std::shared_ptr<const Block>> blocks_;
  std::vector<QC> qcs_;
};

inline std::unique_ptr<app::KvStore> OpenKv(const std::string& dir) {
  auto kv = app::KvStore::Open(dir);
  EXPECT_TRUE(kv.ok()) << kv.status().ToString();
  return kv.ok() ? std::move(kv).value() : nullptr;
}

// The value of `key` in the kvstore's last committed state ("" if absent).
inline std::string ValueOf(app::Application& app, std::string_view key) {
  auto result = app.Query(app::QueryRequest{"/key", Tx(key), 0});
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok() || result->code != app::kCodeOk) return "";
  return Text(result->value);
}

// The block-level outcome TestApp adds to FinalizeBlock at `height` when asked to: an event
// on every height but each fourth, and a validator update on even ones.
inline app::FinalizeBlockResult BlockOutcome(Height height) {
  app::FinalizeBlockResult outcome;
  if (height % 4 == 0) return outcome;
  const std::string parity = height % 2 == 0 ? "even" : "odd";
  outcome.events.push_back(
      app::Event{"block", {{"height", std::to_string(height)}, {"parity", parity}}});
  if (height % 2 == 0) {
    outcome.validator_updates.push_back(
        app::ValidatorUpdate{Bytes(32, static_cast<uint8_t>(height)), height});
  }
  return outcome;
}

// The store holds BlockOutcome(height) as the block result of `height`, or none if it is
// empty.
inline void ExpectBlockOutcomeStored(const storage::Store& store, Height height) {
  const app::FinalizeBlockResult outcome = BlockOutcome(height);
  const std::optional<Bytes> stored = store.BlockResultAt(height);
  if (outcome.events.empty() && outcome.validator_updates.empty()) {
    EXPECT_FALSE(stored.has_value()) << "height " << height;
    return;
  }
  ASSERT_TRUE(stored.has_value()) << "height " << height;
  auto decoded = DecodeStoredBlockResult(*stored);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, (BlockResult{outcome.events, outcome.validator_updates, ""}))
      << "height " << height;
}

// Forwards to an inner app (which may be swapped, as when an app process restarts),
// records what reached it, and fails calls on demand.
class TestApp final : public app::ForwardingApplication {
 public:
  explicit TestApp(app::Application* inner) : ForwardingApplication(inner) {}
  using ForwardingApplication::set_inner;

  // Each fails the next n calls of its kind.
  size_t fail_finalize = 0;       // not forwarded
  size_t fail_commit = 0;         // not forwarded
  size_t lose_commit_answer = 0;  // forwarded, and the answer replaced by an error
  size_t fail_info = 0;           // not forwarded
  size_t reserved_code = 0;       // forwarded, and the first result given a reserved code
  bool block_outcome = false;     // FinalizeBlock answers carry BlockOutcome(height)

  // What reached the inner app: each FinalizeBlock request, each InitChain, each Commit.
  std::vector<app::FinalizeBlockRequest> finalized;
  std::vector<app::InitChainRequest> init_chains;
  size_t commits = 0;

  std::vector<Height> FinalizedHeights() const {
    std::vector<Height> heights;
    for (const auto& request : finalized) heights.push_back(request.height);
    return heights;
  }

  Result<app::InfoResult> Info() override {
    if (Take(fail_info)) return Status::IoError("app unreachable (Info)");
    return inner().Info();
  }
  Result<Bytes> InitChain(const app::InitChainRequest& request) override {
    init_chains.push_back(request);
    return inner().InitChain(request);
  }
  Result<app::FinalizeBlockResult> FinalizeBlock(
      const app::FinalizeBlockRequest& request) override {
    if (Take(fail_finalize)) return Status::IoError("app unreachable (FinalizeBlock)");
    auto result = inner().FinalizeBlock(request);
    if (result.ok()) finalized.push_back(request);
    if (result.ok() && !result->tx_results.empty() && Take(reserved_code)) {
      result->tx_results[0].code = app::kCodeDuplicate;
    }
    if (result.ok() && block_outcome) {
      app::FinalizeBlockResult outcome = BlockOutcome(request.height);
      result->events = std::move(outcome.events);
      result->validator_updates = std::move(outcome.validator_updates);
    }
    return result;
  }
  Result<app::CommitResult> Commit() override {
    if (Take(fail_commit)) return Status::IoError("app unreachable (Commit)");
    auto result = inner().Commit();
    if (result.ok()) ++commits;
    if (result.ok() && Take(lose_commit_answer)) {
      return Status::IoError("connection closed while waiting for the Commit response");
    }
    return result;
  }

 private:
  static bool Take(size_t& count) {
    if (count == 0) return false;
    --count;
    return true;
  }
};

// Forwards to an inner store and fails writes on demand, writing nothing of them.
class TestStore final : public storage::Store {
 public:
  explicit TestStore(storage::Store* inner) : inner_(inner) {}

  size_t fail_results_writes = 0;      // batches with results written ahead (`finalized`)
  size_t fail_app_hash_writes = 0;     // batches with execution records
  size_t writes = 0;                   // batches that reached the inner store
  size_t unsynced_writes = 0;          // of which WriteBatch::sync was false
  size_t unsynced_results_writes = 0;  // of which carried `finalized` and were not synced

  Status Write(const storage::WriteBatch& batch) override {
    if (batch.finalized && Take(fail_results_writes)) return Status::IoError("disk full");
    if (!batch.executed.empty() && Take(fail_app_hash_writes)) return Status::IoError("disk full");
    ++writes;
    if (!batch.sync) ++unsynced_writes;
    if (!batch.sync && batch.finalized) ++unsynced_results_writes;
    return inner_->Write(batch);
  }
  Result<RecoveryState> Recover() const override { return inner_->Recover(); }
  std::shared_ptr<const Block> GetBlock(const Hash32& id) const override {
    return inner_->GetBlock(id);
  }
  std::optional<QC> GetQC(const Hash32& id) const override { return inner_->GetQC(id); }
  std::optional<Hash32> CommittedAt(Height height) const override {
    return inner_->CommittedAt(height);
  }
  Height CommittedHeight() const override { return inner_->CommittedHeight(); }
  std::optional<storage::TxRecord> GetTx(const Hash32& tx_hash) const override {
    return inner_->GetTx(tx_hash);
  }
  std::optional<Bytes> AppHashAt(Height height) const override { return inner_->AppHashAt(height); }
  std::optional<Bytes> BlockResultAt(Height height) const override {
    return inner_->BlockResultAt(height);
  }
  Height ExecutedHeight() const override { return inner_->ExecutedHeight(); }
  std::optional<storage::StoredEvidence> GetEvidence(const EvidenceKey& key) const override {
    return inner_->GetEvidence(key);
  }
  Result<std::vector<storage::StoredEvidence>> ListEvidence(Epoch epoch, Round round_min,
                                                            size_t count_max) const override {
    return inner_->ListEvidence(epoch, round_min, count_max);
  }
  Status Prune(Height retain_height) override { return inner_->Prune(retain_height); }

 private:
  static bool Take(size_t& count) {
    if (count == 0) return false;
    --count;
    return true;
  }

  storage::Store* inner_;
};

// The chain every recovery test runs: duplicates inside a block and across blocks, an
// empty block, a transaction the kvstore rejects.
inline TestChain StandardChain() {
  TestChain chain;
  chain.Append({"a=1", "b=2", "a=1"});
  chain.Append({"c=3", "b=2"});
  chain.Append({"a=4", "d=5"});
  chain.Append({});
  chain.Append({"e=6", "no-separator"});
  return chain;
}

// What a run of the chain without faults leaves: the app hash after each height (index 0
// unused) and the store's record of every transaction.
struct CleanRun {
  std::vector<Bytes> app_hashes;
  std::vector<std::pair<Hash32, std::optional<storage::TxRecord>>> txs;
};

inline CleanRun RunClean(const TestChain& chain) {
  TempDir dir;
  auto kv = OpenKv(dir.Sub("kv"));
  auto store = chain.NewMemStore();
  chain.Commit(*store, chain.height());
  Executor executor(*store, *kv, Config());
  auto recovered = executor.Recover();
  EXPECT_TRUE(recovered.ok()) << recovered.status().ToString();
  CleanRun run;
  run.app_hashes.resize(chain.height() + 1);
  for (Height h = 1; h <= chain.height(); ++h) {
    run.app_hashes[h] = store->AppHashAt(h).value_or(Bytes());
    for (const Bytes& tx : chain.block(h).payload->txs) {
      run.txs.emplace_back(Sha256(tx), store->GetTx(Sha256(tx)));
    }
  }
  return run;
}

// The store holds what a clean run of `chain` up to `height` leaves.
inline void ExpectLikeCleanRun(const storage::Store& store, const CleanRun& clean, Height height) {
  EXPECT_EQ(store.ExecutedHeight(), height);
  for (Height h = 1; h <= height; ++h) {
    EXPECT_EQ(store.AppHashAt(h), clean.app_hashes.at(h)) << "height " << h;
  }
  for (const auto& [hash, record] : clean.txs) {
    if (record && record->height <= height) {
      EXPECT_EQ(store.GetTx(hash), record) << "transaction " << hash.hex();
    }
  }
}

}  // namespace hotbft::node::testing
