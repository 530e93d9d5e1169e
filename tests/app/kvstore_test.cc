// The kvstore sample app (app/kvstore.h).
#include "app/kvstore.h"

#include <gtest/gtest.h>

#include "app/big_endian.h"
#include "app/kv_backend_mem.h"
#include "crypto/sha256.h"
#include "tests/app/app_test_util.h"

namespace hotbft::app {
namespace {

using testing::Block;
using testing::BlockId;
using testing::BlockOutcome;
using testing::RunBlock;
using testing::TempDir;
using testing::Text;
using testing::Tx;

std::unique_ptr<KvStore> OpenStore(const std::string& dir) {
  auto store = KvStore::Open(dir);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

QueryResult QueryKey(KvStore& store, std::string_view key, Height height = 0) {
  auto result = store.Query(QueryRequest{"/key", Tx(key), height});
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : QueryResult{};
}

// The app hash as kvstore.h specifies it, computed independently.
Bytes ExpectedAppHash(const Bytes& previous,
                      const std::vector<std::pair<std::string, std::string>>& writes) {
  std::string block;
  for (const auto& [key, value] : writes) {
    for (const std::string* part : {&key, &value}) {
      const std::string length = U64Be(part->size()).substr(4);  // u32 big-endian
      block += length + *part;
    }
  }
  const Hash32 block_hash = Sha256(AsBytes(block));
  Bytes chained = previous;
  chained.insert(chained.end(), block_hash.bytes.begin(), block_hash.bytes.end());
  const Hash32 next = Sha256(chained);
  return Bytes(next.bytes.begin(), next.bytes.end());
}

class KvStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<KvStore> store_ = OpenStore(dir_.Sub("kv"));
};

TEST_F(KvStoreTest, WritesBecomeVisibleAtCommit) {
  auto finalized = store_->FinalizeBlock(Block(1, {Tx("a=1"), Tx("b=two")}));
  ASSERT_TRUE(finalized.ok()) << finalized.status().ToString();
  ASSERT_EQ(finalized->tx_results.size(), 2u);
  EXPECT_EQ(finalized->tx_results[0], (TxResult{kCodeOk, {}, "", {Event{"kv", {{"key", "a"}}}}}));
  EXPECT_EQ(finalized->tx_results[1], (TxResult{kCodeOk, {}, "", {Event{"kv", {{"key", "b"}}}}}));
  EXPECT_EQ(QueryKey(*store_, "a").code, KvStore::kCodeNotFound);  // not before Commit

  auto committed = store_->Commit();
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(committed->retain_height, 0u);  // every version is kept
  const QueryResult a = QueryKey(*store_, "a");
  EXPECT_EQ(a.code, kCodeOk) << a.log;
  EXPECT_EQ(Text(a.value), "1");
  EXPECT_EQ(a.height, 1u);
  EXPECT_EQ(Text(QueryKey(*store_, "b").value), "two");
}

TEST_F(KvStoreTest, AppHashFollowsTheSpecification) {
  const Bytes zero(32, 0);
  auto outcome = RunBlock(*store_, 1, {Tx("a=1"), Tx("broken"), Tx("b=")});
  EXPECT_EQ(outcome.app_hash, ExpectedAppHash(zero, {{"a", "1"}, {"b", ""}}));
  auto empty = RunBlock(*store_, 2, {});
  EXPECT_EQ(empty.app_hash, ExpectedAppHash(outcome.app_hash, {}));
}

TEST_F(KvStoreTest, SameBlocksSameHashesDifferentBlocksDifferentHashes) {
  TempDir other_dir;
  auto twin = OpenStore(other_dir.Sub("twin"));
  auto different = OpenStore(other_dir.Sub("different"));
  const std::vector<std::vector<Bytes>> blocks = {
      {Tx("a=1"), Tx("b=2")}, {}, {Tx("a=3"), Tx("no separator")}};
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Height height = i + 1;
    const Bytes hash = RunBlock(*store_, height, blocks[i]).app_hash;
    EXPECT_EQ(RunBlock(*twin, height, blocks[i]).app_hash, hash) << "height " << height;
    std::vector<Bytes> changed = blocks[i];
    changed.push_back(Tx("extra=1"));
    EXPECT_NE(RunBlock(*different, height, changed).app_hash, hash) << "height " << height;
  }
}

TEST_F(KvStoreTest, OrderOfWritesInABlockMatters) {
  TempDir other_dir;
  auto swapped = OpenStore(other_dir.Sub("swapped"));
  const Bytes hash = RunBlock(*store_, 1, {Tx("a=1"), Tx("a=2")}).app_hash;
  EXPECT_NE(RunBlock(*swapped, 1, {Tx("a=2"), Tx("a=1")}).app_hash, hash);
  EXPECT_EQ(Text(QueryKey(*store_, "a").value), "2");  // the later write wins
}

TEST_F(KvStoreTest, RestartKeepsHeightHashAndState) {
  RunBlock(*store_, 1, {Tx("a=1")});
  const Bytes hash = RunBlock(*store_, 2, {Tx("b=2")}).app_hash;
  // A finalized block that was never committed is not durable.
  ASSERT_TRUE(store_->FinalizeBlock(Block(3, {Tx("c=3")})).ok());
  store_.reset();

  store_ = OpenStore(dir_.Sub("kv"));
  auto info = store_->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->app_name, "kvstore");
  EXPECT_TRUE(info->check_tx_stateless);  // CheckTx looks at the format alone
  EXPECT_EQ(info->last_height, 2u);
  EXPECT_EQ(info->last_app_hash, hash);
  EXPECT_EQ(Text(QueryKey(*store_, "a").value), "1");
  EXPECT_EQ(QueryKey(*store_, "c").code, KvStore::kCodeNotFound);

