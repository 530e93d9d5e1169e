// Node homes: `hotbft init`, `hotbft testnet` and `hotbft init-safety`.
#include "node/home.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "storage/rocks_store.h"
#include "tests/temp_dir.h"

namespace hotbft::node {
namespace {

using hotbft::testing::TempDir;

std::optional<SafetyData> StoredSafety(const std::string& home) {
  const HomePaths paths = PathsOf(home);
  auto genesis = LoadGenesis(paths.genesis);
  EXPECT_TRUE(genesis.ok());
  auto block = genesis->GenesisBlock();
  std::filesystem::create_directories(paths.data);
  auto store =
      storage::OpenRocksStore(paths.store, genesis->chain_id, block, MakeGenesisQC(*block));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  auto state = (*store)->Recover();
  EXPECT_TRUE(state.ok());
  return state->safety;
}

TEST(HomeTest, TestnetHomesShareOneGenesisAndListEachOtherAsPeers) {
  TempDir dir;
  TestnetOptions options;
  options.output = dir.Sub("tn");
  options.base_port = 31000;
  auto nodes = CreateTestnet(options);
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  ASSERT_EQ(nodes->size(), 4u);
  Hash32 genesis_id;
  for (size_t i = 0; i < nodes->size(); ++i) {
    SCOPED_TRACE("node " + std::to_string(i));
    const TestnetNode& n = (*nodes)[i];
    const HomePaths paths = PathsOf(n.home);
    auto genesis = LoadGenesis(paths.genesis);
    ASSERT_TRUE(genesis.ok());
    if (i == 0) genesis_id = genesis->GenesisBlock()->id;
    EXPECT_EQ(genesis->GenesisBlock()->id, genesis_id);
    EXPECT_EQ(genesis->validators[i].public_key.hex(), n.public_key);
    auto config = LoadConfig(paths.config);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    EXPECT_EQ(config->p2p_listen, "127.0.0.1:" + std::to_string(31000 + 10 * i));
    EXPECT_EQ(config->rpc_listen, "127.0.0.1:" + std::to_string(31000 + 10 * i + 1));
    ASSERT_EQ(config->p2p_peers.size(), 3u);
    for (const std::string& peer : config->p2p_peers) {
      EXPECT_EQ(peer.find(n.public_key), std::string::npos);  // not itself
    }
    auto key = LoadKeyFile(paths.key);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->public_key.hex(), n.public_key);
    const auto safety = StoredSafety(n.home);
    ASSERT_TRUE(safety.has_value());
    EXPECT_EQ(safety->last_voted_round, 0u);
  }
  // Never over an existing testnet.
  EXPECT_EQ(CreateTestnet(options).status().code(), Status::Code::kFailedPrecondition);
}

TEST(HomeTest, InitRefusesAnExistingHome) {
  TempDir dir;
  ASSERT_TRUE(InitSingle(dir.Sub("home"), "chain-a", "n0").ok());
  auto again = InitSingle(dir.Sub("home"), "chain-a", "n0");
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("already exists"), std::string::npos);
}

TEST(HomeTest, InitSafetyOnlyWhereThereIsNone) {
  TempDir dir;
  const std::string home = dir.Sub("home");
  ASSERT_TRUE(InitSingle(home, "chain-a", "n0").ok());
  EXPECT_EQ(InitSafetyOfHome(home).code(), Status::Code::kFailedPrecondition);
  // The data directory is lost; the key and genesis remain.
  std::filesystem::remove_all(PathsOf(home).data);
  EXPECT_FALSE(StoredSafety(home).has_value());
  ASSERT_TRUE(InitSafetyOfHome(home).ok());
  EXPECT_TRUE(StoredSafety(home).has_value());
}

}  // namespace
}  // namespace hotbft::node
