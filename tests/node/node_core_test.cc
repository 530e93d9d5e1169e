// The node core (consensus, storage and execution without the network) across restarts:
// recovery from the same RocksDB directories, the refusal to sign without safety data,
// and the app-hash check. Seeds come from HOTBFT_TEST_SEED when set; a failure prints the
// seed it ran with.
#include "node/node_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "app/forwarding_app.h"
#include "tests/node/node_cluster.h"
#include "tests/temp_dir.h"

namespace hotbft::node::testing {
namespace {

using hotbft::testing::TempDir;

uint64_t TestSeed(uint64_t fallback) {
  const char* env = std::getenv("HOTBFT_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

std::string SeedNote(uint64_t seed) {
  return "seed " + std::to_string(seed) + " (replay with HOTBFT_TEST_SEED=" + std::to_string(seed) +
         ")";
}

void StartAll(NodeCluster& cluster, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    Status started = cluster.Start(i, /*init_safety=*/true);
    ASSERT_TRUE(started.ok()) << "validator " << i << ": " << started.ToString();
  }
}

Height MinExecuted(NodeCluster& cluster, uint32_t n) {
  Height min = UINT64_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    min = std::min(min, cluster.up(i) ? cluster.core(i).executed_height() : 0);
  }
  return min;
}

// Every validator's store and app agree on the app hash at `height`.
void ExpectSameAppHash(NodeCluster& cluster, uint32_t n, Height height) {
  std::optional<Bytes> first;
  for (uint32_t i = 0; i < n; ++i) {
    SCOPED_TRACE("validator " + std::to_string(i));
    auto stored = cluster.store(i).AppHashAt(height);
    ASSERT_TRUE(stored.has_value());
    if (!first) first = stored;
    EXPECT_EQ(*stored, *first);
  }
}

// Restarts a validator's node core at 50 random points of a run, each from the same
// RocksDB directories (store and kvstore). It never signs anything conflicting, every
// validator executes to the same app hash, and the chain keeps growing.
TEST(NodeCoreRecovery, FiftyRestartsNeverDoubleSignAndAgreeOnAppHash) {
  const uint64_t seed = TestSeed(20261124);
  SCOPED_TRACE(SeedNote(seed));
  TempDir dir;
  ClusterOptions options;
  options.seed = seed;
  options.poll_gap_ms_max = 8;  // wider windows between a write queued and carried out
  NodeCluster cluster(options, dir.path());
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster, 4));

  constexpr int kRestarts = 50;
  std::vector<uint64_t> signed_before(4, 0);
  Height committed_at_last_restart = 0;
  for (int k = 0; k < kRestarts; ++k) {
    cluster.RunUntil(cluster.now() + 100 + cluster.rng().Next() % 500);
    const uint32_t victim = static_cast<uint32_t>(cluster.rng().Next() % 4);
    const Height executed = cluster.core(victim).executed_height();
    cluster.Crash(victim);
    cluster.RunUntil(cluster.now() + cluster.rng().Next() % 300);
    Status started = cluster.Start(victim, /*init_safety=*/false);
    ASSERT_TRUE(started.ok()) << "restart " << k << " of validator " << victim << ": "
                              << started.ToString();
    EXPECT_TRUE(cluster.core(victim).can_sign());
    EXPECT_GE(cluster.core(victim).executed_height(), executed) << "restart " << k;
    committed_at_last_restart = cluster.store(victim).CommittedHeight();
  }

