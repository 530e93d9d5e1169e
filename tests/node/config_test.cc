// The node's config file and genesis document: defaults, round trips, and a clear error
// naming the file, the key and the reason for each kind of bad input.
#include "node/config.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/file_io.h"
#include "node/genesis.h"
#include "tests/temp_dir.h"

namespace hotbft::node {
namespace {

using hotbft::testing::TempDir;

constexpr char kKeyA[] = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
constexpr char kKeyB[] = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5";

std::string ErrorOf(std::string_view toml) {
  auto parsed = ParseConfig(toml, "home/config.toml");
  EXPECT_FALSE(parsed.ok()) << toml;
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(ConfigTest, TheRenderedDefaultsParseBackToTheDefaults) {
  const NodeConfig defaults;
  auto parsed = ParseConfig(RenderConfig(defaults), "config.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, defaults);
  // And an empty file is all defaults too.
  auto empty = ParseConfig("", "config.toml");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, defaults);
}

TEST(ConfigTest, EveryKeyRoundTrips) {
  NodeConfig c;
  c.moniker = "validator-3";
  c.p2p_listen = "0.0.0.0:30000";
  c.p2p_peers = {std::string(kKeyA) + "@127.0.0.1:30001", std::string(kKeyB) + "@10.0.0.2:30002"};
  c.p2p_frame_bytes_max = 8 << 20;
  c.rpc_listen = "127.0.0.1:30010";
  c.rpc_client_listen = "127.0.0.1:30011";
  c.rpc_broadcast_commit_timeout_ms = 2'000;
  c.rpc_admin = true;
  c.faults_enabled = true;
  c.faults_drop_probability = 0.25;
  c.faults_duplicate_probability = 0.125;
  c.faults_delay_ms_min = 5;
  c.faults_delay_ms_max = 50;
  c.faults_partitioned = {1, 3};
  c.round_timeout_base_ms = 400;
  c.round_timeout_factor = 1.5;
  c.round_timeout_exponent_max = 4;
  c.idle_empty_blocks = true;
  c.empty_block_interval_ms = 100;
  c.payload_bytes_max = 1 << 20;
  c.payload_txs_max = 500;
  c.mempool_tx_bytes_max = 4096;
  c.mempool_txs_max = 5'000;
  c.mempool_bytes_max = 1 << 24;
  c.mempool_cache_max = 10;
  c.storage_sync = false;
  c.app = "unix:/tmp/app.sock";
  c.log_level = "debug";
  c.log_format = "json";
  auto parsed = ParseConfig(RenderConfig(c), "config.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, c);
}

TEST(ConfigTest, BadFaultSettingsNameTheKey) {
  auto drop = ParseConfig("[faults]\ndrop_probability = 1.5\n", "config.toml");
  ASSERT_FALSE(drop.ok());
  EXPECT_NE(drop.status().message().find("faults.drop_probability"), std::string::npos)
      << drop.status().ToString();
  auto delay = ParseConfig("[faults]\ndelay_ms_min = 9\ndelay_ms_max = 3\n", "config.toml");
  ASSERT_FALSE(delay.ok());
  EXPECT_NE(delay.status().message().find("faults.delay_ms_min"), std::string::npos)
      << delay.status().ToString();
  auto peers = ParseConfig("[faults]\npartitioned = [\"one\"]\n", "config.toml");
  ASSERT_FALSE(peers.ok());
  EXPECT_NE(peers.status().message().find("faults.partitioned"), std::string::npos)
      << peers.status().ToString();
}

TEST(ConfigTest, TheRenderedFileCommentsEveryKey) {
  const std::string text = RenderConfig(NodeConfig{});
  size_t keys = 0;
  size_t pos = 0;
  std::string previous;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line[0] != '#' && line[0] != '[' &&
        line.find(" = ") != std::string::npos) {
      ++keys;
      // Each key follows a comment, or another key under the same comment.
      EXPECT_TRUE(!previous.empty() &&
                  (previous[0] == '#' || previous.find(" = ") != std::string::npos))
          << line;
    }
    previous = line;
    pos = end + 1;
  }
  EXPECT_EQ(keys, 29u);
}

TEST(ConfigTest, BadValuesNameTheFileTheKeyAndTheReason) {
  EXPECT_EQ(ErrorOf("[consensus]\nround_timeout_base_ms = 0\n"),
            "config home/config.toml: consensus.round_timeout_base_ms: must be between 10 and "
            "600000 (got 0)");
  EXPECT_EQ(ErrorOf("[consensus]\nround_timeout_base_ms = \"fast\"\n"),
            "config home/config.toml: consensus.round_timeout_base_ms: must be an integer");
  EXPECT_EQ(ErrorOf("[consensus]\nround_timeout_factor = 0.5\n"),
            "config home/config.toml: consensus.round_timeout_factor: must be between 1.0 and "
            "10.0 (got 0.500000)");
  EXPECT_EQ(ErrorOf("[p2p]\nlisten = \"localhost\"\n"),
            "config home/config.toml: p2p.listen: \"localhost\" is not host:port");
  EXPECT_EQ(ErrorOf("[p2p]\npeers = [\"abc@1.2.3.4:5\"]\n"),
            "config home/config.toml: p2p.peers: each peer must be \"<public key hex>@host:port\" "
            "(got \"abc@1.2.3.4:5\")");
  EXPECT_EQ(ErrorOf("[log]\nlevel = \"loud\"\n"),
            "config home/config.toml: log.level: \"loud\" is not one of trace, debug, info, warn, "
            "error");
  EXPECT_EQ(ErrorOf("[storage]\nsync = 1\n"),
            "config home/config.toml: storage.sync: must be true or false");
  EXPECT_EQ(ErrorOf("[storage]\nsnyc = true\n"),
            "config home/config.toml: storage.snyc: unknown key");
  EXPECT_EQ(ErrorOf("colour = \"blue\"\n"), "config home/config.toml: colour: unknown key");
  EXPECT_EQ(ErrorOf("[consensus]\nround_timeout_base_ms = 100\nempty_block_interval_ms = 200\n"),
            "config home/config.toml: consensus.empty_block_interval_ms: must be below "
            "consensus.round_timeout_base_ms (200 >= 100)");
  const std::string syntax = ErrorOf("[p2p\nlisten = 1\n");
  EXPECT_EQ(syntax.rfind("config home/config.toml: line 1: ", 0), 0u) << syntax;
}

TEST(ConfigTest, LoadConfigSaysWhichFileIsMissing) {
  TempDir dir;
  auto missing = LoadConfig(dir.Sub("config.toml"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.Sub("config.toml")), std::string::npos);
  ASSERT_TRUE(
      WriteFileAtomic(dir.Sub("config.toml"), "moniker = \"x\"\n", 0644, false, "config").ok());
  auto loaded = LoadConfig(dir.Sub("config.toml"));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->moniker, "x");
}

Genesis TwoValidators() {
  Genesis g;
  g.chain_id = "test-chain";
  g.genesis_time_ms = 1'700'000'000'000;
  g.validators = {{"a", PublicKey{*PublicKey::FromHex(kKeyA)}},
                  {"b", PublicKey{*PublicKey::FromHex(kKeyB)}}};
  g.app_state = {1, 2, 3};
  return g;
}

TEST(GenesisTest, RoundTripsThroughJsonAndAFile) {
  TempDir dir;
  const Genesis g = TwoValidators();
  ASSERT_TRUE(WriteGenesis(dir.Sub("genesis.json"), g).ok());
  EXPECT_FALSE(WriteGenesis(dir.Sub("genesis.json"), g).ok());  // never overwritten
  auto loaded = LoadGenesis(dir.Sub("genesis.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->Commitment(), g.Commitment());
  EXPECT_EQ(loaded->GenesisBlock()->id, g.GenesisBlock()->id);
  EXPECT_EQ(loaded->Validators()->size(), 2u);
}

TEST(GenesisTest, TheGenesisBlockCommitsToEveryField) {
  const Hash32 base = TwoValidators().GenesisBlock()->id;
  Genesis g = TwoValidators();
  g.chain_id = "other";
  EXPECT_NE(g.GenesisBlock()->id, base);
  g = TwoValidators();
  g.genesis_time_ms += 1;
  EXPECT_NE(g.GenesisBlock()->id, base);
  g = TwoValidators();
  std::swap(g.validators[0].public_key, g.validators[1].public_key);
  EXPECT_NE(g.GenesisBlock()->id, base);
  g = TwoValidators();
  g.validators[0].name = "z";
  EXPECT_NE(g.GenesisBlock()->id, base);
  g = TwoValidators();
  g.app_state.push_back(4);
  EXPECT_NE(g.GenesisBlock()->id, base);
  // The genesis QC certifies the block it was made from.
  const auto block = TwoValidators().GenesisBlock();
  EXPECT_EQ(MakeGenesisQC(*block).vote_data.block_id, block->id);
  EXPECT_EQ(MakeGenesisQC(*block).vote_data.parent_id, TwoValidators().Commitment());
}

TEST(GenesisTest, BadDocumentsAreRefusedWithTheReason) {
  auto error = [](std::string_view json) {
    auto parsed = ParseGenesis(json, "g.json");
    EXPECT_FALSE(parsed.ok()) << json;
    return parsed.ok() ? "" : parsed.status().message();
  };
  const std::string key = std::string("\"") + kKeyA + "\"";
  EXPECT_EQ(error("{"), "genesis file g.json: not valid JSON");
  EXPECT_EQ(error("{\"genesis_time_ms\": 1, \"validators\": [{\"public_key\": " + key + "}]}"),
            "genesis file g.json: chain_id: missing");
  EXPECT_EQ(
      error("{\"chain_id\": \"a b\", \"genesis_time_ms\": 1, \"validators\": [{\"public_key\": " +
            key + "}]}"),
      "genesis file g.json: chain_id \"a b\": 1 to 64 characters of A-Z a-z 0-9 . _ -");
  EXPECT_EQ(error("{\"chain_id\": \"c\", \"genesis_time_ms\": 1, \"validators\": []}"),
            "genesis file g.json: validators: missing or empty");
  const std::string repeated = error(
      "{\"chain_id\": \"c\", \"genesis_time_ms\": 1, \"validators\": [{\"name\": \"x\", "
      "\"public_key\": " +
      key + "}, {\"name\": \"y\", \"public_key\": " + key + "}]}");
  EXPECT_EQ(repeated.rfind("genesis file g.json: ", 0), 0u) << repeated;
  EXPECT_NE(repeated.find("appears twice"), std::string::npos) << repeated;
  const std::string same_name = error(
      "{\"chain_id\": \"c\", \"genesis_time_ms\": 1, \"validators\": [{\"name\": \"x\", "
      "\"public_key\": " +
      key + "}, {\"name\": \"x\", \"public_key\": \"" + kKeyB + "\"}]}");
  EXPECT_EQ(same_name, "genesis file g.json: validators[1]: name \"x\" repeats");
  EXPECT_EQ(error("{\"chain_id\": \"c\", \"genesis_time_ms\": 1, \"validators\": "
                  "[{\"public_key\": \"zz\"}]}")
                .rfind("genesis file g.json: validators[0].public_key: ", 0),
            0u);
  EXPECT_EQ(
      error("{\"chain_id\": \"c\", \"genesis_time_ms\": 1, \"validators\": [{\"public_key\": " +
            key + "}], \"extra\": 1}"),
      "genesis file g.json: unknown field \"extra\"");
}

}  // namespace
}  // namespace hotbft::node
