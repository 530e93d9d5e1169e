#include "node/home.h"

#include <chrono>
#include <filesystem>

#include "crypto/file_io.h"
#include "crypto/random.h"
#include "node/node_core.h"
#include "storage/rocks_store.h"

namespace hotbft::node {
namespace {

namespace fs = std::filesystem;

Result<std::unique_ptr<storage::Store>> OpenStore(const HomePaths& paths, const Genesis& genesis) {
  std::error_code ec;
  fs::create_directories(paths.data, ec);
  if (ec) return Status::IoError("creating " + paths.data + ": " + ec.message());
  auto block = genesis.GenesisBlock();
  return storage::OpenRocksStore(paths.store, genesis.chain_id, block, MakeGenesisQC(*block));
}

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

HomePaths PathsOf(const std::string& home) {
  HomePaths p;
  p.root = home;
  p.config = home + "/config.toml";
  p.genesis = home + "/genesis.json";
  p.key = home + "/validator.key";
  p.data = home + "/data";
  p.store = home + "/data/store";
  p.app_data = home + "/data/app";
  return p;
}

Status InitHome(const std::string& home, const NodeConfig& config, const Genesis& genesis,
                const KeyFile& key) {
  const HomePaths paths = PathsOf(home);
  for (const std::string& path : {paths.config, paths.genesis, paths.key, paths.data}) {
    if (fs::exists(path)) {
      return Status::FailedPrecondition(path + " already exists; " + home +
                                        " is a node's home already (choose another --home)");
    }
  }
  std::error_code ec;
  fs::create_directories(paths.root, ec);
  if (ec) return Status::IoError("creating " + paths.root + ": " + ec.message());
  HOTBFT_RETURN_IF_ERROR(WriteKeyFile(paths.key, key, /*overwrite=*/false));
  HOTBFT_RETURN_IF_ERROR(WriteGenesis(paths.genesis, genesis));
  HOTBFT_RETURN_IF_ERROR(WriteFileAtomic(paths.config, RenderConfig(config), 0644,
                                         /*overwrite=*/false, "config file"));
  auto store = OpenStore(paths, genesis);
  if (!store.ok()) return store.status().With("creating the store");
  return InitializeSafety(**store, genesis.epoch);
}

Result<std::string> InitSingle(const std::string& home, const std::string& chain_id,
                               const std::string& moniker) {
  SystemRandom rng;
  const KeyFile key = GenerateKeyFile(SignatureScheme::kSchnorrBip340, rng);
  Genesis genesis;
  genesis.chain_id = chain_id;
  genesis.genesis_time_ms = NowMs();
  genesis.validators = {{moniker, key.public_key}};
  // The same checks a loaded document gets.
  HOTBFT_RETURN_IF_ERROR(ParseGenesis(genesis.ToJson(), "(new genesis)").status());
  NodeConfig config;
  config.moniker = moniker;
  HOTBFT_RETURN_IF_ERROR(InitHome(home, config, genesis, key));
  return key.public_key.hex();
}

Result<std::vector<TestnetNode>> CreateTestnet(const TestnetOptions& options) {
  if (options.validators < 1 || options.validators > 64) {
    return Status::InvalidArgument("--validators must be between 1 and 64");
  }
  if (uint32_t{options.base_port} + 10 * options.validators + 2 > 65535) {
    return Status::InvalidArgument("--base-port too high for " +
                                   std::to_string(options.validators) + " validators");
  }
  SystemRandom rng;
  std::vector<KeyFile> keys;
  std::vector<TestnetNode> nodes;
  Genesis genesis;
  genesis.chain_id = options.chain_id;
  genesis.genesis_time_ms = NowMs();
  for (uint32_t i = 0; i < options.validators; ++i) {
    keys.push_back(GenerateKeyFile(SignatureScheme::kSchnorrBip340, rng));
    TestnetNode node;
    node.home = options.output + "/node" + std::to_string(i);
    node.public_key = keys.back().public_key.hex();
    const uint32_t port = options.base_port + 10 * i;
    node.p2p = options.host + ":" + std::to_string(port);
    node.rpc = options.host + ":" + std::to_string(port + 1);
    node.client = options.host + ":" + std::to_string(port + 2);
    if (fs::exists(node.home)) {
      return Status::FailedPrecondition(node.home + " already exists; wipe the testnet first (" +
                                        "remove " + options.output +
                                        ") or choose another --output");
    }
    genesis.validators.push_back({"node" + std::to_string(i), keys.back().public_key});
    nodes.push_back(std::move(node));
  }
  HOTBFT_RETURN_IF_ERROR(ParseGenesis(genesis.ToJson(), "(new genesis)").status());
  for (uint32_t i = 0; i < options.validators; ++i) {
    NodeConfig config;
    config.moniker = "node" + std::to_string(i);
    config.p2p_listen = nodes[i].p2p;
    config.rpc_listen = nodes[i].rpc;
    config.rpc_client_listen = nodes[i].client;
    config.app = options.app;
    for (uint32_t j = 0; j < options.validators; ++j) {
      if (j != i) config.p2p_peers.push_back(nodes[j].public_key + "@" + nodes[j].p2p);
    }
    HOTBFT_RETURN_IF_ERROR(InitHome(nodes[i].home, config, genesis, keys[i]));
  }
  return nodes;
}

Status InitSafetyOfHome(const std::string& home) {
  const HomePaths paths = PathsOf(home);
  auto genesis = LoadGenesis(paths.genesis);
  if (!genesis.ok()) return genesis.status();
  auto store = OpenStore(paths, *genesis);
  if (!store.ok()) return store.status().With("opening the store");
  return InitializeSafety(**store, genesis->epoch);
}

Result<std::unique_ptr<storage::Store>> OpenHomeStore(const std::string& home) {
  const HomePaths paths = PathsOf(home);
  auto genesis = LoadGenesis(paths.genesis);
  if (!genesis.ok()) return genesis.status();
  std::error_code ec;
  if (!fs::exists(paths.store, ec)) return Status::NotFound("no store in " + paths.store);
  return OpenStore(paths, *genesis);
}

}  // namespace hotbft::node