  // Everyone catches up and goes on committing.
  const Height target = committed_at_last_restart + 10;
  const bool caught_up =
      cluster.RunUntil(cluster.now() + 30'000, [&] { return MinExecuted(cluster, 4) >= target; });
  ASSERT_TRUE(caught_up) << "executed heights stayed below " << target;

  EXPECT_TRUE(cluster.violations().empty()) << cluster.violations().front();
  const Height common = MinExecuted(cluster, 4);
  ExpectSameAppHash(cluster, 4, common);
  for (uint32_t i = 0; i < 4; ++i) {
    auto info = cluster.app(i).Info();
    ASSERT_TRUE(info.ok());
    EXPECT_GE(info->last_height, common);
    EXPECT_TRUE(cluster.core(i).halted().ok()) << cluster.core(i).halted().ToString();
    EXPECT_GT(cluster.signed_sent(i), 0u);
  }
  EXPECT_GT(common, 100u);
  EXPECT_GT(cluster.duplicates_executed(), 0u);  // repeats were given the duplicate code
  std::printf(
      "fifty restarts (%llu with writes or executions lost): executed height %llu, %zu "
      "heights checked, %llu duplicates\n",
      static_cast<unsigned long long>(cluster.crashes_losing_work()),
      static_cast<unsigned long long>(common), cluster.app_hashes().size(),
      static_cast<unsigned long long>(cluster.duplicates_executed()));
  EXPECT_GT(cluster.crashes_losing_work(), 0u);
}

// A validator whose key exists but whose safety data is gone signs nothing, however long
// it runs, until an operator initialises the safety data; the others carry on meanwhile.
TEST(NodeCoreRecovery, WithoutSafetyDataAValidatorSignsNothingUntilInitialised) {
  const uint64_t seed = TestSeed(7);
  SCOPED_TRACE(SeedNote(seed));
  TempDir dir;
  ClusterOptions options;
  options.seed = seed;
  NodeCluster cluster(options, dir.path());
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster, 4));
  cluster.RunUntil(2'000);
  ASSERT_GT(cluster.core(3).executed_height(), 0u);

  // Validator 3 loses its data directory, keeping its key.
  cluster.Crash(3);
  std::filesystem::remove_all(cluster.StoreDir(3));
  std::filesystem::remove_all(cluster.AppDir(3));
  ASSERT_TRUE(cluster.Start(3, /*init_safety=*/false).ok());
  EXPECT_FALSE(cluster.core(3).can_sign());
  const uint64_t signed_at_wipe = cluster.signed_sent(3);
  const Height others_before = cluster.core(0).executed_height();
  cluster.RunUntil(cluster.now() + 5'000);
  EXPECT_EQ(cluster.signed_sent(3), signed_at_wipe);
  EXPECT_GT(cluster.core(0).executed_height(), others_before + 3);

  // The operator initialises it explicitly: it signs again, and safely (it restarts below
  // every round it signed in, and only certificates move it forward).
  cluster.Crash(3);
  ASSERT_TRUE(cluster.Start(3, /*init_safety=*/true).ok());
  EXPECT_TRUE(cluster.core(3).can_sign());
  cluster.RunUntil(cluster.now() + 3'000);
  EXPECT_GT(cluster.signed_sent(3), signed_at_wipe);
  EXPECT_TRUE(cluster.violations().empty()) << cluster.violations().front();
}

// InitializeSafety never replaces existing safety data.
TEST(NodeCoreRecovery, InitializeSafetyRefusesToReplaceSafetyData) {
  TempDir dir;
  ClusterOptions options;
  NodeCluster cluster(options, dir.path());
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster, 4));
  cluster.RunUntil(500);
  cluster.Crash(1);
  Status again = cluster.Start(1, /*init_safety=*/true);
  EXPECT_EQ(again.code(), Status::Code::kFailedPrecondition) << again.ToString();
}

// An app whose hash departs from the others' from one height on.
class DivergingApp final : public app::ForwardingApplication {
 public:
  DivergingApp(std::unique_ptr<app::Application> inner, Height from)
      : ForwardingApplication(inner.get()), owned_(std::move(inner)), from_(from) {}
  Result<app::FinalizeBlockResult> FinalizeBlock(const app::FinalizeBlockRequest& r) override {
    height_ = r.height;
    return inner().FinalizeBlock(r);
  }
  Result<app::CommitResult> Commit() override {
    auto result = inner().Commit();
    if (result.ok() && height_ >= from_ && !result->app_hash.empty()) result->app_hash[0] ^= 1;
    return result;
  }

 private:
  std::unique_ptr<app::Application> owned_;
  Height from_;
  Height height_ = 0;
};

// The cluster's app-hash check fires on a validator whose app diverges, and that
// validator halts, naming both hashes, rather than fork.
TEST(NodeCoreRecovery, DivergingAppIsCaughtAndItsValidatorHalts) {
  const uint64_t seed = TestSeed(3);
  SCOPED_TRACE(SeedNote(seed));
  TempDir dir;
  ClusterOptions options;
  options.seed = seed;
  NodeCluster cluster(options, dir.path());
  cluster.set_app_factory(
      [](uint32_t i, const std::string& app_dir) -> Result<std::unique_ptr<app::Application>> {
        auto kv = app::KvStore::Open(app_dir);
        if (!kv.ok()) return kv.status();
        std::unique_ptr<app::Application> app = std::move(kv).value();
        if (i == 2) return std::unique_ptr<app::Application>(new DivergingApp(std::move(app), 5));
        return app;
      });
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster, 4));
  cluster.RunUntil(5'000);
  ASSERT_FALSE(cluster.violations().empty());
  EXPECT_NE(cluster.violations().front().find("app-hash"), std::string::npos)
      << cluster.violations().front();
  const Status halted = cluster.core(2).halted();
  EXPECT_FALSE(halted.ok());
  EXPECT_NE(halted.ToString().find("app hash"), std::string::npos) << halted.ToString();
  // The three others go on.
  EXPECT_GT(cluster.core(0).executed_height(), 10u);
  EXPECT_TRUE(cluster.core(0).halted().ok());
}

