// The executor on a chain it executes block by block: duplicates, results, block results,
// app hashes and the records in both stores.
#include "node/executor.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>

#include "app/limits.h"
#include "app/noop.h"
#include "proto/app.pb.h"
#include "tests/node/executor_test_util.h"

namespace hotbft::node::testing {
namespace {

ExecutedBlock MustExecute(Executor& executor, const Block& block) {
  if (executor.executed_height() + 1 != block.header.height) {
    ADD_FAILURE() << "height " << block.header.height << " is not the next to execute";
    return ExecutedBlock{};
  }
  auto executed = executor.Execute(block);
  EXPECT_TRUE(executed.ok()) << executed.status().ToString();
  return executed.ok() ? std::move(executed).value() : ExecutedBlock{};
}

void MustRecover(Executor& executor, Height expected) {
  auto recovered = executor.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(*recovered, expected);
}

// The app hash a kvstore reaches executing these blocks of transactions directly.
Bytes KvAppHash(const std::vector<std::vector<std::string>>& blocks) {
  TempDir dir;
  auto kv = OpenKv(dir.Sub("kv"));
  Bytes app_hash;
  for (size_t i = 0; i < blocks.size(); ++i) {
    app::FinalizeBlockRequest request;
    request.height = i + 1;
    for (const std::string& tx : blocks[i]) request.txs.push_back(Tx(tx));
    EXPECT_TRUE(kv->FinalizeBlock(request).ok());
    auto commit = kv->Commit();
    EXPECT_TRUE(commit.ok());
    if (commit.ok()) app_hash = commit->app_hash;
  }
  return app_hash;
}

void ExpectDuplicate(const app::TxResult& result, const std::string& origin) {
  EXPECT_EQ(result.code, app::kCodeDuplicate);
  EXPECT_NE(result.log.find(origin), std::string::npos) << result.log;
}

TEST(ExecutorTest, DuplicatesReachTheAppOnce) {
  TestChain chain;
  chain.Append({"a=1", "b=2", "a=1"});         // repeated inside the block
  chain.Append({"c=3", "b=2", "c=3", "a=1"});  // repeats of committed ones, and inside
  TempDir dir;
  auto kv = OpenKv(dir.Sub("kv"));
  TestApp app(kv.get());
  auto store = chain.NewMemStore();
  Executor executor(*store, app, Config());
  MustRecover(executor, 0);
  chain.Commit(*store, 2);

  const ExecutedBlock first = MustExecute(executor, chain.block(1));
  ASSERT_EQ(executor.executed_height(), 1u);
  ASSERT_EQ(first.tx_results.size(), 3u);
  EXPECT_EQ(first.tx_results[0].code, app::kCodeOk);
  EXPECT_EQ(first.tx_results[1].code, app::kCodeOk);
  ExpectDuplicate(first.tx_results[2], "height 1, position 0");
  const ExecutedBlock second = MustExecute(executor, chain.block(2));
  ASSERT_EQ(second.tx_results.size(), 4u);
  EXPECT_EQ(second.tx_results[0].code, app::kCodeOk);
  ExpectDuplicate(second.tx_results[1], "height 1, position 1");
  ExpectDuplicate(second.tx_results[2], "height 2, position 0");
  ExpectDuplicate(second.tx_results[3], "height 1, position 0");
  EXPECT_EQ(second.tx_hashes[3], Sha256(Tx("a=1")));

  // The app saw each transaction once, in block order, with the block's own fields.
  ASSERT_EQ(app.finalized.size(), 2u);
  EXPECT_EQ(app.finalized[0].txs, (std::vector<Bytes>{Tx("a=1"), Tx("b=2")}));
  EXPECT_EQ(app.finalized[1].txs, (std::vector<Bytes>{Tx("c=3")}));
  EXPECT_EQ(app.finalized[1].block_id, chain.block(2).id);
  EXPECT_EQ(app.finalized[1].proposer, chain.block(2).header.proposer);
  EXPECT_EQ(app.finalized[1].timestamp_ms, chain.block(2).header.timestamp_ms);
  EXPECT_TRUE(app.finalized[1].misbehaviour.empty());
  // Its state is that of one application of each: the same hash as a kvstore given the
  // blocks without their duplicates.
  EXPECT_EQ(second.app_hash, KvAppHash({{"a=1", "b=2"}, {"c=3"}}));
  EXPECT_NE(second.app_hash, KvAppHash({{"a=1", "b=2", "a=1"}, {"c=3", "b=2", "c=3", "a=1"}}));
  EXPECT_EQ(ValueOf(app, "a"), "1");

  // The index keeps each transaction's first occurrence.
  EXPECT_EQ(store->GetTx(Sha256(Tx("a=1")))->height, 1u);
  EXPECT_EQ(store->GetTx(Sha256(Tx("a=1")))->index, 0u);
  EXPECT_EQ(store->GetTx(Sha256(Tx("b=2")))->height, 1u);
  EXPECT_EQ(store->GetTx(Sha256(Tx("c=3")))->height, 2u);
  EXPECT_EQ(store->GetTx(Sha256(Tx("c=3")))->index, 0u);
}

// Every transaction of every executed height: its result and record; the block's events
// and validator updates, and their record; and the app hash.
void ExpectRecordsLand(const TestChain& chain, storage::Store& store) {
  TempDir dir;
  auto kv = OpenKv(dir.Sub("kv"));
  TestApp app(kv.get());
  app.block_outcome = true;
  Executor executor(store, app, Config());
  MustRecover(executor, 0);
  chain.Commit(store, chain.height());
  for (Height h = 1; h <= chain.height(); ++h) {
    const ExecutedBlock executed = MustExecute(executor, chain.block(h));
    ASSERT_EQ(executor.executed_height(), h);
    EXPECT_EQ(executed.height, h);
    EXPECT_EQ(store.ExecutedHeight(), h);
    EXPECT_EQ(store.AppHashAt(h), executed.app_hash);
    EXPECT_EQ(executed.events, BlockOutcome(h).events);
    EXPECT_EQ(executed.validator_updates, BlockOutcome(h).validator_updates);
    ExpectBlockOutcomeStored(store, h);
    const auto& txs = chain.block(h).payload->txs;
    ASSERT_EQ(executed.tx_results.size(), txs.size());
    for (uint32_t i = 0; i < txs.size(); ++i) {
      EXPECT_EQ(executed.tx_hashes[i], Sha256(txs[i]));
      const std::optional<storage::TxRecord> record = store.GetTx(Sha256(txs[i]));
      ASSERT_TRUE(record.has_value()) << "height " << h << " position " << i;
      if (executed.tx_results[i].code == app::kCodeDuplicate) {
        EXPECT_TRUE(record->height < h || record->index < i);  // the first occurrence's
        continue;
      }
      EXPECT_EQ(*record, (storage::TxRecord{h, i, EncodeStoredTxResult(executed.tx_results[i])}));
      auto decoded = DecodeStoredTxResult(record->result);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(*decoded, executed.tx_results[i]);
    }
  }
  EXPECT_EQ(store.GetTx(Sha256(Tx("no-separator")))->height, 5u);
  auto rejected = DecodeStoredTxResult(store.GetTx(Sha256(Tx("no-separator")))->result);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->code, app::KvStore::kCodeNoSeparator);
  EXPECT_EQ(store.AppHashAt(chain.height()), RunClean(chain).app_hashes.back());
}

// The results of a height are synced before the app's Commit; the app hash after it is not
// (a crash that loses it is recovered from the app: executor.h), so a height costs the disk
// one sync.
TEST(ExecutorTest, ResultsAreSyncedAndTheAppHashIsNot) {
  TestChain chain;
  chain.Append({"a=1", "b=2"});
  chain.Append({"c=3"});
  chain.Append({});
  TempDir dir;
  auto kv = OpenKv(dir.Sub("kv"));
  TestApp app(kv.get());
  auto inner = chain.NewMemStore();
  TestStore store(inner.get());
  Executor executor(store, app, Config());
  MustRecover(executor, 0);
  chain.Commit(store, 3);
  const size_t before = store.writes;
  for (Height h = 1; h <= 3; ++h) MustExecute(executor, chain.block(h));
  EXPECT_EQ(store.writes - before, 6u);  // two a height
  EXPECT_EQ(store.unsynced_writes, 3u);  // the app hashes
  EXPECT_EQ(store.unsynced_results_writes, 0u);
  for (Height h = 1; h <= 3; ++h) EXPECT_TRUE(inner->AppHashAt(h).has_value()) << h;
}

TEST(ExecutorTest, RecordsAndAppHashesLandInTheMemStore) {
  const TestChain chain = StandardChain();
  auto store = chain.NewMemStore();
  ExpectRecordsLand(chain, *store);
}

TEST(ExecutorTest, RecordsAndAppHashesLandInTheRocksStoreAndStayThere) {
  const TestChain chain = StandardChain();
  TempDir dir;
  Bytes app_hash;
  {
    auto store = chain.OpenRocksStore(dir.Sub("db"));
    ASSERT_NE(store, nullptr);
    ExpectRecordsLand(chain, *store);
    app_hash = store->AppHashAt(5).value_or(Bytes());
  }
  auto reopened = chain.OpenRocksStore(dir.Sub("db"));
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->ExecutedHeight(), 5u);
  EXPECT_EQ(reopened->AppHashAt(5), app_hash);
  EXPECT_EQ(reopened->GetTx(Sha256(Tx("e=6")))->height, 5u);
  for (Height h = 1; h <= 5; ++h) ExpectBlockOutcomeStored(*reopened, h);
}