  // The node replays height 3; the result matches a store that never stopped.
  TempDir other_dir;
  auto steady = OpenStore(other_dir.Sub("steady"));
  RunBlock(*steady, 1, {Tx("a=1")});
  RunBlock(*steady, 2, {Tx("b=2")});
  EXPECT_EQ(RunBlock(*store_, 3, {Tx("c=3")}).app_hash, RunBlock(*steady, 3, {Tx("c=3")}).app_hash);
}

TEST_F(KvStoreTest, QueryAnswersFromTheRequestedHeight) {
  RunBlock(*store_, 1, {Tx("a=1"), Tx("ab=x")});
  RunBlock(*store_, 2, {Tx("b=2")});
  RunBlock(*store_, 3, {Tx("a=3")});
  EXPECT_EQ(Text(QueryKey(*store_, "a", 1).value), "1");
  EXPECT_EQ(Text(QueryKey(*store_, "a", 2).value), "1");
  EXPECT_EQ(Text(QueryKey(*store_, "a", 3).value), "3");
  const QueryResult latest = QueryKey(*store_, "a");
  EXPECT_EQ(Text(latest.value), "3");
  EXPECT_EQ(latest.height, 3u);
  EXPECT_EQ(QueryKey(*store_, "b", 1).code, KvStore::kCodeNotFound);
  EXPECT_EQ(Text(QueryKey(*store_, "b", 2).value), "2");
  // "ab" is another key, not a version of "a" (and the reverse).
  EXPECT_EQ(Text(QueryKey(*store_, "ab", 3).value), "x");
  EXPECT_EQ(QueryKey(*store_, "abc", 3).code, KvStore::kCodeNotFound);
}

