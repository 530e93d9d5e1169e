// Catch-up of a validator that was down for long: it fetches the committed blocks it
// missed from its peers' stores (verified against their QCs), executes them and votes
// again. Also the bound on a BlockResponse's size and a request for an unknown block.
//
// Four node cores on in-memory stores and kvstores, joined by a simulated network on a
// virtual clock that jumps from one event to the next. Deterministic from the seed
// (HOTBFT_TEST_SEED; a failure prints it). Signatures use the keyed-hash test scheme so
// that thousands of heights take seconds; every check runs as with the real scheme.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/kv_backend_mem.h"
#include "app/kvstore.h"
#include "consensus/leader_election.h"
#include "crypto/random.h"
#include "node/node_core.h"
#include "storage/mem_store.h"
#include "tests/consensus/fixtures.h"

namespace hotbft::node::testing {
namespace {

uint64_t TestSeed(uint64_t fallback) {
  const char* env = std::getenv("HOTBFT_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

// Measurement knobs (HOTBFT_CATCHUP_*), not needed by the tests' defaults.
uint64_t Env(const char* name, uint64_t fallback) {
  const char* env = std::getenv(name);
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

std::string SeedNote(uint64_t seed) {
  return "seed " + std::to_string(seed) + " (replay with HOTBFT_TEST_SEED=" + std::to_string(seed) +
         ")";
}

struct CatchupOptions {
  uint64_t seed = 1;
  SignatureScheme scheme = SignatureScheme::kTestOnlyKeyedHash;
  uint64_t delay_ms_min = 1;
  uint64_t delay_ms_max = 4;
  uint32_t tx_bytes = 8;  // one transaction per payload, this long at least
  uint64_t sync_response_bytes_max = CoreConfig{}.sync_response_bytes_max;
  uint32_t sync_ancestors_max = CoreConfig{}.sync_ancestors_max;
};

// n validators without threads; a validator that is down keeps its store and app state
// (its node core is gone), and messages to it are dropped, or captured if asked.
class CatchupCluster {
 public:
  explicit CatchupCluster(CatchupOptions options, uint32_t n = 4)
      : options_(options),
        fx_(n, options.seed, options.scheme),
        election_(n),
        rng_(options.seed),
        nodes_(n) {
    for (uint32_t i = 0; i < n; ++i) {
      nodes_[i].output.cluster = this;
      nodes_[i].output.self = i;
      nodes_[i].store = std::make_unique<storage::MemStore>(fx_.genesis(), fx_.genesis_qc());
      nodes_[i].app_disk = std::make_shared<app::KvMemBackend>();
      HOTBFT_ASSERT(InitializeSafety(*nodes_[i].store, 0).ok());
    }
  }

  Status Start(uint32_t i) {
    Node& n = nodes_.at(i);
    HOTBFT_ASSERT(!n.core);
    auto kv = app::KvStore::OpenWithBackend(n.app_disk);
    if (!kv.ok()) return kv.status();
    n.app = std::move(kv).value();
    NodeCoreConfig config;
    config.core.chain_id = hotbft::testing::kChainId;
    config.core.round_timeout_base_ms = 40;
    config.core.empty_block_interval_ms = 10;
    config.core.sync_response_bytes_max = options_.sync_response_bytes_max;
    config.core.sync_ancestors_max = options_.sync_ancestors_max;
    config.self = i;
    config.execution.chain_id = hotbft::testing::kChainId;
    config.threads = false;
    NodeCoreDeps deps{&fx_.validators(), &fx_.verifier(), &election_,
                      n.store.get(),     n.app.get(),     &n.output};
    ++n.incarnation;
    auto core = NodeCore::Open(config, deps,
                               fx_.MakeValidatorSigner(i, options_.seed * 1000 + n.incarnation));
    if (!core.ok()) return core.status();
    n.core = std::move(core).value();
    n.core->Start(now_);
    return Status::Ok();
  }

  // The node core goes; its store and app state stay (as after a clean stop).
  void Stop(uint32_t i) {
    Node& n = nodes_.at(i);
    n.core.reset();
    n.app.reset();
    n.payload_requests.clear();
  }

  bool up(uint32_t i) const { return nodes_.at(i).core != nullptr; }
  NodeCore& core(uint32_t i) { return *nodes_.at(i).core; }
  storage::Store& store(uint32_t i) { return *nodes_.at(i).store; }
  uint64_t now() const { return now_; }
  const std::vector<std::string>& violations() const { return violations_; }
  uint64_t signed_sent(uint32_t i) const { return nodes_.at(i).signed_sent; }
  uint64_t responses_sent(uint32_t i) const { return nodes_.at(i).responses_sent; }
  SeededRandom& rng() { return rng_; }

  // Messages to validator `to` are kept here instead of delivered (while it is down).
  void Capture(uint32_t to) { capture_to_ = to; }
  std::vector<std::pair<uint32_t, Message>> TakeCaptured() { return std::move(captured_); }

  // Delivers `message` from `from` to `to` now (a peer's request in a test).
  void Deliver(uint32_t from, uint32_t to, const Message& message) {
    nodes_.at(to).core->OnMessage(from, message, now_);
    Settle(to);
  }

  // Runs until `done` holds or the clock passes `until_ms`, one event time after another.
  bool RunUntil(uint64_t until_ms, const std::function<bool()>& done) {
    while (now_ < until_ms) {
      if (done()) return true;
      Step(until_ms);
    }
    return done();
  }

  Height executed(uint32_t i) { return up(i) ? core(i).executed_height() : 0; }

 private:
  struct Output final : NodeOutput {
    CatchupCluster* cluster = nullptr;
    uint32_t self = 0;
    void Send(uint32_t to, const Message& message) override { cluster->OnSend(self, to, message); }
    void Broadcast(const Message& message) override {
      for (uint32_t to = 0; to < cluster->nodes_.size(); ++to) {
        if (to != self) cluster->OnSend(self, to, message);
      }
    }
    void RequestPayload(const RequestPayloadAction& request) override {
      cluster->nodes_[self].payload_requests.push_back(request.round);
    }
    void Executed(const Block& block, const ExecutedBlock& result) override {
      (void)block;
      cluster->OnExecuted(self, result);
    }
  };
  struct Node {
    Output output;
    std::unique_ptr<storage::MemStore> store;
    std::shared_ptr<app::KvMemBackend> app_disk;
    std::unique_ptr<app::Application> app;
    std::unique_ptr<NodeCore> core;
    uint32_t incarnation = 0;
    std::vector<Round> payload_requests;
    uint64_t signed_sent = 0;
    uint64_t responses_sent = 0;
  };

  uint64_t Uniform(uint64_t lo, uint64_t hi) { return lo + rng_.Next() % (hi - lo + 1); }

  void OnSend(uint32_t from, uint32_t to, const Message& message) {
    if (std::holds_alternative<Proposal>(message) || std::holds_alternative<Vote>(message) ||
        std::holds_alternative<Timeout>(message)) {
      ++nodes_[from].signed_sent;
    }
    if (std::holds_alternative<BlockResponse>(message)) ++nodes_[from].responses_sent;
    if (capture_to_ && *capture_to_ == to) {
      captured_.emplace_back(from, message);
      return;
    }
    const uint64_t at = now_ + Uniform(options_.delay_ms_min, options_.delay_ms_max);
    in_flight_.emplace(std::make_pair(at, seq_++),
                       std::make_pair(std::make_pair(from, to), message));
  }

  void OnExecuted(uint32_t i, const ExecutedBlock& result) {
    auto [it, inserted] = app_hashes_.emplace(result.height, result.app_hash);
    if (!inserted && it->second != result.app_hash) {
      violations_.push_back("app-hash: validator " + std::to_string(i) + " at height " +
                            std::to_string(result.height));
    }
  }

  std::shared_ptr<const Payload> MakePayload() {
    auto payload = std::make_shared<Payload>();
    std::string tx = "k" + std::to_string(next_tx_ % 64) + "=v" + std::to_string(next_tx_);
    ++next_tx_;
    if (tx.size() < options_.tx_bytes) tx.resize(options_.tx_bytes, 'x');
    payload->txs.emplace_back(tx.begin(), tx.end());
    return payload;
  }

  // Carries out what an input left: Polls until the node core has nothing to hand over,
  // and answers its payload requests.
  void Settle(uint32_t i) {
    Node& n = nodes_[i];
    for (int k = 0; k < 1000 && n.core; ++k) {
      if (n.core->has_work()) {
        n.core->Poll(now_);
      } else if (!n.payload_requests.empty()) {
        const Round round = n.payload_requests.front();
        n.payload_requests.erase(n.payload_requests.begin());
        n.core->OnPayloadReady(round, MakePayload(), now_);
      } else {
        return;
      }
    }
  }

  void Step(uint64_t until_ms) {
    uint64_t next = until_ms;
    if (!in_flight_.empty()) next = std::min(next, in_flight_.begin()->first.first);
    for (auto& n : nodes_) {
      if (n.core) next = std::min(next, std::max(n.core->deadline_ms(), now_ + 1));
    }
    now_ = std::max(next, now_ + 1);
    while (!in_flight_.empty() && in_flight_.begin()->first.first <= now_) {
      auto [ends, message] = std::move(in_flight_.begin()->second);
      in_flight_.erase(in_flight_.begin());
      if (!up(ends.second)) continue;
      nodes_[ends.second].core->OnMessage(ends.first, message, now_);
      Settle(ends.second);
    }
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].core && nodes_[i].core->deadline_ms() <= now_) {
        nodes_[i].core->OnTick(now_);
        Settle(i);
      }
    }
  }

  const CatchupOptions options_;
  hotbft::testing::Fixture fx_;
  RoundRobinElection election_;
  SeededRandom rng_;
  std::vector<Node> nodes_;
  std::vector<std::string> violations_;
  std::map<Height, Bytes> app_hashes_;
  std::map<std::pair<uint64_t, uint64_t>, std::pair<std::pair<uint32_t, uint32_t>, Message>>
      in_flight_;
  std::optional<uint32_t> capture_to_;
  std::vector<std::pair<uint32_t, Message>> captured_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  uint64_t next_tx_ = 0;
};

void StartAll(CatchupCluster& cluster) {
  for (uint32_t i = 0; i < 4; ++i) {
    Status started = cluster.Start(i);
    ASSERT_TRUE(started.ok()) << "validator " << i << ": " << started.ToString();
  }
}

Height MinExecutedOfOthers(CatchupCluster& cluster, uint32_t except) {
  Height min = UINT64_MAX;
  for (uint32_t i = 0; i < 4; ++i) {
    if (i != except) min = std::min(min, cluster.executed(i));
  }
  return min;
}

// Validator 3 is down while the others commit well over BlockTree::kCommittedCacheMax
// heights, so what it missed is no longer in any peer's tree: it comes back, fetches it
// from their stores, reaches their executed height and app hash, and votes again.
TEST(NodeCatchup, ValidatorDownForLongCatchesUpFromStoresAndVotesAgain) {
  const uint64_t seed = TestSeed(20260514);
  SCOPED_TRACE(SeedNote(seed));
  spdlog::set_level(spdlog::level::warn);
  CatchupOptions options;
  options.seed = seed;
  if (Env("HOTBFT_CATCHUP_SCHNORR", 0) != 0) options.scheme = SignatureScheme::kSchnorrBip340;
  options.tx_bytes = static_cast<uint32_t>(Env("HOTBFT_CATCHUP_TX_BYTES", options.tx_bytes));
  options.sync_ancestors_max =
      static_cast<uint32_t>(Env("HOTBFT_CATCHUP_ANCESTORS", options.sync_ancestors_max));
  CatchupCluster cluster(options);
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster));
  const Height behind = Env("HOTBFT_CATCHUP_HEIGHTS", BlockTree::kCommittedCacheMax + 1'000);

  // A few heights together, then validator 3 goes down.
  ASSERT_TRUE(cluster.RunUntil(60'000, [&] { return MinExecutedOfOthers(cluster, 4) >= 20; }));
  cluster.Stop(3);
  const Height down_at = cluster.store(3).ExecutedHeight();
  ASSERT_TRUE(cluster.RunUntil(cluster.now() + 3'600'000,
                               [&] { return MinExecutedOfOthers(cluster, 3) >= down_at + behind; }))
      << "the three others reached only " << MinExecutedOfOthers(cluster, 3);
  const Height target = MinExecutedOfOthers(cluster, 3);

  // Back: it catches up with the others' executed height at its return.
  const uint64_t signed_before = cluster.signed_sent(3);
  const uint64_t back_ms = cluster.now();
  const auto wall_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(cluster.Start(3).ok());
  const bool caught_up =
      cluster.RunUntil(cluster.now() + 600'000, [&] { return cluster.executed(3) >= target; });
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double virtual_s = static_cast<double>(cluster.now() - back_ms) / 1000.0;
  const Height fetched = cluster.executed(3) - down_at;
  std::printf(
      "validator 3 was %llu heights behind; caught up %llu heights in %.1f s virtual "
      "(%.0f blocks/s), %.2f s wall (%.0f blocks/s)\n",
      static_cast<unsigned long long>(target - down_at), static_cast<unsigned long long>(fetched),
      virtual_s, fetched / virtual_s, wall_s, fetched / wall_s);
  ASSERT_TRUE(caught_up) << "validator 3 executed only " << cluster.executed(3) << " of " << target;
  EXPECT_EQ(*cluster.store(3).AppHashAt(target), *cluster.store(0).AppHashAt(target));
  uint64_t from_stores = 0;
  for (uint32_t i = 0; i < 3; ++i) from_stores += cluster.core(i).blocks_served_from_store();
  EXPECT_GT(from_stores, 0u) << "the peers' trees held everything: the store path was not used";

  // It takes part again: it signs, and the chain goes on with all four.
  ASSERT_TRUE(cluster.RunUntil(cluster.now() + 60'000,
                               [&] {
                                 return cluster.signed_sent(3) > signed_before + 10 &&
                                        cluster.executed(3) >= target + 50;
                               }))
      << "validator 3 signed " << cluster.signed_sent(3) - signed_before << " messages";
  EXPECT_TRUE(cluster.core(3).halted().ok()) << cluster.core(3).halted().ToString();
  EXPECT_TRUE(cluster.violations().empty()) << cluster.violations().front();
}

// The blocks of a response, checked: a chain from `id` down, newest first; returns their
// total BlockResponseBytes.
uint64_t CheckedResponseBytes(const BlockResponse& response, const Hash32& id) {
  uint64_t bytes = 0;
  for (size_t k = 0; k < response.blocks.size(); ++k) {
    const Block& block = *response.blocks[k];
    EXPECT_EQ(block.id, k == 0 ? id : response.blocks[k - 1]->header.parent_id);
    bytes += BlockResponseBytes(block);
  }
  return bytes;
}

// The single response validator 3 (down, its messages captured) got.
BlockResponse TakeResponse(CatchupCluster& cluster) {
  auto captured = cluster.TakeCaptured();
  EXPECT_EQ(captured.size(), 1u);
  if (captured.empty()) return {};
  auto* response = std::get_if<BlockResponse>(&captured.front().second);
  EXPECT_NE(response, nullptr);
  return response != nullptr ? *response : BlockResponse{};
}

// A request whose blocks would pass sync_response_bytes_max gets fewer, cut at the cap,
// from the tree and from the store alike; a cap below one block still gets one block.
TEST(NodeCatchup, ResponsesAreCutToTheByteCapAndKeepAtLeastOneBlock) {
  const uint64_t seed = TestSeed(7);
  SCOPED_TRACE(SeedNote(seed));
  spdlog::set_level(spdlog::level::warn);
  CatchupOptions options;
  options.seed = seed;
  options.tx_bytes = 2'000;
  options.sync_response_bytes_max = 10'000;
  CatchupCluster cluster(options);
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster));
  ASSERT_TRUE(cluster.RunUntil(60'000, [&] { return MinExecutedOfOthers(cluster, 4) >= 40; }));
  cluster.Stop(3);
  cluster.Capture(3);
  const Hash32 id = *cluster.store(0).CommittedAt(30);
  const BlockRequest request{id, 64};
  auto expect_cut = [&](const BlockResponse& response) {
    ASSERT_GE(response.blocks.size(), 1u);
    ASSERT_LT(response.blocks.size(), 31u) << "not cut";
    const uint64_t bytes = CheckedResponseBytes(response, id);
    EXPECT_LE(bytes, options.sync_response_bytes_max);
    // Cut at the cap: the next ancestor would not have fitted.
    const auto next = cluster.store(0).GetBlock(response.blocks.back()->header.parent_id);
    ASSERT_NE(next, nullptr);
    EXPECT_GT(bytes + BlockResponseBytes(*next), options.sync_response_bytes_max);
  };

  // From validator 0's tree (its cache of committed blocks).
  ASSERT_TRUE(cluster.core(0).core().tree().Contains(id));
  cluster.Deliver(3, 0, request);
  ASSERT_NO_FATAL_FAILURE(expect_cut(TakeResponse(cluster)));
  EXPECT_EQ(cluster.core(0).blocks_served_from_store(), 0u);

  // From validator 1's store: restarted, its tree holds nothing below its committed tip.
  cluster.Stop(1);
  ASSERT_TRUE(cluster.Start(1).ok());
  ASSERT_FALSE(cluster.core(1).core().tree().Contains(id));
  cluster.Deliver(3, 1, request);
  const BlockResponse from_store = TakeResponse(cluster);
  ASSERT_NO_FATAL_FAILURE(expect_cut(from_store));
  EXPECT_EQ(cluster.core(1).blocks_served_from_store(), from_store.blocks.size());

  // A cap below one block's size: that one block.
  const auto one = CollectBlockResponse(
      request, 64, 1, [&](const Hash32& block_id) { return cluster.store(0).GetBlock(block_id); });
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.front()->id, id);
}

// A peer asking for a block nobody has gets no answer, from the tree or the store, and
// the chain goes on.
TEST(NodeCatchup, UnknownBlockGetsNothingAndNothingBreaks) {
  const uint64_t seed = TestSeed(11);
  SCOPED_TRACE(SeedNote(seed));
  spdlog::set_level(spdlog::level::warn);
  CatchupOptions options;
  options.seed = seed;
  CatchupCluster cluster(options);
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster));
  ASSERT_TRUE(cluster.RunUntil(60'000, [&] { return MinExecutedOfOthers(cluster, 4) >= 20; }));
  cluster.Stop(3);
  cluster.Capture(3);
  Hash32 unknown;
  for (auto& byte : unknown.bytes) byte = static_cast<uint8_t>(cluster.rng().Next());
  for (uint32_t i = 0; i < 3; ++i) {
    for (uint32_t ancestors : {0u, 64u, 1'024u, UINT32_MAX}) {
      cluster.Deliver(3, i, BlockRequest{unknown, ancestors});
    }
  }
  const Height before = MinExecutedOfOthers(cluster, 3);
  ASSERT_TRUE(cluster.RunUntil(cluster.now() + 60'000,
                               [&] { return MinExecutedOfOthers(cluster, 3) >= before + 20; }));
  for (const auto& [from, message] : cluster.TakeCaptured()) {
    EXPECT_FALSE(std::holds_alternative<BlockResponse>(message)) << "validator " << from;
  }
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(cluster.core(i).halted().ok()) << cluster.core(i).halted().ToString();
    EXPECT_EQ(cluster.core(i).blocks_served_from_store(), 0u);
  }
  EXPECT_TRUE(cluster.violations().empty()) << cluster.violations().front();
}

}  // namespace
}  // namespace hotbft::node::testing