// Each height whose app answer carries validator updates says so once, at info level.
TEST(ExecutorTest, ValidatorUpdatesAreLoggedAsRecordedNotApplied) {
  const TestChain chain = StandardChain();
  auto store = chain.NewMemStore();
  TempDir dir;
  auto kv = OpenKv(dir.Sub("kv"));
  TestApp app(kv.get());
  app.block_outcome = true;
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  sink->set_pattern("[%l] %v");
  const std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("executor-test", sink));
  {
    chain.Commit(*store, chain.height());
    Executor executor(*store, app, Config());
    MustRecover(executor, chain.height());
  }
  spdlog::set_default_logger(previous);
  // Heights 2 and 4 are the even ones; height 4 has no block outcome at all.
  const std::string expected =
      "[info] height 2: the app returned 1 validator updates; recorded, not applied: the "
      "validator set is fixed at genesis\n";
  EXPECT_EQ(log.str(), expected);
}

// Two validators executing one chain hand their apps the same misbehaviour: the block's
// evidence, decoded, in block order; the kvstore reports each piece as a block event.
TEST(ExecutorTest, EveryValidatorHandsTheAppTheBlocksMisbehaviour) {
  TestChain chain;
  const DoubleVote first = chain.MakeDoubleVote(1, 3);
  const DoubleVote second = chain.MakeDoubleVote(1, 2);
  chain.Append({"a=1"}, {EncodeEvidence(first), EncodeEvidence(second)});
  chain.Append({"b=2"});
  std::vector<std::vector<app::FinalizeBlockRequest>> seen;
  std::vector<std::vector<ExecutedBlock>> executed;
  for (int validator = 0; validator < 2; ++validator) {
    auto store = chain.NewMemStore();
    TempDir dir;
    auto kv = OpenKv(dir.Sub("kv"));
    TestApp app(kv.get());
    Executor executor(*store, app, chain.ConfigWithValidators());
    MustRecover(executor, 0);
    chain.Commit(*store, chain.height());
    executed.emplace_back();
    for (Height h = 1; h <= chain.height(); ++h) {
      executed.back().push_back(MustExecute(executor, chain.block(h)));
    }
    seen.push_back(app.finalized);
  }
  ASSERT_EQ(seen[0].size(), 2u);
  ASSERT_EQ(seen[0][0].misbehaviour.size(), 2u);
  EXPECT_EQ(EncodeEvidence(seen[0][0].misbehaviour[0]), EncodeEvidence(first));
  EXPECT_EQ(EncodeEvidence(seen[0][0].misbehaviour[1]), EncodeEvidence(second));
  EXPECT_TRUE(seen[0][1].misbehaviour.empty());
  ASSERT_EQ(seen[1].size(), 2u);
  for (size_t h = 0; h < 2; ++h) {
    ASSERT_EQ(seen[1][h].misbehaviour.size(), seen[0][h].misbehaviour.size());
    for (size_t k = 0; k < seen[0][h].misbehaviour.size(); ++k) {
      EXPECT_EQ(EncodeEvidence(seen[1][h].misbehaviour[k]),
                EncodeEvidence(seen[0][h].misbehaviour[k]));
    }
  }
  // The kvstore's block events name each piece.
  ASSERT_EQ(executed[0][0].events.size(), 2u);
  EXPECT_EQ(executed[0][0].events[0].type, "misbehaviour");
  EXPECT_EQ(executed[0][0].events[0].attributes,
            (std::vector<std::pair<std::string, std::string>>{
                {"epoch", "0"}, {"round", "1"}, {"type", "double_vote"}, {"validator", "3"}}));
  EXPECT_EQ(executed[0][0].events, executed[1][0].events);
  EXPECT_EQ(executed[0][1].app_hash, executed[1][1].app_hash);
}