TEST_F(KvStoreTest, QueryErrorsAreCodesWithReasons) {
  RunBlock(*store_, 1, {Tx("a=1")});
  const QueryResult unknown = QueryKey(*store_, "zz");
  EXPECT_EQ(unknown.code, KvStore::kCodeNotFound);
  EXPECT_EQ(unknown.log, "key \"zz\" not found at height 1");

  const QueryResult future = QueryKey(*store_, "a", 2);
  EXPECT_EQ(future.code, KvStore::kCodeHeightUnavailable);
  EXPECT_EQ(future.log, "height 2 is above the last committed height 1");

  auto bad_path = store_->Query(QueryRequest{"/nope", Tx("a"), 0});
  ASSERT_TRUE(bad_path.ok());
  EXPECT_EQ(bad_path->code, KvStore::kCodeUnknownPath);
  EXPECT_EQ(bad_path->log, "unknown path \"/nope\"; kvstore answers \"/key\"");

  auto empty_path = store_->Query(QueryRequest{"", Tx("a"), 0});  // "" means "/key"
  ASSERT_TRUE(empty_path.ok());
  EXPECT_EQ(Text(empty_path->value), "1");
}

TEST_F(KvStoreTest, CheckTxRejectsMalformedTransactionsWithReasons) {
  struct Case {
    std::string tx;
    uint32_t code;
    std::string log;
  };
  const Case cases[] = {
      {"no separator", KvStore::kCodeNoSeparator, "no '=' between key and value"},
      {"=value", KvStore::kCodeEmptyKey, "empty key"},
      {std::string(KvStore::kKeyBytesMax + 1, 'k') + "=v", KvStore::kCodeKeyTooLong,
       "key of 257 bytes; at most 256"},
      {"a b=v", KvStore::kCodeKeyNotPrintable, "key byte 0x20 at offset 1 is not printable ASCII"},
      {"k\xFF=v", KvStore::kCodeKeyNotPrintable,
       "key byte 0xff at offset 1 is not printable ASCII"},
      {"k=" + std::string(KvStore::kValueBytesMax + 1, 'v'), KvStore::kCodeValueTooLong,
       "value of 65537 bytes; at most 65536"},
  };
  for (const Case& c : cases) {
    for (CheckTxKind kind : {CheckTxKind::kNew, CheckTxKind::kRecheck}) {
      auto result = store_->CheckTx(Tx(c.tx), kind);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      EXPECT_EQ(result->code, c.code) << c.log;
      EXPECT_EQ(result->log, c.log);
      EXPECT_FALSE(IsReservedCode(result->code));
    }
  }
  const std::string goods[] = {"k=v", "k=", "k==v", std::string("k=\x00\xFF", 4), "~!@#=x"};
  for (const std::string& good : goods) {
    auto result = store_->CheckTx(Tx(good), CheckTxKind::kNew);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->code, kCodeOk) << good << ": " << result->log;
  }
}

TEST_F(KvStoreTest, MalformedTransactionsInABlockChangeNothing) {
  auto finalized = store_->FinalizeBlock(Block(1, {Tx("=x"), Tx("a=1")}));
  ASSERT_TRUE(finalized.ok());
  EXPECT_EQ(finalized->tx_results[0].code, KvStore::kCodeEmptyKey);
  EXPECT_EQ(finalized->tx_results[0].log, "empty key");
  EXPECT_TRUE(finalized->tx_results[0].events.empty());
  ASSERT_TRUE(CheckFinalizeBlockResult(Block(1, {Tx("=x"), Tx("a=1")}), *finalized).ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(QueryKey(*store_, "").code, KvStore::kCodeNotFound);
}

TEST_F(KvStoreTest, ProposalsKeepWellFormedTransactionsWithinBytesMax) {
  auto prepared = store_->PrepareProposal(1, {Tx("a=1"), Tx("bad"), Tx("b=2"), Tx("c=3")}, 7);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(*prepared, (std::vector<Bytes>{Tx("a=1"), Tx("b=2")}));

  auto good = store_->ProcessProposal(1, BlockId(1), {Tx("a=1")});
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(*good);
  auto bad = store_->ProcessProposal(1, BlockId(1), {Tx("a=1"), Tx("bad")});
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(*bad);
}

TEST_F(KvStoreTest, HeightsMustFollowInOrder) {
  auto skipped = store_->FinalizeBlock(Block(2, {}));
  ASSERT_FALSE(skipped.ok());
  EXPECT_EQ(skipped.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(skipped.status().message(), "kvstore: FinalizeBlock at height 2, expected height 1");

  auto commit = store_->Commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.status().message(), "kvstore: Commit without a FinalizeBlock");

  ASSERT_TRUE(store_->FinalizeBlock(Block(1, {})).ok());
  auto twice = store_->FinalizeBlock(Block(2, {}));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(),
            "kvstore: FinalizeBlock at height 2 while height 1 awaits Commit");
}

