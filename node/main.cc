// The hotbft validator node binary.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "node/home.h"
#include "node/keygen.h"
#include "node/logging.h"
#include "node/validator_node.h"

namespace {

constexpr const char* kVersion = "0.1.0";

int Fail(const char* command, const hotbft::Status& status) {
  std::fprintf(stderr, "hotbft %s: %s\n", command, status.ToString().c_str());
  return 1;
}

int Keygen(const hotbft::node::KeygenOptions& options) {
  auto result = hotbft::node::RunKeygen(options);
  if (!result.ok()) return Fail("keygen", result.status());
  std::printf("wrote %s (mode 0600)\npublic key: %s\n", options.out_path.c_str(), result->c_str());
  return 0;
}

struct InitArgs {
  std::string home;
  std::string chain_id = "hotbft-local";
  std::string moniker = "node0";
};

int Init(const InitArgs& args) {
  auto key = hotbft::node::InitSingle(args.home, args.chain_id, args.moniker);
  if (!key.ok()) return Fail("init", key.status());
  const auto paths = hotbft::node::PathsOf(args.home);
  std::printf(
      "initialised %s: a one-validator chain '%s'\n  key:     %s (public key %s)\n"
      "  genesis: %s\n  config:  %s\n  store:   %s (fresh safety data)\n",
      args.home.c_str(), args.chain_id.c_str(), paths.key.c_str(), key->c_str(),
      paths.genesis.c_str(), paths.config.c_str(), paths.store.c_str());
  return 0;
}

int Testnet(const hotbft::node::TestnetOptions& options) {
  auto nodes = hotbft::node::CreateTestnet(options);
  if (!nodes.ok()) return Fail("testnet", nodes.status());
  std::printf("created a %zu-validator testnet '%s' in %s\n", nodes->size(),
              options.chain_id.c_str(), options.output.c_str());
  for (const auto& n : *nodes) {
    std::printf("  %s  p2p %s  rpc http://%s  client %s  key %.16s...\n", n.home.c_str(),
                n.p2p.c_str(), n.rpc.c_str(), n.client.c_str(), n.public_key.c_str());
  }
  return 0;
}

int InitSafety(const std::string& home, bool confirmed) {
  if (!confirmed) {
    std::fprintf(stderr,
                 "hotbft init-safety: refusing without --confirm. Fresh safety data lets this "
                 "validator sign again from round 0: if its key signed anything on this chain "
                 "since its safety data was lost, it may now sign conflicting messages "
                 "(double-sign). Only confirm for a key that has never signed on this chain.\n");
    return 1;
  }
  if (auto s = hotbft::node::InitSafetyOfHome(home); !s.ok()) return Fail("init-safety", s);
  std::printf("initialised fresh safety data in %s\n", hotbft::node::PathsOf(home).store.c_str());
  return 0;
}

struct StartArgs {
  std::string home;
  std::string app;
};

// Runs the validator until SIGINT or SIGTERM.
int Start(const StartArgs& args) {
  auto config = hotbft::node::LoadConfig(hotbft::node::PathsOf(args.home).config);
  if (!config.ok()) return Fail("start", config.status());
  if (auto s = hotbft::node::ConfigureLogging(config->log_level, config->log_format); !s.ok()) {
    return Fail("start", s);
  }
  // The signals are taken synchronously by this thread; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  hotbft::node::ValidatorNodeOptions options;
  options.home = args.home;
  options.app = args.app;
  options.version = kVersion;
  auto node = hotbft::node::ValidatorNode::Open(options);
  if (!node.ok()) return Fail("start", node.status());
  if (auto s = (*node)->Start(); !s.ok()) return Fail("start", s);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("{} received: stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*node)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "hotbft: a Byzantine fault-tolerant replicated state machine (chained HotStuff).\n"
      "This build provides the key and home-directory tools; `start` and the client "
      "commands arrive with the node's network layer."};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);

  hotbft::node::KeygenOptions keygen;
  CLI::App* keygen_cmd =
      app.add_subcommand("keygen", "Generate a secp256k1 BIP-340 key file (JSON, mode 0600)");
  keygen_cmd->add_option("--out,-o", keygen.out_path, "Path of the key file to write")->required();
  keygen_cmd->add_flag("--force", keygen.overwrite, "Overwrite an existing key file");

  InitArgs init;
  CLI::App* init_cmd = app.add_subcommand(
      "init",
      "Create a node home: a new key, a one-validator genesis, a commented config.toml "
      "and a store with fresh safety data");
  init_cmd->add_option("--home", init.home, "The home directory to create")->required();
  init_cmd->add_option("--chain-id", init.chain_id, "The chain id")->capture_default_str();
  init_cmd->add_option("--moniker", init.moniker, "This node's name")->capture_default_str();

  hotbft::node::TestnetOptions testnet;
  CLI::App* testnet_cmd = app.add_subcommand(
      "testnet",
      "Create the homes of a local testnet: N validators sharing one genesis, each "
      "config listing the others as peers");
  testnet_cmd->add_option("--validators,-n", testnet.validators, "Number of validators")
      ->capture_default_str();
  testnet_cmd->add_option("--output,-o", testnet.output, "Directory for node0..nodeN-1")
      ->required();
  testnet_cmd
      ->add_option("--base-port", testnet.base_port,
                   "node i listens on base+10i (p2p), base+10i+1 (RPC), base+10i+2 (client port)")
      ->capture_default_str();
  testnet_cmd->add_option("--chain-id", testnet.chain_id, "The chain id")->capture_default_str();
  testnet_cmd->add_option("--app", testnet.app, "The app every node runs")->capture_default_str();

  std::string safety_home;
  bool safety_confirmed = false;
  CLI::App* safety_cmd = app.add_subcommand(
      "init-safety",
      "Write fresh safety data into a home whose store has none (its validator refuses to sign "
      "until then). Only for a key that has never signed on this chain");
  safety_cmd->add_option("--home", safety_home, "The node's home directory")->required();
  safety_cmd->add_flag("--confirm", safety_confirmed,
                       "Confirm that this key has never signed on this chain");

  StartArgs start;
  CLI::App* start_cmd = app.add_subcommand("start", "Run the validator until SIGINT or SIGTERM");
  start_cmd->add_option("--home", start.home, "The node's home directory")->required();
  start_cmd->add_option("--app", start.app,
                        "Override config.toml's app: kvstore, counter, noop, PATH.so, "
                        "unix:PATH or tcp:HOST:PORT");

  CLI11_PARSE(app, argc, argv);
  if (keygen_cmd->parsed()) return Keygen(keygen);
  if (init_cmd->parsed()) return Init(init);
  if (testnet_cmd->parsed()) return Testnet(testnet);
  if (safety_cmd->parsed()) return InitSafety(safety_home, safety_confirmed);
  if (start_cmd->parsed()) return Start(start);
  return 0;
}
