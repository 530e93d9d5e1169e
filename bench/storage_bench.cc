// Micro benchmarks of the RocksDB store: the executor's write of one committed height, the
// way a loaded validator makes it. Each iteration commits the next block of a prepared chain
// and writes the height's transaction records ahead of the app's Commit (the transaction
// index: one entry per transaction, at the SHA-256 of the transaction, a random key), then
// completes the height with its app hash. The records name `txs` fresh random hashes a
// height. Writes are not synced (the figure is the CPU a height costs, not the disk's), and
// the run is long enough for the transaction index's memtable to fill and flush several
// times (4,000 heights of 256 transactions: about 70 MB of index entries).
// Figures are machine-dependent: see bench/README.md.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crypto/assert.h"
#include "storage/rocks_store.h"
#include "tests/consensus/fixtures.h"

namespace hotbft {
namespace {

constexpr int64_t kHeights = 4'000;

void BM_ExecutedHeight(benchmark::State& state) {
  const auto txs = static_cast<uint32_t>(state.range(0));
  testing::Fixture fx(4);
  const testing::LinearChain chain =
      testing::MakeLinearChain(fx, kHeights, [](Height) { return std::vector<Bytes>{}; });
  std::string dir = std::filesystem::temp_directory_path() / "hotbft-storage-bench-XXXXXX";
  HOTBFT_ASSERT(mkdtemp(dir.data()) != nullptr);
  storage::RocksStoreOptions options;
  options.sync = false;
  auto store = storage::OpenRocksStore(dir + "/db", testing::kChainId, fx.genesis(),
                                       fx.genesis_qc(), options);
  HOTBFT_ASSERT(store.ok());
  std::mt19937_64 rng(1);
  Height h = 0;
  for (auto _ : state) {
    ++h;
    storage::WriteBatch commit;
    commit.blocks.push_back(chain.blocks[h]);
    commit.committed.push_back(chain.blocks[h]->id);
    commit.root_qc = chain.qcs[h];
    storage::ExecutionRecord ahead;
    ahead.height = h;
    ahead.txs.reserve(txs);
    for (uint32_t i = 0; i < txs; ++i) {
      Hash32 hash;
      for (size_t b = 0; b < hash.bytes.size(); b += 8) {
        const uint64_t word = rng();
        std::memcpy(hash.bytes.data() + b, &word, 8);
      }
      ahead.txs.emplace_back(hash, storage::TxRecord{h, i, Bytes{}});
    }
    commit.finalized = std::move(ahead);
    HOTBFT_ASSERT((*store)->Write(commit).ok());
    storage::WriteBatch complete;
    storage::ExecutionRecord record;
    record.height = h;
    record.app_hash = Bytes(32, static_cast<uint8_t>(h));
    complete.executed.push_back(std::move(record));
    HOTBFT_ASSERT((*store)->Write(complete).ok());
  }
  state.SetItemsProcessed(static_cast<int64_t>(h) * txs);
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ExecutedHeight)
    ->ArgName("txs")
    ->Arg(256)
    ->Iterations(kHeights)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hotbft

BENCHMARK_MAIN();