TEST_F(KvStoreTest, InitChainSetsTheFirstHeightOnce) {
  auto with_state = store_->InitChain(InitChainRequest{"c", {}, Tx("state"), 1});
  ASSERT_FALSE(with_state.ok());
  EXPECT_EQ(with_state.status().message(), "kvstore takes no genesis state; app_state has 5 bytes");

  auto genesis = store_->InitChain(InitChainRequest{"c", {}, {}, 10});
  ASSERT_TRUE(genesis.ok()) << genesis.status().ToString();
  EXPECT_EQ(*genesis, Bytes(32, 0));
  EXPECT_FALSE(store_->FinalizeBlock(Block(1, {})).ok());
  RunBlock(*store_, 10, {Tx("a=1")});
  EXPECT_EQ(store_->Info()->last_height, 10u);

  auto again = store_->InitChain(InitChainRequest{"c", {}, {}, 1});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "kvstore: InitChain on a chain already at height 10");
}

TEST_F(KvStoreTest, InitialHeightSurvivesARestart) {
  ASSERT_TRUE(store_->InitChain(InitChainRequest{"c", {}, {}, 5}).ok());
  store_.reset();
  store_ = OpenStore(dir_.Sub("kv"));
  EXPECT_EQ(store_->Info()->last_height, 0u);
  EXPECT_TRUE(store_->FinalizeBlock(Block(5, {})).ok());
}

TEST(KvStoreOpen, NeedsADirectory) {
  auto store = KvStore::Open("");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), "kvstore needs a data directory");
}

// ---- The in-memory backend ----

std::unique_ptr<KvStore> OpenInMemory(std::shared_ptr<KvMemBackend> backend) {
  auto store = KvStore::OpenWithBackend(std::move(backend));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(KvMemBackendTest, SeekForPrevFindsTheGreatestKeyAtOrBeforeInByteOrder) {
  KvMemBackend backend;
  ASSERT_TRUE(backend.Write({{"b", "1"}, {"d", "2"}, {"\x80", "high"}, {"b", "3"}}).ok());
  EXPECT_EQ(backend.size(), 3u);
  EXPECT_EQ(*backend.Get("b"), std::optional<std::string>("3"));  // the later put wins
  EXPECT_FALSE(backend.Get("c")->has_value());
  EXPECT_FALSE(backend.SeekForPrev("a")->has_value());
  EXPECT_EQ(*backend.SeekForPrev("b"), (KvEntry{"b", "3"}));
  EXPECT_EQ(*backend.SeekForPrev("c"), (KvEntry{"b", "3"}));
  // Bytes compare unsigned, as in RocksDB: 0x80 sorts after every ASCII key.
  EXPECT_EQ(*backend.SeekForPrev("\x7f"), (KvEntry{"d", "2"}));
  EXPECT_EQ(*backend.SeekForPrev("\xff"), (KvEntry{"\x80", "high"}));
}

// One KvStore code over both backends: the same blocks give the same hashes and answers.
TEST(KvStoreInMemoryTest, AnswersAsTheRocksDbStoreDoes) {
  TempDir dir;
  auto on_disk = OpenStore(dir.Sub("kv"));
  auto in_memory = OpenInMemory(std::make_shared<KvMemBackend>());
  ASSERT_TRUE(on_disk->InitChain(InitChainRequest{"c", {}, {}, 1}).ok());
  ASSERT_TRUE(in_memory->InitChain(InitChainRequest{"c", {}, {}, 1}).ok());
  const std::vector<std::vector<Bytes>> blocks = {
      {Tx("a=1"), Tx("ab=x"), Tx("bad")}, {}, {Tx("a=3"), Tx("b=2"), Tx("=no key")}};
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Height height = i + 1;
    const BlockOutcome disk = RunBlock(*on_disk, height, blocks[i]);
    const BlockOutcome memory = RunBlock(*in_memory, height, blocks[i]);
    EXPECT_EQ(memory.app_hash, disk.app_hash) << "height " << height;
    EXPECT_EQ(memory.result, disk.result) << "height " << height;
  }
  EXPECT_EQ(*in_memory->Info(), *on_disk->Info());
  for (const char* key : {"a", "ab", "b", "abc", ""}) {
    for (Height height = 0; height <= 4; ++height) {
      auto disk = on_disk->Query(QueryRequest{"/key", Tx(key), height});
      auto memory = in_memory->Query(QueryRequest{"/key", Tx(key), height});
      ASSERT_TRUE(disk.ok());
      ASSERT_TRUE(memory.ok());
      EXPECT_EQ(*memory, *disk) << "key \"" << key << "\" at height " << height;
    }
  }
}