TEST(ExecutorTest, StoredBlockResultsRoundTrip) {
  app::FinalizeBlockResult result;
  result.events = {{"block", {{"a", "1"}, {"b", "2"}}}, {"empty", {}}};
  result.validator_updates = {{Bytes(32, 0x01), 10}, {Bytes(32, 0x02), 0}};
  const Bytes encoded = EncodeStoredBlockResult(result);
  EXPECT_EQ(encoded, EncodeStoredBlockResult(result));
  auto decoded = DecodeStoredBlockResult(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, (BlockResult{result.events, result.validator_updates, ""}));

  // Transaction results are stored on their own, not with the block.
  app::FinalizeBlockResult with_txs = result;
  with_txs.tx_results = {{0, {1}, "log", {}}};
  EXPECT_EQ(EncodeStoredBlockResult(with_txs), encoded);

  // Nothing block-level: nothing to store.
  EXPECT_TRUE(EncodeStoredBlockResult(app::FinalizeBlockResult{}).empty());
  auto empty = DecodeStoredBlockResult({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, BlockResult{});

  const Bytes garbage = {0xFF, 0xFF, 0xFF};
  EXPECT_EQ(DecodeStoredBlockResult(garbage).status().code(), Status::Code::kCorruption);
  wire::StoredBlockResult carrying_txs;
  carrying_txs.mutable_outcome()->add_tx_results()->set_code(1);
  const std::string carrying_bytes = carrying_txs.SerializeAsString();
  const Status carrying = DecodeStoredBlockResult(AsBytes(carrying_bytes)).status();
  EXPECT_EQ(carrying.code(), Status::Code::kCorruption);
  EXPECT_NE(carrying.message().find("1 transaction results"), std::string::npos)
      << carrying.ToString();
}

// A part the store cannot hold is left out, saying why; the other part is kept.
TEST(ExecutorTest, BlockResultPartsTheStoreCannotHoldAreLeftOut) {
  const app::ValidatorUpdate update{Bytes(32, 0x07), 5};
  const app::Event event{"block", {{"k", "v"}}};
  auto stored = [](const app::FinalizeBlockResult& result) {
    auto decoded = DecodeStoredBlockResult(EncodeStoredBlockResult(result));
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    return decoded.ok() ? std::move(decoded).value() : BlockResult{};
  };

  // A linked-in app's event type that is not UTF-8 (the codec would refuse it on a socket).
  const BlockResult bad_event = stored({{}, {{std::string("\xFF", 1), {}}}, {update}});
  EXPECT_TRUE(bad_event.events.empty());
  EXPECT_EQ(bad_event.validator_updates, std::vector<app::ValidatorUpdate>{update});
  EXPECT_NE(bad_event.omitted.find("events not stored"), std::string::npos) << bad_event.omitted;
  EXPECT_NE(bad_event.omitted.find("UTF-8"), std::string::npos) << bad_event.omitted;

  // A key of the wrong size.
  const BlockResult bad_key = stored({{}, {event}, {{Bytes(3, 0x01), 1}}});
  EXPECT_EQ(bad_key.events, std::vector<app::Event>{event});
  EXPECT_TRUE(bad_key.validator_updates.empty());
  EXPECT_NE(bad_key.omitted.find("validator updates not stored"), std::string::npos)
      << bad_key.omitted;

  // Events within the codec's bounds, too big for the store once encoded.
  std::vector<app::Event> big(
      70, app::Event{"big", {{"v", std::string(app::kEventTextBytesMax, 'x')}}});
  const BlockResult too_big = stored({{}, big, {update}});
  EXPECT_TRUE(too_big.events.empty());
  EXPECT_EQ(too_big.validator_updates, std::vector<app::ValidatorUpdate>{update});
  EXPECT_NE(too_big.omitted.find("events not stored"), std::string::npos) << too_big.omitted;
  EXPECT_NE(too_big.omitted.find("bytes"), std::string::npos) << too_big.omitted;
}

TEST(ExecutorTest, StoredResultsRoundTrip) {
  const app::TxResult result{7, {1, 2, 3}, "fine", {{"kv", {{"a", "1"}, {"b", "2"}}}}};
  const Bytes encoded = EncodeStoredTxResult(result);
  EXPECT_EQ(encoded, EncodeStoredTxResult(result));
  auto decoded = DecodeStoredTxResult(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, result);

  const Bytes garbage = {0xFF, 0xFF, 0xFF};
  EXPECT_EQ(DecodeStoredTxResult(garbage).status().code(), Status::Code::kCorruption);
}

TEST(ExecutorTest, ResultsTheStoreCannotHoldAreStoredAsTheirCode) {
  // Within the codec's bounds, too big for the store once encoded.
  app::TxResult big{9, Bytes(app::kResultDataBytesMax, 0xAB), std::string(1'000, 'x'), {}};
  ASSERT_LE(big.data.size(), app::kResultDataBytesMax);
  auto stored_big = DecodeStoredTxResult(EncodeStoredTxResult(big));
  ASSERT_TRUE(stored_big.ok()) << stored_big.status().ToString();
  EXPECT_EQ(stored_big->code, 9u);
  EXPECT_TRUE(stored_big->data.empty());
  EXPECT_NE(stored_big->log.find("result not stored"), std::string::npos) << stored_big->log;
  EXPECT_NE(stored_big->log.find("bytes"), std::string::npos) << stored_big->log;

  // A linked-in app's log that is not UTF-8 (the codec would refuse it on a socket).
  const app::TxResult bad_text{3, {}, std::string("\xFF\xFE", 2), {}};
  auto stored_bad = DecodeStoredTxResult(EncodeStoredTxResult(bad_text));
  ASSERT_TRUE(stored_bad.ok()) << stored_bad.status().ToString();
  EXPECT_EQ(stored_bad->code, 3u);
  EXPECT_NE(stored_bad->log.find("UTF-8"), std::string::npos) << stored_bad->log;
}

TEST(ExecutorDeathTest, ExecutingOutOfOrderIsAProgrammingError) {
  TestChain chain = StandardChain();
  auto store = chain.NewMemStore();
  app::Noop noop;
  Executor executor(*store, noop, Config());
  MustRecover(executor, 0);
  chain.Commit(*store, 2);
  EXPECT_DEATH((void)executor.Execute(chain.block(2)), "executed_height_ \\+ 1");
}

}  // namespace
}  // namespace hotbft::node::testing
