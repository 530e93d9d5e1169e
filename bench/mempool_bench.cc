// Micro benchmarks of the mempool: admission (hash, dedup, CheckTx, insertion), batching a
// block payload out of a large pool, rechecking a large pool after a commit, and the steady
// state of a loaded validator (admissions and commits of whole blocks, the committed cache
// full).
//
// Apps: `noop` (CheckTx accepts everything: the mempool's own cost) and `kvstore` (its
// stateless format check, as on the testnet). Transactions are 100-byte kvstore
// transactions ("k<i>=<padding>"), distinct, from 16 clients in turn. Figures are
// machine-dependent: see bench/README.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/kvstore.h"
#include "app/noop.h"
#include "mempool/mempool.h"

namespace hotbft {
namespace {

constexpr size_t kTxBytes = 100;
constexpr uint64_t kClients = 16;

Bytes MakeTx(uint64_t i) {
  std::string s = "k" + std::to_string(i) + "=";
  s.resize(kTxBytes, 'v');
  return Bytes(s.begin(), s.end());
}

// The app named by `kind` (0: noop, 1: kvstore in a temporary directory).
class BenchApp {
 public:
  explicit BenchApp(int64_t kind) {
    if (kind == 0) {
      app_ = std::make_unique<app::Noop>();
      return;
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("hotbft-mempool-bench-" + std::to_string(getpid()));
    auto kv = app::KvStore::Open(dir_.string());
    if (kv.ok()) app_ = std::move(kv).value();
  }
  ~BenchApp() {
    app_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  app::Application* get() { return app_.get(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<app::Application> app_;
};

mempool::MempoolConfig BigPool() {
  mempool::MempoolConfig c;
  c.txs_max = 10'000'000;
  c.bytes_max = uint64_t{4} << 30;
  c.gossip_queue_max = 0;  // nothing takes the gossip here
  return c;
}

// Admission of distinct transactions into a growing pool (reset every 100,000).
void BM_Add(benchmark::State& state) {
  BenchApp app(state.range(0));
  if (app.get() == nullptr) return state.SkipWithError("cannot open the app");
  std::vector<Bytes> txs;
  for (uint64_t i = 0; i < 100'000; ++i) txs.push_back(MakeTx(i));
  auto pool = std::make_unique<mempool::Mempool>(BigPool(), *app.get());
  size_t next = 0;
  for (auto _ : state) {
    if (next == txs.size()) {
      state.PauseTiming();
      pool = std::make_unique<mempool::Mempool>(BigPool(), *app.get());
      next = 0;
      state.ResumeTiming();
    }
    auto r = pool->Add(txs[next], mempool::Sender::Client(next % kClients));
    benchmark::DoNotOptimize(r);
    ++next;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Add)->ArgName("app")->Arg(0)->Arg(1);

// A pool of `pool` transactions; one Reap of up to 10,000 transactions and 4 MiB.
void BM_Reap(benchmark::State& state) {
  app::Noop noop;
  mempool::Mempool pool(BigPool(), noop);
  for (int64_t i = 0; i < state.range(0); ++i) {
    pool.Add(MakeTx(static_cast<uint64_t>(i)), mempool::Sender::Client(i % kClients));
  }
  size_t reaped = 0;
  for (auto _ : state) {
    auto payload = pool.Reap(4 << 20, 10'000);
    reaped = payload->txs.size();
    benchmark::DoNotOptimize(payload);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(reaped));
  state.counters["txs_per_payload"] = static_cast<double>(reaped);
}
BENCHMARK(BM_Reap)->ArgName("pool")->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// A loaded validator's cycle: a pool of 20,000 transactions from 4 senders, the default
// committed cache (200,000 hashes) full; each iteration admits one block's worth (350) and
// commits the 350 oldest. Items are transactions (one admission and one removal each).
void BM_AddAndCommit(benchmark::State& state) {
  app::Noop noop;
  constexpr uint64_t kPool = 20'000;
  constexpr uint64_t kBlock = 350;
  mempool::MempoolConfig config = BigPool();
  config.recheck = false;  // a stateless app's pool, as with noop and kvstore
  mempool::Mempool pool(config, noop);
  std::deque<Hash32> pending;
  uint64_t next = 0;
  auto add = [&] {
    auto r = pool.Add(MakeTx(next), mempool::Sender::Client(next % 4));
    pending.push_back(r.hash);
    ++next;
  };
  auto commit = [&] {
    std::vector<Hash32> block(pending.begin(), pending.begin() + kBlock);
    pending.erase(pending.begin(), pending.begin() + kBlock);
    pool.Update(block);
  };
  // Fill the committed cache, then the pool.
  while (next < config.committed_cache_max + kPool) {
    add();
    if (pending.size() == kPool + kBlock) commit();
  }
  std::vector<Bytes> txs;
  for (auto _ : state) {
    state.PauseTiming();
    txs.clear();
    for (uint64_t i = 0; i < kBlock; ++i) txs.push_back(MakeTx(next + i));
    state.ResumeTiming();
    for (uint64_t i = 0; i < kBlock; ++i) {
      auto r = pool.Add(std::move(txs[i]), mempool::Sender::Client(next % 4));
      pending.push_back(r.hash);
      ++next;
    }
    commit();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kBlock));
}
BENCHMARK(BM_AddAndCommit);

// After a commit of 10,000 transactions, the whole rest of a pool of 100,000 is rechecked.
void BM_RecheckAfterCommit(benchmark::State& state) {
  BenchApp app(state.range(0));
  if (app.get() == nullptr) return state.SkipWithError("cannot open the app");
  constexpr uint64_t kPool = 100'000;
  constexpr uint64_t kBlock = 10'000;
  uint64_t round = 0;
  size_t rechecked = 0;
  for (auto _ : state) {
    state.PauseTiming();
    mempool::Mempool pool(BigPool(), *app.get());
    std::vector<Hash32> committed;
    for (uint64_t i = 0; i < kPool; ++i) {
      auto r = pool.Add(MakeTx(round * kPool + i), mempool::Sender::Client(i % kClients));
      if (i < kBlock) committed.push_back(r.hash);
    }
    ++round;
    state.ResumeTiming();
    pool.Update(committed);
    rechecked = 0;
    while (size_t n = pool.Recheck(1'000)) rechecked += n;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rechecked));
  state.counters["rechecked"] = static_cast<double>(rechecked);
}
BENCHMARK(BM_RecheckAfterCommit)
    ->ArgName("app")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace hotbft

BENCHMARK_MAIN();