// The same cluster with the storage writer and the executor on their own threads.
TEST(NodeCoreThreads, CommitsAndRecoversWithWorkerThreads) {
  const uint64_t seed = TestSeed(11);
  SCOPED_TRACE(SeedNote(seed));
  TempDir dir;
  ClusterOptions options;
  options.seed = seed;
  options.threads = true;
  NodeCluster cluster(options, dir.path());
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster, 4));
  cluster.RunUntil(1'500);
  for (int k = 0; k < 3; ++k) {
    cluster.Crash(static_cast<uint32_t>(k));
    ASSERT_TRUE(cluster.Start(static_cast<uint32_t>(k), false).ok());
    cluster.RunUntil(cluster.now() + 700);
  }
  const Height target = cluster.core(3).executed_height() + 10;
  ASSERT_TRUE(
      cluster.RunUntil(cluster.now() + 20'000, [&] { return MinExecuted(cluster, 4) >= target; }));
  EXPECT_TRUE(cluster.violations().empty()) << cluster.violations().front();
  ExpectSameAppHash(cluster, 4, MinExecuted(cluster, 4));
}

// Validator 3's key signs two votes of one round for different blocks, sent to everyone:
// every honest validator records the evidence, a leader proposes it, it commits once, and
// every validator's app is handed it at the same height; a restart keeps it committed and
// out of later blocks.
TEST(NodeCoreEvidence, ADoubleVoteEndsInACommittedBlockAndEveryAppSeesIt) {
  const uint64_t seed = TestSeed(5);
  SCOPED_TRACE(SeedNote(seed));
  TempDir dir;
  ClusterOptions options;
  options.seed = seed;
  NodeCluster cluster(options, dir.path());
  ASSERT_NO_FATAL_FAILURE(StartAll(cluster, 4));
  cluster.RunUntil(1'000);
  ASSERT_GT(MinExecuted(cluster, 4), 0u);

  const Round round = cluster.core(0).core().current_round();
  hotbft::testing::Fixture& fx = cluster.fixture();
  auto a = fx.MakeBlock(fx.genesis_qc(), round, 0, {{1}});
  auto b = fx.MakeBlock(fx.genesis_qc(), round, 0, {{2}});
  const Vote va = fx.MakeVote(*a, 3);
  const Vote vb = fx.MakeVote(*b, 3);
  for (uint32_t to = 0; to < 3; ++to) {
    cluster.Inject(3, to, va);
    cluster.Inject(3, to, vb);
  }
  const EvidenceKey key{EvidenceKind::kDoubleVote, 3, 0, round};
  auto committed_everywhere = [&] {
    for (uint32_t i = 0; i < 4; ++i) {
      if (!cluster.store(i).GetEvidence(key)) return false;
      auto executed = cluster.core(i).executed_height();
      if (executed < cluster.store(i).GetEvidence(key)->height) return false;
    }
    return true;
  };
  ASSERT_TRUE(cluster.RunUntil(cluster.now() + 10'000, committed_everywhere));
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(cluster.core(i).core().counters().evidence_recorded, 1u) << "validator " << i;
  }

  const Height height = cluster.store(0).GetEvidence(key)->height;
  const app::Event expected{"misbehaviour",
                            {{"epoch", "0"},
                             {"round", std::to_string(round)},
                             {"type", "double_vote"},
                             {"validator", "3"}}};
  for (uint32_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("validator " + std::to_string(i));
    EXPECT_EQ(cluster.store(i).GetEvidence(key)->height, height);
    ASSERT_EQ(cluster.misbehaviour(i).size(), 1u) << "handed to the app once";
    EXPECT_EQ(cluster.misbehaviour(i)[0].first, height);
    EXPECT_EQ(cluster.misbehaviour(i)[0].second, expected);
    EXPECT_EQ(cluster.core(i).evidence_pool().size(), 0u) << "committed pieces leave the pool";
  }

  // A restart recovers the committed piece: it is never proposed or accepted again.
  cluster.Crash(1);
  ASSERT_TRUE(cluster.Start(1, false).ok());
  EXPECT_TRUE(cluster.core(1).core().committed_evidence().contains(key));
  const Height target = MinExecuted(cluster, 4) + 10;
  ASSERT_TRUE(
      cluster.RunUntil(cluster.now() + 20'000, [&] { return MinExecuted(cluster, 4) >= target; }));
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(cluster.misbehaviour(i).size(), 1u) << "validator " << i;
    EXPECT_EQ(cluster.core(i).core().counters().dropped[static_cast<size_t>(
                  DropReason::kInvalidEvidence)],
              0u);
  }
  EXPECT_TRUE(cluster.violations().empty()) << cluster.violations().front();
  ExpectSameAppHash(cluster, 4, MinExecuted(cluster, 4));
}

}  // namespace
}  // namespace hotbft::node::testing
