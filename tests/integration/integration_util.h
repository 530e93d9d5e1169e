// Helpers of the integration tests (integration_test.cc, bad_frames_test.cc): kvstore
// transactions drawn from a seed, submission over the binary client port and HTTP with
// waits for the commits, checks on what the nodes report, and the fixture that owns one
// testnet per test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/sha256.h"
#include "node/client.h"
#include "tests/integration/cluster.h"

namespace hotbft::integration {

inline constexpr uint64_t kStartMs = 30'000;
inline constexpr uint64_t kCommitMs = 60'000;
inline constexpr uint64_t kSettleMs = 30'000;

// HOTBFT_INTEGRATION_SEED, or the default seed.
std::string Base64(ByteView bytes);

uint64_t Seed();

struct TestTx {
  std::string key;
  std::string value;
  Bytes bytes;  // "key=value"
  Hash32 hash;
};

// `count` kvstore transactions with distinct keys "<prefix>-<n>" and values of 1 to 64
// printable bytes drawn from `rng`.
std::vector<TestTx> MakeTxs(std::mt19937_64& rng, const std::string& prefix, size_t count);

// One connection to a node's binary client port, and the transactions it watches.
struct PortSubmitter {
  std::unique_ptr<node::PortClient> client;
  std::set<Hash32> pending;
  std::map<Hash32, node::CommittedTx> committed;
};

// Submits `txs` in batches of `batch` with notify on, expecting each admitted and watched.
::testing::AssertionResult SubmitOverPort(Cluster& cluster, uint32_t node,
                                          const std::vector<const TestTx*>& txs, size_t batch,
                                          PortSubmitter* out);

// Reads commit notifications until every watched transaction of every submitter committed
// with code 0.
::testing::AssertionResult AwaitPortCommits(Cluster& cluster,
                                            std::vector<PortSubmitter>& submitters,
                                            uint64_t timeout_ms);

// broadcast_tx_sync: admitted with code 0 and the expected hash.
::testing::AssertionResult SubmitOverHttp(Cluster& cluster, uint32_t node, const TestTx& tx);

// /tx on `node`: committed, executed with code 0, the same bytes. Sets *height.
::testing::AssertionResult TxCommittedOn(Cluster& cluster, uint32_t node, const TestTx& tx,
                                         uint64_t* height = nullptr);

// abci_query "/key" on `node`: the value the transaction set.
::testing::AssertionResult ValueOn(Cluster& cluster, uint32_t node, const TestTx& tx);

// Every validator still runs and none halted.
::testing::AssertionResult AllHealthy(Cluster& cluster, const std::vector<uint32_t>& nodes);

class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = Seed();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
  }

  // On a failure, every node's log tail, whatever assertion failed. The cluster's
  // destructor then kills every node.
  void TearDown() override {
    if (cluster_ != nullptr && HasFailure()) {
      std::fprintf(stderr, "seed %llu; node logs at the end of the test:\n%s",
                   static_cast<unsigned long long>(seed_), cluster_->LogTails(40).c_str());
    }
    cluster_.reset();
  }

  // A fresh testnet, not started; owned by the fixture.
  Cluster* CreateCluster(const ClusterOptions& options = {}) {
    auto cluster = Cluster::Create(options);
    EXPECT_TRUE(cluster.ok()) << cluster.status().ToString();
    if (!cluster.ok()) return nullptr;
    cluster_ = std::move(*cluster);
    return cluster_.get();
  }

  // A fresh testnet with every validator started and answering; owned by the fixture.
  Cluster* StartCluster(const ClusterOptions& options = {}) {
    if (CreateCluster(options) == nullptr) return nullptr;
    const Status started = cluster_->StartAll(kStartMs);
    EXPECT_TRUE(started.ok()) << started.message();
    return started.ok() ? cluster_.get() : nullptr;
  }

  // Submits `txs` spread over `nodes` (a random node each, from the seed) through their client
  // ports with notify on, and waits until every one is reported committed with code 0.
  ::testing::AssertionResult SubmitAndAwait(Cluster& cluster, const std::vector<uint32_t>& nodes,
                                            const std::vector<TestTx>& txs) {
    std::vector<std::vector<const TestTx*>> per_node(nodes.size());
    for (const TestTx& tx : txs) per_node[rng_() % nodes.size()].push_back(&tx);
    std::vector<PortSubmitter> submitters(nodes.size());
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (per_node[k].empty()) continue;
      auto ok = SubmitOverPort(cluster, nodes[k], per_node[k], 50, &submitters[k]);
      if (!ok) return ok;
    }
    std::erase_if(submitters, [](const PortSubmitter& s) { return s.client == nullptr; });
    return AwaitPortCommits(cluster, submitters, kCommitMs);
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::unique_ptr<Cluster> cluster_;
};

}  // namespace hotbft::integration

#define SEED_TRACE() SCOPED_TRACE("HOTBFT_INTEGRATION_SEED=" + std::to_string(seed_))