TEST(KvStoreInMemoryTest, ANewStoreAfterACrashKeepsCommittedStateAndForgetsAnUncommittedBlock) {
  auto backend = std::make_shared<KvMemBackend>();
  auto store = OpenInMemory(backend);
  ASSERT_TRUE(store->InitChain(InitChainRequest{"c", {}, {}, 1}).ok());
  RunBlock(*store, 1, {Tx("a=1")});
  const Bytes hash = RunBlock(*store, 2, {Tx("b=2")}).app_hash;
  ASSERT_TRUE(store->FinalizeBlock(Block(3, {Tx("c=3"), Tx("a=changed")})).ok());
  // The crash: the process and its KvStore are gone; the backend is the disk.
  store.reset();

  store = OpenInMemory(backend);
  auto info = store->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->last_height, 2u);
  EXPECT_EQ(info->last_app_hash, hash);
  EXPECT_EQ(Text(QueryKey(*store, "a").value), "1");
  EXPECT_EQ(Text(QueryKey(*store, "b").value), "2");
  EXPECT_EQ(QueryKey(*store, "c").code, KvStore::kCodeNotFound);
  // Nothing of the finalized block remains: InitChain is not asked again, Commit has
  // nothing to commit, and height 3 executes afresh, as on a store that never stopped.
  EXPECT_FALSE(store->Commit().ok());
  auto steady = OpenInMemory(std::make_shared<KvMemBackend>());
  ASSERT_TRUE(steady->InitChain(InitChainRequest{"c", {}, {}, 1}).ok());
  RunBlock(*steady, 1, {Tx("a=1")});
  RunBlock(*steady, 2, {Tx("b=2")});
  EXPECT_EQ(RunBlock(*store, 3, {Tx("c=4")}).app_hash, RunBlock(*steady, 3, {Tx("c=4")}).app_hash);
  EXPECT_EQ(Text(QueryKey(*store, "a").value), "1");
  EXPECT_EQ(Text(QueryKey(*store, "c", 3).value), "4");
}

TEST(KvStoreInMemoryTest, InitialHeightSurvivesACrash) {
  auto backend = std::make_shared<KvMemBackend>();
  ASSERT_TRUE(OpenInMemory(backend)->InitChain(InitChainRequest{"c", {}, {}, 5}).ok());
  auto store = OpenInMemory(backend);
  EXPECT_EQ(store->Info()->last_height, 0u);
  EXPECT_FALSE(store->FinalizeBlock(Block(1, {})).ok());
  EXPECT_TRUE(store->FinalizeBlock(Block(5, {})).ok());
}

}  // namespace
}  // namespace hotbft::app
