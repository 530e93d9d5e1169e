// The mempool: every bound and error, dedup, batching bounds and fairness, recheck, removal
// on commit, gossip and peer penalties.
#include "mempool/mempool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/sha256.h"

namespace hotbft::mempool {
namespace {

Bytes Tx(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

std::string Text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

std::vector<std::string> Texts(const Payload& p) {
  std::vector<std::string> out;
  for (const Bytes& tx : p.txs) out.push_back(Text(tx));
  return out;
}

// CheckTx refuses transactions that start with "bad" (code 7), and, once `recheck_refuses`
// is set, on recheck those that start with that prefix; fails every call while `down`.
class CheckApp final : public app::Application {
 public:
  std::atomic<bool> down{false};
  std::string recheck_refuses;
  std::atomic<uint64_t> new_checks{0};
  std::atomic<uint64_t> rechecks{0};

  Result<app::CheckTxResult> CheckTx(ByteView tx, app::CheckTxKind kind) override {
    if (down) return Status::IoError("app unreachable");
    const std::string s(tx.begin(), tx.end());
    if (kind == app::CheckTxKind::kNew) ++new_checks;
    if (kind == app::CheckTxKind::kRecheck) {
      ++rechecks;
      if (!recheck_refuses.empty() && s.rfind(recheck_refuses, 0) == 0) {
        return app::CheckTxResult{9, "stale now", 0};
      }
    }
    if (s.rfind("bad", 0) == 0) return app::CheckTxResult{7, "bad transaction", 0};
    return app::CheckTxResult{};
  }
  Result<app::InfoResult> Info() override { return app::InfoResult{}; }
  Result<Bytes> InitChain(const app::InitChainRequest&) override { return Bytes{}; }
  Result<std::vector<Bytes>> PrepareProposal(Height, std::vector<Bytes> txs, uint64_t) override {
    return txs;
  }
  Result<bool> ProcessProposal(Height, const Hash32&, const std::vector<Bytes>&) override {
    return true;
  }
  Result<app::FinalizeBlockResult> FinalizeBlock(const app::FinalizeBlockRequest&) override {
    return app::FinalizeBlockResult{};
  }
  Result<app::CommitResult> Commit() override { return app::CommitResult{}; }
  Result<app::QueryResult> Query(const app::QueryRequest&) override { return app::QueryResult{}; }
};

const Sender kAlice = Sender::Client(1);
const Sender kBob = Sender::Client(2);

class MempoolTest : public ::testing::Test {
 protected:
  MempoolConfig Small() {
    MempoolConfig c;
    c.tx_bytes_max = 16;
    c.txs_max = 4;
    c.bytes_max = 40;
    c.committed_cache_max = 3;
    c.rejected_cache_max = 3;
    c.peer_invalid_max = 2;
    return c;
  }
  CheckApp app_;
};

// ---- Admission ----

TEST_F(MempoolTest, AdmitsAndReportsTheHash) {
  Mempool pool(Small(), app_);
  AddResult r = pool.Add(Tx("a=1"), kAlice);
  EXPECT_TRUE(r.ok()) << r.log;
  EXPECT_EQ(r.hash, Sha256(Tx("a=1")));
  EXPECT_TRUE(pool.Contains(r.hash));
  EXPECT_EQ(pool.stats().txs, 1u);
  EXPECT_EQ(pool.stats().bytes, 3u);
}

TEST_F(MempoolTest, RefusesATransactionOverTheSizeLimitWithoutAskingTheApp) {
  Mempool pool(Small(), app_);
  AddResult r = pool.Add(Bytes(17, 'x'), kAlice);
  EXPECT_EQ(r.outcome, AddOutcome::kTooLarge);
  EXPECT_NE(r.log.find("17 bytes"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("16"), std::string::npos) << r.log;
  EXPECT_EQ(app_.new_checks, 0u);
  EXPECT_TRUE(pool.Add(Bytes(16, 'x'), kAlice).ok());
}

TEST_F(MempoolTest, PassesOnTheAppsCodeAndLogAndRemembersTheRefusal) {
  Mempool pool(Small(), app_);
  AddResult r = pool.Add(Tx("bad1"), kAlice);
  EXPECT_EQ(r.outcome, AddOutcome::kRejected);
  EXPECT_EQ(r.code, 7u);
  EXPECT_EQ(r.log, "bad transaction");
  // Again: refused from the cache, without a second CheckTx.
  AddResult again = pool.Add(Tx("bad1"), kBob);
  EXPECT_EQ(again.outcome, AddOutcome::kRejectedBefore);
  EXPECT_EQ(app_.new_checks, 1u);
  EXPECT_EQ(pool.stats().txs, 0u);
}

TEST_F(MempoolTest, DedupsAgainstThePool) {
  Mempool pool(Small(), app_);
  ASSERT_TRUE(pool.Add(Tx("a=1"), kAlice).ok());
  AddResult r = pool.Add(Tx("a=1"), kBob);
  EXPECT_EQ(r.outcome, AddOutcome::kInPool);
  EXPECT_EQ(app_.new_checks, 1u);
  EXPECT_EQ(pool.stats().txs, 1u);
}

TEST_F(MempoolTest, DedupsAgainstRecentlyCommittedAndForgetsTheOldest) {
  Mempool pool(Small(), app_);
  pool.Update({Sha256(Tx("c1")), Sha256(Tx("c2")), Sha256(Tx("c3"))});
  EXPECT_EQ(pool.Add(Tx("c1"), kAlice).outcome, AddOutcome::kCommitted);
  pool.Update({Sha256(Tx("c4"))});  // the cache holds 3: c1 is forgotten
  EXPECT_EQ(pool.Add(Tx("c2"), kAlice).outcome, AddOutcome::kCommitted);
  EXPECT_TRUE(pool.Add(Tx("c1"), kAlice).ok());
}

TEST_F(MempoolTest, DedupsAgainstTheCommittedIndexBeyondTheCache) {
  const Hash32 old = Sha256(Tx("old"));
  Mempool pool(Small(), app_, [&](const Hash32& h) { return h == old; });
  EXPECT_EQ(pool.Add(Tx("old"), kAlice).outcome, AddOutcome::kCommitted);
  EXPECT_EQ(app_.new_checks, 0u);
  EXPECT_TRUE(pool.Add(Tx("new"), kAlice).ok());
}

TEST_F(MempoolTest, FullByCountNamesTheLimitsAndDropsNothing) {
  Mempool pool(Small(), app_);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool.Add(Tx("t" + std::to_string(i)), kAlice).ok());
  AddResult r = pool.Add(Tx("t4"), kAlice);
  EXPECT_EQ(r.outcome, AddOutcome::kFull);
  EXPECT_NE(r.log.find("mempool full: 4 transactions (limit 4)"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("bytes (limit 40)"), std::string::npos) << r.log;
  EXPECT_EQ(pool.stats().txs, 4u);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(pool.Contains(Sha256(Tx("t" + std::to_string(i)))));
  // Room again once a block commits some.
  pool.Update({Sha256(Tx("t0"))});
  EXPECT_TRUE(pool.Add(Tx("t4"), kAlice).ok());
}

TEST_F(MempoolTest, FullByBytes) {
  Mempool pool(Small(), app_);
  ASSERT_TRUE(pool.Add(Bytes(16, 'a'), kAlice).ok());
  ASSERT_TRUE(pool.Add(Bytes(16, 'b'), kAlice).ok());
  AddResult r = pool.Add(Bytes(9, 'c'), kAlice);  // 32 + 9 > 40
  EXPECT_EQ(r.outcome, AddOutcome::kFull);
  EXPECT_NE(r.log.find("32 + 9 bytes (limit 40)"), std::string::npos) << r.log;
  EXPECT_TRUE(pool.Add(Bytes(8, 'c'), kAlice).ok());  // exactly 40
  EXPECT_EQ(pool.stats().bytes, 40u);
}

TEST_F(MempoolTest, AnAppThatDoesNotAnswerIsAnErrorAndNothingIsCached) {
  Mempool pool(Small(), app_);
  app_.down = true;
  AddResult r = pool.Add(Tx("a=1"), kAlice);
  EXPECT_EQ(r.outcome, AddOutcome::kAppError);
  EXPECT_NE(r.log.find("app unreachable"), std::string::npos) << r.log;
  app_.down = false;
  EXPECT_TRUE(pool.Add(Tx("a=1"), kAlice).ok());
}

TEST_F(MempoolTest, CountsEveryOutcome) {
  Mempool pool(Small(), app_);
  pool.Add(Tx("a"), kAlice);
  pool.Add(Tx("a"), kAlice);
  pool.Add(Tx("bad"), kAlice);
  pool.Add(Bytes(100, 'x'), kAlice);
  const auto s = pool.stats();
  EXPECT_EQ(s.added[static_cast<size_t>(AddOutcome::kAdded)], 1u);
  EXPECT_EQ(s.added[static_cast<size_t>(AddOutcome::kInPool)], 1u);
  EXPECT_EQ(s.added[static_cast<size_t>(AddOutcome::kRejected)], 1u);
  EXPECT_EQ(s.added[static_cast<size_t>(AddOutcome::kTooLarge)], 1u);
  EXPECT_EQ(AddOutcomeName(AddOutcome::kFull), "full");
}

TEST_F(MempoolTest, ConcurrentAddsAdmitEachTransactionOnce) {
  MempoolConfig c;
  c.txs_max = 1'000'000;
  Mempool pool(c, app_);
  std::atomic<int> added{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2'000; ++i) {
        if (pool.Add(Tx("tx" + std::to_string(i)), Sender::Client(t)).ok()) ++added;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(added.load(), 2'000);
  EXPECT_EQ(pool.stats().txs, 2'000u);
}

// ---- Batching ----

TEST_F(MempoolTest, ReapKeepsArrivalOrderAndItsBounds) {
  MempoolConfig c;
  Mempool pool(c, app_);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.Add(Tx("t" + std::to_string(i)), kAlice).ok());
  EXPECT_EQ(Texts(*pool.Reap(1 << 20, 3)), (std::vector<std::string>{"t0", "t1", "t2"}));
  EXPECT_EQ(Texts(*pool.Reap(5, 100)), (std::vector<std::string>{"t0", "t1"}));  // 2 bytes each
  EXPECT_TRUE(pool.Reap(1, 100)->txs.empty());
  EXPECT_TRUE(pool.Reap(100, 0)->txs.empty());
  EXPECT_EQ(pool.Reap(1 << 20, 100)->txs.size(), 10u);
  EXPECT_EQ(pool.stats().txs, 10u);  // reaping removes nothing
}

TEST_F(MempoolTest, ReapNeverExceedsItsBoundsOnRandomPools) {
  MempoolConfig c;
  c.txs_max = 100'000;
  Mempool pool(c, app_);
  uint64_t x = 12345;
  for (int i = 0; i < 2'000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const size_t len = 1 + (x >> 33) % 300;
    Bytes tx(len, static_cast<uint8_t>('a' + i % 26));
    tx.push_back(static_cast<uint8_t>(i));
    tx.push_back(static_cast<uint8_t>(i >> 8));
    pool.Add(tx, Sender::Client(x % 7));
  }
  for (uint64_t bytes : {0ull, 1ull, 100ull, 1'000ull, 50'000ull, 10'000'000ull}) {
    for (uint32_t count : {0u, 1u, 17u, 500u, 100'000u}) {
      auto p = pool.Reap(bytes, count);
      uint64_t total = 0;
      for (const Bytes& tx : p->txs) total += tx.size();
      EXPECT_LE(total, bytes);
      EXPECT_LE(p->txs.size(), count);
    }
  }
}

TEST_F(MempoolTest, ReapIsFairAcrossSenders) {
  MempoolConfig c;
  c.txs_max = 100'000;
  Mempool pool(c, app_);
  // A chatty client sends 1,000 first; three others send 5 each afterwards.
  for (int i = 0; i < 1'000; ++i) pool.Add(Tx("chatty" + std::to_string(i)), Sender::Client(9));
  for (uint64_t s = 0; s < 3; ++s) {
    for (int i = 0; i < 5; ++i) {
      pool.Add(Tx("c" + std::to_string(s) + "-" + std::to_string(i)), Sender::Client(s));
    }
  }
  auto p = pool.Reap(1 << 20, 40);
  int quiet = 0;
  for (const Bytes& tx : p->txs) {
    if (Text(tx).rfind("chatty", 0) != 0) ++quiet;
  }
  EXPECT_EQ(quiet, 15);
  EXPECT_EQ(p->txs.size(), 40u);
  // Each sender's own transactions stay in the order it sent them.
  std::vector<std::string> chatty;
  for (const Bytes& tx : p->txs) {
    if (Text(tx).rfind("chatty", 0) == 0) chatty.push_back(Text(tx));
  }
  for (size_t i = 0; i < chatty.size(); ++i) EXPECT_EQ(chatty[i], "chatty" + std::to_string(i));
}

TEST_F(MempoolTest, ASenderWhoseNextTransactionDoesNotFitKeepsItsOrder) {
  MempoolConfig c;
  Mempool pool(c, app_);
  pool.Add(Tx("a-big-transaction"), kAlice);  // 17 bytes
  pool.Add(Tx("a2"), kAlice);
  pool.Add(Tx("b1"), kBob);
  pool.Add(Tx("b2"), kBob);
  // Alice's first does not fit in 10 bytes, so none of hers comes before it.
  EXPECT_EQ(Texts(*pool.Reap(10, 100)), (std::vector<std::string>{"b1", "b2"}));
}

TEST_F(MempoolTest, ReapLeavesOutExcludedTransactions) {
  MempoolConfig c;
  Mempool pool(c, app_);
  for (const char* t : {"x", "y", "z"}) pool.Add(Tx(t), kAlice);
  HashSet in_ancestors{Sha256(Tx("y"))};
  EXPECT_EQ(Texts(*pool.Reap(1 << 20, 100, in_ancestors)), (std::vector<std::string>{"x", "z"}));
}

// ---- After commit ----

TEST_F(MempoolTest, CommittedTransactionsLeaveThePoolWhereverTheyCameFrom) {
  Mempool pool(Small(), app_);
  pool.Add(Tx("mine"), kAlice);
  pool.Add(Tx("gossiped"), Sender::Peer(2));
  pool.Add(Tx("stays"), kBob);
  // The block also carries one this validator never saw.
  pool.Update({Sha256(Tx("mine")), Sha256(Tx("gossiped")), Sha256(Tx("unseen"))});
  EXPECT_EQ(pool.stats().txs, 1u);
  EXPECT_EQ(pool.stats().removed_committed, 2u);
  EXPECT_EQ(Texts(*pool.Reap(1 << 20, 10)), (std::vector<std::string>{"stays"}));
  EXPECT_EQ(pool.Add(Tx("unseen"), kAlice).outcome, AddOutcome::kCommitted);
}

TEST_F(MempoolTest, RecheckRemovesWhatTheAppNowRefusesAndKeepsTheRest) {
  MempoolConfig c;
  Mempool pool(c, app_);
  for (int i = 0; i < 10; ++i) pool.Add(Tx("keep" + std::to_string(i)), kAlice);
  for (int i = 0; i < 5; ++i) pool.Add(Tx("stale" + std::to_string(i)), kBob);
  EXPECT_EQ(pool.Recheck(100), 0u);  // nothing due before a commit
  pool.Update({});
  EXPECT_EQ(pool.stats().recheck_due, 15u);
  app_.recheck_refuses = "stale";
  EXPECT_EQ(pool.Recheck(4), 4u);  // bounded per call
  while (pool.Recheck(4) > 0) {
  }
  const auto s = pool.stats();
  EXPECT_EQ(s.recheck_due, 0u);
  EXPECT_EQ(s.txs, 10u);
  EXPECT_EQ(s.removed_recheck, 5u);
  EXPECT_EQ(app_.rechecks, 15u);
  // Refused on recheck: refused again from the cache.
  EXPECT_EQ(pool.Add(Tx("stale0"), kBob).outcome, AddOutcome::kRejectedBefore);
}

// For an app whose CheckTx looks at the transaction alone: commits make nothing due.
TEST_F(MempoolTest, WithoutRecheckACommitLeavesTheRestCheckedAndNeverAsksTheApp) {
  MempoolConfig c;
  c.recheck = false;
  Mempool pool(c, app_);
  for (int i = 0; i < 10; ++i) pool.Add(Tx("keep" + std::to_string(i)), kAlice);
  pool.Update({Sha256(Tx("keep0"))});
  pool.Update({});
  EXPECT_EQ(pool.stats().recheck_due, 0u);
  EXPECT_EQ(pool.Recheck(100), 0u);
  EXPECT_EQ(app_.rechecks, 0u);
  EXPECT_EQ(pool.size(), 9u);
  // Admission still asks it.
  EXPECT_EQ(pool.Add(Tx("bad1"), kAlice).outcome, AddOutcome::kRejected);
  EXPECT_EQ(app_.new_checks, 11u);
}

TEST_F(MempoolTest, RecheckWithTheAppDownKeepsEverythingAndDoesNotSpin) {
  MempoolConfig c;
  Mempool pool(c, app_);
  for (int i = 0; i < 3; ++i) pool.Add(Tx("t" + std::to_string(i)), kAlice);
  pool.Update({});
  app_.down = true;
  EXPECT_EQ(pool.Recheck(100), 0u);
  EXPECT_EQ(pool.stats().txs, 3u);
  EXPECT_EQ(pool.stats().recheck_due, 3u);
  app_.down = false;
  EXPECT_EQ(pool.Recheck(100), 3u);
  EXPECT_EQ(pool.stats().recheck_due, 0u);
}

TEST_F(MempoolTest, RecheckRunsBesideAddsAndCommits) {
  MempoolConfig c;
  c.txs_max = 1'000'000;
  Mempool pool(c, app_);
  for (int i = 0; i < 5'000; ++i) pool.Add(Tx("t" + std::to_string(i)), kAlice);
  pool.Update({});
  std::thread rechecker([&] {
    while (pool.Recheck(64) > 0) {
    }
  });
  for (int i = 0; i < 2'000; ++i) {
    pool.Add(Tx("n" + std::to_string(i)), kBob);
    if (i % 100 == 0) pool.Update({Sha256(Tx("t" + std::to_string(i)))});
  }
  rechecker.join();
  while (pool.Recheck(1'000) > 0) {
  }
  EXPECT_EQ(pool.stats().recheck_due, 0u);
  EXPECT_EQ(pool.stats().txs, 5'000u + 2'000u - 20u);
}

// ---- Gossip and penalties ----

TEST_F(MempoolTest, ForwardsClientTransactionsOnceAndPeerTransactionsNever) {
  MempoolConfig c;
  Mempool pool(c, app_);
  pool.Add(Tx("from-client"), kAlice);
  pool.Add(Tx("from-client"), kBob);  // a duplicate: not forwarded again
  pool.Add(Tx("from-peer"), Sender::Peer(1));
  pool.Add(Tx("bad-from-client"), kAlice);  // refused: not forwarded
  auto gossip = pool.TakeGossip();
  ASSERT_EQ(gossip.size(), 1u);
  EXPECT_EQ(Text(*gossip[0].tx), "from-client");
  EXPECT_EQ(gossip[0].hash, Sha256(Tx("from-client")));
  EXPECT_TRUE(pool.TakeGossip().empty());
}

TEST_F(MempoolTest, GossipQueueIsBounded) {
  MempoolConfig c;
  c.gossip_queue_max = 2;
  Mempool pool(c, app_);
  for (int i = 0; i < 5; ++i) pool.Add(Tx("t" + std::to_string(i)), kAlice);
  EXPECT_EQ(pool.TakeGossip().size(), 2u);
  EXPECT_EQ(pool.stats().gossip_dropped, 3u);
  EXPECT_EQ(pool.stats().txs, 5u);  // admitted all the same
}

TEST_F(MempoolTest, APeerFloodingInvalidTransactionsIsPenalisedOncePerCommit) {
  Mempool pool(Small(), app_);
  const Sender peer = Sender::Peer(3);
  pool.Add(Tx("bad1"), peer);
  pool.Add(Bytes(100, 'x'), peer);
  EXPECT_TRUE(pool.TakePenalties().empty());  // 2 = the limit
  pool.Add(Tx("bad2"), peer);
  pool.Add(Tx("bad3"), peer);
  EXPECT_EQ(pool.TakePenalties(), (std::vector<uint64_t>{3}));
  EXPECT_TRUE(pool.TakePenalties().empty());
  // Clients are never penalised here (the RPC limits them); peers start afresh per commit.
  for (int i = 0; i < 10; ++i) pool.Add(Tx("bad-c" + std::to_string(i)), kAlice);
  EXPECT_TRUE(pool.TakePenalties().empty());
  pool.Update({});
  pool.Add(Tx("bad4"), peer);
  EXPECT_TRUE(pool.TakePenalties().empty());
  EXPECT_EQ(pool.stats().penalties, 1u);
}

TEST_F(MempoolTest, TellsWhenItBecomesNonEmpty) {
  Mempool pool(Small(), app_);
  EXPECT_FALSE(pool.TakeBecameNonEmpty());
  pool.Add(Tx("a"), kAlice);
  EXPECT_TRUE(pool.TakeBecameNonEmpty());
  pool.Add(Tx("b"), kAlice);
  EXPECT_FALSE(pool.TakeBecameNonEmpty());
  pool.Update({Sha256(Tx("a")), Sha256(Tx("b"))});
  pool.Add(Tx("c"), kAlice);
  EXPECT_TRUE(pool.TakeBecameNonEmpty());
}

}  // namespace
}  // namespace hotbft::mempool
